/* The kernel heap. Small sizes come from size classes: a freed
 * object goes back to its class's free list, and a new one is carved from
 * 1 MiB platform mappings (arenas), every class from the same place;
 * anything larger is its own platform mapping. Every arena and large block
 * is on a list so that kmalloc_reset can return them all. */
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/lock.h>
#include "../plat/plat.h"

/* 16 .. 32768 bytes, header included (path and bounce buffers stay off the
 * host): the powers of two and, from 48 on, the sizes halfway between, so
 * that an object wastes at most a third of its slot, not a half (a 128-byte
 * dentry with its header took a 256-byte slot). The objects abi-run makes
 * at every start then fit in fewer pages, each a host page fault. */
static const u32 class_size[] = { 16,   32,   48,    64,    96,    128,  192,  256,
				  384,  512,  768,   1024,  1536,  2048, 3072, 4096,
				  6144, 8192, 12288, 16384, 24576, 32768 };
#define NCLASSES ((int)ARRAY_SIZE(class_size))
#define LARGE_CLASS 0xff

/* Precedes every allocation; 16 bytes keep the payload 16-byte aligned. */
struct hdr {
	u32 cls;
	u32 magic;
	u64 size; /* requested size */
};

struct large {
	struct list link;
	size_t maplen;
	u64 pad;
	struct hdr hdr;
};

#define ARENA_SIZE (1024 * 1024)

struct arena {
	struct arena *next;
};

struct free_obj {
	struct free_obj *next;
};

#define MAGIC_LIVE 0x6b6d616c
#define MAGIC_FREE 0x66726565

static struct kmutex heap_lock = KMUTEX_INIT;
static struct free_obj *free_lists[NCLASSES];
static struct arena *arenas;
static char *arena_next, *arena_end; /* the newest arena's part not carved yet */
static struct list large_blocks = LIST_INIT(large_blocks);
static size_t in_use;

static int size_class(size_t total)
{
	for (int c = 0; c < NCLASSES; c++) {
		if (total <= class_size[c])
			return c;
	}
	return -1;
}

/* Objects of every class are carved in order from the newest arena, so the
 * host faults in the heap's pages as they are used, and a dozen classes
 * used once each share a page or two: abi-run's start-up took a host page
 * fault for the first object of each class when every class had 64 KiB
 * chunks of its own (and one for every page of every chunk before that).
 * Every size is a multiple of 16, so objects stay 16-byte aligned. An
 * arena's tail too small for an object is left unused. */
static struct hdr *take(int cls)
{
	size_t objsz = class_size[cls];
	struct hdr *h;

	if (free_lists[cls]) {
		h = (struct hdr *)free_lists[cls];
		free_lists[cls] = free_lists[cls]->next;
		return h;
	}
	if ((size_t)(arena_end - arena_next) < objsz) {
		struct arena *a = plat_kmem_map(ARENA_SIZE);

		if (!a)
			return NULL;
		a->next = arenas;
		arenas = a;
		arena_next = (char *)a + 16; /* past the header, 16-byte aligned */
		arena_end = (char *)a + ARENA_SIZE;
	}
	h = (struct hdr *)arena_next;
	arena_next += objsz;
	return h;
}

static void *alloc_large(size_t size)
{
	size_t maplen = PAGE_ALIGN(sizeof(struct large) + size);
	struct large *l;

	if (maplen < size)
		return NULL;
	l = plat_kmem_map(maplen);
	if (!l)
		return NULL;
	l->maplen = maplen;
	l->hdr.cls = LARGE_CLASS;
	l->hdr.magic = MAGIC_LIVE;
	l->hdr.size = size;
	list_add_tail(&l->link, &large_blocks);
	return l + 1;
}

