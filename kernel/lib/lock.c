/* struct kmutex: the classic three-state futex mutex. */
#include <kernel/lock.h>
#include <kernel/task.h>
#include "../plat/plat.h"

void kmutex_lock_raw(struct kmutex *m)
{
	u32 c = 0;

	if (__atomic_compare_exchange_n(&m->state, &c, 1, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		plat_wait(&m->state, 2, -1);
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	}
}

/* A task that sleeps on a kmutex drops the kernel lock while it sleeps,
 * as in every other sleep (task.h): the holder may be a sleeper waiting to
 * take the kernel lock back. */
void kmutex_lock(struct kmutex *m)
{
	u32 c = 0;

	if (__atomic_compare_exchange_n(&m->state, &c, 1, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	if (!kernel_locked()) {
		kmutex_lock_raw(m);
		return;
	}
	kernel_leave();
	kmutex_lock_raw(m);
	kernel_enter();
}

void kmutex_unlock(struct kmutex *m)
{
	if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2)
		plat_wake(&m->state, 1);
}
