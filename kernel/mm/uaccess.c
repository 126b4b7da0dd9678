/* User access: every guest pointer is checked against the VMA map before a
 * byte moves, so a bad pointer is -EFAULT, never a host fault. The map lock is
 * held across the copy so a concurrent munmap cannot pull the pages away. In
 * the library and hosted platforms a guest address is a host address. */
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>

#define PROT_ANY (PROT_READ | PROT_WRITE | PROT_EXEC)

static size_t copy_in(void *dst, uintptr_t src, size_t n)
{
	size_t ok;

	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, src, n, PROT_ANY);
	memcpy(dst, (const void *)src, ok);
	kmutex_unlock(&kernel_mm.lock);
	return ok;
}

static size_t copy_out(uintptr_t dst, const void *src, size_t n)
{
	size_t ok;

	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, dst, n, PROT_WRITE);
	if (src)
		memcpy((void *)dst, src, ok);
	else
		memset((void *)dst, 0, ok);
	kmutex_unlock(&kernel_mm.lock);
	return ok;
}

long copy_from_user(void *dst, uptr src, size_t n)
{
	size_t ok;

	if (n == 0)
		return 0;
	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, src.addr, n, PROT_ANY);
	if (ok == n)
		memcpy(dst, (const void *)src.addr, n);
	kmutex_unlock(&kernel_mm.lock);
	return ok == n ? 0 : -EFAULT;
}

long copy_to_user(uptr dst, const void *src, size_t n)
{
	size_t ok;

	if (n == 0)
		return 0;
	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, dst.addr, n, PROT_WRITE);
	if (ok == n)
		memcpy((void *)dst.addr, src, n);
	kmutex_unlock(&kernel_mm.lock);
	return ok == n ? 0 : -EFAULT;
}

long clear_user(uptr dst, size_t n)
{
	size_t ok;

	if (n == 0)
		return 0;
	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, dst.addr, n, PROT_WRITE);
	if (ok == n)
		memset((void *)dst.addr, 0, n);
	kmutex_unlock(&kernel_mm.lock);
	return ok == n ? 0 : -EFAULT;
}

size_t copy_to_user_partial(uptr dst, const void *src, size_t n)
{
	return n ? copy_out(dst.addr, src, n) : 0;
}

size_t copy_from_user_partial(void *dst, uptr src, size_t n)
{
	return n ? copy_in(dst, src.addr, n) : 0;
}

long strncpy_from_user(char *dst, uptr src, size_t n)
{
	long ret = -EFAULT;
	size_t ok;
	const char *s = (const char *)src.addr;

	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, src.addr, n, PROT_ANY);
	for (size_t i = 0; i < ok; i++) {
		dst[i] = s[i];
		if (!s[i]) {
			ret = (long)i;
			goto out;
		}
	}
	/* No NUL: n bytes copied is success; a shorter mapping is a fault. */
	if (ok == n)
		ret = (long)n;
out:
	kmutex_unlock(&kernel_mm.lock);
	return ret;
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
