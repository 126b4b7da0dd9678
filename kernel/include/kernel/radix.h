/* A radix tree from 64-bit indexes to pointers, 512 slots a node (one page),
 * growing in height as indexes grow: the sparse page array of a file. */
#ifndef KERNEL_RADIX_H
#define KERNEL_RADIX_H

#include <abi/types.h>

struct radix {
	void *root;
	unsigned height; /* 0: empty; n: indexes below 512^n */
};

void *radix_get(const struct radix *r, u64 idx);
/* The slot for idx, creating nodes on the way; NULL when out of memory. */
void **radix_slot(struct radix *r, u64 idx);
/* The first index >= idx with a value, or false. */
bool radix_next(const struct radix *r, u64 idx, u64 *found);
/* Removes every value at index >= from, passing each to release; returns
 * how many there were. */
u64 radix_truncate(struct radix *r, u64 from, void (*release)(void *value));
/* Removes the values in [from, to), passing each to release. */
u64 radix_remove_range(struct radix *r, u64 from, u64 to, void (*release)(void *value));

#endif
