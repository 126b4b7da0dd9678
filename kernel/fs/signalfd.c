/* signalfd and signalfd4: a descriptor whose read takes signals of its mask
 * off the reading thread's pending sets (Linux's fs/signalfd.c). The
 * signals stay pending as far as anyone else can tell until a read takes
 * them (dequeue_signal), so they must be blocked for the read to see them
 * before a handler does, as on Linux.
 *
 * Every signalfd shares one wait queue and one poll wait head, the
 * process's (Linux's sighand->signalfd_wqh): a signal sent anywhere calls
 * signalfd_notify, which wakes blocked readers and pollers; each looks at
 * its own mask again. */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/signalfd.h>
#include <kernel/wait.h>

/* struct signalfd_siginfo (linux/signalfd.h): 128 bytes. */
struct signalfd_siginfo {
	u32 ssi_signo;
	s32 ssi_errno;
	s32 ssi_code;
	u32 ssi_pid;
	u32 ssi_uid;
	s32 ssi_fd;
	u32 ssi_tid;
	u32 ssi_band;
	u32 ssi_overrun;
	u32 ssi_trapno;
	s32 ssi_status;
	s32 ssi_int;
	u64 ssi_ptr;
	u64 ssi_utime;
	u64 ssi_stime;
	u64 ssi_addr;
	u16 ssi_addr_lsb;
	u16 pad2;
	s32 ssi_syscall;
	u64 ssi_call_addr;
	u32 ssi_arch;
	u8 pad[28];
};
_Static_assert(sizeof(struct signalfd_siginfo) == 128, "struct signalfd_siginfo");

#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

struct signalfd_ctx {
	u64 mask; /* the signals it takes (Linux keeps the complement) */
};

static struct waitq sfd_waitq = WAITQ_INIT(sfd_waitq);
static struct wait_head sfd_wh = WAIT_HEAD_INIT(sfd_wh);

/* Called by send_signal (core/signal.c) with the kernel lock held, after a
 * signal became pending: readers and pollers of every signalfd look again. */
void signalfd_notify(void)
{
	waitq_wake_all(&sfd_waitq);
	poll_wake(&sfd_wh, POLLIN);
}

/* --- Reading ----------------------------------------------------------- */

/* siginfo_layout's classes, for what signalfd_copyinfo copies. */
enum layout {
	SIL_KILL,
	SIL_TIMER,
	SIL_POLL,
	SIL_FAULT,
	SIL_FAULT_MCEERR,
	SIL_CHLD,
	SIL_RT,
	SIL_SYS
};

#define BUS_MCEERR_AR 4
#define BUS_MCEERR_AO 5
#define NSIGPOLL 6

static enum layout siginfo_layout(int sig, int code)
{
	/* the si_code limits of the signals with their own codes */
	static const struct {
		u8 sig, limit, layout;
	} filter[] = {
		{ SIGILL, 11, SIL_FAULT }, { SIGFPE, 15, SIL_FAULT }, { SIGSEGV, 10, SIL_FAULT },
		{ SIGBUS, 5, SIL_FAULT },  { SIGTRAP, 6, SIL_FAULT }, { SIGCHLD, 6, SIL_CHLD },
		{ SIGSYS, 2, SIL_SYS },
	};

	if (code > SI_USER && code < SI_KERNEL) {
		for (size_t i = 0; i < ARRAY_SIZE(filter); i++) {
			if (filter[i].sig != sig)
				continue;
			if (code > filter[i].limit)
				break;
			if (sig == SIGBUS && code >= BUS_MCEERR_AR && code <= BUS_MCEERR_AO)
				return SIL_FAULT_MCEERR;
			return (enum layout)filter[i].layout;
		}
		return code <= NSIGPOLL ? SIL_POLL : SIL_KILL;
	}
	if (code == SI_TIMER)
		return SIL_TIMER;
	if (code == SI_SIGIO)
		return SIL_POLL;
	return code < 0 ? SIL_RT : SIL_KILL;
}

/* signalfd_copyinfo: the fields of the signal's layout, the rest zero. The
 * union of x86_64's siginfo is read at its offsets (16 on). */
static void copyinfo(struct signalfd_siginfo *s, const struct linux_siginfo *i)
{
	const u8 *u = i->bytes;
	u64 w16, w24, w32, w40;
	s32 i24, i28;

	memcpy(&w16, u, 8);
	memcpy(&w24, u + 8, 8);
	memcpy(&w32, u + 16, 8);
	memcpy(&w40, u + 24, 8);
	memcpy(&i24, u + 8, 4);
	memcpy(&i28, u + 12, 4);
	memset(s, 0, sizeof *s);
	s->ssi_signo = (u32)i->si_signo;
	s->ssi_errno = i->si_errno;
	s->ssi_code = i->si_code;
	switch (siginfo_layout(i->si_signo, i->si_code)) {
	case SIL_KILL:
		s->ssi_pid = (u32)w16;
		s->ssi_uid = (u32)(w16 >> 32);
		break;
	case SIL_TIMER:
		s->ssi_tid = (u32)w16;
		s->ssi_overrun = (u32)(w16 >> 32);
		s->ssi_ptr = w24;
		s->ssi_int = (s32)w24;
		break;
	case SIL_POLL:
		s->ssi_band = (u32)w16;
		s->ssi_fd = i24;
		break;
	case SIL_FAULT:
		s->ssi_addr = w16;
		break;
	case SIL_FAULT_MCEERR:
		s->ssi_addr = w16;
		s->ssi_addr_lsb = (u16)w24;
		break;
	case SIL_CHLD:
		s->ssi_pid = (u32)w16;
		s->ssi_uid = (u32)(w16 >> 32);
		s->ssi_status = i24;
		s->ssi_utime = w32;
		s->ssi_stime = w40;
		break;
	case SIL_RT:
		s->ssi_pid = (u32)w16;
		s->ssi_uid = (u32)(w16 >> 32);
		s->ssi_ptr = w24;
		s->ssi_int = (s32)w24;
		break;
	case SIL_SYS:
		s->ssi_call_addr = w16;
		s->ssi_syscall = i24;
		s->ssi_arch = (u32)i28;
		break;
	}
}

