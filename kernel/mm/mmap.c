/* mmap, munmap, mprotect, mremap, madvise, mincore, msync: the VMA map and the
 * platform's memory kept in step. Every change is made on the platform first
 * and recorded second, so a failure leaves the map true. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/prctl.h>
#include <kernel/proc.h>
#include "../plat/plat.h"

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

struct mm kernel_mm;

static bool page_aligned(unsigned long x)
{
	return (x & ~PAGE_MASK) == 0;
}

/* True when [addr, addr+len) lies in the guest range, outside the hole. */
static bool in_guest(const struct mm *mm, unsigned long addr, unsigned long len)
{
	return mm_range_ok(mm, addr, len);
}

/* Why a fixed mapping of [addr, addr+len) cannot be made (0 if it can):
 * outside the guest range is as unreachable as above TASK_SIZE on Linux
 * (ENOMEM); abi-run's own region is occupied, and cannot be replaced
 * (MAP_FIXED_NOREPLACE: EEXIST, as for any mapping; MAP_FIXED: ENOMEM). */
static long fixed_check(const struct mm *mm, unsigned long addr, unsigned long len,
			unsigned long flags)
{
	if (addr > mm->limit || len > mm->limit - addr)
		return -ENOMEM;
	if (!(flags & MAP_FIXED) && !page_aligned(addr))
		return -EINVAL; /* after the range check, as Linux's get_unmapped_area */
	/* then security_mmap_addr: below mmap_min_addr needs CAP_SYS_RAWIO */
	if (addr < mm->mmap_min_addr && current_proc.cred.euid != 0)
		return -EPERM;
	if (addr < mm->base)
		return -ENOMEM;
	if (mm_in_hole(mm, addr, len))
		return (flags & MAP_FIXED) ? -ENOMEM : -EEXIST;
	return 0;
}

static u32 vma_flags_of(unsigned long flags)
{
	u32 f = 0;

	if ((flags & MAP_TYPE) != MAP_PRIVATE)
		f |= VMA_SHARED;
	if (flags & MAP_GROWSDOWN)
		f |= VMA_GROWSDOWN;
	if (flags & MAP_NORESERVE)
		f |= VMA_NORESERVE;
	return f;
}

/* Fresh anonymous memory for a VMA with flags vflags: shared or private,
 * and without swap reserved for it when the guest said MAP_NORESERVE. */
static long commit(uintptr_t addr, size_t len, u32 prot, u32 vflags)
{
	if (vflags & VMA_NORESERVE)
		return plat_mem_commit_noreserve(addr, len, (int)prot, vflags & VMA_SHARED);
	return plat_mem_commit(addr, len, (int)prot, vflags & VMA_SHARED);
}

/* Maps fresh anonymous memory at [addr, addr+len), replacing whatever was
 * there. Caller holds the map lock. */
static long map_anon(struct mm *mm, uintptr_t addr, size_t len, u32 prot, u32 vflags,
		     const char *name)
{
	long r = commit(addr, len, prot, vflags);

	if (r < 0)
		return r;
	if ((r = vma_remove(mm, addr, addr + len)) < 0 ||
	    (r = vma_insert(mm, addr, addr + len, prot, vflags, 0, name)) < 0) {
		plat_mem_decommit(addr, len);
		vma_remove(mm, addr, addr + len);
	}
	return r;
}

long mm_boot(uintptr_t hint, size_t size, bool reserved, uintptr_t hole, size_t hole_size,
	     uintptr_t mmap_min_addr)
{
	uintptr_t base = hint;
	long r;

	size &= PAGE_MASK;
	if (!reserved && (r = plat_mem_reserve(hint, size, &base)) < 0)
		return r;
	mm_init(&kernel_mm, base, base + size);
	kernel_mm.reserved = reserved;
	if (hole_size && hole >= base && hole < base + size) {
		kernel_mm.hole_start = hole & PAGE_MASK;
		kernel_mm.hole_end = PAGE_ALIGN(MIN(hole + hole_size, base + size));
	}
	kernel_mm.mmap_min_addr = mmap_min_addr;
	kernel_mm.mmap_min = MAX(base, PAGE_ALIGN(mmap_min_addr));
	/* Below the brk area the loader places program images; mmap works down
	 * from the top of the range. */
	kernel_mm.brk_start = kernel_mm.brk = base + MIN(size / 4, (size_t)1 << 30);
	return 0;
}

