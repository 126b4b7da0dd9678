/* Advisory locks and leases, as Linux's fs/locks.c keeps them.
 *
 * flock: whole-file locks owned by open file descriptions. A lock conflicts
 * with locks of other open files on the same inode (shared with shared
 * never does); converting a lock is not atomic, as on Linux. The last close
 * of an open file drops its lock.
 *
 * Record locks (fcntl F_SETLK & co) live in a per-inode list: POSIX locks
 * are owned by the process, so they never conflict with each other and any
 * close of a descriptor of the inode drops them all; OFD locks are owned by
 * the open file, conflict with every other owner's and go at its last
 * close. The list is Linux's: owners in the order of their first lock, each
 * owner's locks by start, merged with adjacent ones of the same type, so
 * F_GETLK reports the lock Linux would.
 *
 * Leases (F_SETLEASE) sit in the same per-inode context; an open or
 * truncate that conflicts starts a break and waits for the holder (or the
 * 45 s lease-break-time). The holder is not signalled: there is no signal
 * delivery yet, SIGIO is only recorded as pending.
 *
 * One mutex covers all of it; every change wakes the one queue that waiters
 * (flock, F_SETLKW, lease breaks) sleep on, through the one wait, so a
 * signal interrupts them: -ERESTARTSYS, as Linux's wait_event_interruptible
 * gives (restarted under SA_RESTART, EINTR after another handler). */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/lock.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/time.h>
#include <kernel/vfs.h>
#include <kernel/wait.h>
#include "../plat/plat.h"

#define LOCK_MAND 32

struct flock_entry {
	struct list link;
	struct inode *inode; /* not referenced: the owning file keeps it alive */
	struct file *owner;
	bool exclusive;
};

static struct list flocks = LIST_INIT(flocks);
static struct kmutex flock_lock = KMUTEX_INIT;               /* every lock and lease */
static struct waitq lock_waiters = WAITQ_INIT(lock_waiters); /* woken on every change */

/* flock_lock held. */
static void locks_changed(void)
{
	waitq_wake_all(&lock_waiters);
}

/* Sleeps until the next change of any lock (seq: wait_prepare() from
 * before the caller last looked), the deadline or a signal, with
 * flock_lock and, if asked, vfs_lock dropped: 0, -ETIMEDOUT, or
 * -ERESTARTSYS. flock_lock held. */
static long locks_wait(u32 seq, s64 deadline, bool vfs)
{
	struct wait_entry we = { .task = current };
	long r;

	waitq_add(&lock_waiters, &we);
	kmutex_unlock(&flock_lock);
	if (vfs)
		kmutex_unlock(&vfs_lock);
	r = task_sleep(seq, deadline, NULL, 0);
	if (vfs)
		kmutex_lock(&vfs_lock);
	kmutex_lock(&flock_lock);
	waitq_del(&we);
	return r == -EINTR ? -ERESTARTSYS : r;
}

static struct flock_entry *find_own(struct file *f)
{
	struct list *pos;

	list_for_each(pos, &flocks) {
		struct flock_entry *e = list_entry(pos, struct flock_entry, link);

		if (e->owner == f)
			return e;
	}
	return NULL;
}

static bool conflicts(struct file *f, bool exclusive)
{
	struct list *pos;

	list_for_each(pos, &flocks) {
		struct flock_entry *e = list_entry(pos, struct flock_entry, link);

		if (e->owner != f && e->inode == f->inode && (exclusive || e->exclusive))
			return true;
	}
	return false;
}

/* Drops f's lock; flock_lock held. */
static void unlock_own(struct file *f)
{
	struct flock_entry *e = find_own(f);

	if (!e)
		return;
	list_del(&e->link);
	kfree(e);
	locks_changed();
}

static void remove_record_locks(struct file *f);

