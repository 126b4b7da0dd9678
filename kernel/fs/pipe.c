/* Pipes: pipe, pipe2, and the pipe side of fcntl (F_GETPIPE_SZ,
 * F_SETPIPE_SZ) and ioctl (FIONREAD).
 *
 * A pipe is Linux's ring of page-sized slots (16 by default: 64 KiB), not a
 * byte FIFO, because that is what decides how much a write takes: a write
 * merges into the last slot only the part beyond whole pages and only when
 * it fits there, every other chunk takes a fresh slot. So a write of at
 * most PIPE_BUF (a page) is never split, and a nonblocking write into a
 * pipe with free bytes but no free slot is EAGAIN, as on Linux. With
 * O_DIRECT (packet mode) each write is its own slot and a read returns at
 * most one slot. */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>

#define PIPE_DEF_SLOTS 16
#define PIPE_MAX_SIZE (1024 * 1024) /* /proc/sys/fs/pipe-max-size */

#define SLOT_CAN_MERGE 1
#define SLOT_PACKET 2

struct pipe_slot {
	u8 *page;
	u32 offset, len, flags;
};

struct pipe {
	struct pipe_slot *slots; /* ring of nslots (a power of two) */
	u32 nslots;
	u32 head, tail; /* free-running; used = head - tail */
	int readers, writers;
	struct wait_head rd_wait, wr_wait;
	u64 ino;
};

static const struct file_ops pipe_fops;

static bool pipe_empty(const struct pipe *p)
{
	return p->head == p->tail;
}
static bool pipe_full(const struct pipe *p)
{
	return p->head - p->tail >= p->nslots;
}
static struct pipe_slot *slot_at(struct pipe *p, u32 i)
{
	return &p->slots[i & (p->nslots - 1)];
}

static struct pipe *pipe_of(struct file *f)
{
	return f->ops == &pipe_fops ? f->inode->priv : NULL;
}

static void slot_release(struct pipe_slot *s)
{
	if (s->page)
		kpage_free(s->page);
	*s = (struct pipe_slot){ 0 };
}

static void pipe_free(struct inode *ino)
{
	struct pipe *p = ino->priv;

	for (u32 i = p->tail; i != p->head; i++)
		slot_release(slot_at(p, i));
	kfree(p->slots);
	kfree(p);
}