void mm_shutdown(void)
{
	struct mm *mm = &kernel_mm;

	/* A range the platform reserved stays its own (abi-run never resets). */
	if (mm->limit > mm->base && !mm->reserved)
		plat_mem_release(mm->base, mm->limit - mm->base);
	kmutex_lock(&mm->lock);
	mm_destroy(mm);
	mm_unlock(mm); /* the mapped files' last references */
	memset(mm, 0, sizeof *mm);
}

/* Picks the address of a new mapping (the caller holds the map lock):
 * MAP_FIXED and MAP_FIXED_NOREPLACE take addr as it is, others search down
 * from the hint. */
static long place(struct mm *mm, unsigned long *addr, size_t len, unsigned long flags)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		long r;

		if ((r = fixed_check(mm, *addr, len, flags)) < 0)
			return r;
		mm_evict_kernel(mm, *addr, *addr + len);
		if (!(flags & MAP_FIXED) && vma_intersects(mm, *addr, *addr + len))
			return -EEXIST;
		return 0;
	}
	*addr = vma_find_free(mm, len, *addr);
	return *addr ? 0 : -ENOMEM;
}

/* A file whose pages are pool pages (ramfs), mapped by mm/filemap.c. */
static bool file_paged(const struct file *f)
{
	return f->inode->iops && f->inode->iops->get_page;
}

/* Maps pages pgoff.. of f at [addr, addr+len), replacing what is there, and
 * records the VMA. mm->lock held, and vfs_lock too for a paged file. */
static long map_file_range(struct mm *mm, struct file *f, uintptr_t addr, size_t len, u64 pgoff,
			   u32 prot, u32 vflags)
{
	long r;

	if (file_paged(f))
		return filemap_map(mm, f, addr, len, pgoff, prot, vflags);
	if ((r = f->ops->mmap(f, addr, len, (s64)(pgoff << PAGE_SHIFT), (int)prot,
			      vflags & VMA_SHARED)) < 0)
		return r;
	if ((r = vma_remove(mm, addr, addr + len)) < 0 ||
	    (r = vma_insert_file(mm, addr, addr + len, prot, vflags, pgoff, f)) < 0) {
		plat_mem_decommit(addr, len);
		vma_remove(mm, addr, addr + len);
	}
	return r;
}

/* Maps a file: its pool pages (ramfs, mm/filemap.c) or through its
 * file_ops.mmap (hostfs, /dev/zero); other files (procfs, most devices,
 * pipes, directories) are ENODEV. The access checks are do_mmap's. */
static long mmap_file(struct file *f, unsigned long addr, unsigned long len, unsigned long prot,
		      unsigned long flags, unsigned long off)
{
	struct mm *mm = &kernel_mm;
	unsigned long type = flags & MAP_TYPE;
	bool shared = type != MAP_PRIVATE, paged = false;
	struct file *dead;
	u32 vflags;
	long ret;

	if (f->flags & O_PATH)
		ret = -EBADF;
	else if (len == 0)
		ret = -EINVAL;
	else if (PAGE_ALIGN(len) == 0 || off + PAGE_ALIGN(len) < off)
		ret = -EOVERFLOW;
	else if (S_ISREG(f->inode->mode) && /* file_mmap_ok: within MAX_LFS_FILESIZE */
		 (off >> PAGE_SHIFT) > (((u64)MAX_LFS_FILESIZE - PAGE_ALIGN(len)) >> PAGE_SHIFT))
		ret = -EOVERFLOW;
	else if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		ret = -EINVAL;
	else if ((flags & MAP_FIXED) && !page_aligned(addr))
		ret = -EINVAL;
	else if (!file_readable(f) || (shared && (prot & PROT_WRITE) && !file_writable(f)))
		ret = -EACCES;
	else if ((ret = seals_mmap(f->inode, (int)prot, shared)) < 0)
		; /* a write-sealed memfd: EPERM */
	else if (!f->ops || (!f->ops->mmap && !(paged = file_paged(f))))
		ret = -ENODEV;
	else
		ret = 0;
	if (ret < 0)
		return ret;
	len = PAGE_ALIGN(len);
	vflags = vma_flags_of(shared ? MAP_SHARED : MAP_PRIVATE);
	/* Linux's VM_MAYWRITE on a shared mapping: mprotect may add PROT_WRITE,
	 * unless the file is write-sealed */
	if (shared && file_writable(f) && seals_mmap(f->inode, PROT_WRITE, true) == 0)
		vflags |= VMA_MAYWRITE;
	if (paged)
		kmutex_lock(&vfs_lock); /* the file's pages; vfs_lock comes before the map's */
	kmutex_lock(&mm->lock);
	if ((ret = place(mm, &addr, len, flags)) == 0 &&
	    mdwe_denies((u32)(prot & PROT_ALL), (u32)(prot & PROT_ALL)))
		ret = -EACCES; /* prctl(PR_SET_MDWE): mmap_region's check */
	if (ret == 0)
		ret = map_file_range(mm, f, addr, len, off >> PAGE_SHIFT, (u32)(prot & PROT_ALL),
				     vflags);
	dead = mm_unlock_deferred(mm);
	if (paged)
		kmutex_unlock(&vfs_lock);
	mm_put_files(dead);
	return ret == 0 ? (long)addr : ret;
}

