/* Futexes (core/futex.c): what the rest of the kernel calls.
 *
 * Waiters sleep on the one wait (wait.h) and are found in the kernel's own
 * futex hash by key (the guest address, and whether the futex is shared:
 * a private and a shared futex at one address are two futexes, as Linux's
 * keys make them). */
#ifndef KERNEL_FUTEX_H
#define KERNEL_FUTEX_H

#include <abi/types.h>
#include <kernel/task.h>

/* Linux's futex_exit_release, for a thread that is exiting (t is still on
 * the task list, the kernel lock held or not): walks t's robust list
 * (exit_robust_list: each lock t still holds gets FUTEX_OWNER_DIED and one
 * waiter is woken; list_op_pending; at most 2048 entries), hands the PI
 * futexes t owns to their first waiter, then, when other threads share the
 * address space, stores 0 at t->clear_child_tid and wakes one waiter there
 * (mm_release's CLONE_CHILD_CLEARTID). A bad guest pointer anywhere ends
 * that part quietly, as on Linux. Clears t's registrations. */
void futex_exit_release(struct task *t);

/* futex(FUTEX_WAKE) of up to n waiters of the futex at uaddr (shared
 * selects the key): the number woken, or -errno. For kernel callers. */
long futex_wake(uptr uaddr, bool shared, int n);

#endif
