/* epoll: epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
 * epoll_pwait2. Modelled on Linux's fs/eventpoll.c: an item sits on its
 * target's wait head; a wake-up whose key it cares about queues it on the
 * epoll's ready list; epoll_wait polls the queued items, reports the ready
 * ones and requeues them at the tail unless edge-triggered (EPOLLET) or
 * one-shot (EPOLLONESHOT, which disables the item until EPOLL_CTL_MOD).
 * Items hold no reference to their file: a file's last release removes
 * them, as Linux's eventpoll_release does. All under vfs_lock. */
#include <abi/syscalls.h>
#include <kernel/arch.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>

#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EPOLLEXCLUSIVE_OK_BITS \
	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
#define EP_MAX_NESTS 4
/* INT_MAX / sizeof(struct epoll_event), whose size is the arch's (core/arch.c). */
#define EP_MAX_EVENTS ((long)(0x7fffffff / arch_epoll_event_size()))

struct eventpoll {
	struct list items;   /* epitem.ep_link */
	struct list rdlist;  /* epitem.rd_link */
	struct wait_head wh; /* epolls and sleepers watching this one */
};

struct epitem {
	struct list wh_link, ep_link, rd_link;
	bool on_rd;
	struct eventpoll *ep;
	struct file *file;
	struct wait_head *wh;
	int fd;
	u32 events;
	u64 data;
};

static const struct file_ops eventpoll_fops;

static bool is_epoll(const struct file *f)
{
	return f->ops == &eventpoll_fops;
}

static void rd_add_tail(struct epitem *epi)
{
	if (!epi->on_rd) {
		list_add_tail(&epi->rd_link, &epi->ep->rdlist);
		epi->on_rd = true;
	}
}

static void rd_del(struct epitem *epi)
{
	if (epi->on_rd) {
		list_del(&epi->rd_link);
		epi->on_rd = false;
	}
}

static void ep_wake(struct wait_head *wh, u32 key, bool level_only)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &wh->items) {
		struct epitem *epi = list_entry(pos, struct epitem, wh_link);

		if (!(epi->events & ~EP_PRIVATE_BITS)) /* disabled by EPOLLONESHOT */
			continue;
		if (level_only && (epi->events & EPOLLET))
			continue;
		if (key && !(key & epi->events))
			continue;
		rd_add_tail(epi);
		/* the epoll itself became readable: its sleepers and watchers */
		poll_wake(&epi->ep->wh, POLLIN);
	}
}

void ep_wake_items(struct wait_head *wh, u32 key)
{
	ep_wake(wh, key, false);
}

void ep_wake_level_items(struct wait_head *wh, u32 key)
{
	ep_wake(wh, key, true);
}

void ep_wake_watchers(struct wait_head *wh)
{
	struct list *pos;

	list_for_each(pos, &wh->items) {
		struct epitem *epi = list_entry(pos, struct epitem, wh_link);

		poll_rearm(&epi->ep->wh);
	}
}

static unsigned int item_poll(struct epitem *epi)
{
	return file_poll(epi->file, NULL) & epi->events;
}

static void ep_remove(struct epitem *epi)
{
	rd_del(epi);
	list_del(&epi->wh_link);
	list_del(&epi->ep_link);
	kfree(epi);
}

void eventpoll_release(struct file *f, struct wait_head *wh)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &wh->items) {
		struct epitem *epi = list_entry(pos, struct epitem, wh_link);

		if (epi->file == f)
			ep_remove(epi);
	}
	list_for_each_safe(pos, tmp, &wh->wq.entries) {
		struct wait_entry *e = list_entry(pos, struct wait_entry, link);

		list_del(&e->link); /* self-linked: the sleeper's waitq_del is a no-op */
		task_wake(e->task);
	}
}

/* Lets lazy sources (timerfd, the console) queue their items, and gathers
 * when one of them changes by itself and the host fds of host-backed ones
 * (into host, when not NULL). */
