/* POSIX timers' hooks (time/timer.c): the platform's expiry, the dequeue
 * of a timer's signal, and exec. Locked. */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <abi/types.h>
#include <kernel/linux.h>

/* An expiry of the timer the platform knows by cookie, host_overrun more
 * missed before it was taken: sends the timer's signal, or counts an
 * overrun while its siginfo is still queued. */
void posix_timer_fire(u64 cookie, int host_overrun);
/* A timer's siginfo being dequeued (si_code SI_TIMER): fills si_overrun;
 * false when the timer was deleted or re-armed since (the signal is then
 * dropped, as Linux's posixtimer_deliver_signal drops it). */
bool posix_timer_deliver(struct linux_siginfo *info);
/* exec deletes every POSIX timer (interval timers survive). */
void posix_timers_exec(void);

#endif
