/* The futex side of a thread's exit (core/futex.c). */
#ifndef KERNEL_FUTEX_H
#define KERNEL_FUTEX_H

#include <kernel/task.h>

/* Linux's futex_exit_release: walks t's robust list (FUTEX_OWNER_DIED, one
 * waiter woken per lock), then stores 0 at t's clear_child_tid and wakes one
 * waiter there. Locked. */
void futex_exit_release(struct task *t);

#endif