/* vm_mmap is mmap(2) for the kernel itself (exec's loader): f is the file
 * to map (ignored with MAP_ANONYMOUS); the result is the address or -errno. */
long vm_mmap(struct file *f, unsigned long addr, unsigned long len, unsigned long prot,
	     unsigned long flags, unsigned long off)
{
	struct mm *mm = &kernel_mm;
	unsigned long type = flags & MAP_TYPE;
	long ret;

	if (!page_aligned(off))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return f ? mmap_file(f, addr, len, prot, flags, off) : -EBADF;
	if (len == 0)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (len == 0)
		return -ENOMEM;
	/* MAP_SHARED_VALIDATE is for files; Linux rejects it for anonymous memory. */
	if (type != MAP_PRIVATE && type != MAP_SHARED)
		return -EINVAL;
	if ((flags & MAP_FIXED) && !page_aligned(addr))
		return -EINVAL;
	if (type != MAP_PRIVATE && (flags & MAP_GROWSDOWN))
		return -EINVAL;

	kmutex_lock(&mm->lock);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if ((ret = fixed_check(mm, addr, len, flags)) < 0)
			goto out;
		mm_evict_kernel(mm, addr, addr + len);
		if (!(flags & MAP_FIXED) && vma_intersects(mm, addr, addr + len)) {
			ret = -EEXIST;
			goto out;
		}
	} else {
		addr = vma_find_free(mm, len, addr);
		if (!addr) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (mdwe_denies((u32)(prot & PROT_ALL), (u32)(prot & PROT_ALL))) {
		ret = -EACCES; /* prctl(PR_SET_MDWE): mmap_region's check */
		goto out;
	}
	ret = map_anon(mm, addr, len, (u32)(prot & PROT_ALL), vma_flags_of(flags), NULL);
	if (ret == 0)
		ret = (long)addr;
out:
	mm_unlock(mm);
	return ret;
}

/* sys_mmap maps anonymous memory, or a file whose filesystem can map it
 * (hostfs, ramfs, /dev/zero; others are -ENODEV); the result is the
 * address, only ever inside the guest range. */
long sys_mmap(unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags,
	      unsigned long fd, unsigned long off)
{
	struct file *f = NULL;
	long ret;

	if (!(flags & MAP_ANONYMOUS) && page_aligned(off) && !(f = fget((int)fd)))
		return -EBADF;
	ret = vm_mmap(f, addr, len, prot, flags, off);
	if (f)
		fput(f);
	return ret;
}

/* Unmaps [addr, addr+len) of the guest range; the host's own memory outside
 * it is never touched. Caller holds the map lock. */
