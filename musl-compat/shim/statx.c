/* statx for glibc-built objects: musl 1.2.3 has no wrapper of the system
 * call; struct statx is the kernel's in both libcs, so the wrapper is the
 * system call (its number from musl's <sys/syscall.h>). */
#define _GNU_SOURCE 1
#include <sys/syscall.h>
#include <unistd.h>

struct statx;
int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf);

int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf)
{
	return (int)syscall(SYS_statx, dirfd, path, flags, mask, buf);
}
