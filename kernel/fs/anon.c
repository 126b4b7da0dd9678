/* Anonymous inodes (Linux's pipefs and anon_inodefs) and the poll core:
 * readiness, wake-ups and sleeping for pipes, eventfd, timerfd and epoll.
 *
 * Anonymous files live on a mount of their own that is in no namespace:
 * every one has a dentry under a static root, so d_path and stat work on
 * them as on any file, and a walk can never reach them. */
#include <kernel/kmalloc.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include "../plat/plat.h"

#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

u32 poll_seq;

static struct super_block anon_sb = { .dev = 0xd, .next_ino = 1 };
static struct dentry anon_root = {
	.refcnt = 1,
	.name = "",
	.parent = &anon_root,
	.children = LIST_INIT(anon_root.children),
	.sibling = LIST_INIT(anon_root.sibling),
};
static struct mount anon_mnt = { .id = 0x7fffffff, .root = &anon_root, .sb = &anon_sb };

/* Never a directory: a walk from one (openat(fd, ".."), fchdir) would
 * leave the anonymous mount, which has no parent. */
struct inode *anon_inode_new(u32 mode)
{
	if (S_ISDIR(mode))
		return NULL;
	return inode_new(&anon_sb, mode);
}

struct file *anon_file_new(struct inode *ino, const struct file_ops *fops, u32 flags, void *priv)
{
	struct dentry *d = dentry_new(&anon_root, "", 0);
	struct file *f = kzalloc(sizeof *f);

	if (!d || !f) {
		if (d)
			dput(d);
		kfree(f);
		return NULL;
	}
	d->inode = iget(ino);
	f->refcnt = 1;
	f->flags = flags;
	f->path = (struct path){ &anon_mnt, d }; /* takes the dentry's reference */
	f->inode = iget(ino);
	f->ops = fops;
	f->priv = priv;
	f->cred_gen = current_proc.cred_gen;
	return f;
}

unsigned int file_poll(struct file *f, struct poll_table *pt)
{
	if (!f->ops || !f->ops->poll)
		return DEFAULT_POLLMASK;
	return f->ops->poll(f, pt);
}

s64 poll_now(void)
{
	return plat_clock_ns(PLAT_CLOCK_MONOTONIC);
}

s64 deadline_after(s64 ns)
{
	if (ns < 0)
		return NO_DEADLINE;
	return ktime_add_safe(poll_now(), ns);
}

s64 poll_ms_deadline(int ms)
{
	if (ms < 0)
		return NO_DEADLINE;
	return ms ? deadline_after(ms * NSEC_PER_MSEC) : 0;
}

/* Linux's poll_select_set_timeout: EINVAL for an invalid timespec; a zero
 * timeout is deadline 0 (one pass), any other an absolute monotonic one. */
long poll_timeout_deadline(const struct linux_timespec *ts, s64 *deadline)
{
	if (!timespec_valid(ts))
		return -EINVAL;
	*deadline = ts->tv_sec || ts->tv_nsec ? deadline_after(timespec_to_ns(ts)) : 0;
	return 0;
}

void poll_sleep(u32 seq, s64 deadline)
{
	kmutex_unlock(&vfs_lock);
	wait_word(&poll_seq, seq, deadline);
	kmutex_lock(&vfs_lock);
}

void poll_wake(struct wait_head *wh, u32 key)
{
	if (wh)
		ep_wake_items(wh, key);
	__atomic_add_fetch(&poll_seq, 1, __ATOMIC_RELEASE);
	plat_wake(&poll_seq, 0x7fffffff);
}
