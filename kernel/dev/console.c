/* The console file type: read, write, pread/pwrite, lseek, poll, fstat and
 * the terminal ioctls of a guest descriptor are forwarded to a host
 * descriptor through the platform, so `echo hi | abi-run cat` reads the
 * host's pipe, a terminal stays a terminal (TCGETS answers as the host's
 * does), and a regular file is one, sharing its file position with the
 * host's other users of it (`{ abi-run echo a; echo b; } > out`). Its kind
 * is the host descriptor's: fstat and lseek answer as the host's do. Host
 * directories are never consoles (console_install refuses them; abi-run
 * decides, docs/SECURITY.md "Inherited descriptors").
 *
 * The same file type serves the terminals the guest opens: /dev/tty (the
 * host's controlling terminal), /dev/ptmx (a host pty master) and
 * /dev/pts/N (its slave); those own their host descriptor.
 *
 * A read that would block (a terminal or pipe with nothing to read) sleeps
 * in the one wait with the host descriptor in its wait set, so a signal
 * interrupts it, other threads run, and it wakes on the host's readiness;
 * poll, select and epoll do the same through console_poll. The terminal's
 * job-control ioctls speak of process groups and sessions: the host's
 * answer about abi-run's own group or session is the guest's pid (the
 * guest is its own group and session leader, core/session.c). */
#include <abi/syscalls.h>
#include <kernel/console.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/time.h>
#include "../plat/plat.h"

#define CONSOLE_CHUNK 4096
#define TERMIOS_SIZE 36 /* the kernel's struct termios (x86_64), not glibc's 60-byte one */
#define WINSIZE_SIZE 8

/* A console file's own: the host descriptor and the wait head epoll
 * watches (readiness is found by polling the host: console_poll). */
struct console {
	int hostfd;
	bool own;     /* the host fd is ours to close (/dev/tty, ptys) */
	bool ptmx;    /* a pty master the guest opened (/dev/ptmx) */
	int ptn;      /* its number: /dev/pts/ptn exists while it is open */
	bool regular; /* a regular file or a memory device: never waits */
	int edge_fd;  /* + 1: the host's edges of hostfd, once an EPOLLET item watches */
	struct wait_head wh;
};

static long console_install_host(int hostfd, u32 flags, bool cloexec);

static int hostfd_of(struct file *f)
{
	return ((struct console *)f->priv)->hostfd;
}

static void console_release(struct file *f)
{
	struct console *c = f->priv;

	eventpoll_release(f, &c->wh);
	if (c->ptmx)
		devfs_pts_remove((unsigned int)c->ptn);
	if (c->own)
		plat_console_close(c->hostfd);
	if (c->edge_fd)
		plat_console_close(c->edge_fd - 1);
	kfree(c);
}

/* Waits until the host descriptor has something to read (or its end or an
 * error): 0, -EAGAIN for a nonblocking file, -ERESTARTSYS for a signal
 * (n_tty_read's and pipe_read's code). vfs_lock held. */
static long console_wait_readable(struct file *f)
{
	struct console *c = f->priv;
	struct host_wait hw = { c->hostfd, POLLIN, 0 };
	struct host_waits host = { &hw, 1, 1 };

	for (;;) {
		u32 seq = wait_prepare();

		if (plat_console_poll(c->hostfd, POLLIN) & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_head_sleep(&c->wh, seq, NO_DEADLINE, &host) == -EINTR)
			return -ERESTARTSYS;
	}
}

static long console_read(struct file *f, struct uio *u, s64 pos)
{
	char buf[CONSOLE_CHUNK];
	size_t want = MIN(u->resid, sizeof buf);
	long r;

	if (!want)
		return 0;
	for (;;) {
		if (pos < 0 && !((struct console *)f->priv)->regular &&
		    (r = console_wait_readable(f)) < 0)
			return r;
		r = plat_console_read(hostfd_of(f), buf, want, pos);
		/* the host file is nonblocking (someone else set it): wait again */
		if (r != -EAGAIN || (f->flags & O_NONBLOCK) || pos >= 0)
			break;
	}
	if (r <= 0)
		return r;
	if (uio_copy_out(u, buf, (size_t)r) < (size_t)r)
		return -EFAULT;
	return r;
}

