/* signalfd's hook for signal sending (fs/signalfd.c). */
#ifndef KERNEL_SIGNALFD_H
#define KERNEL_SIGNALFD_H

/* Wakes every signalfd reader and poller to look at its mask again: call
 * it, with the kernel lock held, whenever a signal becomes pending (Linux's
 * signalfd_notify in send_signal_locked). */
void signalfd_notify(void);

#endif
