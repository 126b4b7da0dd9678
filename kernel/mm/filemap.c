/* File pages: the pool ramfs keeps file data in, and the guest's mappings of
 * it.
 *
 * The pool is one host shared-memory object (plat_shm_*) that the kernel sees
 * through a view; a pool page is named by its offset in the object. Mapping a
 * ramfs file page into the guest is mapping the object at that offset
 * (plat_host_mmap_file): MAP_SHARED gives the very page, so a store through
 * the mapping is the file's data and a write() is seen through every mapping;
 * MAP_PRIVATE gives the host's copy-on-write view of it, which sees the
 * file's changes until the guest writes the page, exactly as on Linux.
 *
 * Linux faults file pages in one at a time; here mmap maps every page of the
 * range that lies within the file at once, allocating holes (so st_blocks
 * counts them as if touched), and records each in mm->fpages with a
 * reference. Pages past the end of the file stay unmapped (reserved on the
 * host): a touch is SIGSEGV where Linux raises SIGBUS, and the user-access
 * helpers give EFAULT. The VMA holds the file, and every recorded page holds
 * its pool page, so a page the file lets go of while mapped (truncate,
 * punched holes) is reused only once the last mapping of it is gone.
 * filemap_update keeps mappings in step with the file: pages it grows over
 * appear, pages it shrinks away from are unmapped (Linux zaps them too). */
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/vfs.h>
#include "../plat/plat.h"

/* The view is address space only, reserved up front: at most 1 TiB of file
 * data (less if the host refuses that much), like a tmpfs size= limit. */
#define POOL_MAX ((size_t)1 << 40)
#define POOL_MIN ((size_t)1 << 30)
#define POOL_GROW ((size_t)2 << 20) /* the host object grows 2 MiB at a time */

struct free_page {
	struct free_page *next;
};

static struct kmutex pool_lock = KMUTEX_INIT;
static int pool_fd = -1;
static u8 *pool_view;
static size_t pool_max;  /* bytes of view */
static size_t pool_size; /* bytes of the host object */
static size_t pool_next; /* pages below were handed out at least once */
static u32 *pool_refs;   /* references, per page */
static size_t pool_refs_cap;
static struct free_page *pool_free;
static size_t pool_used; /* pages with references */

static size_t page_index(const void *page)
{
	return (size_t)((const u8 *)page - pool_view) >> PAGE_SHIFT;
}

static bool pool_init(void)
{
	void *view;

	for (size_t max = POOL_MAX; max >= POOL_MIN; max >>= 1) {
		long fd = plat_shm_create(max, &view);

		if (fd >= 0) {
			pool_fd = (int)fd;
			pool_view = view;
			pool_max = max;
			return true;
		}
		if (fd != -ENOMEM)
			break;
	}
	return false;
}

static bool pool_grow(void)
{
	size_t size = pool_size + POOL_GROW, pages = size >> PAGE_SHIFT;

	if (size > pool_max)
		return false;
	if (pages > pool_refs_cap) {
		size_t cap = MAX(pool_refs_cap * 2, pages);
		u32 *refs = krealloc(pool_refs, cap * sizeof *refs);

		if (!refs)
			return false;
		memset(refs + pool_refs_cap, 0, (cap - pool_refs_cap) * sizeof *refs);
		pool_refs = refs;
		pool_refs_cap = cap;
	}
	if (plat_shm_resize(pool_fd, size) < 0)
		return false;
	pool_size = size;
	return true;
}

void *fpage_alloc(void)
{
	u8 *page = NULL;

	kmutex_lock(&pool_lock);
	if (pool_free) {
		page = (u8 *)pool_free;
		pool_free = pool_free->next;
		memset(page, 0, PAGE_SIZE);
	} else if ((pool_view || pool_init()) && (pool_next < pool_size || pool_grow())) {
		/* never used: still a hole of the host object, zero and not yet
		 * backed by host memory */
		page = pool_view + pool_next;
		pool_next += PAGE_SIZE;
	}
	if (page) {
		pool_refs[page_index(page)] = 1;
		pool_used++;
	}
	kmutex_unlock(&pool_lock);
	return page;
}

void fpage_get(void *page)
{
	kmutex_lock(&pool_lock);
	pool_refs[page_index(page)]++;
	kmutex_unlock(&pool_lock);
}