static long pipe_read(struct file *f, struct uio *u, s64 pos)
{
	struct pipe *p = f->inode->priv;
	bool was_full = false;
	long ret = 0;

	(void)pos;
	for (;;) {
		u32 seq = wait_prepare();
		bool done = false;

		was_full = pipe_full(p);
		while (!pipe_empty(p)) {
			struct pipe_slot *s = slot_at(p, p->tail);
			size_t chars = MIN((size_t)s->len, u->resid);
			bool packet = s->flags & SLOT_PACKET;

			if (uio_copy_out(u, s->page + s->offset, chars) < chars) {
				if (!ret)
					ret = -EFAULT;
				goto out;
			}
			ret += (long)chars;
			s->offset += (u32)chars;
			s->len -= (u32)chars;
			if (packet) /* the rest of a packet is dropped */
				s->len = 0;
			if (!s->len) {
				slot_release(s);
				p->tail++;
			}
			if (packet || !u->resid) {
				done = true;
				break;
			}
		}
		if (done || ret || !p->writers)
			break;
		if (f->flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		if (wait_head_sleep(&p->rd_wait, seq, NO_DEADLINE, NULL) == -EINTR) {
			ret = -ERESTARTSYS;
			break;
		}
	}
out:
	if (was_full)
		poll_wake(&p->wr_wait, POLLOUT | POLLWRNORM);
	if (ret > 0)
		inode_touch(f->inode, true, false, false);
	return ret;
}

/* Takes a fresh slot and fills it with up to a page; the copied length,
 * or -EFAULT when the guest buffer faulted with data left. */
static long pipe_fill_slot(struct pipe *p, struct uio *u, bool packet)
{
	struct pipe_slot *s = slot_at(p, p->head);
	u8 *page = kpage_alloc();
	size_t want = MIN((size_t)PAGE_SIZE, u->resid), got;

	if (!page)
		return -ENOMEM;
	got = uio_copy_in(u, page, want);
	if (got < want) {
		kpage_free(page);
		return -EFAULT;
	}
	*s = (struct pipe_slot){ page, 0, (u32)got, packet ? SLOT_PACKET : SLOT_CAN_MERGE };
	p->head++;
	return (long)got;
}

static long pipe_write(struct file *f, struct uio *u, s64 pos)
{
	struct pipe *p = f->inode->priv;
	bool packet = f->flags & O_DIRECT;
	size_t chars = u->resid & (PAGE_SIZE - 1);
	long ret = 0, r;

	(void)pos;
	if (!p->readers)
		goto epipe;
	/* the part beyond whole pages merges into the last slot if it fits */
	if (chars && !pipe_empty(p)) {
		struct pipe_slot *s = slot_at(p, p->head - 1);

		if ((s->flags & SLOT_CAN_MERGE) && s->offset + s->len + chars <= PAGE_SIZE) {
			if (uio_copy_in(u, s->page + s->offset + s->len, chars) < chars) {
				ret = -EFAULT;
				goto out;
			}
			s->len += (u32)chars;
			ret = (long)chars;
			if (!u->resid)
				goto out;
		}
	}
	for (;;) {
		u32 seq = wait_prepare();

		if (!p->readers) {
			if (!ret)
				goto epipe;
			proc_signal_pending(SIGPIPE);
			break;
		}
		if (!pipe_full(p)) {
			if ((r = pipe_fill_slot(p, u, packet)) < 0) {
				if (!ret)
					ret = r;
				break;
			}
			ret += r;
			if (!u->resid)
				break;
			continue;
		}
		if (f->flags & O_NONBLOCK) {
			if (!ret)
				ret = -EAGAIN;
			break;
		}
		poll_wake(&p->rd_wait, POLLIN | POLLRDNORM);
		if (wait_head_sleep(&p->wr_wait, seq, NO_DEADLINE, NULL) == -EINTR) {
			if (!ret)
				ret = -ERESTARTSYS;
			break;
		}
	}
out:
	/* Linux wakes readers on every write once the pipe has been polled,
	 * which epoll always has: edge-triggered watchers see each write */
	if (ret > 0) {
		poll_wake(&p->rd_wait, POLLIN | POLLRDNORM);
		inode_touch(f->inode, false, true, true);
	}
	return ret;
epipe:
	proc_signal_pending(SIGPIPE);
	return -EPIPE;
}

static unsigned int pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->inode->priv;
	unsigned int mask = 0;

	if (pt)
		pt->head = file_readable(f) ? &p->rd_wait : &p->wr_wait;
	if (file_readable(f)) {
		if (!pipe_empty(p))
			mask |= POLLIN | POLLRDNORM;
		if (!p->writers)
			mask |= POLLHUP;
	}
	if (file_writable(f)) {
		if (!pipe_full(p))
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	return mask;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->inode->priv;

	eventpoll_release(f, file_readable(f) ? &p->rd_wait : &p->wr_wait);
	if (file_readable(f))
		p->readers--;
	if (file_writable(f))
		p->writers--;
	poll_wake(&p->rd_wait, 0);
	poll_wake(&p->wr_wait, 0);
}

/* A reopen through /proc/self/fd/N adds a reader or writer (Linux's
 * fifo_open, without its waiting for the other end). */
static long pipe_open(struct inode *ino, struct file *f)
{
	struct pipe *p = ino->priv;

	if (file_readable(f))
		p->readers++;
	if (file_writable(f))
		p->writers++;
	poll_wake(&p->rd_wait, 0);
	poll_wake(&p->wr_wait, 0);
	return 0;
}

/* No fsync: Linux answers EINVAL for pipes and anonymous files. */
long anon_fsync(struct file *f, bool datasync)
{
	(void)f, (void)datasync;
	return -EINVAL;
}

static long pipe_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct pipe *p = f->inode->priv;
	int count = 0;

	if (cmd != FIONREAD)
		return -ENOTTY;
	for (u32 i = p->tail; i != p->head; i++)
		count += (int)slot_at(p, i)->len;
	return copy_to_user((uptr){ arg }, &count, sizeof count);
}

static long pipe_llseek(struct file *f, s64 off, int whence)
{
	(void)f, (void)off, (void)whence;
	return -ESPIPE;
}

static long pipe_dname(struct file *f, char *buf, size_t len)
{
	return ksnprintf(buf, len, "pipe:[%lu]", (unsigned long)f->inode->ino);
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.open = pipe_open,
	.release = pipe_release,
	.poll = pipe_poll,
	.fsync = anon_fsync,
	.ioctl = pipe_ioctl,
	.llseek = pipe_llseek,
	.dname = pipe_dname,
	.stream = true,
	.no_pread = true,
	.fasync = true,
};

