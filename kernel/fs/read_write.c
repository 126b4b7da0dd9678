/* read, write, pread64, pwrite64, lseek. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

#define RWF_SUPPORTED                                                                             \
	(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | RWF_NOAPPEND | RWF_ATOMIC | \
	 RWF_DONTCACHE | RWF_NOSIGNAL)

/* Reads into u at pos (-1: at the file position, which then moves). */
static long do_read_uio(struct file *f, struct uio *u, s64 pos)
{
	long ret;

	if (!file_readable(f))
		return -EBADF;
	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!f->ops || !f->ops->read)
		return -EINVAL;
	/* A stream keeps no position, so no position lock (Linux's
	 * FMODE_ATOMIC_POS is for regular files and directories): a reader
	 * asleep on an empty pipe or terminal must not hold up another
	 * thread's read in an uninterruptible lock. */
	if (f->ops->stream) {
		kmutex_lock(&vfs_lock);
		ret = f->ops->read(f, u, pos);
		kmutex_unlock(&vfs_lock);
		return ret;
	}
	kmutex_lock(&f->pos_lock);
	kmutex_lock(&vfs_lock);
	ret = f->ops->read(f, u, pos < 0 ? f->pos : pos);
	kmutex_unlock(&vfs_lock);
	if (ret > 0 && pos < 0)
		f->pos += ret;
	kmutex_unlock(&f->pos_lock);
	return ret;
}

/* Writes u at pos (-1: at the file position); append: at the end. */
static long do_write_uio(struct file *f, struct uio *u, s64 pos, bool append)
{
	s64 at;
	long ret;

	if (!file_writable(f))
		return -EBADF;
	if (!f->ops || !f->ops->write)
		return -EINVAL;
	if (!f->ops->stream) /* as in do_read_uio */
		kmutex_lock(&f->pos_lock);
	kmutex_lock(&vfs_lock);
	/* O_APPEND writes at the end, even pwrite (a Linux quirk). A stream
	 * keeps no position: it gets pos as given (-1: its own position). */
	at = f->ops->stream ? pos : append ? f->inode->size : pos < 0 ? f->pos : pos;
	ret = seals_write(f->inode, at, u->resid);
	if (ret >= 0) {
		u->resid = (size_t)ret; /* a memfd's seals may allow only a part */
		ret = u->resid ? f->ops->write(f, u, at) : 0;
	}
	kmutex_unlock(&vfs_lock);
	if (f->ops->stream)
		return ret;
	if (ret > 0 && pos < 0)
		f->pos = at + ret;
	kmutex_unlock(&f->pos_lock);
	return ret;
}

/* kernel_read and kernel_write: the kernel's own reads and writes, with a
 * kernel buffer (no guest memory involved) and the same checks as read(2)
 * and write(2); pos NULL uses and moves the file position. */
long kernel_read(struct file *f, void *buf, size_t count, s64 *pos)
{
	struct linux_iovec one;
	struct uio u;
	long ret;

	uio_init_kernel(&u, &one, buf, MIN(count, MAX_RW_COUNT));
	ret = do_read_uio(f, &u, pos ? *pos : -1);
	if (ret > 0 && pos)
		*pos += ret;
	return ret;
}

long kernel_write(struct file *f, const void *buf, size_t count, s64 *pos)
{
	struct linux_iovec one;
	struct uio u;
	long ret;

	uio_init_kernel(&u, &one, (void *)(uintptr_t)buf, MIN(count, MAX_RW_COUNT));
	ret = do_write_uio(f, &u, pos ? *pos : -1, f->flags & O_APPEND);
	if (ret > 0 && pos)
		*pos += ret;
	return ret;
}

/* read/write and pread64/pwrite64; pos -1 is the file position. */
static long do_rw(bool write, unsigned int fd, uptr buf, size_t count, s64 pos)
{
	struct file *f = fget((int)fd);
	struct linux_iovec iov = { buf.addr, MIN(count, MAX_RW_COUNT) };
	struct uio u;
	long ret;

	if (!f)
		return -EBADF;
	if (pos >= 0 && f->ops && f->ops->no_pread) {
		fput(f);
		return -ESPIPE; /* before the access mode is checked, as Linux */
	}
	uio_init_user(&u, &iov, 1, iov.iov_len);
	ret = write ? do_write_uio(f, &u, pos, f->flags & O_APPEND) : do_read_uio(f, &u, pos);
	fput(f);
	return ret;
}

