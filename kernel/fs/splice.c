/* sendfile and copy_file_range: copies between files through a kernel
 * buffer (Linux splices through a pipe; the results are the same). */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/vfs.h>

/* Bytes moved per step: under kmalloc's largest size class, so the buffer
 * is reused, not a host mapping (and its page faults) per call. */
#define CHUNK (32 * 1024 - 64)

/* Reads up to n bytes of f at pos into buf; vfs_lock not held. */
static long kread(struct file *f, void *buf, size_t n, s64 pos)
{
	struct linux_iovec one;
	struct uio u;
	long r;

	uio_init_kernel(&u, &one, buf, n);
	kmutex_lock(&vfs_lock);
	r = f->ops->read(f, &u, f->ops->stream ? -1 : pos);
	kmutex_unlock(&vfs_lock);
	return r;
}

static long kwrite(struct file *f, const void *buf, size_t n, s64 pos)
{
	struct linux_iovec one;
	struct uio u;
	long r;

	kmutex_lock(&vfs_lock);
	r = seals_write(f->inode, pos, n);
	if (r > 0) {
		uio_init_kernel(&u, &one, (void *)(uintptr_t)buf, (size_t)r);
		r = f->ops->write(f, &u, f->ops->stream ? -1 : pos);
	}
	kmutex_unlock(&vfs_lock);
	return r;
}

/* Copies up to len bytes from in at *in_pos to out at *out_pos, moving
 * both; returns the bytes copied, or -errno when none were. */
static long copy_range(struct file *in, s64 *in_pos, struct file *out, s64 *out_pos, size_t len)
{
	char *buf = kmalloc(CHUNK);
	long done = 0, r = 0;

	if (!buf)
		return -ENOMEM;
	while ((size_t)done < len) {
		long w = 0, got;

		got = kread(in, buf, MIN((size_t)CHUNK, len - (size_t)done), *in_pos);
		if (got <= 0) {
			r = got;
			break;
		}
		while (w < got) {
			r = kwrite(out, buf + w, (size_t)(got - w), *out_pos);
			if (r <= 0)
				break;
			w += r;
			*out_pos += r;
		}
		*in_pos += w;
		done += w;
		if (w < got)
			break;
	}
	kfree(buf);
	return done ? done : r;
}

/* sys_sendfile copies count bytes from in_fd (at *offset, or its position)
 * to out_fd's position. */
long sys_sendfile(int out_fd, int in_fd, uptr offset, size_t count)
{
	struct file *in = NULL, *out = NULL;
	s64 pos = 0, opos;
	long ret;

	/* Linux reads *offset before it looks at the descriptors */
	if (offset.addr && copy_from_user(&pos, offset, sizeof pos) < 0)
		return -EFAULT;
	in = fget(in_fd);
	ret = -EBADF;
	if (!in || !file_readable(in))
		goto out;
	if (!offset.addr)
		pos = in->pos;
	else if (in->ops && in->ops->stream) {
		ret = -ESPIPE;
		goto out;
	}
	ret = -EINVAL;
	if (pos < 0 || (s64)count < 0)
		goto out;
	count = MIN(count, MAX_RW_COUNT);
	out = fget(out_fd);
	ret = -EBADF;
	if (!out || !file_writable(out))
		goto out;
	ret = -EINVAL;
	if (out->flags & O_APPEND)
		goto out;
	/* splice_direct_to_actor: the source must be a regular file */
	if (!S_ISREG(in->inode->mode) || !in->ops || !in->ops->read || !out->ops ||
	    !out->ops->write)
		goto out;
	ret = 0;
	if (count == 0)
		goto out;
	if (in == out)
		kmutex_lock(&in->pos_lock);
	else {
		kmutex_lock(&in->pos_lock);
		kmutex_lock(&out->pos_lock);
	}
	opos = out->pos;
	ret = copy_range(in, &pos, out, &opos, count);
	if (!out->ops->stream)
		out->pos = opos;
	if (!offset.addr && ret > 0)
		in->pos = pos;
	if (in != out)
		kmutex_unlock(&out->pos_lock);
	kmutex_unlock(&in->pos_lock);
out:
	if (offset.addr && copy_to_user(offset, &pos, sizeof pos) < 0)
		ret = -EFAULT;
	fput(in);
	fput(out);
	return ret;
}

/* sys_copy_file_range copies len bytes between two regular files of one
 * filesystem (EXDEV across them, as Linux 5.19+ for filesystems without
 * their own copy_file_range). */
long sys_copy_file_range(int fd_in, uptr off_in, int fd_out, uptr off_out, size_t len,
			 unsigned int flags)
{
	struct file *in = fget(fd_in), *out = NULL;
	s64 pin, pout;
	long ret = -EBADF;

	if (!in)
		goto out;
	if (!(out = fget(fd_out)))
		goto out;
	pin = in->pos;
	pout = out->pos;
	ret = -EFAULT;
	if (off_in.addr && copy_from_user(&pin, off_in, sizeof pin) < 0)
		goto out;
	if (off_out.addr && copy_from_user(&pout, off_out, sizeof pout) < 0)
		goto out;
	ret = -EINVAL;
	if (flags != 0)
		goto out;
	/* generic_copy_file_checks, in Linux's order */
	ret = -EISDIR;
	if (S_ISDIR(in->inode->mode) || S_ISDIR(out->inode->mode))
		goto out;
	ret = -EINVAL;
	if (!S_ISREG(in->inode->mode) || !S_ISREG(out->inode->mode))
		goto out;
	ret = -EBADF;
	if (!file_readable(in) || !file_writable(out) || (out->flags & O_APPEND))
		goto out;
	ret = -EXDEV;
	if (in->inode->sb != out->inode->sb)
		goto out;
	/* Linux gives EOVERFLOW for negative offsets and for ranges that wrap */
	ret = -EOVERFLOW;
	if (pin < 0 || pout < 0 || (s64)len < 0)
		goto out;
	if (pin + (s64)len < pin || pout + (s64)len < pout)
		goto out;
	ret = 0;
	if (len == 0 || pin >= in->inode->size)
		goto out;
	len = MIN(len, (size_t)(in->inode->size - pin));
	ret = -EINVAL;
	/* no overlapping copy within one file */
	if (in->inode == out->inode && pout + (s64)len > pin && pin + (s64)len > pout)
		goto out;
	len = MIN(len, MAX_RW_COUNT);
	ret = copy_range(in, &pin, out, &pout, len);
	if (ret > 0) {
		if (off_in.addr) {
			if (copy_to_user(off_in, &pin, sizeof pin) < 0)
				ret = -EFAULT;
		} else {
			in->pos = pin;
		}
		if (off_out.addr) {
			if (copy_to_user(off_out, &pout, sizeof pout) < 0)
				ret = -EFAULT;
		} else {
			out->pos = pout;
		}
	}
out:
	fput(in);
	fput(out);
	return ret;
}
