/* The memory character devices: /dev/null, zero, full, random, urandom
 * (Linux's major 1). Each is a file_ops table; devfs gives them inodes. */
#include <kernel/fd.h>
#include <kernel/vfs.h>
#include "../plat/plat.h"

static long null_read(struct file *f, struct uio *u, s64 pos)
{
	(void)f;
	(void)u;
	(void)pos;
	return 0;
}

/* Writes to null, zero and random succeed without reading the buffer. */
static long sink_write(struct file *f, struct uio *u, s64 pos)
{
	(void)f;
	(void)pos;
	return (long)u->resid;
}

static long zero_read(struct file *f, struct uio *u, s64 pos)
{
	size_t n;

	(void)f;
	(void)pos;
	n = uio_zero(u, u->resid);
	return n == 0 && u->fault ? -EFAULT : (long)n;
}

static long full_write(struct file *f, struct uio *u, s64 pos)
{
	(void)f;
	(void)u;
	(void)pos;
	return -ENOSPC;
}

static long random_read(struct file *f, struct uio *u, s64 pos)
{
	u8 buf[256];
	size_t done = 0;

	(void)f;
	(void)pos;
	while (u->resid) {
		size_t n = MIN(u->resid, sizeof buf), got;

		if (plat_entropy(buf, n) < 0)
			return done ? (long)done : -EIO;
		got = uio_copy_out(u, buf, n);
		done += got;
		if (got < n)
			break;
	}
	return done == 0 && u->fault ? -EFAULT : (long)done;
}

/* /dev/zero maps as anonymous memory, private or shared (Linux backs a
 * shared one with a shmem object of its own). */
static long zero_mmap(struct file *f, uintptr_t addr, size_t len, s64 off, int prot, bool shared)
{
	(void)f;
	(void)off;
	return plat_mem_commit(addr, len, prot, shared);
}

/* null and zero seek to 0 whatever is asked (Linux's null_lseek). */
static long zero_llseek(struct file *f, s64 off, int whence)
{
	(void)off;
	(void)whence;
	return f->pos = 0;
}

/* random and urandom do not move (noop_llseek). */
static long noop_llseek(struct file *f, s64 off, int whence)
{
	(void)off;
	(void)whence;
	return f->pos;
}

const struct file_ops dev_null_fops = { .read = null_read,
					.write = sink_write,
					.llseek = zero_llseek };
const struct file_ops dev_zero_fops = {
	.read = zero_read, .write = sink_write, .llseek = zero_llseek, .mmap = zero_mmap
};
const struct file_ops dev_full_fops = { .read = zero_read,
					.write = full_write,
					.llseek = zero_llseek };
const struct file_ops dev_random_fops = {
	.read = random_read, .write = sink_write, .llseek = noop_llseek, .stream = true
};
