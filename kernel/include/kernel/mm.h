/* Guest memory: the VMA map (a sorted array of disjoint page ranges) and the
 * address space it describes. The map is the truth the user-access helpers
 * check every guest pointer against. */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <abi/types.h>
#include <kernel/lock.h>

/* vma.flags */
#define VMA_SHARED 0x1    /* MAP_SHARED: changes are shared, mremap keeps sharing */
#define VMA_GROWSDOWN 0x2 /* MAP_GROWSDOWN, recorded only (no automatic growth yet) */
#define VMA_HEAP 0x4      /* the brk area */
#define VMA_STACK 0x8     /* the main thread's stack */
#define VMA_NORESERVE 0x10
#define VMA_LOCKED 0x20    /* mlock: counted against RLIMIT_MEMLOCK */
#define VMA_LOCKONFAULT 0x40 /* mlock2(MLOCK_ONFAULT), with VMA_LOCKED */

struct vma {
	uintptr_t start, end; /* page aligned, start < end */
	u32 prot;             /* PROT_READ | PROT_WRITE | PROT_EXEC */
	u32 flags;            /* VMA_* */
	u64 pgoff;            /* file offset in pages (file mappings, later) */
	char *name;           /* owned; NULL, or e.g. "anon:foo" for /proc/self/maps */
};

struct mm {
	struct kmutex lock;
	uintptr_t base, limit; /* the guest range [base, limit) */
	struct vma *vmas;      /* sorted by start, disjoint */
	size_t nvmas, cap;
	uintptr_t brk_start, brk;
	uintptr_t mmap_top;    /* top-down allocation starts below this */
};

/* The one address space (no fork: one process). */
extern struct mm kernel_mm;

/* --- The map (callers hold mm->lock; no platform calls) --------------- */

void mm_init(struct mm *mm, uintptr_t base, uintptr_t limit);
void mm_destroy(struct mm *mm);
/* Index of the first VMA with end > addr (nvmas if none). */
size_t vma_index(const struct mm *mm, uintptr_t addr);
/* The VMA containing addr, or NULL. */
struct vma *vma_find(struct mm *mm, uintptr_t addr);
/* True when some VMA intersects [start, end). */
bool vma_intersects(const struct mm *mm, uintptr_t start, uintptr_t end);
/* Records a mapping of [start, end), which must be free, and merges it with
 * compatible neighbours. 0 or -ENOMEM. */
long vma_insert(struct mm *mm, uintptr_t start, uintptr_t end, u32 prot, u32 flags, u64 pgoff,
		const char *name);
/* Forgets every mapping in [start, end), splitting partial ones. */
long vma_remove(struct mm *mm, uintptr_t start, uintptr_t end);
/* Makes VMA boundaries fall at start and end (when inside a VMA). */
long vma_split_at(struct mm *mm, uintptr_t addr);
/* Merges compatible neighbours around [start, end). */
void vma_merge_range(struct mm *mm, uintptr_t start, uintptr_t end);
/* Top-down search for a free, page-aligned range of len bytes; a free hint
 * wins. 0 when none. */
uintptr_t vma_find_free(const struct mm *mm, size_t len, uintptr_t hint);
/* Bytes from addr (at most len) covered by VMAs allowing the access. */
size_t vma_accessible(const struct mm *mm, uintptr_t addr, size_t len, u32 need_prot);

/* --- User access: the only way to touch guest memory ------------------ */

/* Access kinds for vma_accessible: reading needs any of R/W/X (x86_64 has no
 * write-only or execute-only pages), writing needs W. */
#define UACCESS_READ 1
#define UACCESS_WRITE 2

long copy_from_user(void *dst, uptr src, size_t n);          /* 0 or -EFAULT */
long copy_to_user(uptr dst, const void *src, size_t n);      /* 0 or -EFAULT */
long clear_user(uptr dst, size_t n);                         /* 0 or -EFAULT */
/* Linux's extensible structs: a user struct of usize bytes into one of ksize
 * (zero-extended; a longer one must have a zero tail, else -E2BIG), and
 * back (zero-filling what the user's is longer by). 0 or -errno. */
long copy_struct_from_user(void *dst, size_t ksize, uptr src, size_t usize);
long copy_struct_to_user(uptr dst, size_t usize, const void *src, size_t ksize);
/* Copies a NUL-terminated string of at most n bytes including the NUL:
 * returns its length, n when no NUL was found within n bytes, or -EFAULT. */
long strncpy_from_user(char *dst, uptr src, size_t n);
/* Copies the longest accessible prefix; returns the bytes copied (0..n). */
size_t copy_to_user_partial(uptr dst, const void *src, size_t n);
size_t copy_from_user_partial(void *dst, uptr src, size_t n);

/* --- Boot --------------------------------------------------------------- */

/* Reserves the guest range and sets up kernel_mm. */
long mm_boot(uintptr_t hint, size_t size);
/* Unmaps all guest memory and gives the range back. */
void mm_shutdown(void);

#endif
