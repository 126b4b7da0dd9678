/* The console file type: read, write, pread/pwrite, lseek, poll, fstat and
 * the terminal ioctls of a guest descriptor are forwarded to a host
 * descriptor through the platform, so `echo hi | abi-run cat` reads the
 * host's pipe, a terminal stays a terminal (TCGETS answers as the host's
 * does), and a regular file is one, sharing its file position with the
 * host's other users of it (`{ abi-run echo a; echo b; } > out`). Its kind
 * is the host descriptor's: fstat and lseek answer as the host's do. Host
 * directories are never consoles (console_install refuses them; abi-run
 * decides, docs/SECURITY.md "Inherited descriptors"). Reads block the host
 * thread. */
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
	struct wait_head wh;
};

static int hostfd_of(struct file *f)
{
	return ((struct console *)f->priv)->hostfd;
}

static void console_release(struct file *f)
{
	struct console *c = f->priv;

	eventpoll_release(f, &c->wh);
	kfree(c);
}

static long console_read(struct file *f, struct uio *u, s64 pos)
{
	char buf[CONSOLE_CHUNK];
	size_t want = MIN(u->resid, sizeof buf);
	long r;

	if (!want)
		return 0;
	r = plat_console_read(hostfd_of(f), buf, want, pos);
	if (r <= 0)
		return r;
	if (uio_copy_out(u, buf, (size_t)r) < (size_t)r)
		return -EFAULT;
	return r;
}

static long console_write(struct file *f, struct uio *u, s64 pos)
{
	char buf[CONSOLE_CHUNK];
	long done = 0;

	while (u->resid) {
		size_t n = uio_copy_in(u, buf, MIN(u->resid, sizeof buf));
		size_t off = 0;

		if (!n)
			return done ? done : -EFAULT;
		while (off < n) {
			long r = plat_console_write(hostfd_of(f), buf + off, n - off,
						    pos < 0 ? pos : pos + done);

			if (r < 0)
				return done ? done : r;
			off += (size_t)r;
			done += r;
		}
	}
	return done;
}

/* The host's readiness changes without a wake-up here (a pipe's writer, a
 * key pressed): a waiting poll, select or epoll looks again every
 * CONSOLE_POLL_NS while the host descriptor is not readable and writable. */
#define CONSOLE_POLL_NS (10 * NSEC_PER_MSEC)

static unsigned int console_poll(struct file *f, struct poll_table *pt)
{
	struct console *c = f->priv;
	unsigned int r = (unsigned int)plat_console_poll(c->hostfd, POLLIN | POLLOUT | POLLRDNORM |
									    POLLWRNORM);

	if (pt) {
		pt->head = &c->wh;
		if ((r & (POLLIN | POLLOUT)) != (POLLIN | POLLOUT))
			pt->deadline = deadline_after(CONSOLE_POLL_NS);
	}
	/* epoll's watchers learn it here (epoll_wait polls again at the
	 * deadline); the ready list takes an item once. */
	if (r && !list_empty(&c->wh.items))
		ep_wake_items(&c->wh, r);
	return r;
}

static long console_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
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
	case TIOCGWINSZ:
		size = WINSIZE_SIZE, in = false;
		break;
	case TIOCSWINSZ:
		size = WINSIZE_SIZE, in = true;
		break;
	default:
		return -ENOTTY;
	}
	if (in && copy_from_user(buf, argp, size) < 0)
		return -EFAULT;
	r = plat_console_ioctl(hostfd_of(f), cmd, buf);
	if (r < 0)
		return r;
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

long console_install(unsigned int fd, int hostfd, u32 flags)
{
	struct plat_stat st;
	struct console *c;
	struct inode *ino;
	struct file *f;
	long r;

	if (plat_console_stat(hostfd, &st) < 0)
		return -EBADF; /* not open on the host: leave the guest's closed too */
	if (S_ISDIR(st.mode))
		return -EISDIR;
	if (!(c = kzalloc(sizeof *c)))
		return -ENOMEM;
	c->hostfd = hostfd;
	wait_head_init(&c->wh);
	ino = anon_inode_new(st.mode);
	if (!ino) {
		kfree(c);
		return -ENOMEM;
	}
	ino->iops = &console_iops;
	ino->priv = (void *)(uintptr_t)hostfd;
	console_getattr(ino);
	f = anon_file_new(ino, S_ISREG(st.mode) ? &console_file_fops : &console_fops, flags, c);
	iput(ino);
	if (!f) {
		kfree(c);
		return -ENOMEM;
	}
	r = fd_replace(fd, f, false); /* takes our reference on success */
	if (r < 0)
		fput(f);
	return r < 0 ? r : (long)fd;
}
