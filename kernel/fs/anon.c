/* Anonymous inodes (Linux's pipefs and anon_inodefs) and the poll core:
 * readiness, wake-ups and sleeping for pipes, eventfd, timerfd, epoll and
 * the console, on the one wait (wait.h; poll.h says how).
 *
 * Anonymous files live on a mount of their own that is in no namespace:
 * every one has a dentry under a static root, so d_path and stat work on
 * them as on any file, and a walk can never reach them. */
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include "../plat/plat.h"

#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

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

void poll_wait_host(struct poll_table *pt, int hostfd)
{
	poll_wait_host_events(pt, hostfd,
			      (short)(pt->want & (POLLIN | POLLPRI | POLLOUT | POLLRDNORM |
						  POLLRDBAND | POLLWRNORM | POLLWRBAND)));
}

void poll_wait_host_events(struct poll_table *pt, int hostfd, short ev)
{
	struct host_waits *hw = pt->host;

	if (!hw)
		return;
	for (int i = 0; i < hw->n; i++) {
		if (hw->v[i].fd == hostfd) {
			hw->v[i].events |= ev;
			return;
		}
	}
	if (hw->n == hw->cap) {
		int cap = hw->cap ? 2 * hw->cap : 8;
		struct host_wait *v = krealloc(hw->v, (size_t)cap * sizeof *v);

		if (!v)
			return; /* out of memory: that file is looked at when others wake us */
		hw->v = v;
		hw->cap = cap;
	}
	hw->v[hw->n++] = (struct host_wait){ hostfd, ev, 0 };
}

void host_waits_free(struct host_waits *hw)
{
	kfree(hw->v);
	*hw = (struct host_waits){ NULL, 0, 0 };
}

long poll_wqueues_init(struct poll_wqueues *pw, unsigned int cap)
{
	*pw = (struct poll_wqueues){ 0 };
	if (cap && !(pw->e = kmalloc(cap * sizeof *pw->e)))
		return -ENOMEM;
	pw->cap = cap;
	return 0;
}

void poll_wqueues_add(struct poll_wqueues *pw, struct wait_head *wh)
{
	if (!wh || pw->n == pw->cap)
		return;
	pw->e[pw->n].task = current;
	waitq_add(&wh->wq, &pw->e[pw->n++]);
}

void poll_wqueues_clear(struct poll_wqueues *pw)
{
	for (unsigned int i = 0; i < pw->n; i++)
		waitq_del(&pw->e[i]);
	pw->n = 0;
	pw->host.n = 0;
}

void poll_wqueues_free(struct poll_wqueues *pw)
{
	poll_wqueues_clear(pw);
	kfree(pw->e);
	host_waits_free(&pw->host);
}

long poll_sleep(u32 seq, s64 deadline, struct host_waits *host)
{
	long r;

	kmutex_unlock(&vfs_lock);
	r = task_sleep(seq, deadline, host ? host->v : NULL, host ? host->n : 0);
	kmutex_lock(&vfs_lock);
	return r;
}

long wait_head_sleep(struct wait_head *wh, u32 seq, s64 deadline, struct host_waits *host)
{
	struct wait_entry e = { .task = current };
	long r;

	waitq_add(&wh->wq, &e);
	r = poll_sleep(seq, deadline, host);
	waitq_del(&e); /* a no-op when the head's release took it off */
	return r;
}

void poll_wake(struct wait_head *wh, u32 key)
{
	if (!wh)
		return;
	ep_wake_items(wh, key);
	waitq_wake_all(&wh->wq);
}

void poll_rearm(struct wait_head *wh)
{
	ep_wake_watchers(wh);
	waitq_wake_all(&wh->wq);
}

long set_user_sigmask(uptr mask, size_t size)
{
	struct task *t = current;
	u64 set;

	if (uptr_is_null(mask))
		return 0;
	if (size != sizeof set)
		return -EINVAL;
	if (copy_from_user(&set, mask, sizeof set) < 0)
		return -EFAULT;
	t->saved_blocked = t->blocked;
	t->restore_blocked = true;
	set_current_blocked(set);
	return 0;
}

void restore_saved_sigmask_unless(bool interrupted)
{
	struct task *t = current;

	if (interrupted || !t->restore_blocked)
		return;
	t->restore_blocked = false;
	set_current_blocked(t->saved_blocked);
}
