/* The console: the guest's fds 0, 1 and 2 forwarded to the host's. */
#include <kernel/linux.h>
#include "../plat.h"
#include "syscall.h"

long plat_console_read(int hostfd, void *buf, size_t len, s64 pos)
{
	long r;

	do
		r = pos < 0 ? host_syscall3(HOST_NR(read), hostfd, buf, len)
			    : host_syscall4(HOST_NR(pread64), hostfd, buf, len, pos);
	while (r == -EINTR);
	return r;
}

long plat_console_write(int hostfd, const void *buf, size_t len, s64 pos)
{
	long r;

	do
		r = pos < 0 ? host_syscall3(HOST_NR(write), hostfd, buf, len)
			    : host_syscall4(HOST_NR(pwrite64), hostfd, buf, len, pos);
	while (r == -EINTR);
	return r;
}

long plat_console_lseek(int hostfd, s64 off, int whence)
{
	return host_syscall3(HOST_NR(lseek), hostfd, off, whence);
}

long plat_console_ioctl(int hostfd, unsigned int cmd, void *arg)
{
	return host_syscall3(HOST_NR(ioctl), hostfd, cmd, arg);
}

int plat_console_poll(int hostfd, int events)
{
	struct {
		int fd;
		short events, revents;
	} p = { hostfd, (short)events, 0 };
	long r = host_syscall3(HOST_NR(poll), &p, 1, 0);

	return r < 0 ? 0 : p.revents;
}

#define HOST_TIOCGSID 0x5429

static long open_rw(const char *path)
{
	return host_syscall4(HOST_NR(openat), AT_FDCWD, path, O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
}

/* The host's /dev/tty, or where a path open is not allowed (Landlock
 * outside the trees), a duplicate of whichever of fds 0-2 is abi-run's
 * controlling terminal. */
long plat_console_open_tty(void)
{
	long r = open_rw("/dev/tty"), sid = host_syscall1(HOST_NR(getsid), 0);

	if (r >= 0 || r == -ENXIO)
		return r;
	for (int fd = 0; fd < 3; fd++) {
		int tsid;

		if (host_syscall3(HOST_NR(ioctl), fd, HOST_TIOCGSID, &tsid) == 0 && tsid == sid)
			return host_syscall3(HOST_NR(fcntl), fd, F_DUPFD_CLOEXEC, 3);
	}
	return r == -ENOENT || r == -EACCES ? -ENXIO : r;
}

long plat_console_open_ptmx(void)
{
	return open_rw("/dev/ptmx");
}

/* Linux's new_encode_dev of pty slave n: major 136, minor n (20 bits). */
static u64 pts_rdev(unsigned int n)
{
	u64 major = 136, minor = n;

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffULL) << 12);
}

long plat_console_open_pts(unsigned int n)
{
	char path[32] = "/dev/pts/";
	char digits[12];
	unsigned int want = n;
	int i = 0, len = 9;
	long r;

	do
		digits[i++] = (char)('0' + n % 10);
	while ((n /= 10) && i < 11);
	while (i)
		path[len++] = digits[--i];
	path[len] = 0;
	r = open_rw(path);
	if (r != -EACCES)
		return r;
	/* Landlock keeps the host's /dev out: the same terminal, when one of
	 * fds 0-2 is it (a reopen of /proc/self/fd/0, ttyname's path) */
	for (int fd = 0; fd < 3; fd++) {
		struct plat_stat st;

		if (host_fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 &&
		    (st.mode & S_IFMT) == S_IFCHR && st.rdev == pts_rdev(want))
			return host_syscall3(HOST_NR(fcntl), fd, F_DUPFD_CLOEXEC, 3);
	}
	return r;
}

void plat_console_close(int hostfd)
{
	host_syscall1(HOST_NR(close), hostfd);
}

void plat_console_host_ids(int *pgrp, int *sid)
{
	*pgrp = (int)host_syscall1(HOST_NR(getpgid), 0);
	*sid = (int)host_syscall1(HOST_NR(getsid), 0);
}

long plat_console_edge_open(int hostfd)
{
	struct {
		u32 events;
		u64 data;
	} __attribute__((packed)) ev = { EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET, 0 };
	long ep = host_syscall1(HOST_NR(epoll_create1), EPOLL_CLOEXEC), r;

	if (ep < 0)
		return ep;
	if ((r = host_syscall4(HOST_NR(epoll_ctl), ep, EPOLL_CTL_ADD, hostfd, &ev)) < 0) {
		host_syscall1(HOST_NR(close), ep);
		return r;
	}
	return ep;
}

unsigned int plat_console_edges(int epfd)
{
	struct {
		u32 events;
		u64 data;
	} __attribute__((packed)) ev = { 0, 0 };

	return host_syscall4(HOST_NR(epoll_wait), epfd, &ev, 1, 0) == 1 ? ev.events : 0;
}

long plat_console_stat(int hostfd, struct plat_stat *st)
{
	return host_fstatat(hostfd, "", st, AT_EMPTY_PATH);
}

long host_fstatat(int dirfd, const char *path, struct plat_stat *st, int flags)
{
	struct linux_stat hs; /* the host is x86_64: same layout as ours */
	long r = host_syscall4(HOST_NR(newfstatat), dirfd, path, &hs, flags);

	if (r < 0)
		return r;
	st->dev = hs.st_dev;
	st->ino = hs.st_ino;
	st->nlink = hs.st_nlink;
	st->rdev = hs.st_rdev;
	st->mode = hs.st_mode;
	st->uid = hs.st_uid;
	st->gid = hs.st_gid;
	st->size = hs.st_size;
	st->blksize = hs.st_blksize;
	st->blocks = hs.st_blocks;
	st->atime_sec = (s64)hs.st_atime_sec;
	st->atime_nsec = (s64)hs.st_atime_nsec;
	st->mtime_sec = (s64)hs.st_mtime_sec;
	st->mtime_nsec = (s64)hs.st_mtime_nsec;
	st->ctime_sec = (s64)hs.st_ctime_sec;
	st->ctime_nsec = (s64)hs.st_ctime_nsec;
	return 0;
}
