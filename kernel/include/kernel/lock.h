/* A sleeping mutex built on the platform's wait/wake word, the kernel's only
 * blocking primitive. Not recursive. */
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
void kmutex_unlock(struct kmutex *m);

#endif