void locks_remove_file(struct file *f)
{
	/* no reference is left, so nobody can be adding locks for f now */
	if (list_empty(&flocks) && !__atomic_load_n(&f->inode->flctx, __ATOMIC_ACQUIRE))
		return;
	kmutex_lock(&flock_lock);
	unlock_own(f);
	remove_record_locks(f);
	kmutex_unlock(&flock_lock);
}

/* Takes (or converts to) a lock of the given kind, waiting unless nb. */
static long lock_file(struct file *f, bool exclusive, bool nb)
{
	struct flock_entry *e;
	long ret = 0;

	kmutex_lock(&flock_lock);
	e = find_own(f);
	if (e && e->exclusive == exclusive)
		goto out;
	/* Linux's flock_lock_inode drops the old lock before it waits */
	unlock_own(f);
	for (;;) {
		u32 seq = wait_prepare();

		if (!conflicts(f, exclusive))
			break;
		if (nb) {
			ret = -EWOULDBLOCK;
			goto out;
		}
		if ((ret = locks_wait(seq, NO_DEADLINE, false)) < 0)
			goto out;
	}
	e = kzalloc(sizeof *e);
	if (!e) {
		ret = -ENOMEM;
		goto out;
	}
	e->inode = f->inode;
	e->owner = f;
	e->exclusive = exclusive;
	list_add_tail(&e->link, &flocks);
out:
	kmutex_unlock(&flock_lock);
	return ret;
}

/* sys_flock applies or removes an advisory lock on fd's open file. */
long sys_flock(unsigned int fd, unsigned int cmd)
{
	unsigned int op = cmd & ~(unsigned int)LOCK_NB;
	struct file *f;
	long ret;

	/* Linux ignores LOCK_MAND (never enforced), whatever else is asked */
	if (cmd & LOCK_MAND)
		return 0;
	/* the command is checked before the descriptor, as on Linux */
	if (op != LOCK_SH && op != LOCK_EX && op != LOCK_UN)
		return -EINVAL;
	f = fget((int)fd);
	if (!f)
		return -EBADF;
	if (f->flags & O_PATH) {
		ret = -EBADF;
		goto out;
	}
	if (op == LOCK_UN) {
		kmutex_lock(&flock_lock);
		unlock_own(f); /* the flock lock only: not f's record locks */
		kmutex_unlock(&flock_lock);
		ret = 0;
	} else {
		ret = lock_file(f, op == LOCK_EX, cmd & LOCK_NB);
	}
out:
	fput(f);
	return ret;
}

/* --- Record locks ------------------------------------------------------- */

#define FL_OFD 0x1                         /* owned by an open file (F_OFD_SETLK) */
#define FL_UNLOCK_PENDING 0x2              /* a lease broken for a writer */
#define FL_DOWNGRADE_PENDING 0x4           /* a write lease broken for a reader */
#define LEASE_BREAK_NS (45 * NSEC_PER_SEC) /* /proc/sys/fs/lease-break-time */

struct file_lock {
	struct list link;
	const void *owner; /* &current_proc for a POSIX lock; the file for OFD locks, leases */
	struct file *file; /* the open file it was set through (not referenced) */
	s64 start, end;    /* inclusive; end OFFSET_MAX: to EOF and beyond */
	short type;        /* F_RDLCK, F_WRLCK (F_UNLCK only in requests) */
	u8 flags;
	s64 break_time, downgrade_time; /* leases: when a pending break is forced; 0: not */
};

struct file_lock_ctx {
	struct list posix;  /* POSIX and OFD locks */
	struct list leases; /* in the order they were granted */
};

static struct file_lock *lock_of(struct list *pos)
{
	return list_entry(pos, struct file_lock, link);
}

/* ino's context, made on demand; flock_lock held. */
static struct file_lock_ctx *ctx_get(struct inode *ino)
{
	struct file_lock_ctx *ctx = ino->flctx;

	if (ctx || !(ctx = kzalloc(sizeof *ctx)))
		return ctx;
	list_init(&ctx->posix);
	list_init(&ctx->leases);
	__atomic_store_n(&ino->flctx, ctx, __ATOMIC_RELEASE);
	return ctx;
}

