/* The one wait: every blocking call in the kernel sleeps here.
 *
 * A task sleeps on its own wake word (task.wake_seq) and nothing else. Who
 * wants to wake it bumps the word and tells the platform (task_wake); a
 * signal sent to it does the same. The protocol, always under the kernel
 * lock until the sleep itself:
 *
 *	seq = wait_prepare();               read the word
 *	if (condition) ...                  look at the condition
 *	(register where wakers will find the task: a waitq, a futex queue)
 *	r = task_sleep(seq, deadline, hfds) drops the lock, sleeps, retakes it
 *
 * A wake between wait_prepare and the sleep has moved the word, so the
 * sleep returns at once: no wake-up is ever lost, and there is no polling.
 *
 * When the wait set holds host files (the console, host pipes, and later
 * host sockets), the sleep is one host ppoll over them plus the task's host
 * eventfd, which task_wake then writes; otherwise it is a host futex wait on
 * the word. Either way an idle task uses no CPU. */
#ifndef KERNEL_WAIT_H
#define KERNEL_WAIT_H

#include <abi/types.h>
#include <kernel/lib.h>
#include <kernel/task.h>

#define NO_DEADLINE ((s64)-1)

/* A host file to wait on: the host fd and poll events; revents is set when
 * the sleep returns. */
struct host_wait {
	int fd;
	short events, revents;
};

/* Starts a wait: the current value of the caller's wake word. */
u32 wait_prepare(void);

/* Sleeps until the wake word moves from seq, a signal is pending for the
 * task (signal_pending), deadline passes (monotonic ns; NO_DEADLINE: none)
 * or one of the nhw host files is ready. Drops the kernel lock (and only
 * that lock) while asleep. Returns 0 (woken, or a host file ready: see
 * hw[].revents), -ETIMEDOUT, or -EINTR when a signal is pending: the caller
 * then returns -ERESTARTSYS, -EINTR or -ERESTART_RESTARTBLOCK as Linux's
 * call does. */
long task_sleep(u32 seq, s64 deadline, struct host_wait *hw, int nhw);
/* task_sleep without the signal check: for waits Linux makes
 * uninterruptible (a kmutex, exit's own clean-up). */
long task_sleep_uninterruptible(u32 seq, s64 deadline);

/* Wakes t: moves its word and rouses it where it sleeps. Locked. */
void task_wake(struct task *t);

/* A queue of sleepers, for objects whose waiters are woken together. */
struct waitq {
	struct list entries; /* struct wait_entry.link */
};
struct wait_entry {
	struct list link;
	struct task *task;
};
#define WAITQ_INIT(q)                  \
	{                              \
		LIST_INIT((q).entries) \
	}
static inline void waitq_init(struct waitq *q)
{
	list_init(&q->entries);
}
/* Puts the caller on q (e lives on the caller's stack) / takes it off. */
void waitq_add(struct waitq *q, struct wait_entry *e);
void waitq_del(struct wait_entry *e);
/* Wakes every task on q (they stay on it until they take themselves off). */
void waitq_wake_all(struct waitq *q);

#endif
