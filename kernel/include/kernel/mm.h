/* Guest memory: the VMA map (a sorted array of disjoint page ranges) and the
 * address space it describes. The map is the truth the user-access helpers
 * check every guest pointer against. */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <abi/types.h>
#include <kernel/lock.h>
#include <kernel/radix.h>

struct file;
struct inode;

/* vma.flags */
#define VMA_SHARED 0x1    /* MAP_SHARED: changes are shared, mremap keeps sharing */
#define VMA_GROWSDOWN 0x2 /* MAP_GROWSDOWN, recorded only (no automatic growth yet) */
#define VMA_HEAP 0x4      /* the brk area */
#define VMA_STACK 0x8     /* the main thread's stack */
#define VMA_NORESERVE 0x10
#define VMA_LOCKED 0x20      /* mlock: counted against RLIMIT_MEMLOCK */
#define VMA_LOCKONFAULT 0x40 /* mlock2(MLOCK_ONFAULT), with VMA_LOCKED */
#define VMA_PAGES 0x80       /* file pages from the pool, recorded in mm->fpages */
#define VMA_MAYWRITE 0x100   /* shared file mapping of a writable open: PROT_WRITE allowed */
#define VMA_SIGPAGE 0x200    /* aarch64's rt_sigreturn trampoline (core/arch.c) */
/* The platform's own page in the guest range (abi-run's stubs for rewritten
 * syscall sites): a hole to the guest (not in /proc/self/maps, no access
 * through a guest pointer), and given up (mm_evict_kernel) as soon as the
 * guest maps over it, unmaps it or changes it, as it would a hole. */
#define VMA_KERNEL 0x400

struct vma {
	uintptr_t start, end; /* page aligned, start < end */
	u32 prot;             /* PROT_READ | PROT_WRITE | PROT_EXEC */
	u32 flags;            /* VMA_* */
	u64 pgoff;            /* file offset in pages (file mappings) */
	char *name;           /* owned; NULL, or e.g. "anon:foo" for /proc/self/maps */
	struct file *file;    /* referenced; NULL for anonymous memory */
};

/* Linux's x86_64 user address space ends one page below 2^47
 * (TASK_SIZE_MAX, DEFAULT_MAP_WINDOW). A guest range that ends there is
 * laid out as Linux lays out a process (mm/layout.c); a smaller one (the
 * library platform's, inside Python's process) keeps a compact layout. */
#define MM_TASK_SIZE 0x7ffffffff000UL