static void put_locked(void *page)
{
	size_t i = page_index(page);

	KASSERT(pool_refs[i] > 0);
	if (--pool_refs[i] == 0) {
		struct free_page *fp = page;

		fp->next = pool_free;
		pool_free = fp;
		pool_used--;
	}
}

void fpage_put(void *page)
{
	kmutex_lock(&pool_lock);
	put_locked(page);
	kmutex_unlock(&pool_lock);
}

void fpage_release(void *page)
{
	kmutex_lock(&pool_lock);
	if (pool_refs[page_index(page)] > 1)
		memset(page, 0, PAGE_SIZE);
	put_locked(page);
	kmutex_unlock(&pool_lock);
}

size_t fpage_in_use(void)
{
	return pool_used * PAGE_SIZE;
}

void fpage_shutdown(void)
{
	kmutex_lock(&pool_lock);
	if (pool_view)
		plat_shm_destroy(pool_fd, pool_view, pool_max);
	kfree(pool_refs);
	pool_fd = -1;
	pool_view = NULL;
	pool_max = pool_size = pool_next = pool_refs_cap = pool_used = 0;
	pool_refs = NULL;
	pool_free = NULL;
	kmutex_unlock(&pool_lock);
}

/* --- Guest mappings ------------------------------------------------------ */

static u64 vpn(const struct mm *mm, uintptr_t addr)
{
	return (addr - mm->base) >> PAGE_SHIFT;
}

/* Guest pages mapping consecutive pool pages, mapped with one host call. */
struct run {
	uintptr_t addr;
	u8 *page;
	size_t len;
};

/* Maps the run; on failure its records go (nothing must claim a page the
 * host does not map). */
static long run_flush(struct mm *mm, struct run *run, u32 prot, bool shared)
{
	long r = 0;

	if (run->len)
		r = plat_host_mmap_file(run->addr, run->len, (int)prot, shared, pool_fd,
					(s64)(run->page - pool_view));
	if (r < 0)
		radix_remove_range(&mm->fpages, vpn(mm, run->addr), vpn(mm, run->addr + run->len),
				   fpage_put);
	run->len = 0;
	return r;
}

static long run_add(struct mm *mm, struct run *run, uintptr_t addr, void *page, u32 prot,
		    bool shared)
{
	long r = 0;

	if (run->len && run->addr + run->len == addr && run->page + run->len == (u8 *)page) {
		run->len += PAGE_SIZE;
		return 0;
	}
	r = run_flush(mm, run, prot, shared);
	run->addr = addr;
	run->page = page;
	run->len = PAGE_SIZE;
	return r;
}

/* Records page (taking a reference) at guest address addr. */
static long record(struct mm *mm, uintptr_t addr, void *page)
{
	void **slot = radix_slot(&mm->fpages, vpn(mm, addr));

	if (!slot)
		return -ENOMEM;
	fpage_get(page);
	*slot = page;
	return 0;
}

long filemap_map(struct mm *mm, struct file *f, uintptr_t addr, size_t len, u64 pgoff, u32 prot,
		 u32 vflags)
{
	struct inode *ino = f->inode;
	bool shared = vflags & VMA_SHARED;
	struct run run = { 0, NULL, 0 };
	long r = 0;

	/* Empty the range first (MAP_FIXED), so every record below is new. */
	if (vma_intersects(mm, addr, addr + len) &&
	    ((r = plat_mem_decommit(addr, len)) < 0 || (r = vma_remove(mm, addr, addr + len)) < 0))
		return r;
	for (size_t i = 0; i < len >> PAGE_SHIFT; i++) {
		uintptr_t a = addr + (i << PAGE_SHIFT);
		void *page;

		r = ino->iops->get_page(ino, pgoff + i, &page);
		if (r == -ENXIO) {
			r = 0; /* the end of the file: the rest stays unmapped */
			break;
		}
		if (r < 0 || (r = record(mm, a, page)) < 0 ||
		    (r = run_add(mm, &run, a, page, prot, shared)) < 0)
			break;
	}
	if (r == 0)
		r = run_flush(mm, &run, prot, shared);
	if (r == 0)
		r = vma_insert_file(mm, addr, addr + len, prot, vflags | VMA_PAGES, pgoff, f);
	if (r < 0) {
		plat_mem_decommit(addr, len);
		vma_remove(mm, addr, addr + len);
	}
	return r;
}