/* signalfd_dequeue: a signal of the mask, waiting for one unless nonblock.
 * The signal number, -EAGAIN, or -ERESTARTSYS when another signal (one the
 * thread does not block) interrupts the wait. vfs_lock is held, and dropped
 * while asleep. */
static long sfd_dequeue(const struct signalfd_ctx *ctx, struct linux_siginfo *info, bool nonblock)
{
	struct wait_entry we = { .task = current };
	long r;

	if ((r = dequeue_signal(~ctx->mask, info)) != 0 || nonblock)
		return r ? r : -EAGAIN;
	waitq_add(&sfd_waitq, &we);
	for (;;) {
		u32 seq = wait_prepare();

		if ((r = dequeue_signal(~ctx->mask, info)) != 0)
			break;
		kmutex_unlock(&vfs_lock);
		r = task_sleep(seq, NO_DEADLINE, NULL, 0);
		kmutex_lock(&vfs_lock);
		if (r == -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
	}
	waitq_del(&we);
	return r;
}

static long signalfd_read(struct file *f, struct uio *u, s64 pos)
{
	struct signalfd_ctx *ctx = f->priv;
	size_t count = u->resid / sizeof(struct signalfd_siginfo);
	bool nonblock = f->flags & O_NONBLOCK;
	long total = 0, r = 0;

	(void)pos;
	if (!count)
		return -EINVAL;
	do {
		struct linux_siginfo info;
		struct signalfd_siginfo ssi;

		if ((r = sfd_dequeue(ctx, &info, nonblock)) <= 0)
			break;
		copyinfo(&ssi, &info);
		/* the signal is taken before the copy: a fault loses it, as
		 * on Linux */
		if (uio_copy_out(u, &ssi, sizeof ssi) < sizeof ssi) {
			r = -EFAULT;
			break;
		}
		total += (long)sizeof ssi;
		nonblock = true;
	} while (--count);
	return total ? total : r;
}

/* Readable when a signal of the mask is pending for the polling thread. */
static unsigned int signalfd_poll(struct file *f, struct poll_table *pt)
{
	struct signalfd_ctx *ctx = f->priv;

	if (pt)
		pt->head = &sfd_wh;
	return signal_pending_set() & ctx->mask ? POLLIN : 0;
}

static void signalfd_release(struct file *f)
{
	eventpoll_release(f, &sfd_wh);
	kfree(f->priv);
}

static long signalfd_llseek(struct file *f, s64 off, int whence)
{
	(void)off, (void)whence;
	return f->pos;
}

static long signalfd_dname(struct file *f, char *buf, size_t len)
{
	(void)f;
	return ksnprintf(buf, len, "anon_inode:[signalfd]");
}

static const struct file_ops signalfd_fops = {
	.read = signalfd_read,
	.release = signalfd_release,
	.poll = signalfd_poll,
	.fsync = anon_fsync,
	.llseek = signalfd_llseek,
	.dname = signalfd_dname,
	.stream = true,
	.no_pread = true,
};

/* --- Making and changing ------------------------------------------------ */

static long do_signalfd4(int ufd, u64 mask, int flags)
{
	struct signalfd_ctx *ctx;
	struct inode *ino;
	struct file *f = NULL;
	long ret;

	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	mask &= ~UNBLOCKABLE;
	if (ufd != -1) {
		/* a new mask for an existing signalfd; its flags stay */
		if (!(f = fget(ufd)))
			return -EBADF;
		if (f->ops != &signalfd_fops) {
			fput(f);
			return -EINVAL;
		}
		((struct signalfd_ctx *)f->priv)->mask = mask;
		fput(f);
		signalfd_notify();
		return ufd;
	}
	if (!(ctx = kzalloc(sizeof *ctx)))
		return -ENOMEM;
	ctx->mask = mask;
	kmutex_lock(&vfs_lock);
	if ((ino = anon_inode_new(0600))) {
		ino->uid = ino->gid = 0; /* the anon inode is root's, made at boot */
		ino->nlink = 1;
		f = anon_file_new(ino, &signalfd_fops, O_RDWR | (flags & O_NONBLOCK), ctx);
		iput(ino);
	}
	kmutex_unlock(&vfs_lock);
	if (!f) {
		kfree(ctx);
		return -ENOMEM;
	}
	ret = fd_install(f, 0, flags & SFD_CLOEXEC);
	if (ret < 0)
		fput(f);
	return ret;
}

/* sys_signalfd4 makes a signalfd for the signals of user_mask, or gives an
 * existing one (ufd) that mask; SIGKILL and SIGSTOP are never taken. */
long sys_signalfd4(int ufd, uptr user_mask, size_t sizemask, int flags)
{
	u64 mask;

	if (sizemask != sizeof mask)
		return -EINVAL;
	if (copy_from_user(&mask, user_mask, sizeof mask) < 0)
		return -EFAULT;
	return do_signalfd4(ufd, mask, flags);
}

/* sys_signalfd is signalfd4 without flags. */
long sys_signalfd(int ufd, uptr user_mask, size_t sizemask)
{
	return sys_signalfd4(ufd, user_mask, sizemask, 0);
}