/* Copies the guest's iovec array; the total is capped at MAX_RW_COUNT (the
 * rest is ignored, as Linux does). *out is kfree'd by the caller. */
static long import_iovec(uptr vec, unsigned long vlen, struct linux_iovec **out, size_t *total)
{
	struct linux_iovec *iov;
	size_t sum = 0;

	*out = NULL;
	*total = 0;
	if (vlen > IOV_MAX)
		return -EINVAL;
	if (vlen == 0)
		return 0;
	iov = kmalloc(vlen * sizeof *iov);
	if (!iov)
		return -ENOMEM;
	if (copy_from_user(iov, vec, vlen * sizeof *iov) < 0) {
		kfree(iov);
		return -EFAULT;
	}
	for (unsigned long i = 0; i < vlen; i++) {
		if ((s64)iov[i].iov_len < 0) {
			kfree(iov);
			return -EINVAL;
		}
		iov[i].iov_len = MIN(iov[i].iov_len, MAX_RW_COUNT - sum);
		sum += iov[i].iov_len;
	}
	*out = iov;
	*total = sum;
	return 0;
}

/* readv/writev and their p- and 2 variants; pos -1 is the file position. */
static long do_rw_vec(bool write, unsigned long fd, uptr vec, unsigned long vlen, s64 pos,
		      rwf_t flags)
{
	struct file *f = fget((int)fd);
	struct linux_iovec *iov = NULL;
	struct uio u;
	size_t total;
	long ret;

	if (!f)
		return -EBADF;
	if (pos >= 0 && f->ops && f->ops->no_pread) {
		ret = -ESPIPE;
		goto out;
	}
	if (write ? !file_writable(f) : !file_readable(f)) {
		ret = -EBADF;
		goto out;
	}
	if ((ret = import_iovec(vec, vlen, &iov, &total)) < 0)
		goto out;
	if (total == 0) /* nothing to move: not even the flags are looked at */
		goto out;
	/* tmpfs cannot promise not to block, nor atomic or uncached writes; a
	 * file read without read_iter (a directory) takes no flag but HIPRI */
	if ((flags & ~RWF_SUPPORTED) || (flags & (RWF_NOWAIT | RWF_ATOMIC | RWF_DONTCACHE)) ||
	    (S_ISDIR(f->inode->mode) && (flags & ~RWF_HIPRI))) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	uio_init_user(&u, iov, vlen, total);
	if (write) {
		bool append = (f->flags & O_APPEND) || (flags & RWF_APPEND);

		if (flags & RWF_NOAPPEND)
			append = false;
		ret = do_write_uio(f, &u, pos, append);
	} else {
		ret = do_read_uio(f, &u, pos);
	}
out:
	kfree(iov);
	fput(f);
	return ret;
}

/* sys_read reads up to count bytes at the file position. */
long sys_read(unsigned int fd, uptr buf, size_t count)
{
	return do_rw(false, fd, buf, count, -1);
}

/* sys_write writes up to count bytes at the file position (the end with O_APPEND). */
long sys_write(unsigned int fd, uptr buf, size_t count)
{
	return do_rw(true, fd, buf, count, -1);
}

/* sys_pread64 reads at pos without moving the file position. */
long sys_pread64(unsigned int fd, uptr buf, size_t count, loff_t pos)
{
	if (pos < 0)
		return -EINVAL;
	return do_rw(false, fd, buf, count, pos);
}

/* sys_pwrite64 writes at pos without moving the file position. */
long sys_pwrite64(unsigned int fd, uptr buf, size_t count, loff_t pos)
{
	if (pos < 0)
		return -EINVAL;
	return do_rw(true, fd, buf, count, pos);
}

/* sys_readv reads into vlen buffers in turn at the file position. */
long sys_readv(unsigned long fd, uptr vec, unsigned long vlen)
{
	return do_rw_vec(false, fd, vec, vlen, -1, 0);
}