struct mm {
	struct kmutex lock;
	uintptr_t base, limit; /* the guest range [base, limit) */
	/* [hole_start, hole_end): inside the range but never the guest's, the
	 * platform's own memory (abi-run's region); empty when equal. */
	uintptr_t hole_start, hole_end;
	bool reserved; /* the platform reserved the range (mm_boot) */
	/* The host's vm.mmap_min_addr (0: none): hints below it rise to it,
	 * searches stop there (mmap_min, at least base), and a fixed mapping
	 * below it needs CAP_SYS_RAWIO (EPERM otherwise), as on Linux. */
	uintptr_t mmap_min_addr, mmap_min;
	struct vma *vmas; /* sorted by start, disjoint */
	size_t nvmas, cap;
	uintptr_t brk_start, brk;
	uintptr_t mmap_top; /* top-down allocation starts below this */
	uintptr_t sigpage;  /* aarch64: the [sigpage] exec maps (core/arch.c), else 0 */
	unsigned n_kernel;  /* VMA_KERNEL pages in the map */
	/* Guest page (address - base) >> PAGE_SHIFT -> the pool page mapped
	 * there, referenced, for VMA_PAGES mappings (mm/filemap.c). */
	struct radix fpages;
	/* Files whose last reference a removed VMA held: fput by mm_unlock,
	 * after the map lock (fput takes vfs_lock, which comes first). */
	struct file *dead_files;
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
/* The same for a file mapping: the VMA takes a reference to file, and merges
 * only with mappings of the same file at the adjacent offset. */
long vma_insert_file(struct mm *mm, uintptr_t start, uintptr_t end, u32 prot, u32 flags, u64 pgoff,
		     struct file *file);
/* Forgets every mapping in [start, end), splitting partial ones, and drops
 * the pool pages recorded there (the platform must no longer map them). */
long vma_remove(struct mm *mm, uintptr_t start, uintptr_t end);
/* Unlocks mm->lock, then puts the files removed VMAs let go of. Not with
 * vfs_lock held: callers holding it use mm_unlock_deferred, and pass what
 * it returns to mm_put_files once vfs_lock is released. */
void mm_unlock(struct mm *mm);
struct file *mm_unlock_deferred(struct mm *mm);
void mm_put_files(struct file *list);
/* Makes VMA boundaries fall at start and end (when inside a VMA). */
long vma_split_at(struct mm *mm, uintptr_t addr);
/* Merges compatible neighbours around [start, end). */
void vma_merge_range(struct mm *mm, uintptr_t start, uintptr_t end);
/* True when [start, start+len) lies in the guest range and misses the
 * hole: a range the guest may map. */
bool mm_range_ok(const struct mm *mm, uintptr_t start, size_t len);
/* True when [start, start+len) meets the hole. */
bool mm_in_hole(const struct mm *mm, uintptr_t start, size_t len);
/* Top-down search for a free, page-aligned range of len bytes; a free hint
 * wins. 0 when none. */
uintptr_t vma_find_free(const struct mm *mm, size_t len, uintptr_t hint);
/* Gives up the VMA_KERNEL pages that meet [start, end): mm_kernel_evict
 * undoes what the platform built on each, then it leaves the map (a hole,
 * which the caller may now use as Linux would). */
void mm_evict_kernel(struct mm *mm, uintptr_t start, uintptr_t end);
extern void (*mm_kernel_evict)(struct mm *mm, const struct vma *v);
/* Bytes from addr (at most len) covered by VMAs allowing the access. */
size_t vma_accessible(const struct mm *mm, uintptr_t addr, size_t len, u32 need_prot);

/* --- User access: the only way to touch guest memory ------------------ */

/* Access kinds for vma_accessible: reading needs any of R/W/X (x86_64 has no
 * write-only or execute-only pages), writing needs W. */
#define UACCESS_READ 1
#define UACCESS_WRITE 2

long copy_from_user(void *dst, uptr src, size_t n);     /* 0 or -EFAULT */
long copy_to_user(uptr dst, const void *src, size_t n); /* 0 or -EFAULT */
long clear_user(uptr dst, size_t n);                    /* 0 or -EFAULT */
/* Linux's extensible structs: a user struct of usize bytes into one of ksize
 * (zero-extended; a longer one must have a zero tail, else -E2BIG), and
 * back (zero-filling what the user's is longer by). 0 or -errno. */
long copy_struct_from_user(void *dst, size_t ksize, uptr src, size_t usize);
long copy_struct_to_user(uptr dst, size_t usize, const void *src, size_t ksize);
/* Copies a NUL-terminated string of at most n bytes including the NUL:
 * returns its length, n when no NUL was found within n bytes, or -EFAULT. */
long strncpy_from_user(char *dst, uptr src, size_t n);
/* Linux's futex_cmpxchg_value_locked: compares the aligned guest word at
 * uaddr with oldval and, if equal, stores newval, atomically; *curval is
 * the value found. 0, or -EFAULT when the word is not writable. */
long cmpxchg_user_u32(uptr uaddr, u32 *curval, u32 oldval, u32 newval);
/* Copies the longest accessible prefix; returns the bytes copied (0..n). */
size_t copy_to_user_partial(uptr dst, const void *src, size_t n);
size_t copy_from_user_partial(void *dst, uptr src, size_t n);

/* --- The kernel's own mappings (exec) --------------------------------- */

/* mmap(2) without a descriptor: f is the file to map (NULL with
 * MAP_ANONYMOUS). Returns the address or -errno (IS_ERR_VALUE). */
long vm_mmap(struct file *f, unsigned long addr, unsigned long len, unsigned long prot,
	     unsigned long flags, unsigned long off);

/* --- The fault-safe copy routines (mm/copy_user.c) ---------------------- */

/* The only code that touches guest memory. Each returns what it could not
 * do: the bytes not copied (or zeroed); uaccess_strncpy the string's length,
 * n when no NUL was found within n bytes, or -1 when src faulted. */
size_t uaccess_copy(void *dst, const void *src, size_t n);
size_t uaccess_clear(void *dst, size_t n);
long uaccess_strncpy(char *dst, const char *src, size_t n);
/* A locked compare-and-exchange of the guest word at uaddr: *expected
 * becomes the value found; 0, or -1 when uaddr faulted. */
long uaccess_cmpxchg32(u32 *uaddr, u32 *expected, u32 newval);
/* For the platforms' SIGSEGV/SIGBUS handlers: when rip is the guest-touching
 * instruction of one of the routines above, the address to resume at (the
 * routine's fixup, which returns the short count); 0 for any other fault,
 * which is a real bug or the program's own. Async-signal-safe. */
uintptr_t uaccess_fixup(uintptr_t rip);

/* --- Boot --------------------------------------------------------------- */

/* Reserves the guest range and sets up kernel_mm. When reserved, the
 * platform has reserved [hint, hint+size) already (abi-run); [hole,
 * hole+hole_size) inside it stays the platform's; mmap_min_addr is the
 * host's vm.mmap_min_addr (0: none). */
long mm_boot(uintptr_t hint, size_t size, bool reserved, uintptr_t hole, size_t hole_size,
	     uintptr_t mmap_min_addr);
/* Unmaps all guest memory and gives the range back. */
void mm_shutdown(void);

/* --- File pages (mm/filemap.c) ------------------------------------------ */

/* ramfs keeps its file data in pool pages: one host shared-memory object, so
 * that a guest mapping of a file page is that very memory (MAP_SHARED) or a
 * copy-on-write view of it (MAP_PRIVATE). A pool page is counted: the file
 * holds one reference and every guest page mapping it one more, so memory a
 * mapping still shows is never reused for other data. */
void *fpage_alloc(void); /* a zeroed page; NULL when the pool is full */
void fpage_get(void *page);
void fpage_put(void *page);
/* The file lets go of its page: a page still mapped is zeroed first, so
 * mappings that have not copied it read the hole Linux refaults there. */
void fpage_release(void *page);
size_t fpage_in_use(void); /* bytes, for leak checks */
/* Gives the pool back to the platform (abi_reset, after the VFS). */
void fpage_shutdown(void);

/* Maps pages pgoff.. of f (a file whose inode has get_page) at [addr,
 * addr+len), replacing what is there, and records the VMA (VMA_PAGES is
 * added to vflags). Pages past the end of the file stay unmapped. mm->lock
 * and vfs_lock held. */
long filemap_map(struct mm *mm, struct file *f, uintptr_t addr, size_t len, u64 pgoff, u32 prot,
		 u32 vflags);
/* File pages [first, last) of ino changed: the file grew over them, shrank
 * below them or (punch) had holes punched there. Guest mappings follow as
 * Linux's do: pages past the end are unmapped, pages within it are mapped
 * (punch: mappings get the new pages, except a private mapping's own
 * copies). vfs_lock held; takes mm->lock. */
void filemap_update(struct inode *ino, u64 first, u64 last, bool punch);
/* Before and after plat_mem_move of a VMA_PAGES range: makes room for the
 * records at to (-ENOMEM), then moves them there. mm->lock held. */
long filemap_move_prepare(struct mm *mm, uintptr_t to, size_t len);
void filemap_move(struct mm *mm, uintptr_t from, size_t len, uintptr_t to);
/* True when some shared mapping of ino may be written (a shared mapping of
 * a file opened for writing, whatever its current protection): what makes
 * F_SEAL_WRITE fail with EBUSY on Linux. Takes mm->lock. */
bool filemap_mapped_writable(struct inode *ino);

#endif
