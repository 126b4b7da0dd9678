/* pidfd's hook for thread exit (core/pidfd.c). */
#ifndef KERNEL_PIDFD_H
#define KERNEL_PIDFD_H

/* Wakes pidfd pollers to look again: call it, with the kernel lock held,
 * once an exiting thread is off the task list (a pidfd of it then polls
 * readable, Linux's do_notify_pidfd). */
void pidfd_notify_exit(void);

#endif
