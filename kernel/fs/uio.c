/* struct uio: read and write move data through this, so filesystems never
 * touch a guest pointer and readv/writev come for free. */
#include <kernel/mm.h>
#include <kernel/vfs.h>

void uio_init_user(struct uio *u, const struct linux_iovec *iov, size_t cnt, size_t total)
{
	*u = (struct uio){ .iov = iov, .iovcnt = cnt, .resid = total };
}

void uio_init_kernel(struct uio *u, struct linux_iovec *one, void *buf, size_t len)
{
	one->iov_base = (u64)(uintptr_t)buf;
	one->iov_len = len;
	*u = (struct uio){ .iov = one, .iovcnt = 1, .resid = len, .kernel = true };
}

/* dir: 0 copies src into the uio, 1 copies the uio into dst, 2 zero-fills. */
static size_t uio_move(struct uio *u, void *kbuf, size_t n, int dir)
{
	size_t done = 0;

	n = MIN(n, u->resid);
	while (done < n && u->idx < u->iovcnt && !u->fault) {
		const struct linux_iovec *v = &u->iov[u->idx];
		size_t chunk = MIN(n - done, v->iov_len - u->off), got;
		uptr at = { (uintptr_t)v->iov_base + u->off };
		char *k = (char *)kbuf + done;

		if (chunk == 0) {
			u->idx++;
			u->off = 0;
			continue;
		}
		if (u->kernel) {
			if (dir == 0)
				memcpy((void *)at.addr, k, chunk);
			else if (dir == 1)
				memcpy(k, (void *)at.addr, chunk);
			else
				memset((void *)at.addr, 0, chunk);
			got = chunk;
		} else if (dir == 1) {
			got = copy_from_user_partial(k, at, chunk);
		} else {
			got = copy_to_user_partial(at, dir == 0 ? k : NULL, chunk);
		}
		done += got;
		u->off += got;
		u->resid -= got;
		if (got < chunk)
			u->fault = true;
	}
	return done;
}

size_t uio_copy_out(struct uio *u, const void *src, size_t n)
{
	return uio_move(u, (void *)src, n, 0);
}

size_t uio_copy_in(struct uio *u, void *dst, size_t n)
{
	return uio_move(u, dst, n, 1);
}

size_t uio_zero(struct uio *u, size_t n)
{
	return uio_move(u, NULL, n, 2);
}