/* Waits until the host descriptor takes a write (a pipe's reader made room,
 * a terminal's output was resumed): as console_wait_readable, for POLLOUT. */
static long console_wait_writable(struct file *f)
{
	struct console *c = f->priv;
	struct host_wait hw = { c->hostfd, POLLOUT, 0 };
	struct host_waits host = { &hw, 1, 1 };

	for (;;) {
		u32 seq = wait_prepare();

		if (plat_console_poll(c->hostfd, POLLOUT) &
		    (POLLOUT | POLLHUP | POLLERR | POLLNVAL))
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_head_sleep(&c->wh, seq, NO_DEADLINE, &host) == -EINTR)
			return -ERESTARTSYS;
	}
}

/* A write to a pipe or terminal that cannot take it now sleeps in the one
 * wait rather than in the host (pipe_write's and n_tty_write's codes: what
 * was written, else -EAGAIN or -ERESTARTSYS); a regular file never waits. */
static long console_write(struct file *f, struct uio *u, s64 pos)
{
	bool wait = pos < 0 && !((struct console *)f->priv)->regular;
	char buf[CONSOLE_CHUNK];
	long done = 0, r;

	while (u->resid) {
		size_t n = uio_copy_in(u, buf, MIN(u->resid, sizeof buf));
		size_t off = 0;

		if (!n)
			return done ? done : -EFAULT;
		while (off < n) {
			if (wait && (r = console_wait_writable(f)) < 0)
				return done ? done : r;
			r = plat_console_write(hostfd_of(f), buf + off, n - off,
					       pos < 0 ? pos : pos + done);
			if (r == -EAGAIN && wait && !(f->flags & O_NONBLOCK))
				continue; /* the host file is nonblocking: wait again */
			if (r < 0)
				return done ? done : r;
			off += (size_t)r;
			done += r;
		}
	}
	return done;
}

/* The host's readiness changes without a wake-up here (a key pressed, a
 * pipe's writer): a sleeper waits on the host fd itself (poll_wait_host),
 * and epoll's level-triggered items are queued here when it is ready.
 * EPOLLET items follow the host's own edges (new input, room made): once
 * one watches, a host epoll fd collects them, epoll takes them here, and a
 * sleeper for an edge waits on that fd, since the host fd itself may stay
 * ready with nothing new. */
static unsigned int console_poll(struct file *f, struct poll_table *pt)
{
	struct console *c = f->priv;
	unsigned int r = (unsigned int)plat_console_poll(c->hostfd, POLLIN | POLLOUT | POLLRDNORM |
									    POLLWRNORM | POLLPRI);
	bool et = pt && (pt->want & EPOLLET);

	if (et && !c->edge_fd) {
		long e = plat_console_edge_open(c->hostfd);

		if (e >= 0)
			c->edge_fd = (int)e + 1;
	}
	if (pt) {
		unsigned int edges = c->edge_fd ? plat_console_edges(c->edge_fd - 1) : 0;

		pt->head = &c->wh;
		if (edges && !list_empty(&c->wh.items))
			ep_wake_items(&c->wh, edges);
		if (et && c->edge_fd)
			poll_wait_host_events(pt, c->edge_fd - 1, POLLIN);
		else if (!(r & pt->want))
			poll_wait_host(pt, c->hostfd);
	}
	if (r && !list_empty(&c->wh.items))
		ep_wake_level_items(&c->wh, r);
	return r;
}

/* The guest sees abi-run's own process group and session as its pid. */
static int pgrp_to_guest(int host)
{
	int pgrp, sid;

	plat_console_host_ids(&pgrp, &sid);
	return host == pgrp ? current_proc.pid : host;
}

static int sid_to_guest(int host)
{
	int pgrp, sid;

	plat_console_host_ids(&pgrp, &sid);
	return host == sid ? current_proc.pid : host;
}

