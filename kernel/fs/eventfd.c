/* eventfd and eventfd2: a 64-bit counter behind a descriptor. A read takes
 * the whole count (or 1 in semaphore mode) and waits while it is 0; a write
 * adds to it and waits while the sum would reach 2^64-1. */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>

#define EFD_MAX (~0ULL)

struct eventfd {
	u64 count;
	bool semaphore;
	struct wait_head wh;
};

static long eventfd_read(struct file *f, struct uio *u, s64 pos)
{
	struct eventfd *e = f->priv;
	u64 v;

	(void)pos;
	if (u->resid < sizeof v)
		return -EINVAL;
	for (;;) {
		u32 seq = wait_prepare();

		if (e->count)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_head_sleep(&e->wh, seq, NO_DEADLINE, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	poll_wake(&e->wh, POLLOUT);
	/* the count is taken before the copy, so a fault loses it (as Linux) */
	if (uio_copy_out(u, &v, sizeof v) < sizeof v)
		return -EFAULT;
	return sizeof v;
}

static long eventfd_write(struct file *f, struct uio *u, s64 pos)
{
	struct eventfd *e = f->priv;
	u64 v;

	(void)pos;
	if (u->resid != sizeof v) /* exactly 8 bytes (Linux 6), while a read takes 8 or more */
		return -EINVAL;
	if (uio_copy_in(u, &v, sizeof v) < sizeof v)
		return -EFAULT;
	if (v == EFD_MAX)
		return -EINVAL;
	for (;;) {
		u32 seq = wait_prepare();

		if (EFD_MAX - e->count > v)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_head_sleep(&e->wh, seq, NO_DEADLINE, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
	e->count += v;
	poll_wake(&e->wh, POLLIN);
	return sizeof v;
}

static unsigned int eventfd_poll(struct file *f, struct poll_table *pt)
{
	struct eventfd *e = f->priv;
	unsigned int mask = 0;

	if (pt)
		pt->head = &e->wh;
	if (e->count > 0)
		mask |= POLLIN;
	if (e->count == EFD_MAX)
		mask |= POLLERR;
	if (EFD_MAX - 1 > e->count)
		mask |= POLLOUT;
	return mask;
}

static void eventfd_release(struct file *f)
{
	struct eventfd *e = f->priv;

	eventpoll_release(f, &e->wh);
	kfree(e);
}

static long noop_llseek_anon(struct file *f, s64 off, int whence)
{
	(void)off, (void)whence;
	return f->pos;
}

static long eventfd_dname(struct file *f, char *buf, size_t len)
{
	(void)f;
	return ksnprintf(buf, len, "anon_inode:[eventfd]");
}

static const struct file_ops eventfd_fops = {
	.read = eventfd_read,
	.write = eventfd_write,
	.release = eventfd_release,
	.poll = eventfd_poll,
	.fsync = anon_fsync,
	.llseek = noop_llseek_anon,
	.dname = eventfd_dname,
	.stream = true,
	.no_pread = true,
};

/* sys_eventfd2 makes an eventfd with an initial count and EFD_* flags. */
long sys_eventfd2(unsigned int count, int flags)
{
	struct eventfd *e;
	struct inode *ino;
	struct file *f = NULL;
	long ret;

	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	e = kzalloc(sizeof *e);
	if (!e)
		return -ENOMEM;
	e->count = count;
	e->semaphore = flags & EFD_SEMAPHORE;
	wait_head_init(&e->wh);
	kmutex_lock(&vfs_lock);
	if ((ino = anon_inode_new(0600))) {
		ino->uid = ino->gid = 0; /* the anon inode is root's, made at boot */
		ino->nlink = 1;
		f = anon_file_new(ino, &eventfd_fops, O_RDWR | (flags & O_NONBLOCK), e);
		iput(ino);
	}
	kmutex_unlock(&vfs_lock);
	if (!f) {
		kfree(e);
		return -ENOMEM;
	}
	ret = fd_install(f, 0, flags & EFD_CLOEXEC);
	if (ret < 0)
		fput(f);
	return ret;
}

/* sys_eventfd is eventfd2 without flags. */
long sys_eventfd(unsigned int count)
{
	return sys_eventfd2(count, 0);
}