/* Frees ino's context once it holds nothing; flock_lock held. */
static void ctx_tidy(struct inode *ino)
{
	struct file_lock_ctx *ctx = ino->flctx;

	if (ctx && list_empty(&ctx->posix) && list_empty(&ctx->leases)) {
		__atomic_store_n(&ino->flctx, NULL, __ATOMIC_RELEASE);
		kfree(ctx);
	}
}

static void lock_delete(struct file_lock *fl)
{
	list_del(&fl->link);
	kfree(fl);
}

static bool overlap(const struct file_lock *a, const struct file_lock *b)
{
	return a->start <= b->end && b->start <= a->end;
}

static bool posix_conflict(const struct file_lock *req, const struct file_lock *fl)
{
	return req->owner != fl->owner && overlap(req, fl) &&
	       (req->type == F_WRLCK || fl->type == F_WRLCK);
}

/* Linux's flock_to_posix_lock: the type and byte range struct flock asks
 * for, from the file position or size for SEEK_CUR and SEEK_END. */
static long flock_to_lock(const struct file *f, const struct linux_flock *l, struct file_lock *fl)
{
	s64 base;

	switch (l->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = f->inode->size;
		break;
	default:
		return -EINVAL;
	}
	if (l->l_start > OFFSET_MAX - base)
		return -EOVERFLOW;
	fl->start = base + l->l_start;
	if (fl->start < 0)
		return -EINVAL;
	/* a negative length covers the bytes before start (POSIX-2001) */
	if (l->l_len > 0) {
		if (l->l_len - 1 > OFFSET_MAX - fl->start)
			return -EOVERFLOW;
		fl->end = fl->start + (l->l_len - 1);
	} else if (l->l_len < 0) {
		if (fl->start + l->l_len < 0)
			return -EINVAL;
		fl->end = fl->start - 1;
		fl->start += l->l_len;
	} else {
		fl->end = OFFSET_MAX;
	}
	if (l->l_type != F_RDLCK && l->l_type != F_WRLCK && l->l_type != F_UNLCK)
		return -EINVAL;
	fl->type = l->l_type;
	return 0;
}

/* Applies req for its owner (F_UNLCK included), keeping the list's shape:
 * an owner's locks sit together where its first lock went (a new owner's
 * at the end), sorted by start, never overlapping, and adjacent ones of one
 * type are one lock. So a lock request first widens over the owner's locks
 * of its type that it overlaps or touches; the widened range is then cut
 * out of the owner's locks (trimming them, splitting one that sticks out on
 * both sides) and, unless unlocking, inserted in start order. -EAGAIN when
 * another owner's lock conflicts; flock_lock held. */