static long unmap_range(struct mm *mm, uintptr_t addr, size_t len)
{
	uintptr_t end = addr + len;
	size_t i;
	long r;

	if (addr < mm->base)
		addr = mm->base;
	if (end > mm->limit)
		end = mm->limit;
	if (addr >= end)
		return 0;
	mm_evict_kernel(mm, addr, end);
	/* Decommit only what is mapped: gaps may be reserved for other uses. */
	for (i = vma_index(mm, addr); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		uintptr_t s = MAX(mm->vmas[i].start, addr), e = MIN(mm->vmas[i].end, end);

		if ((r = plat_mem_decommit(s, e - s)) < 0)
			return r;
	}
	return vma_remove(mm, addr, end);
}

/* sys_munmap removes every mapping in [addr, addr+len); unmapped parts are fine. */
long sys_munmap(unsigned long addr, size_t len)
{
	struct mm *mm = &kernel_mm;
	long ret;

	if (!page_aligned(addr))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (len == 0 || addr + len < addr)
		return -EINVAL;
	kmutex_lock(&mm->lock);
	ret = unmap_range(mm, addr, len);
	mm_unlock(mm);
	return ret;
}

/* Changes the host protection of v's pages; of pool pages only those mapped
 * (the rest, past the end of the file, stay inaccessible). */
static long protect_vma(struct mm *mm, const struct vma *v, int prot)
{
	uintptr_t run = 0;
	long r = 0;

	if (!(v->flags & VMA_PAGES))
		return plat_mem_protect(v->start, v->end - v->start, prot);
	for (uintptr_t a = v->start; r == 0 && a <= v->end; a += PAGE_SIZE) {
		bool mapped = a < v->end && radix_get(&mm->fpages, (a - mm->base) >> PAGE_SHIFT);

		if (mapped && !run) {
			run = a;
		} else if (!mapped && run) {
			r = plat_mem_protect(run, a - run, prot);
			run = 0;
		}
	}
	return r;
}

/* sys_mprotect changes protection; like Linux it changes the VMAs before the
 * first hole (or the first shared file mapping that may not be written) and
 * then fails with ENOMEM (EACCES). */
long sys_mprotect(unsigned long start, size_t len, unsigned long prot)
{
	struct mm *mm = &kernel_mm;
	uintptr_t end, cur;
	size_t i;
	long ret = 0;

	if (!page_aligned(start))
		return -EINVAL;
	if (len == 0)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if ((prot & (PROT_GROWSDOWN | PROT_GROWSUP)) == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	prot &= ~(unsigned long)(PROT_GROWSDOWN | PROT_GROWSUP);
	if (prot & ~(unsigned long)(PROT_ALL | PROT_SEM))
		return -EINVAL;
	prot &= PROT_ALL;

	kmutex_lock(&mm->lock);
	mm_evict_kernel(mm, start, end);
	if (!vma_find(mm, start)) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = vma_split_at(mm, start)) < 0 || (ret = vma_split_at(mm, end)) < 0)
		goto out;
	cur = start;
	for (i = vma_index(mm, start); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		struct vma *v = &mm->vmas[i];

		if (v->start != cur)
			break;
		if ((prot & PROT_WRITE) && v->file && (v->flags & VMA_SHARED) &&
		    !(v->flags & VMA_MAYWRITE)) {
			ret = -EACCES;
			break;
		}
		if (mdwe_denies(v->prot, (u32)prot)) { /* prctl(PR_SET_MDWE) */
			ret = -EACCES;
			break;
		}
		if ((ret = protect_vma(mm, v, (int)prot)) < 0)
			break;
		v->prot = (u32)prot;
		cur = v->end;
	}
	if (ret == 0 && cur < end)
		ret = -ENOMEM;
	vma_merge_range(mm, start, end);
out:
	kmutex_unlock(&mm->lock);
	return ret;
}

/* Moves the pages of vmas[i] range [addr, addr+old_len) to new_addr with
 * new_len (>= old_len), keeping prot, flags and name; a file mapping grows
 * over the file's next pages. Caller holds the lock (and vfs_lock). */