/* Linux's tiocspgrp: a negative group is EINVAL; the guest's only group is
 * its own, any other is ESRCH; the host then checks the terminal is ours
 * (ENOTTY) and that we may change it (SIGTTOU from the background). */
static long console_tiocspgrp(int hostfd, uptr argp)
{
	int pgrp, hpgrp, hsid, tsid;

	/* first of all, the terminal must be the caller's controlling one */
	plat_console_host_ids(&hpgrp, &hsid);
	if (plat_console_ioctl(hostfd, TIOCGSID, &tsid) < 0 || tsid != hsid)
		return -ENOTTY;
	if (copy_from_user(&pgrp, argp, sizeof pgrp) < 0)
		return -EFAULT;
	if (pgrp < 0)
		return -EINVAL;
	if (pgrp != current_proc.pid)
		return -ESRCH;
	return plat_console_ioctl(hostfd, TIOCSPGRP, &hpgrp);
}

/* Linux's tiocsctty: a session leader whose controlling terminal this is
 * already gets 0; the guest, a session leader, otherwise has one (the
 * host's) or it is not its to take: EPERM. */
static long console_tiocsctty(int hostfd)
{
	u8 termios[TERMIOS_SIZE];
	int tsid, hpgrp, hsid;
	long r = plat_console_ioctl(hostfd, TCGETS, termios);

	if (r < 0)
		return r; /* not a terminal: ENOTTY */
	plat_console_host_ids(&hpgrp, &hsid);
	if (plat_console_ioctl(hostfd, TIOCGSID, &tsid) == 0 && tsid == hsid)
		return 0;
	return -EPERM;
}

/* TIOCGPTPEER: the slave of a pty master (the host's answer on anything
 * else: EIO on a slave), installed as a new console descriptor. */
static long console_ptpeer(struct file *f, unsigned long flags)
{
	long hostfd;
	u32 fl;

	/* the host checks the end and the flags (Linux ignores unknown ones);
	 * its descriptor is never inherited, ours gets the guest's flags */
	hostfd = plat_console_ioctl(hostfd_of(f), TIOCGPTPEER,
				    (void *)(uintptr_t)((u32)flags | O_NOCTTY | O_CLOEXEC));
	if (hostfd < 0)
		return hostfd;
	fl = (u32)flags & (O_ACCMODE | O_NONBLOCK | O_APPEND);
	return console_install_host((int)hostfd, fl, flags & O_CLOEXEC);
}

static long console_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct console *c = f->priv;
	u8 buf[TERMIOS_SIZE];
	uptr argp = { arg };
	size_t size;
	bool in;
	long r;

	switch (cmd) {
	case TCGETS:
		size = TERMIOS_SIZE, in = false;
		break;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		size = TERMIOS_SIZE, in = true;
		break;
	case TIOCGWINSZ: /* the host's, each time: a resize shows at once */
		size = WINSIZE_SIZE, in = false;
		break;
	case TIOCSWINSZ:
		size = WINSIZE_SIZE, in = true;
		break;
	case TIOCGPGRP:
	case TIOCGSID:
	case TIOCOUTQ:
	case FIONREAD:
	case TIOCGPTN: /* a pty master's (the host says ENOTTY for others) */
		size = sizeof(int), in = false;
		break;
	case TIOCSPTLCK:
		size = sizeof(int), in = true;
		break;
	case TIOCSPGRP:
		return console_tiocspgrp(c->hostfd, argp);
	case TIOCSCTTY:
		return console_tiocsctty(c->hostfd);
	case TIOCGPTPEER:
		return console_ptpeer(f, arg);
	case TCFLSH:
	case TCXONC:
	case TCSBRK:
	case TCSBRKP:
		/* an int by value: the host checks it as Linux does */
		return plat_console_ioctl(c->hostfd, cmd, (void *)(uintptr_t)(int)arg);
	default:
		return -ENOTTY;
	}
	if (in && copy_from_user(buf, argp, size) < 0)
		return -EFAULT;
	r = plat_console_ioctl(c->hostfd, cmd, buf);
	if (r < 0)
		return r;
	if (cmd == TIOCGPGRP || cmd == TIOCGSID) {
		int v;

		memcpy(&v, buf, sizeof v);
		v = cmd == TIOCGPGRP ? pgrp_to_guest(v) : sid_to_guest(v);
		memcpy(buf, &v, sizeof v);
	}
	if (!in && copy_to_user(argp, buf, size) < 0)
		return -EFAULT;
	return r;
}

