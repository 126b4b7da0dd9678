/* The console file type: read, write, poll and the terminal ioctls of a
 * guest descriptor are forwarded to a host descriptor through the platform,
 * so `echo hi | abi-run cat` reads the host's pipe and a terminal stays a
 * terminal (TCGETS answers as the host's does). Reads block the host thread. */
#include <abi/syscalls.h>
#include <kernel/console.h>
#include <kernel/fd.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include "../plat/plat.h"

#define CONSOLE_CHUNK 4096
#define TERMIOS_SIZE 36 /* the kernel's struct termios (x86_64), not glibc's 60-byte one */
#define WINSIZE_SIZE 8

static int hostfd_of(struct file *f)
{
	return (int)(uintptr_t)f->priv;
}

static long console_read(struct file *f, struct uio *u, s64 pos)
{
	char buf[CONSOLE_CHUNK];
	size_t want = MIN(u->resid, sizeof buf);
	long r;

	(void)pos;
	if (!want)
		return 0;
	r = plat_console_read(hostfd_of(f), buf, want);
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

	(void)pos;
	while (u->resid) {
		size_t n = uio_copy_in(u, buf, MIN(u->resid, sizeof buf));
		size_t off = 0;

		if (!n)
			return done ? done : -EFAULT;
		while (off < n) {
			long r = plat_console_write(hostfd_of(f), buf + off, n - off);

			if (r < 0)
				return done ? done : r;
			off += (size_t)r;
			done += r;
		}
	}
	return done;
}

static unsigned int console_poll(struct file *f, struct poll_table *pt)
{
	(void)pt;
	return (unsigned int)plat_console_poll(hostfd_of(f),
					       POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
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

/* Terminals and pipes do not seek (Linux's no_llseek). */
static long console_llseek(struct file *f, s64 off, int whence)
{
	(void)f, (void)off, (void)whence;
	return -ESPIPE;
}

static const struct file_ops console_fops = {
	.read = console_read,
	.write = console_write,
	.poll = console_poll,
	.ioctl = console_ioctl,
	.dname = console_dname,
	.llseek = console_llseek,
	.no_pread = true,
	.stream = true,
	.fasync = true, /* ttys and pipes, what the host's 0-2 usually are */
};

long console_install(unsigned int fd, int hostfd, u32 flags)
{
	u32 mode = plat_console_mode(hostfd);
	struct inode *ino;
	struct file *f;
	long r;

	if (!mode)
		return -EBADF; /* not open on the host: leave the guest's closed too */
	ino = anon_inode_new((mode & S_IFMT) | 0620);
	if (!ino)
		return -ENOMEM;
	ino->uid = current_proc.cred.uid;
	ino->gid = current_proc.cred.gid;
	f = anon_file_new(ino, &console_fops, flags, (void *)(uintptr_t)hostfd);
	iput(ino);
	if (!f)
		return -ENOMEM;
	r = fd_replace(fd, f, false); /* takes our reference on success */
	if (r < 0)
		fput(f);
	return r < 0 ? r : (long)fd;
}