static void ep_refresh(struct eventpoll *ep, s64 *deadline, struct host_waits *host)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &ep->items) {
		struct epitem *epi = list_entry(pos, struct epitem, ep_link);
		struct poll_table pt = POLL_TABLE(epi->events, host);

		if (!(epi->events & ~EP_PRIVATE_BITS))
			pt.host = NULL; /* disabled (EPOLLONESHOT): nothing to wait for */
		file_poll(epi->file, &pt);
		if (pt.deadline != NO_DEADLINE &&
		    (*deadline == NO_DEADLINE || pt.deadline < *deadline))
			*deadline = pt.deadline;
	}
}

static unsigned int ep_poll_op(struct file *f, struct poll_table *pt)
{
	struct eventpoll *ep = f->priv;
	struct list *pos, *tmp;
	s64 deadline = NO_DEADLINE;

	ep_refresh(ep, &deadline, pt ? pt->host : NULL);
	if (pt) {
		pt->head = &ep->wh;
		if (deadline != NO_DEADLINE &&
		    (pt->deadline == NO_DEADLINE || deadline < pt->deadline))
			pt->deadline = deadline;
	}
	/* queued items that are not ready after all leave the list (Linux) */
	list_for_each_safe(pos, tmp, &ep->rdlist) {
		struct epitem *epi = list_entry(pos, struct epitem, rd_link);

		if (item_poll(epi))
			return POLLIN | POLLRDNORM;
		rd_del(epi);
	}
	return 0;
}

static void ep_free_items(struct eventpoll *ep)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &ep->items)
		ep_remove(list_entry(pos, struct epitem, ep_link));
}

static void ep_release(struct file *f)
{
	struct eventpoll *ep = f->priv;

	eventpoll_release(f, &ep->wh);
	ep_free_items(ep);
	kfree(ep);
}

static long ep_llseek(struct file *f, s64 off, int whence)
{
	(void)off, (void)whence;
	return f->pos;
}

static long ep_dname(struct file *f, char *buf, size_t len)
{
	(void)f;
	return ksnprintf(buf, len, "anon_inode:[eventpoll]");
}

static const struct file_ops eventpoll_fops = {
	.release = ep_release,
	.poll = ep_poll_op,
	.fsync = anon_fsync,
	.llseek = ep_llseek,
	.dname = ep_dname,
	.stream = true,
	.no_pread = true,
};

/* sys_epoll_create1 makes an epoll instance; EPOLL_CLOEXEC is the only flag. */
long sys_epoll_create1(int flags)
{
	struct eventpoll *ep;
	struct inode *ino;
	struct file *f = NULL;
	long ret;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	ep = kzalloc(sizeof *ep);
	if (!ep)
		return -ENOMEM;
	list_init(&ep->items);
	list_init(&ep->rdlist);
	wait_head_init(&ep->wh);
	kmutex_lock(&vfs_lock);
	if ((ino = anon_inode_new(0600))) {
		ino->uid = ino->gid = 0;
		ino->nlink = 1;
		f = anon_file_new(ino, &eventpoll_fops, O_RDWR, ep);
		iput(ino);
	}
	kmutex_unlock(&vfs_lock);
	if (!f) {
		kfree(ep);
		return -ENOMEM;
	}
	ret = fd_install(f, 0, flags & EPOLL_CLOEXEC);
	if (ret < 0)
		fput(f);
	return ret;
}

/* sys_epoll_create is epoll_create1(0); size only has to be positive. */
long sys_epoll_create(int size)
{
	if (size <= 0)
		return -EINVAL;
	return sys_epoll_create1(0);
}

/* True when adding the epoll `to` into `ep` would close a loop or nest
 * deeper than EP_MAX_NESTS. */
static bool ep_loop(struct eventpoll *ep, struct eventpoll *to, int depth)
{
	struct list *pos;

	if (to == ep || depth > EP_MAX_NESTS)
		return true;
	list_for_each(pos, &to->items) {
		struct epitem *epi = list_entry(pos, struct epitem, ep_link);

		if (is_epoll(epi->file) && ep_loop(ep, epi->file->priv, depth + 1))
			return true;
	}
	return false;
}

static struct epitem *ep_find(struct eventpoll *ep, struct file *f, int fd)
{
	struct list *pos;

	list_for_each(pos, &ep->items) {
		struct epitem *epi = list_entry(pos, struct epitem, ep_link);

		if (epi->file == f && epi->fd == fd)
			return epi;
	}
	return NULL;
}

