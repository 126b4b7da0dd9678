/* restart_syscall (core/restart.c): a sleep that a signal interrupted
 * returns -ERESTART_RESTARTBLOCK with the caller's restart block filled;
 * when no handler runs (or once it returns, for nanosleep's EINTR rule)
 * the platform re-enters the kernel through restart_syscall, which calls
 * the block's fn. */
#ifndef KERNEL_RESTART_H
#define KERNEL_RESTART_H

#include <abi/errno.h>
#include <kernel/task.h>

/* The fn of a spent block: restart_syscall then fails with EINTR. */
long do_no_restart_syscall(struct restart_block *rb);

/* Arms rb with fn: the return value of an interrupted sleep. */
static inline long set_restart_fn(struct restart_block *rb, long (*fn)(struct restart_block *))
{
	rb->fn = fn;
	return -ERESTART_RESTARTBLOCK;
}

#endif