static long console_dname(struct file *f, char *buf, size_t len)
{
	static const char name[] = "/dev/console";

	(void)f;
	strlcpy(buf, name, len);
	return (long)MIN(len ? len - 1 : 0, sizeof name - 1);
}

/* The host's answer: ESPIPE for a terminal or a pipe, a position for a
 * regular file or /dev/null. */
static long console_llseek(struct file *f, s64 off, int whence)
{
	return plat_console_lseek(hostfd_of(f), off, whence);
}

/* fstat: the host descriptor's, but for the device and inode numbers (the
 * anonymous file system's, in the guest's namespace). */
static void console_getattr(struct inode *ino)
{
	struct plat_stat st;

	if (plat_console_stat((int)(uintptr_t)ino->priv, &st) == 0)
		inode_set_host_attrs(ino, &st);
}

static const struct inode_ops console_iops = { .getattr = console_getattr };

/* stream: read and write reach the host at its own file position (pos -1)
 * or, for pread/pwrite, at pos; the host refuses those where Linux does. */
static const struct file_ops console_fops = {
	.release = console_release,
	.read = console_read,
	.write = console_write,
	.poll = console_poll,
	.ioctl = console_ioctl,
	.dname = console_dname,
	.llseek = console_llseek,
	.stream = true,
	.fasync = true, /* ttys and pipes, what the host's 0-2 usually are */
};

/* A terminal the guest opened by path: named by its path. */
static const struct file_ops console_tty_fops = {
	.release = console_release,
	.read = console_read,
	.write = console_write,
	.poll = console_poll,
	.ioctl = console_ioctl,
	.llseek = console_llseek,
	.stream = true,
	.fasync = true,
};

/* A regular file: no poll op, as Linux's (poll says ready, epoll_ctl
 * refuses it with EPERM). */
static const struct file_ops console_file_fops = {
	.release = console_release,
	.read = console_read,
	.write = console_write,
	.ioctl = console_ioctl,
	.dname = console_dname,
	.llseek = console_llseek,
	.stream = true,
};

/* Linux's UNIX98_PTY_SLAVE_MAJOR and the 7 majors after it; rdev in
 * new_encode_dev's layout. */
static u32 dev_major(u64 rdev)
{
	return (u32)((rdev >> 8) & 0xfff);
}

static unsigned int pty_index(u64 rdev)
{
	unsigned int minor = (unsigned int)((rdev & 0xff) | ((rdev >> 12) & ~0xffu));

	return (dev_major(rdev) - 136) * 256 + minor;
}

static bool is_pty_slave(const struct plat_stat *st)
{
	return S_ISCHR(st->mode) && dev_major(st->rdev) >= 136 && dev_major(st->rdev) < 144;
}

/* A regular file, or /dev/null, /dev/zero, /dev/full, /dev/random or
 * /dev/urandom (1:3, 5, 7, 8, 9; not /dev/kmsg, 1:11, whose reads wait),
 * which never block: reading or writing one needs no poll of the host
 * first (a host call per write to a program's stdout on /dev/null). */
static bool never_waits(const struct plat_stat *st)
{
	u64 minor = st->rdev & 0xff;

	if (S_ISREG(st->mode))
		return true;
	return S_ISCHR(st->mode) && dev_major(st->rdev) == 1 && (st->rdev >> 20) == 0 &&
	       (minor == 3 || minor == 5 || minor == 7 || minor == 8 || minor == 9);
}

static struct console *console_new(int hostfd, bool own, bool regular)
{
	struct console *c = kzalloc(sizeof *c);

	if (!c)
		return NULL;
	c->hostfd = hostfd;
	c->own = own;
	c->regular = regular;
	wait_head_init(&c->wh);
	return c;
}