static long move_pages(struct mm *mm, uintptr_t addr, size_t old_len, uintptr_t new_addr,
		       size_t new_len, bool dontunmap)
{
	struct vma *v = vma_find(mm, addr);
	u32 prot = v->prot, flags = v->flags;
	struct file *file = v->file;
	u64 pgoff = v->pgoff + ((addr - v->start) >> PAGE_SHIFT);
	char *name = v->name ? kstrndup(v->name, strlen(v->name)) : NULL;
	size_t moved = file ? old_len : new_len; /* what the new VMA covers at first */
	long r;

	if (v->name && !name)
		return -ENOMEM;
	if ((flags & VMA_PAGES) && (r = filemap_move_prepare(mm, new_addr, old_len)) < 0)
		goto out;
	if (file)
		r = vma_insert_file(mm, new_addr, new_addr + moved, prot, flags, pgoff, file);
	else
		r = vma_insert(mm, new_addr, new_addr + moved, prot, flags, 0, name);
	if (r < 0)
		goto out;
	if ((r = plat_mem_move(addr, old_len, new_addr)) < 0) {
		vma_remove(mm, new_addr, new_addr + moved);
		goto out;
	}
	if (flags & VMA_PAGES)
		filemap_move(mm, addr, old_len, new_addr);
	if (new_len > old_len)
		r = file ? map_file_range(mm, file, new_addr + old_len, new_len - old_len,
					  pgoff + (old_len >> PAGE_SHIFT), prot, flags)
			 : commit(new_addr + old_len, new_len - old_len, prot, flags);
	/* DONTUNMAP: the old range stays mapped, empty (or the file's again) */
	if (r == 0 && dontunmap)
		r = file ? map_file_range(mm, file, addr, old_len, pgoff, prot, flags)
			 : commit(addr, old_len, prot, flags);
	if (r == 0 && !dontunmap)
		r = vma_remove(mm, addr, addr + old_len);
out:
	kfree(name);
	return r < 0 ? r : (long)new_addr;
}

static long mremap_to(struct mm *mm, uintptr_t addr, size_t old_len, size_t new_len,
		      unsigned long flags, uintptr_t new_addr)
{
	struct vma *v;
	long r;

	if (!page_aligned(new_addr))
		return -EINVAL;
	/* Beyond the guest range is as unreachable as beyond TASK_SIZE. */
	if ((flags & MREMAP_FIXED) && !in_guest(mm, new_addr, new_len))
		return -EINVAL;
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -EINVAL; /* old and new ranges overlap */
	if (flags & MREMAP_FIXED) {
		if ((r = unmap_range(mm, new_addr, new_len)) < 0)
			return r;
	}
	if (old_len > new_len) {
		if ((r = unmap_range(mm, addr + new_len, old_len - new_len)) < 0)
			return r;
		old_len = new_len;
	}
	v = vma_find(mm, addr);
	if (!v || v->end - addr < old_len)
		return -EFAULT;
	if (!(flags & MREMAP_FIXED)) {
		new_addr = vma_find_free(mm, new_len, new_addr); /* new_addr is a hint */
		if (!new_addr)
			return -ENOMEM;
	}
	return move_pages(mm, addr, old_len, new_addr, new_len, flags & MREMAP_DONTUNMAP);
}

/* sys_mremap resizes or moves a mapping within one VMA; a file mapping
 * grows over the file's next pages, as on Linux. */
