/* A sleeping mutex on a host futex word: uninterruptible, like Linux's
 * mutex_lock, and not recursive. */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H

#include <abi/types.h>

struct kmutex {
	u32 state; /* 0 free, 1 held, 2 held and maybe contended */
};

#define KMUTEX_INIT \
	{           \
		0   \
	}

void kmutex_lock(struct kmutex *m);
/* kmutex_lock without dropping the kernel lock: for the kernel lock itself. */
void kmutex_lock_raw(struct kmutex *m);
void kmutex_unlock(struct kmutex *m);

#endif
