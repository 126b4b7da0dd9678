/* mlock, mlock2, munlock, mlockall, munlockall. Locking is bookkeeping: the
 * VMAs are marked VM_LOCKED-style and counted against RLIMIT_MEMLOCK as
 * Linux counts them (locked_vm), but the host is not asked to pin anything
 * (guest memory is ordinary host memory, committed when mapped). */
#include <abi/syscalls.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>

#define LOCK_FLAGS (VMA_LOCKED | VMA_LOCKONFAULT)

/* CAP_IPC_LOCK: held with euid 0 (see core/cred.c). */
static bool capable_ipc_lock(void)
{
	return current_proc.cred.euid == 0;
}

/* Linux's can_do_mlock: a non-zero limit or the capability. */
static bool can_do_mlock(void)
{
	return current_proc.rlim[RLIMIT_MEMLOCK].rlim_cur != 0 || capable_ipc_lock();
}

static u64 lock_limit_pages(void)
{
	u64 lim = current_proc.rlim[RLIMIT_MEMLOCK].rlim_cur;

	return lim == RLIM_INFINITY ? ~0ull : lim >> PAGE_SHIFT;
}

/* Locked pages in [start, end) (the whole map for 0, ~0). */
static u64 locked_pages(const struct mm *mm, uintptr_t start, uintptr_t end)
{
	u64 n = 0;

	for (size_t i = 0; i < mm->nvmas; i++) {
		const struct vma *v = &mm->vmas[i];
		uintptr_t s = MAX(v->start, start), e = MIN(v->end, end);

		if ((v->flags & VMA_LOCKED) && s < e)
			n += (e - s) >> PAGE_SHIFT;
	}
	return n;
}

/* True when [start, end) is wholly mapped. */
static bool range_mapped(const struct mm *mm, uintptr_t start, uintptr_t end)
{
	size_t i = vma_index(mm, start);
	uintptr_t at = start;

	for (; i < mm->nvmas && at < end; i++) {
		if (mm->vmas[i].start > at)
			return false;
		at = mm->vmas[i].end;
	}
	return at >= end;
}

/* Sets the lock flags of every VMA in [start, end) to lock. */
static long apply_lock(struct mm *mm, uintptr_t start, uintptr_t end, u32 lock)
{
	long r;

	if ((r = vma_split_at(mm, start)) < 0 || (r = vma_split_at(mm, end)) < 0)
		return r;
	for (size_t i = vma_index(mm, start); i < mm->nvmas && mm->vmas[i].start < end; i++)
		mm->vmas[i].flags = (mm->vmas[i].flags & ~LOCK_FLAGS) | lock;
	vma_merge_range(mm, start, end);
	return 0;
}

/* do_mlock: page-rounds the range, checks the limit, then the mapping. */
static long do_mlock(unsigned long start, size_t len, u32 lock)
{
	struct mm *mm = &kernel_mm;
	uintptr_t s, e;
	u64 pages;
	long ret = 0;

	if (!can_do_mlock())
		return -EPERM;
	/* PAGE_ALIGN may wrap, as it does in Linux (mlock(p, -1) locks nothing) */
	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	s = start & PAGE_MASK;
	e = s + len;
	if (e < s)
		return -EINVAL;
	kmutex_lock(&mm->lock);
	mm_evict_kernel(mm, s, e);
	pages = (len >> PAGE_SHIFT) + locked_pages(mm, 0, ~(uintptr_t)0);
	/* pages already locked in the range are not counted twice */
	pages -= locked_pages(mm, s, e);
	if (pages > lock_limit_pages() && !capable_ipc_lock())
		ret = -ENOMEM;
	else if (e == s)
		ret = 0;
	else if (!range_mapped(mm, s, e))
		ret = -ENOMEM;
	else
		ret = apply_lock(mm, s, e, lock);
	kmutex_unlock(&mm->lock);
	return ret;
}

/* sys_mlock locks the pages of [start, start+len). */
long sys_mlock(unsigned long start, size_t len)
{
	return do_mlock(start, len, VMA_LOCKED);
}

/* sys_mlock2 is mlock with MLOCK_ONFAULT (lock pages as they fault in). */
long sys_mlock2(unsigned long start, size_t len, int flags)
{
	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	return do_mlock(start, len, VMA_LOCKED | (flags & MLOCK_ONFAULT ? VMA_LOCKONFAULT : 0));
}

/* sys_munlock unlocks the pages of [start, start+len); ENOMEM for a hole. */
long sys_munlock(unsigned long start, size_t len)
{
	struct mm *mm = &kernel_mm;
	uintptr_t s = start & PAGE_MASK, e;
	long ret;

	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	e = s + len;
	if (e < s)
		return -EINVAL;
	if (e == s)
		return 0;
	kmutex_lock(&mm->lock);
	mm_evict_kernel(mm, s, e);
	ret = range_mapped(mm, s, e) ? apply_lock(mm, s, e, 0) : -ENOMEM;
	kmutex_unlock(&mm->lock);
	return ret;
}

/* sys_mlockall locks every current mapping (MCL_CURRENT) and records
 * MCL_FUTURE; MCL_ONFAULT needs one of the others. */
long sys_mlockall(int flags)
{
	struct mm *mm = &kernel_mm;
	u32 lock = VMA_LOCKED | (flags & MCL_ONFAULT ? VMA_LOCKONFAULT : 0);
	long ret = 0;

	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	if (!can_do_mlock())
		return -EPERM;
	kmutex_lock(&mm->lock);
	if (flags & MCL_CURRENT) {
		u64 total = 0;

		for (size_t i = 0; i < mm->nvmas; i++)
			total += (mm->vmas[i].end - mm->vmas[i].start) >> PAGE_SHIFT;
		if (total > lock_limit_pages() && !capable_ipc_lock())
			ret = -ENOMEM;
		else if (mm->nvmas)
			ret = apply_lock(mm, mm->vmas[0].start, mm->vmas[mm->nvmas - 1].end, lock);
	}
	if (ret == 0)
		current_proc.mlockall = flags & (MCL_FUTURE | MCL_ONFAULT);
	kmutex_unlock(&mm->lock);
	return ret;
}

/* sys_munlockall unlocks every mapping and forgets MCL_FUTURE. */
long sys_munlockall(void)
{
	struct mm *mm = &kernel_mm;
	long ret = 0;

	kmutex_lock(&mm->lock);
	if (mm->nvmas)
		ret = apply_lock(mm, mm->vmas[0].start, mm->vmas[mm->nvmas - 1].end, 0);
	current_proc.mlockall = 0;
	kmutex_unlock(&mm->lock);
	return ret;
}