/* Resizes the ring to nslots, keeping its contents in order. */
static long pipe_resize(struct pipe *p, u32 nslots)
{
	struct pipe_slot *slots;
	u32 used = p->head - p->tail;

	if (nslots < used)
		return -EBUSY;
	slots = kzalloc(nslots * sizeof *slots);
	if (!slots)
		return -ENOMEM;
	for (u32 i = 0; i < used; i++)
		slots[i] = *slot_at(p, p->tail + i);
	kfree(p->slots);
	p->slots = slots;
	p->nslots = nslots;
	p->tail = 0;
	p->head = used;
	return 0;
}

long pipe_fcntl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct pipe *p = pipe_of(f);
	u32 size = (u32)arg; /* Linux takes it as an unsigned int */
	u32 nslots;
	long ret;

	if (!p)
		return -EBADF;
	if (cmd == F_GETPIPE_SZ)
		return (long)p->nslots * PAGE_SIZE;
	/* round_pipe_size: at least a page, a power of two, at most 2^31 */
	if (size > (1U << 31))
		return -EINVAL;
	nslots = size <= PAGE_SIZE ? 1 : 1U << (32 - __builtin_clz((size - 1) >> PAGE_SHIFT));
	/* beyond pipe-max-size needs CAP_SYS_RESOURCE, which uid 0 here does not
	 * stand for (a root in a container lacks it too) */
	if (nslots > p->nslots && (u64)nslots * PAGE_SIZE > PIPE_MAX_SIZE)
		return -EPERM;
	kmutex_lock(&vfs_lock);
	ret = pipe_resize(p, nslots);
	if (ret == 0) {
		ret = (long)p->nslots * PAGE_SIZE;
		poll_wake(&p->wr_wait, POLLOUT | POLLWRNORM);
	}
	kmutex_unlock(&vfs_lock);
	return ret;
}

static struct pipe *pipe_new(void)
{
	struct pipe *p = kzalloc(sizeof *p);

	if (!p)
		return NULL;
	p->slots = kzalloc(PIPE_DEF_SLOTS * sizeof *p->slots);
	if (!p->slots) {
		kfree(p);
		return NULL;
	}
	p->nslots = PIPE_DEF_SLOTS;
	p->readers = p->writers = 1;
	wait_head_init(&p->rd_wait);
	wait_head_init(&p->wr_wait);
	return p;
}

/* sys_pipe2 makes a pipe and stores its read and write descriptors in
 * fildes[0] and fildes[1]. */
long sys_pipe2(uptr fildes, int flags)
{
	u32 fl = (u32)flags & (O_NONBLOCK | O_DIRECT);
	struct inode *ino = NULL;
	struct file *rf = NULL, *wf = NULL;
	struct pipe *p;
	int fds[2] = { -1, -1 };
	long ret;

	/* O_NOTIFICATION_PIPE needs CONFIG_WATCH_QUEUE: not here */
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	kmutex_lock(&vfs_lock);
	p = pipe_new();
	ino = p ? anon_inode_new(S_IFIFO | 0600) : NULL;
	if (ino) {
		ino->priv = p;
		ino->free_priv = pipe_free;
		ino->fops = &pipe_fops;
		ino->nlink = 1;
		ino->blocks = 0;
		p->ino = ino->ino;
		/* Linux gives O_DIRECT to the write end only */
		rf = anon_file_new(ino, &pipe_fops, O_RDONLY | (fl & O_NONBLOCK), NULL);
		wf = anon_file_new(ino, &pipe_fops, O_WRONLY | fl, NULL);
	} else if (p) {
		kfree(p->slots);
		kfree(p);
	}
	if (ino)
		iput(ino);
	kmutex_unlock(&vfs_lock);
	if (!rf || !wf) {
		ret = -ENOMEM;
		goto fail;
	}
	if ((ret = fd_install(rf, 0, flags & O_CLOEXEC)) < 0)
		goto fail;
	fds[0] = (int)ret;
	if ((ret = fd_install(wf, 0, flags & O_CLOEXEC)) < 0) {
		fput(fd_detach((unsigned int)fds[0]));
		rf = NULL;
		goto fail;
	}
	fds[1] = (int)ret;
	if (copy_to_user(fildes, fds, sizeof fds) < 0) {
		fput(fd_detach((unsigned int)fds[0]));
		fput(fd_detach((unsigned int)fds[1]));
		return -EFAULT;
	}
	return 0;
fail:
	/* a half-built pipe: the files drop their ends on release */
	if (rf)
		fput(rf);
	if (wf)
		fput(wf);
	return ret;
}

/* sys_pipe is pipe2 with no flags. */
long sys_pipe(uptr fildes)
{
	return sys_pipe2(fildes, 0);
}
