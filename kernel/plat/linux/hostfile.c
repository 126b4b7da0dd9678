/* The Linux implementation of kernel/plat/plat_hostfile.h, the host-file
 * contract of hostfs and the hosted start-up: raw host syscalls on host
 * descriptors, no libc. */
#include <kernel/linux.h>
#include "../plat_hostfile.h"
#include "syscall.h"

long plat_host_openat(int dirfd, const char *path, int flags, int mode)
{
	return host_syscall4(HOST_NR(openat), dirfd, path, flags, mode);
}

/* Host call numbers newer than the syscall table (x86_64 numbering). */
#define HOST_NR_fchmodat2 452

long plat_host_openat_beneath(int dirfd, const char *path, int flags)
{
	struct {
		u64 flags, mode, resolve;
	} how = { (u64)(unsigned int)flags, 0,
		  RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };

	return host_syscall4(HOST_NR(openat2), dirfd, path, &how, sizeof how);
}

long plat_host_close(int fd)
{
	return host_syscall1(HOST_NR(close), fd);
}

long plat_host_pread(int fd, void *buf, size_t len, s64 off)
{
	return host_syscall4(HOST_NR(pread64), fd, buf, len, off);
}

long plat_host_pwrite(int fd, const void *buf, size_t len, s64 off)
{
	return host_syscall4(HOST_NR(pwrite64), fd, buf, len, off);
}

long plat_host_fstatat(int dirfd, const char *path, struct plat_stat *st, int flags)
{
	return host_fstatat(dirfd, path, st, flags);
}

long plat_host_getdents64(int fd, void *buf, size_t len)
{
	return host_syscall3(HOST_NR(getdents64), fd, buf, len);
}

long plat_host_lseek(int fd, s64 off, int whence)
{
	return host_syscall3(HOST_NR(lseek), fd, off, whence);
}

long plat_host_mkdirat(int dirfd, const char *path, int mode)
{
	return host_syscall3(HOST_NR(mkdirat), dirfd, path, mode);
}

long plat_host_unlinkat(int dirfd, const char *path, int flags)
{
	return host_syscall3(HOST_NR(unlinkat), dirfd, path, flags);
}

long plat_host_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
			 unsigned int flags)
{
	return host_syscall5(HOST_NR(renameat2), olddirfd, oldpath, newdirfd, newpath, flags);
}

long plat_host_readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	return host_syscall4(HOST_NR(readlinkat), dirfd, path, buf, len);
}

long plat_host_symlinkat(const char *target, int dirfd, const char *path)
{
	return host_syscall3(HOST_NR(symlinkat), target, dirfd, path);
}

long plat_host_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		      int flags)
{
	return host_syscall5(HOST_NR(linkat), olddirfd, oldpath, newdirfd, newpath, flags);
}

long plat_host_ftruncate(int fd, s64 len)
{
	return host_syscall2(HOST_NR(ftruncate), fd, len);
}

long plat_host_fsync(int fd)
{
	return host_syscall1(HOST_NR(fsync), fd);
}

long plat_host_set_append(int fd, bool append)
{
	long fl = host_syscall2(HOST_NR(fcntl), fd, F_GETFL);

	if (fl < 0)
		return fl;
	fl = append ? fl | O_APPEND : fl & ~(long)O_APPEND;
	return host_syscall3(HOST_NR(fcntl), fd, F_SETFL, fl);
}

long plat_host_fchmod(int fd, int mode)
{
	return host_syscall2(HOST_NR(fchmod), fd, mode);
}

bool plat_host_has_fchmodat2(void)
{
	static int has = -1;

	/* a bad descriptor: EBADF where the call exists, ENOSYS where not */
	if (has < 0)
		has = host_syscall4(HOST_NR_fchmodat2, -1, "x", 0, AT_SYMLINK_NOFOLLOW) != -ENOSYS;
	return has;
}

