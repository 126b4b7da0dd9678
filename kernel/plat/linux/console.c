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
