/* The seeded entropy stream of abi-run --seed (task.c), for plat.c. */
#ifndef ABI_PLAT_LINUX_SEED_H
#define ABI_PLAT_LINUX_SEED_H

#include <abi/types.h>

/* Fills buf from the seeded stream and returns 0, or -ENOSYS when no seed
 * was set (plat_entropy then asks the host). */
long plat_seeded_entropy(void *buf, size_t len);

#endif