static long posix_lock_inode(struct inode *ino, const struct file_lock *req)
{
	struct file_lock_ctx *ctx = ino->flctx;
	struct file_lock *spare[2] = { NULL, NULL }, *fl;
	struct list *pos, *tmp, *prev = NULL;
	s64 start = req->start, end = req->end;
	int used = 0;

	if (req->type != F_UNLCK) {
		if (ctx) {
			list_for_each(pos, &ctx->posix)
				if (posix_conflict(req, lock_of(pos)))
					return -EAGAIN;
		}
		if (!(ctx = ctx_get(ino)))
			return -ENOLCK;
	} else if (!ctx) {
		return 0;
	}
	/* at most one split and one new lock; unlocking everything needs neither */
	if (req->type != F_UNLCK || start != 0 || end != OFFSET_MAX) {
		spare[0] = kmalloc(sizeof *fl);
		spare[1] = kmalloc(sizeof *fl);
		if (!spare[0] || !spare[1]) {
			kfree(spare[0]);
			kfree(spare[1]);
			ctx_tidy(ino);
			return -ENOLCK;
		}
	}
	if (req->type != F_UNLCK) {
		/* "start - 1", not "end + 1": end may be OFFSET_MAX */
		list_for_each(pos, &ctx->posix) {
			fl = lock_of(pos);
			if (fl->owner == req->owner && fl->type == req->type &&
			    fl->start - 1 <= end && fl->end >= start - 1) {
				start = MIN(start, fl->start);
				end = MAX(end, fl->end);
			}
		}
	}
	list_for_each_safe(pos, tmp, &ctx->posix) {
		fl = lock_of(pos);
		if (fl->owner != req->owner)
			continue;
		if (!prev)
			prev = pos->prev; /* not the owner's: it stays */
		if (fl->end < start || fl->start > end)
			continue;
		if (fl->start < start && fl->end > end) {
			struct file_lock *right = spare[used++];

			*right = *fl;
			right->start = end + 1;
			list_insert_between(&right->link, pos, pos->next);
			fl->end = start - 1;
			break; /* it covered the range: nothing else overlaps */
		}
		if (fl->start < start)
			fl->end = start - 1;
		else if (fl->end > end)
			fl->start = end + 1;
		else
			lock_delete(fl);
	}
	if (req->type != F_UNLCK) {
		struct file_lock *new_fl = spare[used++];

		if (!prev)
			prev = ctx->posix.prev;
		while (prev->next != &ctx->posix && lock_of(prev->next)->owner == req->owner &&
		       lock_of(prev->next)->start < start)
			prev = prev->next;
		*new_fl = *req;
		new_fl->start = start;
		new_fl->end = end;
		list_insert_between(&new_fl->link, prev, prev->next);
	}
	while (used < 2)
		kfree(spare[used++]);
	ctx_tidy(ino);
	locks_changed();
	return 0;
}

/* Takes (or releases) req on ino, waiting while it conflicts if asked. */
static long posix_lock_wait(struct inode *ino, const struct file_lock *req, bool wait)
{
	long ret;

	kmutex_lock(&flock_lock);
	for (;;) {
		u32 seq = wait_prepare();

		ret = posix_lock_inode(ino, req);
		if (ret != -EAGAIN || !wait)
			break;
		/* one process: a POSIX waiter can never be in a deadlock cycle
		 * Linux would report (EDEADLK needs two owners waiting) */
		if ((ret = locks_wait(seq, NO_DEADLINE, false)) < 0)
			break;
	}
	kmutex_unlock(&flock_lock);
	return ret;
}

/* Linux's posix_test_lock: the first lock in the list that would block req
 * (for an F_UNLCK request, the first of req's owner it overlaps). */
static const struct file_lock *posix_test(struct inode *ino, const struct file_lock *req)
{
	struct list *pos;

	if (!ino->flctx)
		return NULL;
	list_for_each(pos, &ino->flctx->posix) {
		const struct file_lock *fl = lock_of(pos);

		if (req->type == F_UNLCK ? fl->owner == req->owner && overlap(req, fl)
					 : posix_conflict(req, fl))
			return fl;
	}
	return NULL;
}

long fcntl_getlk(struct file *f, unsigned int cmd, uptr arg)
{
	struct linux_flock l;
	struct file_lock req = { .owner = &current_proc };
	const struct file_lock *fl;
	long ret;

	if (copy_from_user(&l, arg, sizeof l))
		return -EFAULT;
	/* only F_OFD_GETLK may ask about F_UNLCK: the caller's own locks */
	if (cmd != F_OFD_GETLK && l.l_type != F_RDLCK && l.l_type != F_WRLCK)
		return -EINVAL;
	if ((ret = flock_to_lock(f, &l, &req)) < 0)
		return ret;
	if (cmd == F_OFD_GETLK) {
		if (l.l_pid != 0)
			return -EINVAL;
		req.owner = f;
		req.flags = FL_OFD;
	}
	kmutex_lock(&flock_lock);
	if ((fl = posix_test(f->inode, &req))) {
		l.l_type = fl->type;
		l.l_whence = SEEK_SET;
		l.l_start = fl->start;
		l.l_len = fl->end == OFFSET_MAX ? 0 : fl->end - fl->start + 1;
		l.l_pid = (fl->flags & FL_OFD) ? -1 : current_proc.pid;
	} else {
		l.l_type = F_UNLCK; /* the rest stays as the caller wrote it */
	}
	kmutex_unlock(&flock_lock);
	return copy_to_user(arg, &l, sizeof l) ? -EFAULT : 0;
}

