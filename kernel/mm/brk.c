/* The program break: one "[heap]" VMA from brk_start up to the page-aligned
 * break. */
#include <abi/syscalls.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include "../plat/plat.h"

/* sys_brk moves the break and returns the new one, or the old one when the
 * request cannot be met (never -errno, as on Linux). */
long sys_brk(unsigned long brk)
{
	struct mm *mm = &kernel_mm;
	uintptr_t oldbrk, newbrk;
	long ret;

	kmutex_lock(&mm->lock);
	ret = (long)mm->brk;
	if (brk < mm->brk_start || brk > mm->limit)
		goto out;
	if (brk - mm->brk_start > current_proc.rlim[RLIMIT_DATA].rlim_cur)
		goto out;
	oldbrk = PAGE_ALIGN(mm->brk);
	newbrk = PAGE_ALIGN(brk);
	if (newbrk < oldbrk) {
		if (plat_mem_decommit(newbrk, oldbrk - newbrk) < 0 ||
		    vma_remove(mm, newbrk, oldbrk) < 0)
			goto out;
	} else if (newbrk > oldbrk) {
		/* Linux keeps a guard page between the heap and the next mapping. */
		if (newbrk + PAGE_SIZE <= mm->limit)
			mm_evict_kernel(mm, oldbrk, newbrk + PAGE_SIZE);
		if (newbrk + PAGE_SIZE > mm->limit ||
		    vma_intersects(mm, oldbrk, newbrk + PAGE_SIZE) ||
		    mm_in_hole(mm, oldbrk, newbrk + PAGE_SIZE - oldbrk))
			goto out;
		if (plat_mem_commit(oldbrk, newbrk - oldbrk, PROT_READ | PROT_WRITE, false) < 0)
			goto out;
		if (vma_insert(mm, oldbrk, newbrk, PROT_READ | PROT_WRITE, VMA_HEAP, 0, "[heap]") <
		    0) {
			plat_mem_decommit(oldbrk, newbrk - oldbrk);
			goto out;
		}
	}
	mm->brk = brk;
	ret = (long)brk;
out:
	mm_unlock(mm); /* shrinking may have unmapped a file mapping */
	return ret;
}