long plat_host_fchmod_path(int fd, int mode)
{
	char path[PLAT_FD_PATH_MAX];
	struct plat_stat st;
	long r;

	if (plat_host_has_fchmodat2())
		return host_syscall4(HOST_NR_fchmodat2, fd, "", mode, AT_EMPTY_PATH);
	/* the magic link leads to exactly fd's file, and would follow a
	 * symlink fd holds: a symlink's own mode is not changed (lchmod) */
	if ((r = plat_host_fstatat(fd, "", &st, AT_EMPTY_PATH)) < 0)
		return r;
	if (S_ISLNK(st.mode))
		return -EOPNOTSUPP;
	r = host_syscall3(HOST_NR(fchmodat), AT_FDCWD, plat_host_fd_path(fd, path), mode);
	return r == -ENOENT ? -EOPNOTSUPP : r;
}

long plat_host_fchownat(int dirfd, const char *path, u32 uid, u32 gid, int flags)
{
	return host_syscall5(HOST_NR(fchownat), dirfd, path, uid, gid, flags);
}

long plat_host_utimensat(int dirfd, const char *path, const s64 *times, int flags)
{
	return host_syscall4(HOST_NR(utimensat), dirfd, path, times, flags);
}

long plat_host_fallocate(int fd, int mode, s64 off, s64 len)
{
	return host_syscall4(HOST_NR(fallocate), fd, mode, off, len);
}

long plat_host_fdatasync(int fd)
{
	return host_syscall1(HOST_NR(fdatasync), fd);
}

/* The f- xattr calls refuse an O_PATH fd (EBADF); for one, the path call
 * on "/proc/self/fd/N" acts on it instead: the host jumps through that magic
 * link to exactly the file the fd holds, walks no other name and does not
 * follow a symlink it lands on (so a symlink's own attributes are reached,
 * as Linux 6.18 shows; the l- forms would act on the /proc link itself).
 * getxattrat and its siblings (Linux 6.13) do not help: with AT_EMPTY_PATH
 * they refuse an O_PATH fd as the f- calls do (EBADF, Linux 6.18). A host
 * without /proc has no way to reach the file: EOPNOTSUPP. */
const char *plat_host_fd_path(int fd, char buf[PLAT_FD_PATH_MAX])
{
	static const char prefix[] = "/proc/self/fd/";
	char digits[12];
	size_t n = 0, len = sizeof prefix - 1;
	unsigned int v = (unsigned int)fd;

	for (size_t i = 0; i < len; i++)
		buf[i] = prefix[i];
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[len++] = digits[--n];
	buf[len] = 0;
	return buf;
}

static long proc_fd_result(long r)
{
	return r == -ENOENT ? -EOPNOTSUPP : r;
}

long plat_host_fstatfs(int fd, struct linux_statfs *st)
{
	return host_syscall2(HOST_NR(fstatfs), fd, st);
}

long plat_host_fgetxattr(int fd, const char *name, void *buf, size_t size)
{
	long r = host_syscall4(HOST_NR(fgetxattr), fd, name, buf, size);
	char path[PLAT_FD_PATH_MAX];

	if (r != -EBADF)
		return r;
	return proc_fd_result(
		host_syscall4(HOST_NR(getxattr), plat_host_fd_path(fd, path), name, buf, size));
}

long plat_host_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
	long r = host_syscall5(HOST_NR(fsetxattr), fd, name, value, size, flags);
	char path[PLAT_FD_PATH_MAX];

	if (r != -EBADF)
		return r;
	return proc_fd_result(host_syscall5(HOST_NR(setxattr), plat_host_fd_path(fd, path), name,
					    value, size, flags));
}

long plat_host_flistxattr(int fd, char *buf, size_t size)
{
	long r = host_syscall3(HOST_NR(flistxattr), fd, buf, size);
	char path[PLAT_FD_PATH_MAX];

	if (r != -EBADF)
		return r;
	return proc_fd_result(
		host_syscall3(HOST_NR(listxattr), plat_host_fd_path(fd, path), buf, size));
}

long plat_host_fremovexattr(int fd, const char *name)
{
	long r = host_syscall2(HOST_NR(fremovexattr), fd, name);
	char path[PLAT_FD_PATH_MAX];

	if (r != -EBADF)
		return r;
	return proc_fd_result(
		host_syscall2(HOST_NR(removexattr), plat_host_fd_path(fd, path), name));
}
