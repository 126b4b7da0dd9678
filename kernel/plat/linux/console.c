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

long plat_console_stat(int hostfd, struct plat_console_stat *st)
{
	/* struct stat (x86_64), as u64 words: 1 ino, 2 nlink, 3 mode (low) and
	 * uid (high), 4 gid, 5 rdev, 6 size, 8 blocks, 9-14 the times. */
	u64 w[18];
	long r = host_syscall2(HOST_NR(fstat), hostfd, w);

	if (r < 0)
		return r;
	st->ino = w[1];
	st->nlink = w[2];
	st->mode = (u32)w[3];
	st->uid = (u32)(w[3] >> 32);
	st->gid = (u32)w[4];
	st->rdev = w[5];
	st->size = (s64)w[6];
	st->blocks = (s64)w[8];
	st->atime_sec = (s64)w[9], st->atime_nsec = (s64)w[10];
	st->mtime_sec = (s64)w[11], st->mtime_nsec = (s64)w[12];
	st->ctime_sec = (s64)w[13], st->ctime_nsec = (s64)w[14];
	return 0;
}
