/* The VMA map: a sorted array of disjoint [start, end) page ranges. Programs
 * have tens to thousands of mappings, so binary search plus memmove on
 * insertion is simple and fast enough. Pure bookkeeping: the platform calls
 * that make the map true live in mm/mmap.c. A VMA may hold a file, and the
 * pool pages recorded for a range (mm/filemap.c) go with the range. */
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>

void mm_init(struct mm *mm, uintptr_t base, uintptr_t limit)
{
	memset(mm, 0, sizeof *mm);
	mm->base = base;
	mm->limit = limit;
	mm->mmap_top = limit;
	mm->mmap_min = base;
	mm->brk_start = mm->brk = base;
}

/* Drops a VMA's file reference. The last one waits on mm->dead_files for
 * mm_unlock: fput takes vfs_lock, which is never taken under the map lock. */
static void put_file(struct mm *mm, struct file *f)
{
	int n = __atomic_load_n(&f->refcnt, __ATOMIC_RELAXED);

	while (n > 1) {
		if (__atomic_compare_exchange_n(&f->refcnt, &n, n - 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return;
	}
	f->dead_next = mm->dead_files;
	mm->dead_files = f;
}

void mm_put_files(struct file *f)
{
	while (f) {
		struct file *next = f->dead_next;

		fput(f);
		f = next;
	}
}

struct file *mm_unlock_deferred(struct mm *mm)
{
	struct file *dead = mm->dead_files;

	mm->dead_files = NULL;
	kmutex_unlock(&mm->lock);
	return dead;
}

void mm_unlock(struct mm *mm)
{
	mm_put_files(mm_unlock_deferred(mm));
}

void mm_destroy(struct mm *mm)
{
	radix_truncate(&mm->fpages, 0, fpage_put);
	for (size_t i = 0; i < mm->nvmas; i++) {
		kfree(mm->vmas[i].name);
		if (mm->vmas[i].file)
			put_file(mm, mm->vmas[i].file);
	}
	kfree(mm->vmas);
	mm->vmas = NULL;
	mm->nvmas = mm->cap = 0;
	mm->n_kernel = 0;
}

size_t vma_index(const struct mm *mm, uintptr_t addr)
{
	size_t lo = 0, hi = mm->nvmas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mm->vmas[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct vma *vma_find(struct mm *mm, uintptr_t addr)
{
	size_t i = vma_index(mm, addr);

	return i < mm->nvmas && mm->vmas[i].start <= addr ? &mm->vmas[i] : NULL;
}

bool vma_intersects(const struct mm *mm, uintptr_t start, uintptr_t end)
{
	size_t i = vma_index(mm, start);

	return i < mm->nvmas && mm->vmas[i].start < end;
}

static bool grow(struct mm *mm, size_t extra)
{
	size_t cap;
	struct vma *v;

	if (mm->nvmas + extra <= mm->cap)
		return true;
	cap = mm->cap ? mm->cap * 2 : 16;
	while (cap < mm->nvmas + extra)
		cap *= 2;
	v = krealloc(mm->vmas, cap * sizeof *v);
	if (!v)
		return false;
	mm->vmas = v;
	mm->cap = cap;
	return true;
}

static bool same_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* File mappings merge as Linux's do: same file, adjacent offsets. */
static bool can_merge(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       same_name(a->name, b->name) && a->file == b->file &&
	       (!a->file || b->pgoff == a->pgoff + ((a->end - a->start) >> PAGE_SHIFT));
}

/* Merges vmas[i] with vmas[i+1] when they are compatible. */
static bool merge_next(struct mm *mm, size_t i)
{
	if (i + 1 >= mm->nvmas || !can_merge(&mm->vmas[i], &mm->vmas[i + 1]))
		return false;
	mm->vmas[i].end = mm->vmas[i + 1].end;
	kfree(mm->vmas[i + 1].name);
	if (mm->vmas[i + 1].file)
		put_file(mm, mm->vmas[i + 1].file);
	memmove(&mm->vmas[i + 1], &mm->vmas[i + 2], (mm->nvmas - i - 2) * sizeof(struct vma));
	mm->nvmas--;
	return true;
}

void vma_merge_range(struct mm *mm, uintptr_t start, uintptr_t end)
{
	size_t i = vma_index(mm, start);

	if (i > 0)
		i--;
	while (i < mm->nvmas && mm->vmas[i].start <= end) {
		if (!merge_next(mm, i))
			i++;
	}
}

static long insert(struct mm *mm, uintptr_t start, uintptr_t end, u32 prot, u32 flags, u64 pgoff,
		   const char *name, struct file *file)
{
	size_t i = vma_index(mm, start);
	struct vma v = { start, end, prot, flags, pgoff, NULL, file };

	KASSERT(start < end && !vma_intersects(mm, start, end));
	if (name && !(v.name = kstrndup(name, strlen(name))))
		return -ENOMEM;
	if (!grow(mm, 1)) {
		kfree(v.name);
		return -ENOMEM;
	}
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvmas - i) * sizeof v);
	if (file)
		fget_raw(file);
	mm->vmas[i] = v;
	mm->nvmas++;
	vma_merge_range(mm, start, end);
	return 0;
}

long vma_insert(struct mm *mm, uintptr_t start, uintptr_t end, u32 prot, u32 flags, u64 pgoff,
		const char *name)
{
	return insert(mm, start, end, prot, flags, pgoff, name, NULL);
}

long vma_insert_file(struct mm *mm, uintptr_t start, uintptr_t end, u32 prot, u32 flags, u64 pgoff,
		     struct file *file)
{
	return insert(mm, start, end, prot, flags, pgoff, NULL, file);
}

long vma_split_at(struct mm *mm, uintptr_t addr)
{
	size_t i = vma_index(mm, addr);
	struct vma *v;
	char *name = NULL;

	if (i >= mm->nvmas || mm->vmas[i].start >= addr)
		return 0; /* no VMA straddles addr */
	if (mm->vmas[i].name && !(name = kstrndup(mm->vmas[i].name, strlen(mm->vmas[i].name))))
		return -ENOMEM;
	if (!grow(mm, 1)) {
		kfree(name);
		return -ENOMEM;
	}
	v = &mm->vmas[i];
	memmove(v + 1, v, (mm->nvmas - i) * sizeof *v);
	mm->nvmas++;
	v[0].end = addr;
	v[1].start = addr;
	v[1].name = name;
	v[1].pgoff += (addr - v[0].start) >> PAGE_SHIFT;
	if (v[1].file)
		fget_raw(v[1].file);
	return 0;
}

long vma_remove(struct mm *mm, uintptr_t start, uintptr_t end)
{
	size_t i, j;
	long r;

	if ((r = vma_split_at(mm, start)) < 0 || (r = vma_split_at(mm, end)) < 0)
		return r;
	if (start >= mm->base && start < end)
		radix_remove_range(&mm->fpages, (start - mm->base) >> PAGE_SHIFT,
				   (end - mm->base) >> PAGE_SHIFT, fpage_put);
	i = vma_index(mm, start);
	for (j = i; j < mm->nvmas && mm->vmas[j].start < end; j++) {
		kfree(mm->vmas[j].name);
		if (mm->vmas[j].file)
			put_file(mm, mm->vmas[j].file);
	}
	memmove(&mm->vmas[i], &mm->vmas[j], (mm->nvmas - j) * sizeof(struct vma));
	mm->nvmas -= j - i;
	return 0;
}

bool mm_in_hole(const struct mm *mm, uintptr_t start, size_t len)
{
	return start < mm->hole_end && start + len > mm->hole_start;
}

bool mm_range_ok(const struct mm *mm, uintptr_t start, size_t len)
{
	return start >= mm->base && start <= mm->limit && len <= mm->limit - start &&
	       !mm_in_hole(mm, start, len);
}

static bool range_free(const struct mm *mm, uintptr_t start, size_t len)
{
	return mm_range_ok(mm, start, len) && !vma_intersects(mm, start, start + len);
}

/* The highest start of len bytes in the free gap [lo, hi) that misses the
 * hole; 0 when none fits. */
static uintptr_t fit_top(const struct mm *mm, uintptr_t lo, uintptr_t hi, size_t len)
{
	if (hi > mm->hole_end && hi - MAX(lo, mm->hole_end) >= len)
		return hi - len;
	hi = MIN(hi, mm->hole_start);
	return hi > lo && hi - lo >= len ? hi - len : 0;
}

/* Walks the gaps from top down, so new mappings pack below old ones as on
 * Linux. */
static uintptr_t find_below(const struct mm *mm, uintptr_t top, size_t len)
{
	size_t i = vma_index(mm, top);

	while (true) {
		uintptr_t gap_end = top, gap_start, a;

		/* the VMA at i (if any) ends above top; the one at i-1 is below */
		if (i < mm->nvmas && mm->vmas[i].start < gap_end)
			gap_end = mm->vmas[i].start;
		gap_start = MAX(i > 0 ? mm->vmas[i - 1].end : mm->base, mm->mmap_min);
		if (gap_end > gap_start && (a = fit_top(mm, gap_start, gap_end, len)))
			return a;
		if (i == 0)
			return 0;
		top = mm->vmas[i - 1].start;
		i--;
	}
}

uintptr_t vma_find_free(const struct mm *mm, size_t len, uintptr_t hint)
{
	uintptr_t a;

	if (len == 0 || len > mm->limit - mm->base)
		return 0;
	hint = PAGE_ALIGN(hint);
	if (hint && mm->mmap_min_addr && hint < mm->mmap_min) /* Linux's round_hint_to_min */
		hint = mm->mmap_min;
	if (hint && range_free(mm, hint, len))
		return hint;
	if ((a = find_below(mm, mm->mmap_top, len)))
		return a;
	/* Linux falls back to searching the whole space, the part above the
	 * mmap base (below the stack) included. */
	return mm->mmap_top < mm->limit ? find_below(mm, mm->limit, len) : 0;
}

static uintptr_t vma_file_end(const struct vma *v)
{
	u64 pages;

	if (!v->file || (v->flags & VMA_PAGES) || !S_ISREG(v->file->inode->mode))
		return v->end;
	pages = ((u64)v->file->inode->size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (pages <= v->pgoff)
		return v->start;
	return pages - v->pgoff < (v->end - v->start) >> PAGE_SHIFT
		       ? v->start + ((pages - v->pgoff) << PAGE_SHIFT)
		       : v->end;
}

size_t vma_accessible(const struct mm *mm, uintptr_t addr, size_t len, u32 need_prot)
{
	size_t i = vma_index(mm, addr);
	uintptr_t cur = addr;

	while (cur - addr < len && i < mm->nvmas) {
		const struct vma *v = &mm->vmas[i];
		uintptr_t eof = vma_file_end(v);

		if (v->start > cur || !(v->prot & need_prot) || (v->flags & VMA_KERNEL))
			break;
		if (eof < v->end && MAX(eof, cur) - addr < len)
			return MAX(eof, cur) - addr;
		if (v->flags & VMA_PAGES) {
			/* Pages past the end of the file are not mapped: where Linux
			 * raises SIGBUS, a copy gets EFAULT. */
			uintptr_t stop = cur + MIN(len - (cur - addr), v->end - cur);

			for (uintptr_t p = cur & PAGE_MASK; p < stop; p += PAGE_SIZE) {
				if (!radix_get(&mm->fpages, (p - mm->base) >> PAGE_SHIFT))
					return MAX(p, cur) - addr;
			}
		}
		cur = v->end;
		i++;
	}
	return cur - addr < len ? cur - addr : len;
}

void (*mm_kernel_evict)(struct mm *mm, const struct vma *v);

void mm_evict_kernel(struct mm *mm, uintptr_t start, uintptr_t end)
{
	if (!mm->n_kernel || start >= end)
		return;
	for (size_t i = vma_index(mm, start); mm->n_kernel && i < mm->nvmas;) {
		struct vma *v = &mm->vmas[i];

		if (v->start >= end)
			break;
		if (!(v->flags & VMA_KERNEL)) {
			i++;
			continue;
		}
		if (mm_kernel_evict)
			mm_kernel_evict(mm, v);
		mm->n_kernel--;
		vma_remove(mm, v->start, v->end); /* whole: i is now the next */
	}
}
