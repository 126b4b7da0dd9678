/* timerfd_create, timerfd_settime, timerfd_gettime. A timer is evaluated
 * lazily against its clock: whoever looks (read, poll, gettime) first
 * counts the expirations since the last look, so no host timer exists.
 * A sleeper waits until the next expiry, converted to the monotonic clock
 * (a realtime timer whose clock jumps is re-checked at the deadline). */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/time.h>
#include "../plat/plat.h"

struct timerfd {
	int clock;    /* PLAT_CLOCK_* */
	s64 expiry;   /* next expiry on that clock; 0: disarmed */
	s64 interval; /* 0: one-shot */
	u64 ticks;    /* expirations not read yet */
	struct wait_head wh;
};

struct itimerspec64 {
	struct linux_timespec interval, value;
};

static const struct file_ops timerfd_fops;

/* Counts the expirations up to now; wakes watchers when there are new ones. */
static void timerfd_update(struct timerfd *t)
{
	s64 now;
	u64 n;

	if (!t->expiry)
		return;
	now = plat_clock_ns(t->clock);
	if (now < t->expiry)
		return;
	if (t->interval) {
		n = (u64)(now - t->expiry) / (u64)t->interval + 1;
		t->expiry += (s64)(n * (u64)t->interval);
	} else {
		n = 1;
		t->expiry = 0;
	}
	t->ticks += n;
	poll_wake(&t->wh, POLLIN);
}

/* The next expiry as a monotonic deadline, or NO_DEADLINE. */
static s64 timerfd_deadline(const struct timerfd *t)
{
	s64 left;

	if (!t->expiry)
		return NO_DEADLINE;
	left = t->expiry - plat_clock_ns(t->clock);
	return deadline_after(left < 0 ? 0 : left);
}

static long timerfd_read(struct file *f, struct uio *u, s64 pos)
{
	struct timerfd *t = f->priv;
	u64 v;

	(void)pos;
	if (u->resid < sizeof v)
		return -EINVAL;
	for (;;) {
		u32 seq = wait_prepare();

		timerfd_update(t);
		if (t->ticks)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_head_sleep(&t->wh, seq, timerfd_deadline(t), NULL) == -EINTR)
			return -ERESTARTSYS;
	}
	v = t->ticks;
	t->ticks = 0;
	if (uio_copy_out(u, &v, sizeof v) < sizeof v)
		return -EFAULT;
	return sizeof v;
}

static unsigned int timerfd_poll(struct file *f, struct poll_table *pt)
{
	struct timerfd *t = f->priv;

	timerfd_update(t);
	if (pt) {
		s64 d = timerfd_deadline(t);

		pt->head = &t->wh;
		if (d != NO_DEADLINE && (pt->deadline == NO_DEADLINE || d < pt->deadline))
			pt->deadline = d;
	}
	return t->ticks ? POLLIN : 0;
}

static void timerfd_release(struct file *f)
{
	struct timerfd *t = f->priv;

	eventpoll_release(f, &t->wh);
	kfree(t);
}

static long timerfd_llseek(struct file *f, s64 off, int whence)
{
	(void)off, (void)whence;
	return f->pos;
}

static long timerfd_dname(struct file *f, char *buf, size_t len)
{
	(void)f;
	return ksnprintf(buf, len, "anon_inode:[timerfd]");
}

static const struct file_ops timerfd_fops = {
	.read = timerfd_read,
	.release = timerfd_release,
	.poll = timerfd_poll,
	.fsync = anon_fsync,
	.llseek = timerfd_llseek,
	.dname = timerfd_dname,
	.stream = true,
	.no_pread = true,
};