static long ep_insert(struct eventpoll *ep, struct file *tf, int fd,
		      const struct arch_epoll_event *ev)
{
	struct epitem *epi = kzalloc(sizeof *epi);
	struct poll_table pt = POLL_TABLE(ev->events, NULL);
	unsigned int revents;

	if (!epi)
		return -ENOMEM;
	epi->ep = ep;
	epi->file = tf;
	epi->fd = fd;
	epi->events = ev->events;
	epi->data = ev->data;
	revents = file_poll(tf, &pt) & epi->events;
	epi->wh = pt.head;
	KASSERT(epi->wh);
	list_add_tail(&epi->wh_link, &epi->wh->items);
	list_add_tail(&epi->ep_link, &ep->items);
	if (revents && !epi->on_rd) {
		rd_add_tail(epi);
		poll_wake(&ep->wh, POLLIN);
	}
	return 0;
}

static long ep_modify(struct epitem *epi, const struct arch_epoll_event *ev)
{
	epi->events = ev->events;
	epi->data = ev->data;
	if (item_poll(epi) && !epi->on_rd) {
		rd_add_tail(epi);
		poll_wake(&epi->ep->wh, POLLIN);
	}
	return 0;
}

/* sys_epoll_ctl adds, changes or removes the watch of fd in epfd. */
long sys_epoll_ctl(int epfd, int op, int fd, uptr event)
{
	struct arch_epoll_event ev = { 0, 0 };
	struct file *f = NULL, *tf = NULL;
	struct eventpoll *ep;
	struct epitem *epi;
	bool has_event = op != EPOLL_CTL_DEL;
	long ret;

	if (has_event && arch_get_epoll_event(&ev, event) < 0)
		return -EFAULT;
	ret = -EBADF;
	if (!(f = fget_no_path(epfd)) || !(tf = fget_no_path(fd)))
		goto out;
	ret = -EPERM;
	if (!tf->ops || !tf->ops->poll)
		goto out;
	if (has_event && !cred_is_root(&current_proc.cred)) /* needs CAP_BLOCK_SUSPEND */
		ev.events &= ~(u32)EPOLLWAKEUP;
	ret = -EINVAL;
	if (f == tf || !is_epoll(f))
		goto out;
	if (has_event && (ev.events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD)
			goto out;
		if (op == EPOLL_CTL_ADD &&
		    (is_epoll(tf) || (ev.events & ~(u32)EPOLLEXCLUSIVE_OK_BITS)))
			goto out;
	}
	ep = f->priv;
	kmutex_lock(&vfs_lock);
	if (op == EPOLL_CTL_ADD && is_epoll(tf) && ep_loop(ep, tf->priv, 1)) {
		ret = -ELOOP;
		goto unlock;
	}
	epi = ep_find(ep, tf, fd);
	ret = -EINVAL;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (epi) {
			ret = -EEXIST;
			break;
		}
		ev.events |= POLLERR | POLLHUP;
		ret = ep_insert(ep, tf, fd, &ev);
		break;
	case EPOLL_CTL_DEL:
		if (!epi) {
			ret = -ENOENT;
			break;
		}
		ep_remove(epi);
		ret = 0;
		break;
	case EPOLL_CTL_MOD:
		if (!epi) {
			ret = -ENOENT;
			break;
		}
		if (!(epi->events & EPOLLEXCLUSIVE)) {
			ev.events |= POLLERR | POLLHUP;
			ret = ep_modify(epi, &ev);
		}
		break;
	}
unlock:
	kmutex_unlock(&vfs_lock);
out:
	if (tf)
		fput(tf);
	if (f)
		fput(f);
	return ret;
}