long sys_mremap(unsigned long addr, unsigned long old_len, unsigned long new_len,
		unsigned long flags, unsigned long new_addr)
{
	struct mm *mm = &kernel_mm;
	struct file *dead;
	struct vma *v;
	long ret;

	if (flags & ~(unsigned long)(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (!page_aligned(addr))
		return -EINVAL;
	old_len = PAGE_ALIGN(old_len);
	new_len = PAGE_ALIGN(new_len);
	if (new_len == 0)
		return -EINVAL;

	kmutex_lock(&vfs_lock); /* growing a ramfs mapping takes the file's pages */
	kmutex_lock(&mm->lock);
	mm_evict_kernel(mm, addr, addr + MAX(old_len, new_len));
	if (flags & MREMAP_FIXED)
		mm_evict_kernel(mm, new_addr, new_addr + new_len);
	/* As Linux (vma_lookup first): every call needs a mapping at addr, so
	 * whatever it returns is a page of the guest range. */
	if (!vma_find(mm, addr)) {
		ret = -EFAULT;
		goto out;
	}
	/* old_len == 0 duplicates a shared mapping on Linux (a private one
	 * gives EINVAL): not supported. */
	if (old_len == 0) {
		ret = -EINVAL;
		goto out;
	}
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		ret = mremap_to(mm, addr, old_len, new_len, flags, new_addr);
		goto out;
	}
	if (old_len >= new_len) {
		ret = unmap_range(mm, addr + new_len, old_len - new_len);
		if (ret == 0)
			ret = (long)addr;
		goto out;
	}
	v = vma_find(mm, addr);
	if (!v || v->end - addr < old_len) {
		ret = -EFAULT;
		goto out;
	}
	/* Grow in place when the VMA ends here and the space after it is free. */
	if (v->end == addr + old_len && in_guest(mm, addr, new_len) &&
	    !vma_intersects(mm, addr + old_len, addr + new_len)) {
		u32 prot = v->prot, vflags = v->flags;
		char *name = v->name;

		if (v->file)
			ret = map_file_range(mm, v->file, addr + old_len, new_len - old_len,
					     v->pgoff + ((addr + old_len - v->start) >> PAGE_SHIFT),
					     prot, vflags);
		else if ((ret = commit(addr + old_len, new_len - old_len, prot, vflags)) == 0)
			ret = vma_insert(mm, addr + old_len, addr + new_len, prot, vflags, 0, name);
		if (ret == 0)
			ret = (long)addr;
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		ret = -ENOMEM;
		goto out;
	}
	new_addr = vma_find_free(mm, new_len, 0);
	ret = new_addr ? move_pages(mm, addr, old_len, new_addr, new_len, false) : -ENOMEM;
out:
	dead = mm_unlock_deferred(mm);
	kmutex_unlock(&vfs_lock);
	mm_put_files(dead);
	return ret;
}

static bool madvise_valid(int behavior)
{
	switch (behavior) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_DONTNEED_LOCKED:
	case MADV_COLLAPSE:
		return true;
	}
	return false;
}

/* Applies one piece of advice (not MADV_REMOVE) to [s, e), inside one VMA. */
static long madvise_range(uintptr_t s, uintptr_t e, int behavior)
{
	switch (behavior) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
		/* Private anonymous memory reads back as zeros afterwards. */
		return plat_mem_discard(s, e - s);
	default:
		return 0; /* hints: nothing to do for memory the host manages */
	}
}

/* Punches [off, off+len) out of f, as fallocate(PUNCH_HOLE | KEEP_SIZE). */
static long file_punch(struct file *f, s64 off, size_t len)
{
	struct inode *ino = f->inode;
	long r;

	kmutex_lock(&vfs_lock);
	r = seals_fallocate(ino, FALLOC_FL_PUNCH_HOLE, off, (s64)len);
	if (r == 0)
		r = ino->iops->fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
					 (s64)len);
	kmutex_unlock(&vfs_lock);
	return r;
}

/* MADV_REMOVE, as Linux's madvise_remove: shared mappings of files (that may
 * be written) lose the range from the file itself; fallocate takes vfs_lock,
 * so the map lock is dropped around each file's part. */
static long madvise_remove(struct mm *mm, uintptr_t start, uintptr_t end)
{
	uintptr_t cur = start;
	long ret = 0, hole = 0;

	while (cur < end && ret == 0) {
		struct file *f = NULL;
		struct vma *v;
		uintptr_t s, e;
		s64 off = 0;
		size_t i;

		kmutex_lock(&mm->lock);
		i = vma_index(mm, cur);
		if (i >= mm->nvmas || mm->vmas[i].start >= end) {
			kmutex_unlock(&mm->lock);
			hole = -ENOMEM;
			break;
		}
		v = &mm->vmas[i];
		s = MAX(v->start, cur);
		e = MIN(v->end, end);
		if (s > cur)
			hole = -ENOMEM;
		if (v->flags & VMA_LOCKED)
			ret = -EINVAL;
		else if (v->file &&
			 (v->flags & (VMA_SHARED | VMA_MAYWRITE)) != (VMA_SHARED | VMA_MAYWRITE))
			ret = -EACCES;
		else if (v->file && v->file->inode->iops && v->file->inode->iops->fallocate)
			f = fget_raw(v->file);
		else /* shared anonymous memory (and /dev/zero's) */
			ret = (v->flags & VMA_SHARED) ? plat_mem_discard(s, e - s) : -EINVAL;
		if (f)
			off = (s64)((v->pgoff << PAGE_SHIFT) + (s - v->start));
		kmutex_unlock(&mm->lock);
		if (f) {
			ret = file_punch(f, off, e - s);
			fput(f);
		}
		cur = e;
	}
	return ret ? ret : hole;
}

