/* pidfd_open and pidfd_send_signal (Linux's kernel/pid.c, kernel/signal.c,
 * as of 6.18). The process is the only one there is, so a pidfd names it or
 * one of its threads; any other pid is ESRCH. */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/pidfd.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/task.h>

#define PIDFD_SEND_SIGNAL_FLAGS \
	(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP)

struct pidfd {
	int tid;     /* the thread (the pid for the process) */
	bool thread; /* PIDFD_THREAD: signals go to the thread by default */
};

/* Every pidfd's pollers, woken when a thread exits (pidfd_notify_exit). */
static struct wait_head pidfd_wh = WAIT_HEAD_INIT(pidfd_wh);

void pidfd_notify_exit(void)
{
	poll_wake(&pidfd_wh, POLLIN);
}

/* pidfd_poll: readable, and hung up, once the thread is gone. A process
 * pidfd never is: the process polling it is alive. */
static unsigned int pidfd_poll(struct file *f, struct poll_table *pt)
{
	struct pidfd *p = f->priv;

	if (pt)
		pt->head = &pidfd_wh;
	return task_find(p->tid) ? 0 : POLLIN | POLLRDNORM | POLLHUP;
}

static void pidfd_release(struct file *f)
{
	eventpoll_release(f, &pidfd_wh);
	kfree(f->priv);
}

static long pidfd_dname(struct file *f, char *buf, size_t len)
{
	(void)f;
	return ksnprintf(buf, len, "anon_inode:[pidfd]");
}

static const struct file_ops pidfd_fops = {
	.release = pidfd_release,
	.poll = pidfd_poll,
	.dname = pidfd_dname,
	.stream = true,
	.no_pread = true,
};

/* sys_pidfd_open opens a descriptor for process pid (or, with PIDFD_THREAD,
 * thread pid); it is always close-on-exec. */
long sys_pidfd_open(pid_t pid, unsigned int flags)
{
	struct pidfd *p;
	struct inode *ino;
	struct file *f = NULL;
	long ret;

	if (flags & ~(unsigned int)(PIDFD_NONBLOCK | PIDFD_THREAD))
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	if (!task_find(pid))
		return -ESRCH;
	/* a thread that is not the leader has no process of its own (6.18;
	 * EINVAL before 6.9's PIDFD_THREAD) */
	if (pid != current_proc.pid && !(flags & PIDFD_THREAD))
		return -ENOENT;
	if (!(p = kzalloc(sizeof *p)))
		return -ENOMEM;
	p->tid = pid;
	p->thread = flags & PIDFD_THREAD;
	kmutex_lock(&vfs_lock);
	if ((ino = anon_inode_new(0700))) {
		ino->uid = ino->gid = 0; /* pidfs's inodes are root's */
		ino->nlink = 1;
		/* the file keeps PIDFD_THREAD (O_EXCL) among its flags, as Linux */
		f = anon_file_new(ino, &pidfd_fops, O_RDWR | (flags & (O_NONBLOCK | O_EXCL)), p);
		iput(ino);
	}
	kmutex_unlock(&vfs_lock);
	if (!f) {
		kfree(p);
		return -ENOMEM;
	}
	ret = fd_install(f, 0, true);
	if (ret < 0)
		fput(f);
	return ret;
}

/* Linux's prepare_kill_siginfo: what kill or tgkill would send. */
static void kill_info(struct linux_siginfo *info, int sig, bool thread)
{
	siginfo_from_user(info, sig, thread ? SI_TKILL : SI_USER);
}

/* sys_pidfd_send_signal sends sig to the process or thread of pidfd. */
long sys_pidfd_send_signal(int pidfd, int sig, uptr uinfo, unsigned int flags)
{
	struct linux_siginfo info;
	int tid;
	bool thread;
	struct task *t;

	if (flags & ~(unsigned int)PIDFD_SEND_SIGNAL_FLAGS)
		return -EINVAL;
	if (__builtin_popcount(flags) > 1) /* one scope at most */
		return -EINVAL;
	if (pidfd == PIDFD_SELF_THREAD || pidfd == PIDFD_SELF_THREAD_GROUP) {
		thread = pidfd == PIDFD_SELF_THREAD;
		tid = thread ? current->tid : current_proc.pid;
	} else {
		struct file *f = fget(pidfd);
		struct pidfd *p;

		if (!f)
			return -EBADF;
		if (f->ops == &pidfd_fops) {
			p = f->priv;
			tid = p->tid;
			thread = p->thread;
		} else {
			tid = procfs_pid_dir(f); /* an open /proc/<pid> also names it */
			thread = false;
		}
		fput(f);
		if (tid < 0)
			return tid;
	}
	if (flags == PIDFD_SIGNAL_THREAD)
		thread = true;
	else if (flags & (PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP))
		thread = false;
	if (uinfo.addr) {
		if (copy_from_user(&info, uinfo, sizeof info) < 0)
			return -EFAULT;
		if (sig != info.si_signo)
			return -EINVAL;
		/* only yourself may be sent a forged siginfo */
		if ((tid != current->tid || flags == PIDFD_SIGNAL_PROCESS_GROUP) &&
		    (info.si_code >= 0 || info.si_code == SI_TKILL))
			return -EPERM;
	} else {
		kill_info(&info, sig, thread);
	}
	if (!(t = task_find(tid)))
		return -ESRCH;
	if (sig < 0 || sig > NSIG_MAX)
		return -EINVAL;
	if (sig == 0)
		return 0;
	return send_signal(sig, &info, thread ? t : NULL);
}