/* Reports up to maxevents ready items (Linux's ep_send_events). */
static long ep_send_events(struct eventpoll *ep, uptr events, int maxevents)
{
	struct list tx, *pos, *tmp;
	long res = 0;

	/* take the whole ready list; what is not reported goes back in front */
	list_init(&tx);
	if (!list_empty(&ep->rdlist)) {
		list_insert_between(&tx, ep->rdlist.prev, &ep->rdlist);
		list_del(&ep->rdlist);
		list_init(&ep->rdlist);
	}
	list_for_each_safe(pos, tmp, &tx) {
		struct epitem *epi = list_entry(pos, struct epitem, rd_link);
		struct arch_epoll_event ev;
		unsigned int revents;

		if (res >= maxevents)
			break;
		list_del(&epi->rd_link);
		epi->on_rd = false;
		revents = item_poll(epi);
		if (!revents)
			continue;
		ev = (struct arch_epoll_event){ revents, epi->data };
		if (arch_put_epoll_event(uptr_add(events, (size_t)res * arch_epoll_event_size()),
					 &ev) < 0) {
			list_add_head(&epi->rd_link, &tx);
			epi->on_rd = true;
			if (!res)
				res = -EFAULT;
			break;
		}
		res++;
		if (epi->events & EPOLLONESHOT)
			epi->events &= EP_PRIVATE_BITS;
		else if (!(epi->events & EPOLLET))
			rd_add_tail(epi);
	}
	/* the leftovers go back in front of the list */
	if (!list_empty(&tx)) {
		struct list *first = tx.next, *last = tx.prev;

		first->prev = &ep->rdlist;
		last->next = ep->rdlist.next;
		ep->rdlist.next->prev = last;
		ep->rdlist.next = first;
	}
	return res;
}

/* Linux's ep_poll: a signal ends the wait with EINTR, never a restart. */
static long do_epoll_wait(int epfd, uptr events, int maxevents, s64 deadline)
{
	struct host_waits host = { NULL, 0, 0 };
	struct eventpoll *ep;
	struct file *f;
	long ret;

	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
		return -EINVAL;
	if (!(f = fget_no_path(epfd)))
		return -EBADF;
	if (!is_epoll(f)) {
		fput(f);
		return -EINVAL;
	}
	ep = f->priv;
	kmutex_lock(&vfs_lock);
	for (;;) {
		u32 seq = wait_prepare();
		s64 wake = NO_DEADLINE, now;
		long r;

		host.n = 0;
		ep_refresh(ep, &wake, deadline == 0 ? NULL : &host);
		ret = ep_send_events(ep, events, maxevents);
		if (ret)
			break;
		now = poll_now();
		if (deadline == 0 || (deadline != NO_DEADLINE && now >= deadline))
			break;
		if (wake == NO_DEADLINE || (deadline != NO_DEADLINE && deadline < wake))
			wake = deadline;
		if ((r = wait_head_sleep(&ep->wh, seq, wake, &host)) == -EINTR) {
			ret = -EINTR;
			break;
		}
	}
	kmutex_unlock(&vfs_lock);
	host_waits_free(&host);
	fput(f);
	return ret;
}

/* sys_epoll_wait waits up to timeout ms (negative: forever) for events. */
long sys_epoll_wait(int epfd, uptr events, int maxevents, int timeout)
{
	return do_epoll_wait(epfd, events, maxevents, poll_ms_deadline(timeout));
}

/* sys_epoll_pwait is epoll_wait with a signal mask applied while it waits. */
long sys_epoll_pwait(int epfd, uptr events, int maxevents, int timeout, uptr sigmask,
		     size_t sigsetsize)
{
	long ret = set_user_sigmask(sigmask, sigsetsize);

	if (ret < 0)
		return ret;
	ret = do_epoll_wait(epfd, events, maxevents, poll_ms_deadline(timeout));
	restore_saved_sigmask_unless(ret == -EINTR);
	return ret;
}

/* sys_epoll_pwait2 is epoll_pwait with a timespec timeout (NULL: forever). */
long sys_epoll_pwait2(int epfd, uptr events, int maxevents, uptr timeout, uptr sigmask,
		      size_t sigsetsize)
{
	struct linux_timespec ts;
	s64 deadline = NO_DEADLINE;
	long ret;

	if (!uptr_is_null(timeout)) {
		if (copy_from_user(&ts, timeout, sizeof ts) < 0)
			return -EFAULT;
		if ((ret = poll_timeout_deadline(&ts, &deadline)) < 0)
			return ret;
	}
	if ((ret = set_user_sigmask(sigmask, sigsetsize)) < 0)
		return ret;
	ret = do_epoll_wait(epfd, events, maxevents, deadline);
	restore_saved_sigmask_unless(ret == -EINTR);
	return ret;
}