/* sys_writev writes vlen buffers in turn at the file position. */
long sys_writev(unsigned long fd, uptr vec, unsigned long vlen)
{
	return do_rw_vec(true, fd, vec, vlen, -1, 0);
}

/* On 64-bit ABIs the offset is all in pos_l; pos_h only matters on 32-bit. */
static s64 pos_from_hilo(unsigned long pos_h, unsigned long pos_l)
{
	(void)pos_h;
	return (s64)pos_l;
}

/* sys_preadv is readv at an offset, leaving the file position. */
long sys_preadv(unsigned long fd, uptr vec, unsigned long vlen, unsigned long pos_l,
		unsigned long pos_h)
{
	s64 pos = pos_from_hilo(pos_h, pos_l);

	return pos < 0 ? -EINVAL : do_rw_vec(false, fd, vec, vlen, pos, 0);
}

/* sys_pwritev is writev at an offset, leaving the file position. */
long sys_pwritev(unsigned long fd, uptr vec, unsigned long vlen, unsigned long pos_l,
		 unsigned long pos_h)
{
	s64 pos = pos_from_hilo(pos_h, pos_l);

	return pos < 0 ? -EINVAL : do_rw_vec(true, fd, vec, vlen, pos, 0);
}

/* sys_preadv2 is preadv with RWF_* flags; offset -1 means the file position. */
long sys_preadv2(unsigned long fd, uptr vec, unsigned long vlen, unsigned long pos_l,
		 unsigned long pos_h, rwf_t flags)
{
	s64 pos = pos_from_hilo(pos_h, pos_l);

	return pos < -1 ? -EINVAL : do_rw_vec(false, fd, vec, vlen, pos, flags);
}

/* sys_pwritev2 is pwritev with RWF_* flags; offset -1 means the file position. */
long sys_pwritev2(unsigned long fd, uptr vec, unsigned long vlen, unsigned long pos_l,
		  unsigned long pos_h, rwf_t flags)
{
	s64 pos = pos_from_hilo(pos_h, pos_l);

	return pos < -1 ? -EINVAL : do_rw_vec(true, fd, vec, vlen, pos, flags);
}

/* The generic seek of regular files: the whole file is data, EOF the hole. */
long generic_file_llseek(struct file *f, s64 off, int whence)
{
	s64 size = f->inode->size, pos;

	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		if (__builtin_add_overflow(f->pos, off, &pos))
			return -EINVAL;
		break;
	case SEEK_END:
		if (__builtin_add_overflow(size, off, &pos))
			return -EINVAL;
		break;
	case SEEK_DATA:
		if (off < 0 || off >= size)
			return -ENXIO;
		pos = off;
		break;
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return -ENXIO;
		pos = size;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0)
		return -EINVAL;
	f->pos = pos;
	return pos;
}

/* Directories (dcache_dir_lseek): SEEK_SET and SEEK_CUR only. */
long dir_llseek(struct file *f, s64 off, int whence)
{
	s64 pos;

	if (whence == SEEK_SET)
		pos = off;
	else if (whence == SEEK_CUR && !__builtin_add_overflow(f->pos, off, &pos))
		;
	else
		return -EINVAL;
	if (pos < 0)
		return -EINVAL;
	f->pos = pos;
	return pos;
}

/* sys_lseek moves the file position. */
long sys_lseek(unsigned int fd, off_t offset, unsigned int whence)
{
	struct file *f = fget((int)fd);
	long ret;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH) {
		ret = -EBADF;
		goto out;
	}
	if (whence > SEEK_HOLE) {
		ret = -EINVAL;
		goto out;
	}
	kmutex_lock(&f->pos_lock);
	kmutex_lock(&vfs_lock);
	if (f->ops && f->ops->llseek)
		ret = f->ops->llseek(f, offset, (int)whence);
	else if (S_ISDIR(f->inode->mode))
		ret = dir_llseek(f, offset, (int)whence);
	else
		ret = generic_file_llseek(f, offset, (int)whence);
	kmutex_unlock(&vfs_lock);
	kmutex_unlock(&f->pos_lock);
out:
	fput(f);
	return ret;
}