long fcntl_setlk(unsigned int fd, struct file *f, unsigned int cmd, uptr arg)
{
	bool ofd = cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	struct linux_flock l;
	struct file_lock req = { .owner = &current_proc, .file = f };
	struct file *now;
	long ret;

	if (copy_from_user(&l, arg, sizeof l))
		return -EFAULT;
	if ((ret = flock_to_lock(f, &l, &req)) < 0)
		return ret;
	if ((req.type == F_RDLCK && !file_readable(f)) ||
	    (req.type == F_WRLCK && !file_writable(f)))
		return -EBADF;
	if (ofd) {
		if (l.l_pid != 0)
			return -EINVAL;
		req.owner = f;
		req.flags = FL_OFD;
	}
	ret = posix_lock_wait(f->inode, &req, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
	if (ret < 0 || ofd || req.type == F_UNLCK)
		return ret;
	/* fd closed by another thread meanwhile: its close could not drop
	 * this lock, so drop it now (Linux's close/fcntl race check) */
	now = fget((int)fd);
	if (now != f) {
		req.type = F_UNLCK;
		posix_lock_wait(f->inode, &req, false);
		ret = -EBADF;
	}
	fput(now);
	return ret;
}

void locks_remove_posix(struct file *f)
{
	struct file_lock req = { .owner = &current_proc,
				 .start = 0,
				 .end = OFFSET_MAX,
				 .type = F_UNLCK };

	/* an O_PATH descriptor's close leaves them, as Linux's filp_flush */
	if ((f->flags & O_PATH) || !__atomic_load_n(&f->inode->flctx, __ATOMIC_ACQUIRE))
		return;
	kmutex_lock(&flock_lock);
	posix_lock_inode(f->inode, &req);
	kmutex_unlock(&flock_lock);
}

/* --- Leases --------------------------------------------------------------- */

/* What F_GETLEASE reports: where a pending break is heading. */
static short lease_target(const struct file_lock *fl)
{
	if (fl->flags & FL_UNLOCK_PENDING)
		return F_UNLCK;
	if (fl->flags & FL_DOWNGRADE_PENDING)
		return F_RDLCK;
	return fl->type;
}

/* Linux's lease_modify: gives fl a new type, settling a pending break;
 * F_UNLCK removes it, and with it the file's owner, signal and FASYNC. */
static void lease_modify(struct file_lock *fl, short type)
{
	struct file *f = fl->file;

	fl->type = type;
	if (type == F_UNLCK)
		fl->flags &= (u8)~FL_UNLOCK_PENDING;
	if (type != F_WRLCK) {
		fl->flags &= (u8)~FL_DOWNGRADE_PENDING;
		fl->downgrade_time = 0;
	}
	if (type == F_UNLCK) {
		f->owner.pid = 0;
		f->owner.type = F_OWNER_PID;
		f->owner.signum = 0;
		__atomic_and_fetch(&f->flags, ~(u32)FASYNC, __ATOMIC_RELAXED);
		lock_delete(fl);
	}
	locks_changed();
}

/* Forces the breaks whose time is up; flock_lock held. */
static void time_out_leases(struct inode *ino)
{
	s64 now = plat_clock_ns(PLAT_CLOCK_MONOTONIC);
	struct list *pos, *tmp;

	if (!ino->flctx)
		return;
	list_for_each_safe(pos, tmp, &ino->flctx->leases) {
		struct file_lock *fl = lock_of(pos);

		if (fl->downgrade_time && now > fl->downgrade_time)
			lease_modify(fl, F_RDLCK);
		if (fl->break_time && now > fl->break_time)
			lease_modify(fl, F_UNLCK);
	}
}

long fcntl_getlease(struct file *f)
{
	struct inode *ino = f->inode;
	short type = F_UNLCK;
	struct list *pos;

	kmutex_lock(&flock_lock);
	time_out_leases(ino);
	if (ino->flctx) {
		list_for_each(pos, &ino->flctx->leases)
			if (lock_of(pos)->file == f) {
				type = lease_target(lock_of(pos));
				break;
			}
	}
	ctx_tidy(ino);
	kmutex_unlock(&flock_lock);
	return type;
}

/* Linux's check_conflicting_open: a read lease needs no writer at all, a
 * write lease no other open file than f. */
static long lease_conflicting_open(const struct file *f, short type)
{
	int self_w = file_writable(f), self_r = !self_w && file_readable(f);
	const struct inode *ino = f->inode;

	if (type == F_RDLCK)
		return __atomic_load_n(&ino->writecount, __ATOMIC_RELAXED) ? -EAGAIN : 0;
	if (__atomic_load_n(&ino->writecount, __ATOMIC_RELAXED) != self_w ||
	    __atomic_load_n(&ino->readcount, __ATOMIC_RELAXED) != self_r)
		return -EAGAIN;
	return 0;
}

/* Linux's generic_add_lease; flock_lock held. */
static long lease_add(struct file *f, short type)
{
	struct inode *ino = f->inode;
	struct file_lock *mine = NULL, *fl;
	struct file_lock_ctx *ctx;
	struct list *pos;
	long ret;

	time_out_leases(ino);
	if ((ret = lease_conflicting_open(f, type)) < 0)
		return ret;
	if (!(ctx = ctx_get(ino)))
		return -ENOMEM;
	list_for_each(pos, &ctx->leases) {
		fl = lock_of(pos);
		if (fl->file == f) {
			mine = fl;
			continue;
		}
		/* no write lease beside another's lease; no new lease while
		 * someone waits to open for writing */
		if (type == F_WRLCK || (fl->flags & FL_UNLOCK_PENDING))
			return -EAGAIN;
	}
	if (mine) {
		lease_modify(mine, type);
	} else {
		if (!(fl = kzalloc(sizeof *fl)))
			return -ENOMEM;
		fl->owner = fl->file = f;
		fl->start = 0;
		fl->end = OFFSET_MAX;
		fl->type = type;
		list_add_tail(&fl->link, &ctx->leases);
	}
	/* lease_setup: the holder is to get SIGIO, and becomes the file's
	 * owner unless it has one */
	__atomic_or_fetch(&f->flags, (u32)FASYNC, __ATOMIC_RELAXED);
	if (!f->owner.pid) {
		f->owner.pid = current_proc.pid;
		f->owner.type = F_OWNER_PID;
		f->owner.uid = current_proc.cred.uid;
		f->owner.euid = current_proc.cred.euid;
	}
	return 0;
}

long fcntl_setlease(struct file *f, unsigned long arg)
{
	struct inode *ino = f->inode;
	int type = (int)arg;
	struct list *pos;
	long ret = -EAGAIN; /* F_UNLCK without a lease */

	if (type != F_RDLCK && type != F_WRLCK && type != F_UNLCK)
		return -EINVAL;
	/* the owner, or CAP_LEASE (euid 0) */
	if (current_proc.cred.fsuid != ino->uid && current_proc.cred.euid != 0)
		return -EACCES;
	if (!S_ISREG(ino->mode))
		return -EINVAL;
	kmutex_lock(&flock_lock);
	if (type != F_UNLCK) {
		ret = lease_add(f, (short)type);
	} else if (ino->flctx) {
		list_for_each(pos, &ino->flctx->leases)
			if (lock_of(pos)->file == f) {
				lease_modify(lock_of(pos), F_UNLCK);
				ret = 0;
				break;
			}
	}
	ctx_tidy(ino);
	kmutex_unlock(&flock_lock);
	return ret;
}

/* The leases an opener wanting type must wait for; flock_lock held. */
static bool lease_conflicts(const struct inode *ino, short type, s64 *deadline)
{
	struct list *pos;
	bool any = false;

	if (!ino->flctx)
		return false;
	*deadline = -1;
	list_for_each(pos, &ino->flctx->leases) {
		const struct file_lock *fl = lock_of(pos);
		s64 t = fl->break_time ? fl->break_time : fl->downgrade_time;

		if (fl->type != F_WRLCK && type != F_WRLCK)
			continue;
		any = true;
		if (t && (*deadline < 0 || t + 1 < *deadline))
			*deadline = t + 1;
	}
	return any;
}

long lease_break(struct inode *ino, u32 flags)
{
	bool want_write = (flags & O_ACCMODE) != O_RDONLY;
	short type = want_write ? F_WRLCK : F_RDLCK;
	s64 deadline, when;
	struct list *pos;
	long ret = 0;

	if (!__atomic_load_n(&ino->flctx, __ATOMIC_ACQUIRE))
		return 0;
	kmutex_lock(&flock_lock);
	time_out_leases(ino);
	if (!lease_conflicts(ino, type, &deadline))
		goto out;
	when = plat_clock_ns(PLAT_CLOCK_MONOTONIC) + LEASE_BREAK_NS;
	list_for_each(pos, &ino->flctx->leases) {
		struct file_lock *fl = lock_of(pos);

		if (fl->type != F_WRLCK && type != F_WRLCK)
			continue;
		if (want_write) {
			if (fl->flags & FL_UNLOCK_PENDING)
				continue;
			fl->flags |= FL_UNLOCK_PENDING;
			fl->break_time = when;
		} else {
			if (fl->flags & (FL_UNLOCK_PENDING | FL_DOWNGRADE_PENDING))
				continue;
			fl->flags |= FL_DOWNGRADE_PENDING;
			fl->downgrade_time = when;
		}
		/* Linux sends the holder its SIGIO (or F_SETSIG signal) here */
		if (fl->file->owner.pid)
			proc_signal_pending(fl->file->owner.signum ? fl->file->owner.signum
								   : SIGIO);
	}
	if (flags & O_NONBLOCK) {
		ret = -EWOULDBLOCK;
		goto out;
	}
	for (;;) {
		u32 seq = wait_prepare();

		if (!lease_conflicts(ino, type, &deadline))
			break;
		if ((ret = locks_wait(seq, deadline, true)) == -ERESTARTSYS)
			goto out;
		ret = 0;
		time_out_leases(ino);
	}
out:
	ctx_tidy(ino);
	kmutex_unlock(&flock_lock);
	return ret;
}

/* At f's last close: its OFD locks and lease, and any record lock still
 * naming it (a POSIX lock is normally gone with the descriptor's close
 * already); flock_lock held. */
static void remove_record_locks(struct file *f)
{
	struct inode *ino = f->inode;
	struct list *pos, *tmp;

	if (!ino->flctx)
		return;
	list_for_each_safe(pos, tmp, &ino->flctx->posix)
		if (lock_of(pos)->owner == f || lock_of(pos)->file == f)
			lock_delete(lock_of(pos));
	list_for_each_safe(pos, tmp, &ino->flctx->leases)
		if (lock_of(pos)->file == f)
			lock_delete(lock_of(pos));
	ctx_tidy(ino);
	locks_changed();
}

void locks_reset(void)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &flocks) {
		list_del(pos);
		kfree(list_entry(pos, struct flock_entry, link));
	}
	list_init(&flocks);
	flock_lock = (struct kmutex)KMUTEX_INIT;
	waitq_init(&lock_waiters);
}
