/* struct radix: nodes are kernel pages of 512 pointers. Leaves hold values;
 * an inner node's slot points to a child node. Empty nodes are freed as
 * values go, so an emptied tree holds no memory. */
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/radix.h>

#define SHIFT 9
#define SLOTS (1u << SHIFT)
#define MASK (SLOTS - 1)

struct node {
	void *slot[SLOTS];
};

static u64 capacity(unsigned height)
{
	return height * SHIFT >= 64 ? ~0ULL : (1ULL << (height * SHIFT)) - 1;
}

void *radix_get(const struct radix *r, u64 idx)
{
	struct node *n = r->root;

	if (!r->height || idx > capacity(r->height))
		return NULL;
	for (unsigned h = r->height; n && h > 1; h--)
		n = n->slot[(idx >> ((h - 1) * SHIFT)) & MASK];
	return n ? n->slot[idx & MASK] : NULL;
}

void **radix_slot(struct radix *r, u64 idx)
{
	struct node *n;

	if (!r->height) {
		if (!(r->root = kpage_alloc()))
			return NULL;
		r->height = 1;
	}
	while (idx > capacity(r->height)) {
		struct node *top = kpage_alloc();

		if (!top)
			return NULL;
		top->slot[0] = r->root;
		r->root = top;
		r->height++;
	}
	n = r->root;
	for (unsigned h = r->height; h > 1; h--) {
		void **s = &n->slot[(idx >> ((h - 1) * SHIFT)) & MASK];

		if (!*s && !(*s = kpage_alloc()))
			return NULL;
		n = *s;
	}
	return &n->slot[idx & MASK];
}

/* First index >= idx with a value under node n of height h covering base. */
static bool next_in(const struct node *n, unsigned h, u64 base, u64 idx, u64 *found)
{
	unsigned shift = (h - 1) * SHIFT;
	unsigned first = idx > base ? (unsigned)((idx - base) >> shift) : 0;

	for (unsigned i = first; i < SLOTS; i++) {
		u64 child_base = base + ((u64)i << shift);

		if (!n->slot[i])
			continue;
		if (h == 1) {
			*found = child_base;
			return true;
		}
		if (next_in(n->slot[i], h - 1, child_base, idx > child_base ? idx : child_base,
			    found))
			return true;
	}
	return false;
}

bool radix_next(const struct radix *r, u64 idx, u64 *found)
{
	if (!r->height || idx > capacity(r->height))
		return false;
	return next_in(r->root, r->height, 0, idx, found);
}

/* Removes values in [from, to) under n, counting them in *count; returns
 * true when n became empty. */
static bool remove_in(struct node *n, unsigned h, u64 base, u64 from, u64 to,
		      void (*release)(void *), u64 *count)
{
	unsigned shift = (h - 1) * SHIFT;
	bool empty = true;

	for (unsigned i = 0; i < SLOTS; i++) {
		u64 lo, hi;

		if (!n->slot[i])
			continue;
		lo = base + ((u64)i << shift); /* no overflow: the slot is in use */
		hi = lo + ((1ULL << shift) - 1);
		if (hi < from || lo >= to) {
			empty = false;
			continue;
		}
		if (h == 1) {
			if (release)
				release(n->slot[i]);
			n->slot[i] = NULL;
			(*count)++;
		} else if (remove_in(n->slot[i], h - 1, lo, from, to, release, count)) {
			kpage_free(n->slot[i]);
			n->slot[i] = NULL;
		} else {
			empty = false;
		}
	}
	return empty;
}

u64 radix_remove_range(struct radix *r, u64 from, u64 to, void (*release)(void *value))
{
	u64 count = 0;

	if (!r->height || from >= to)
		return 0;
	if (remove_in(r->root, r->height, 0, from, to, release, &count)) {
		kpage_free(r->root);
		r->root = NULL;
		r->height = 0;
	}
	return count;
}

u64 radix_truncate(struct radix *r, u64 from, void (*release)(void *value))
{
	return radix_remove_range(r, from, ~0ULL, release);
}