void *kmalloc(size_t size)
{
	int cls = size_class(size + sizeof(struct hdr));
	struct hdr *h = NULL;
	void *p = NULL;

	kmutex_lock(&heap_lock);
	if (cls < 0 || size + sizeof(struct hdr) < size) {
		p = size + sizeof(struct hdr) < size ? NULL : alloc_large(size);
		goto out;
	}
	if (!(h = take(cls)))
		goto out;
	h->cls = (u32)cls;
	h->magic = MAGIC_LIVE;
	h->size = size;
	p = h + 1;
out:
	if (p)
		in_use += size;
	kmutex_unlock(&heap_lock);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	/* A large block is a fresh platform mapping, zero-filled already:
	 * clearing it would touch every page of it (the loader's 132 KiB
	 * image was 33 host page faults per exec). */
	if (p && size_class(size + sizeof(struct hdr)) >= 0)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	struct hdr *h;

	if (!p)
		return;
	h = (struct hdr *)p - 1;
	if (h->magic != MAGIC_LIVE)
		kpanic("kfree(%p): bad or double free", p);
	kmutex_lock(&heap_lock);
	in_use -= h->size;
	h->magic = MAGIC_FREE;
	if (h->cls == LARGE_CLASS) {
		struct large *l = container_of(h, struct large, hdr);

		list_del(&l->link);
		plat_kmem_unmap(l, l->maplen);
	} else {
		struct free_obj *o = (struct free_obj *)h;
		int cls = (int)h->cls;

		o->next = free_lists[cls];
		free_lists[cls] = o;
	}
	kmutex_unlock(&heap_lock);
}

void *krealloc(void *p, size_t size)
{
	struct hdr *h;
	void *n;

	if (!p)
		return kmalloc(size);
	h = (struct hdr *)p - 1;
	n = kmalloc(size);
	if (!n)
		return NULL;
	memcpy(n, p, MIN(size, (size_t)h->size));
	kfree(p);
	return n;
}

char *kstrndup(const char *s, size_t n)
{
	char *d = kmalloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* Pages come from 256 KiB platform mappings whose first page records the
 * mapping (so that kmalloc_reset can find it); a free page links the next. */
#define PAGE_CHUNK (256 * 1024)

struct page_chunk {
	struct page_chunk *next;
};

static struct page_chunk *page_chunks;
static struct free_obj *free_pages;
static struct {
	char *next, *end;
} page_carve; /* the newest page chunk's pages not handed out yet */

void *kpage_alloc(void)
{
	struct free_obj *p = NULL;

	kmutex_lock(&heap_lock);
	if (free_pages) {
		p = free_pages;
		free_pages = p->next;
	} else {
		/* carved in order, as kmalloc's chunks are */
		if (page_carve.next == page_carve.end) {
			struct page_chunk *pc = plat_kmem_map(PAGE_CHUNK);

			if (!pc)
				goto out;
			pc->next = page_chunks;
			page_chunks = pc;
			page_carve.next = (char *)pc + PAGE_SIZE;
			page_carve.end = (char *)pc + PAGE_CHUNK;
		}
		p = (struct free_obj *)page_carve.next;
		page_carve.next += PAGE_SIZE;
	}
	in_use += PAGE_SIZE;
out:
	kmutex_unlock(&heap_lock);
	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

void kpage_free(void *page)
{
	struct free_obj *o = page;

	if (!page)
		return;
	kmutex_lock(&heap_lock);
	o->next = free_pages;
	free_pages = o;
	in_use -= PAGE_SIZE;
	kmutex_unlock(&heap_lock);
}

void kmalloc_reset(void)
{
	struct list *pos, *tmp;

	kmutex_lock(&heap_lock);
	while (page_chunks) {
		struct page_chunk *next = page_chunks->next;

		plat_kmem_unmap(page_chunks, PAGE_CHUNK);
		page_chunks = next;
	}
	free_pages = NULL;
	page_carve.next = page_carve.end = NULL;
	while (arenas) {
		struct arena *next = arenas->next;

		plat_kmem_unmap(arenas, ARENA_SIZE);
		arenas = next;
	}
	arena_next = arena_end = NULL;
	list_for_each_safe(pos, tmp, &large_blocks) {
		struct large *l = list_entry(pos, struct large, link);

		plat_kmem_unmap(l, l->maplen);
	}
	list_init(&large_blocks);
	memset(free_lists, 0, sizeof free_lists);
	in_use = 0;
	kmutex_unlock(&heap_lock);
}

size_t kmalloc_in_use(void)
{
	return in_use;
}