/* A console file on an anonymous inode of the host descriptor's kind. */
static struct file *console_file(int hostfd, bool own, u32 flags, long *err)
{
	struct plat_stat st;
	struct console *c;
	struct inode *ino;
	struct file *f;

	if (plat_console_stat(hostfd, &st) < 0) {
		*err = -EBADF; /* not open on the host: leave the guest's closed too */
		return NULL;
	}
	if (S_ISDIR(st.mode)) {
		*err = -EISDIR;
		return NULL;
	}
	*err = -ENOMEM;
	if (!(c = console_new(hostfd, own, never_waits(&st))))
		return NULL;
	kmutex_lock(&vfs_lock);
	if (is_pty_slave(&st)) {
		/* the guest sees it as its /dev/pts/N (ttyname, /proc/self/fd) */
		f = devfs_pts_file(pty_index(st.rdev), st.uid, st.gid, st.mode, flags);
		if (f) {
			f->ops = &console_tty_fops;
			f->priv = c;
			kmutex_unlock(&vfs_lock);
			return f;
		}
		/* no devpts (or no memory for its node): an anonymous file */
	}
	ino = anon_inode_new(st.mode);
	if (ino) {
		ino->iops = &console_iops;
		ino->priv = (void *)(uintptr_t)hostfd;
		inode_set_host_attrs(ino, &st); /* the stat just made */
		f = anon_file_new(ino, S_ISREG(st.mode) ? &console_file_fops : &console_fops, flags,
				  c);
		iput(ino);
	} else {
		f = NULL;
	}
	kmutex_unlock(&vfs_lock);
	if (!f)
		kfree(c);
	return f;
}

long console_install(unsigned int fd, int hostfd, u32 flags)
{
	struct file *f;
	long r;

	if (!(f = console_file(hostfd, false, flags, &r)))
		return r;
	r = fd_replace(fd, f, false); /* takes our reference on success */
	if (r < 0)
		fput(f);
	return r < 0 ? r : (long)fd;
}

static long console_install_host(int hostfd, u32 flags, bool cloexec)
{
	struct file *f;
	long r;

	if (!(f = console_file(hostfd, true, flags, &r))) {
		plat_console_close(hostfd);
		return r;
	}
	r = fd_install(f, 0, cloexec);
	if (r < 0)
		fput(f); /* closes the host fd */
	return r;
}

/* Makes f, being opened on a device node, a console file on hostfd (ours
 * to close); its path and inode stay the node's. */
static long console_adopt(struct file *f, long hostfd, bool ptmx)
{
	struct console *c;

	if (hostfd < 0)
		return hostfd;
	if (!(c = console_new((int)hostfd, true, false))) {
		plat_console_close((int)hostfd);
		return -ENOMEM;
	}
	if (ptmx && plat_console_ioctl((int)hostfd, TIOCGPTN, &c->ptn) == 0) {
		c->ptmx = true;
		devfs_pts_add((unsigned int)c->ptn, current_proc.cred.fsuid);
	}
	f->priv = c;
	f->ops = &console_tty_fops;
	return 0;
}

/* /dev/tty: the host's controlling terminal (ENXIO without one, as Linux). */
static long tty_open(struct inode *ino, struct file *f)
{
	(void)ino;
	return console_adopt(f, plat_console_open_tty(), false);
}

/* /dev/ptmx: a new host pty; its slave is the host's /dev/pts/N, reached
 * through TIOCGPTPEER or /dev/pts/N. */
static long ptmx_open(struct inode *ino, struct file *f)
{
	(void)ino;
	return console_adopt(f, plat_console_open_ptmx(), true);
}

/* /dev/pts/N: the host's pty slave N. */
static long pts_open(struct inode *ino, struct file *f)
{
	return console_adopt(f,
			     plat_console_open_pts((unsigned int)(ino->rdev & 0xff) |
						   (unsigned int)((ino->rdev >> 12) & ~0xffu)),
			     false);
}

const struct file_ops dev_tty_fops = { .open = tty_open };
const struct file_ops dev_ptmx_fops = { .open = ptmx_open };
const struct file_ops dev_pts_fops = { .open = pts_open };