/* Unmaps the guest page at addr and drops its record. */
static void zap(struct mm *mm, uintptr_t addr)
{
	plat_mem_decommit(addr, PAGE_SIZE);
	radix_remove_range(&mm->fpages, vpn(mm, addr), vpn(mm, addr) + 1, fpage_put);
}

/* filemap_update for file pages [lo, hi) of one VMA. */
static void update_vma(struct mm *mm, struct vma *v, u64 lo, u64 hi, bool punch)
{
	struct inode *ino = v->file->inode;
	bool shared = v->flags & VMA_SHARED;
	struct run run = { 0, NULL, 0 };
	u8 *copied = NULL;

	/* A private mapping keeps the copies the guest made of punched pages
	 * (Linux does not zap them); the others show the file again. Without
	 * the host's word on which are copies, all stay: the punched pages
	 * were zeroed, so they read as the hole, only later writes are lost. */
	if (punch && !shared) {
		copied = kmalloc(hi - lo);
		if (!copied || plat_mem_copied(v->start + ((lo - v->pgoff) << PAGE_SHIFT),
					       (hi - lo) << PAGE_SHIFT, copied) < 0) {
			kfree(copied);
			return;
		}
	}
	for (u64 idx = lo; idx < hi; idx++) {
		uintptr_t a = v->start + ((idx - v->pgoff) << PAGE_SHIFT);
		void *old = radix_get(&mm->fpages, vpn(mm, a)), *page;

		if (copied && copied[idx - lo])
			continue;

		if (ino->iops->get_page(ino, idx, &page) < 0) {
			/* past the end (or out of memory): unmapped, never stale */
			if (old)
				zap(mm, a);
			continue;
		}
		if (page == old || (old && !punch))
			continue; /* growing: what is mapped stays */
		if (!old) {
			if (record(mm, a, page) == 0)
				run_add(mm, &run, a, page, v->prot, shared);
			continue;
		}
		/* a punched page: the new one goes in before the old one is let go */
		run_flush(mm, &run, v->prot, shared);
		if (plat_host_mmap_file(a, PAGE_SIZE, (int)v->prot, shared, pool_fd,
					(s64)((u8 *)page - pool_view)) < 0) {
			zap(mm, a);
			continue;
		}
		fpage_get(page);
		*radix_slot(&mm->fpages, vpn(mm, a)) = page; /* the slot exists: old is in it */
		fpage_put(old);
	}
	run_flush(mm, &run, v->prot, shared);
	kfree(copied);
}

void filemap_update(struct inode *ino, u64 first, u64 last, bool punch)
{
	struct mm *mm = &kernel_mm;

	if (first >= last)
		return;
	kmutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas; i++) {
		struct vma *v = &mm->vmas[i];
		u64 lo, hi;

		if (!(v->flags & VMA_PAGES) || v->file->inode != ino)
			continue;
		lo = MAX(first, v->pgoff);
		hi = MIN(last, v->pgoff + ((v->end - v->start) >> PAGE_SHIFT));
		if (lo < hi)
			update_vma(mm, v, lo, hi, punch);
	}
	kmutex_unlock(&mm->lock);
}

long filemap_move_prepare(struct mm *mm, uintptr_t to, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		if (!radix_slot(&mm->fpages, vpn(mm, to + off)))
			return -ENOMEM;
	}
	return 0;
}

void filemap_move(struct mm *mm, uintptr_t from, size_t len, uintptr_t to)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		void *page = radix_get(&mm->fpages, vpn(mm, from + off)), **slot;

		if (!page)
			continue;
		slot = radix_slot(&mm->fpages, vpn(mm, to + off));
		KASSERT(slot); /* made by filemap_move_prepare */
		*slot = page;
	}
	radix_remove_range(&mm->fpages, vpn(mm, from), vpn(mm, from + len), NULL);
}

bool filemap_mapped_writable(struct inode *ino)
{
	struct mm *mm = &kernel_mm;
	bool found = false;

	kmutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas && !found; i++) {
		const struct vma *v = &mm->vmas[i];

		found = v->file && v->file->inode == ino &&
			(v->flags & (VMA_SHARED | VMA_MAYWRITE)) == (VMA_SHARED | VMA_MAYWRITE);
	}
	kmutex_unlock(&mm->lock);
	return found;
}