/* sys_madvise: DONTNEED zero-fills private anonymous memory (and gives private
 * file pages back their file's contents); REMOVE punches shared file
 * mappings' files; hints are no-ops; HWPOISON and SOFT_OFFLINE are EINVAL, as
 * on a kernel without memory-failure support; holes in the range give ENOMEM
 * after the rest is advised. */
long sys_madvise(unsigned long start, size_t len_in, int behavior)
{
	struct mm *mm = &kernel_mm;
	size_t len;
	uintptr_t end, cur;
	long ret = 0, hole = 0;

	if (!madvise_valid(behavior))
		return -EINVAL;
	if (!page_aligned(start))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (behavior == MADV_REMOVE)
		return madvise_remove(mm, start, end);

	kmutex_lock(&mm->lock);
	mm_evict_kernel(mm, start, end);
	cur = start;
	for (size_t i = vma_index(mm, start); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		struct vma *v = &mm->vmas[i];
		uintptr_t s = MAX(v->start, start), e = MIN(v->end, end);

		if (s > cur)
			hole = -ENOMEM;
		if ((ret = madvise_range(s, e, behavior)) < 0)
			goto out;
		cur = e;
	}
	if (cur < end)
		hole = -ENOMEM;
	ret = hole;
out:
	kmutex_unlock(&mm->lock);
	return ret;
}

/* sys_mincore reports residency, one byte per page; any hole is ENOMEM. */
long sys_mincore(unsigned long start, size_t len, uptr vec)
{
	struct mm *mm = &kernel_mm;
	u8 buf[256];
	size_t pages, done = 0;
	long ret = 0;

	if (!page_aligned(start))
		return -EINVAL;
	if (start + len < start)
		return -ENOMEM;
	pages = (len >> PAGE_SHIFT) + ((len & ~PAGE_MASK) != 0);
	kmutex_lock(&mm->lock);
	mm_evict_kernel(mm, start, start + pages * PAGE_SIZE);
	while (done < pages) {
		uintptr_t addr = start + done * PAGE_SIZE;
		struct vma *v = vma_find(mm, addr);
		size_t n = MIN(pages - done, sizeof buf);

		if (!v) {
			ret = -ENOMEM;
			break;
		}
		n = MIN(n, (v->end - addr) >> PAGE_SHIFT);
		if ((ret = plat_mem_residency(addr, n * PAGE_SIZE, buf)) < 0)
			break;
		for (size_t i = 0; i < n; i++)
			buf[i] &= 1;
		kmutex_unlock(&mm->lock); /* copy_to_user takes the lock itself */
		ret = copy_to_user(uptr_add(vec, done), buf, n);
		kmutex_lock(&mm->lock);
		if (ret < 0)
			break;
		done += n;
	}
	kmutex_unlock(&mm->lock);
	return ret;
}

/* sys_msync: anonymous memory and ramfs pages (the mapping is the file) have
 * nothing to write back, hostfs files are the host's msync; holes are ENOMEM. */
long sys_msync(unsigned long start, size_t len, int flags)
{
	struct mm *mm = &kernel_mm;
	uintptr_t end, cur;
	long ret = 0;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (!page_aligned(start))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;
	kmutex_lock(&mm->lock);
	mm_evict_kernel(mm, start, end);
	cur = start;
	for (size_t i = vma_index(mm, start); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		const struct vma *v = &mm->vmas[i];
		uintptr_t s = MAX(v->start, start), e = MIN(v->end, end);

		if (v->start > cur)
			ret = -ENOMEM;
		if (v->file && (v->flags & VMA_SHARED) && !(v->flags & VMA_PAGES))
			plat_mem_sync(s, e - s, flags);
		cur = v->end;
	}
	if (cur < end)
		ret = -ENOMEM;
	kmutex_unlock(&mm->lock);
	return ret;
}
