/* User access: every guest pointer is checked against the VMA map before a
 * byte moves, so a pointer to nothing is -EFAULT. The bytes then move through
 * the fault-safe routines of copy_user.c, so a page the map calls accessible
 * but the host cannot touch (a shared mapping of a host file truncated
 * behind the kernel's back) is a short copy too, never a host fault. The map
 * lock is held across the copy so a concurrent munmap cannot pull the pages
 * away. In the library and hosted platforms a guest address is a host
 * address. */
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>

#define PROT_ANY (PROT_READ | PROT_WRITE | PROT_EXEC)

/* Both return the bytes copied: the accessible prefix, less what faulted. */
static size_t copy_in(void *dst, uintptr_t src, size_t n)
{
	size_t ok;

	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, src, n, PROT_ANY);
	ok -= uaccess_copy(dst, (const void *)src, ok);
	kmutex_unlock(&kernel_mm.lock);
	return ok;
}

static size_t copy_out(uintptr_t dst, const void *src, size_t n)
{
	size_t ok;

	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, dst, n, PROT_WRITE);
	if (src)
		ok -= uaccess_copy((void *)dst, src, ok);
	else
		ok -= uaccess_clear((void *)dst, ok);
	kmutex_unlock(&kernel_mm.lock);
	return ok;
}

/* A copy of fewer than n bytes is -EFAULT, however much of it was done. */
long copy_from_user(void *dst, uptr src, size_t n)
{
	return copy_in(dst, src.addr, n) == n ? 0 : -EFAULT;
}

long copy_to_user(uptr dst, const void *src, size_t n)
{
	return copy_out(dst.addr, src, n) == n ? 0 : -EFAULT;
}

long clear_user(uptr dst, size_t n)
{
	return copy_out(dst.addr, NULL, n) == n ? 0 : -EFAULT;
}

size_t copy_to_user_partial(uptr dst, const void *src, size_t n)
{
	return copy_out(dst.addr, src, n);
}

size_t copy_from_user_partial(void *dst, uptr src, size_t n)
{
	return copy_in(dst, src.addr, n);
}

long cmpxchg_user_u32(uptr uaddr, u32 *curval, u32 oldval, u32 newval)
{
	long r = -EFAULT;

	*curval = oldval;
	if (uaddr.addr % sizeof(u32))
		return -EINVAL; /* callers check alignment first: never a split lock */
	kmutex_lock(&kernel_mm.lock);
	if (vma_accessible(&kernel_mm, uaddr.addr, sizeof(u32), PROT_WRITE) == sizeof(u32))
		r = uaccess_cmpxchg32((u32 *)uaddr.addr, curval, newval) < 0 ? -EFAULT : 0;
	kmutex_unlock(&kernel_mm.lock);
	return r;
}

long strncpy_from_user(char *dst, uptr src, size_t n)
{
	long len;
	size_t ok;

	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, src.addr, n, PROT_ANY);
	len = uaccess_strncpy(dst, (const char *)src.addr, ok);
	kmutex_unlock(&kernel_mm.lock);
	/* No NUL within the accessible part: a full n bytes is success (the
	 * caller's ENAMETOOLONG), a shorter part ran into a fault. */
	if (len < 0 || ((size_t)len == ok && ok < n))
		return -EFAULT;
	return len;
}

long copy_struct_from_user(void *dst, size_t ksize, uptr src, size_t usize)
{
	/* the tail is checked first, as Linux does: E2BIG before a bad head */
	for (size_t off = ksize; off < usize; off += 8) {
		u8 tail[8];
		size_t m = MIN((size_t)8, usize - off);

		if (copy_from_user(tail, (uptr){ src.addr + off }, m) < 0)
			return -EFAULT;
		for (size_t i = 0; i < m; i++)
			if (tail[i])
				return -E2BIG;
	}
	memset(dst, 0, ksize);
	return copy_from_user(dst, src, MIN(usize, ksize));
}

long copy_struct_to_user(uptr dst, size_t usize, const void *src, size_t ksize)
{
	if (copy_to_user(dst, src, MIN(usize, ksize)) < 0)
		return -EFAULT;
	return usize > ksize ? clear_user((uptr){ dst.addr + ksize }, usize - ksize) : 0;
}
