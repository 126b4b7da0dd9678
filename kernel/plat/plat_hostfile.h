/* The host-file contract: a platform that has host files (a host
 * filesystem the kernel may open, read and change) implements these; only
 * hostfs (kernel/fs/hostfs) and the hosted start-up (abi-run's loading of
 * the program) use them, so a platform without host files (a VM, an
 * emulator with no host directory) need not provide them. Mapping a host
 * file is plat_host_mmap_file of plat.h, which the page pool uses too.
 * Errors are negative errno values in the kernel's (x86_64) numbering. */
#ifndef ABI_PLAT_HOSTFILE_H
#define ABI_PLAT_HOSTFILE_H

#include <abi/types.h>
#include "plat.h" /* struct plat_stat */

/* Host descriptors are plain ints; paths are relative to dirfd and are
 * resolved by the caller (hostfs confines them), so these never follow a
 * final symlink unless asked. flags are host open flags (x86_64 values). */
long plat_host_openat(int dirfd, const char *path, int flags, int mode);
/* openat2 confined to dirfd: a walk that never leaves dirfd (no "..", no
 * absolute path) and follows no symlink and no /proc magic link on the way
 * or at the end (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS); path may have several components. -ENOSYS on a
 * host without openat2 (Linux before 5.6). */
long plat_host_openat_beneath(int dirfd, const char *path, int flags);
long plat_host_close(int fd);
long plat_host_pread(int fd, void *buf, size_t len, s64 off);
long plat_host_pwrite(int fd, const void *buf, size_t len, s64 off);
long plat_host_fstatat(int dirfd, const char *path, struct plat_stat *st, int flags);
long plat_host_getdents64(int fd, void *buf, size_t len);
long plat_host_lseek(int fd, s64 off, int whence);
long plat_host_mkdirat(int dirfd, const char *path, int mode);
long plat_host_unlinkat(int dirfd, const char *path, int flags);
long plat_host_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
			 unsigned int flags);
long plat_host_readlinkat(int dirfd, const char *path, char *buf, size_t len);
long plat_host_symlinkat(const char *target, int dirfd, const char *path);
long plat_host_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		      int flags);
long plat_host_ftruncate(int fd, s64 len);
long plat_host_fsync(int fd);
/* The host's fstatfs(2) of fd (struct statfs, x86_64's layout). */
struct linux_statfs;
long plat_host_fstatfs(int fd, struct linux_statfs *st);
/* Sets or clears O_APPEND on the host file description fd holds. */
long plat_host_set_append(int fd, bool append);
long plat_host_fchmod(int fd, int mode);
/* chmod of the very file fd holds, an O_PATH fd too (never a symlink it
 * could follow): fchmodat2(fd, "", AT_EMPTY_PATH) (Linux 6.6), else the
 * path call on its /proc/self/fd link; -EOPNOTSUPP for a symlink. */
long plat_host_fchmod_path(int fd, int mode);
/* Whether the host has fchmodat2 (probed once). */
bool plat_host_has_fchmodat2(void);
long plat_host_fchownat(int dirfd, const char *path, u32 uid, u32 gid, int flags);
/* times: two {sec, nsec} pairs (UTIME_NOW/UTIME_OMIT allowed), or NULL for
 * now; a NULL path acts on dirfd itself (futimens). */
long plat_host_utimensat(int dirfd, const char *path, const s64 *times, int flags);
long plat_host_fallocate(int fd, int mode, s64 off, s64 len);
long plat_host_fdatasync(int fd);
/* The host's name for the file its fd holds ("/proc/self/fd/N"): a path
 * call on it reaches exactly that file, also for an O_PATH fd. */
#define PLAT_FD_PATH_MAX 32
const char *plat_host_fd_path(int fd, char buf[PLAT_FD_PATH_MAX]);
/* Extended attributes of the file fd holds, as fgetxattr(2), fsetxattr(2),
 * flistxattr(2) and fremovexattr(2); fd may be an O_PATH descriptor (of a
 * symlink too), which these act on as well. */
long plat_host_fgetxattr(int fd, const char *name, void *buf, size_t size);
long plat_host_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags);
long plat_host_flistxattr(int fd, char *buf, size_t size);
long plat_host_fremovexattr(int fd, const char *name);

#endif