/* sys_timerfd_create makes a disarmed timer on clockid. */
long sys_timerfd_create(int clockid, int flags)
{
	struct timerfd *t;
	struct inode *ino;
	struct file *f = NULL;
	int clock;
	long ret;

	switch (clockid) {
	case CLOCK_REALTIME:
		clock = PLAT_CLOCK_REALTIME;
		break;
	case CLOCK_MONOTONIC:
		clock = PLAT_CLOCK_MONOTONIC;
		break;
	case CLOCK_BOOTTIME:
		clock = PLAT_CLOCK_BOOTTIME;
		break;
	case CLOCK_REALTIME_ALARM:
		clock = PLAT_CLOCK_REALTIME;
		break;
	case CLOCK_BOOTTIME_ALARM:
		clock = PLAT_CLOCK_BOOTTIME;
		break;
	default:
		return -EINVAL;
	}
	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	/* the alarm clocks need CAP_WAKE_ALARM; they never wake a suspended host here */
	if ((clockid == CLOCK_REALTIME_ALARM || clockid == CLOCK_BOOTTIME_ALARM) &&
	    !cred_is_root(&current_proc.cred))
		return -EPERM;
	t = kzalloc(sizeof *t);
	if (!t)
		return -ENOMEM;
	t->clock = clock;
	wait_head_init(&t->wh);
	kmutex_lock(&vfs_lock);
	if ((ino = anon_inode_new(0600))) {
		ino->uid = ino->gid = 0;
		ino->nlink = 1;
		f = anon_file_new(ino, &timerfd_fops, O_RDWR | (flags & O_NONBLOCK), t);
		iput(ino);
	}
	kmutex_unlock(&vfs_lock);
	if (!f) {
		kfree(t);
		return -ENOMEM;
	}
	ret = fd_install(f, 0, flags & TFD_CLOEXEC);
	if (ret < 0)
		fput(f);
	return ret;
}

/* The current setting: time to the next expiry and the interval. */
static struct itimerspec64 timerfd_get(struct timerfd *t)
{
	struct itimerspec64 v = { ns_to_timespec(t->interval), { 0, 0 } };

	timerfd_update(t);
	if (t->expiry) {
		s64 left = t->expiry - plat_clock_ns(t->clock);

		v.value = ns_to_timespec(left > 0 ? left : 0);
	}
	return v;
}

/* The timer behind ufd, referenced: EBADF, or EINVAL for another file. */
static long timerfd_fget(int ufd, struct file **out)
{
	struct file *f = fget(ufd);

	if (!f)
		return -EBADF;
	if (f->ops != &timerfd_fops || (f->flags & O_PATH)) {
		fput(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

/* sys_timerfd_settime arms (or with a zero value disarms) the timer;
 * TFD_TIMER_ABSTIME takes the value as a time on the timer's clock. */
long sys_timerfd_settime(int ufd, int flags, uptr utmr, uptr otmr)
{
	struct itimerspec64 nv, old;
	struct timerfd *t;
	struct file *f;
	long ret;

	if (copy_from_user(&nv, utmr, sizeof nv) < 0)
		return -EFAULT;
	if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) ||
	    !timespec_valid(&nv.value) || !timespec_valid(&nv.interval))
		return -EINVAL;
	if ((ret = timerfd_fget(ufd, &f)) < 0)
		return ret;
	t = f->priv;
	kmutex_lock(&vfs_lock);
	old = timerfd_get(t);
	t->ticks = 0;
	t->interval = timespec_to_ns(&nv.interval);
	t->expiry = 0;
	if (nv.value.tv_sec || nv.value.tv_nsec) {
		s64 v = timespec_to_ns(&nv.value);

		if (flags & TFD_TIMER_ABSTIME)
			t->expiry = v ? v : 1;
		else
			t->expiry = ktime_add_safe(plat_clock_ns(t->clock), v);
	}
	poll_rearm(&t->wh); /* sleepers recompute their deadlines; no epoll event */
	kmutex_unlock(&vfs_lock);
	fput(f);
	/* the timer is set even when old cannot be stored (as Linux) */
	if (!uptr_is_null(otmr) && copy_to_user(otmr, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* sys_timerfd_gettime reads the time to the next expiry and the interval. */
long sys_timerfd_gettime(int ufd, uptr otmr)
{
	struct itimerspec64 cur;
	struct file *f;
	long ret;

	if ((ret = timerfd_fget(ufd, &f)) < 0)
		return ret;
	kmutex_lock(&vfs_lock);
	cur = timerfd_get(f->priv);
	kmutex_unlock(&vfs_lock);
	fput(f);
	return copy_to_user(otmr, &cur, sizeof cur);
}
