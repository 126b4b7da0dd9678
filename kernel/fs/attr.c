/* Changing inodes: truncate, ftruncate, fallocate, chmod, chown, and the
 * utime family. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/time.h>
#include <kernel/vfs.h>

/* Looks a path argument up under vfs_lock (the caller unlocks and puts). */
static long lookup_arg(int dfd, uptr filename, unsigned flags, struct path *p)
{
	char *name;
	long r = getname(filename, flags & LOOKUP_EMPTY, &name);

	if (r < 0)
		return r;
	kmutex_lock(&vfs_lock);
	r = path_lookupat(dfd, name, flags, p);
	kfree(name);
	if (r < 0)
		kmutex_unlock(&vfs_lock);
	return r;
}

static long do_truncate(struct inode *ino, s64 length)
{
	long r;

	if (!ino->iops || !ino->iops->truncate)
		return -EINVAL;
	if ((r = seals_resize(ino, length)) < 0)
		return r;
	return ino->iops->truncate(ino, length);
}

/* sys_truncate sets the size of the regular file at path. */
long sys_truncate(uptr path, long length)
{
	struct path p;
	struct inode *ino;
	long ret;

	if (length < 0)
		return -EINVAL;
	if ((ret = lookup_arg(AT_FDCWD, path, LOOKUP_FOLLOW, &p)) < 0)
		return ret;
	ino = p.dentry->inode;
	if (S_ISDIR(ino->mode))
		ret = -EISDIR;
	else if (!S_ISREG(ino->mode))
		ret = -EINVAL;
	else if ((ret = inode_permission(ino, MAY_WRITE)) == 0 && ino->execcount)
		ret = -ETXTBSY; /* a running program's file */
	else if (ret == 0 && (ret = lease_break(ino, O_WRONLY)) == 0)
		ret = do_truncate(ino, length);
	path_put(&p);
	kmutex_unlock(&vfs_lock);
	return ret;
}

/* sys_ftruncate sets the size of the regular file open for writing on fd. */
long sys_ftruncate(unsigned int fd, unsigned long length)
{
	struct file *f;
	long ret;

	if ((long)length < 0)
		return -EINVAL;
	f = fget_no_path((int)fd);
	if (!f) {
		ret = -EBADF;
		goto out;
	}
	if (!S_ISREG(f->inode->mode) || !file_writable(f)) {
		ret = -EINVAL;
		goto out;
	}
	kmutex_lock(&vfs_lock);
	ret = do_truncate(f->inode, (s64)length);
	kmutex_unlock(&vfs_lock);
out:
	if (f)
		fput(f);
	return ret;
}

#define FALLOC_VFS_MODES                                                         \
	(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | \
	 FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE)

/* The mode checks vfs_fallocate makes before looking at the file. */
static long fallocate_mode_ok(int mode)
{
	if (mode & ~FALLOC_VFS_MODES)
		return -EOPNOTSUPP;
	if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) ==
	    (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_COLLAPSE_RANGE) && (mode & ~FALLOC_FL_COLLAPSE_RANGE))
		return -EINVAL;
	if ((mode & FALLOC_FL_INSERT_RANGE) && (mode & ~FALLOC_FL_INSERT_RANGE))
		return -EINVAL;
	if ((mode & FALLOC_FL_UNSHARE_RANGE) &&
	    (mode & ~(FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE)))
		return -EINVAL;
	return 0;
}

/* sys_fallocate: Linux's checks of the mode and the file, then the
 * filesystem's fallocate, which refuses the modes it lacks (EOPNOTSUPP:
 * ramfs has tmpfs's, hostfs the host filesystem's). */
long sys_fallocate(int fd, int mode, loff_t offset, loff_t len)
{
	struct file *f;
	struct inode *ino;
	s64 end;
	long ret;

	f = fget_no_path(fd);
	if (!f) {
		ret = -EBADF;
		goto out;
	}
	if (offset < 0 || len <= 0)
		ret = -EINVAL;
	else if ((ret = fallocate_mode_ok(mode)) == 0 && !file_writable(f))
		ret = -EBADF;
	if (ret < 0)
		goto out;
	ino = f->inode;
	if (S_ISFIFO(ino->mode))
		ret = -ESPIPE;
	else if (S_ISDIR(ino->mode))
		ret = -EISDIR;
	else if (!S_ISREG(ino->mode))
		ret = -ENODEV;
	else if (__builtin_add_overflow(offset, len, &end))
		ret = -EFBIG;
	else if (!ino->iops || !ino->iops->fallocate)
		ret = -EOPNOTSUPP;
	if (ret < 0)
		goto out;
	kmutex_lock(&vfs_lock);
	ret = ino->iops->fallocate(ino, mode, offset, len);
	kmutex_unlock(&vfs_lock);
out:
	if (f)
		fput(f);
	return ret;
}

/* Passes what the VFS just changed on to filesystems that keep it elsewhere. */
static long setattr_inode(struct inode *ino, unsigned int what)
{
	return ino->iops && ino->iops->setattr ? ino->iops->setattr(ino, what) : 0;
}

/* chmod as notify_change does it: owner or root; the set-group-ID bit goes
 * when the caller is not in the file's group (and not root). */
static long chmod_inode(struct inode *ino, u32 mode)
{
	const struct cred *c = &current_proc.cred;

	if (ino->sb->rdonly)
		return -EROFS;
	if (!owner_or_capable(ino))
		return -EPERM;
	mode &= S_IALLUGO;
	if (seals_chmod(ino, mode) < 0)
		return -EPERM; /* a memfd's F_SEAL_EXEC */
	if ((mode & S_ISGID) && !cred_is_root(c) && !cred_in_group(c, ino->gid))
		mode &= ~(u32)S_ISGID;
	ino->mode = (ino->mode & S_IFMT) | mode;
	if (!ino->sb->own_ctime)
		inode_touch(ino, false, false, true);
	return setattr_inode(ino, SETATTR_MODE);
}

static long chmod_path(int dfd, uptr filename, umode_t mode)
{
	struct path p;
	long ret = lookup_arg(dfd, filename, LOOKUP_FOLLOW, &p);

	if (ret < 0)
		return ret;
	ret = chmod_inode(p.dentry->inode, mode);
	path_put(&p);
	kmutex_unlock(&vfs_lock);
	return ret;
}

/* sys_fchmodat changes the permission bits of filename (following symlinks). */
long sys_fchmodat(int dfd, uptr filename, umode_t mode)
{
	return chmod_path(dfd, filename, mode);
}

/* sys_chmod is fchmodat(AT_FDCWD, ...). */
long sys_chmod(uptr filename, umode_t mode)
{
	return chmod_path(AT_FDCWD, filename, mode);
}

/* sys_fchmod changes the permission bits of the file open on fd. */
long sys_fchmod(unsigned int fd, umode_t mode)
{
	struct file *f = fget_no_path((int)fd);
	long ret;

	if (!f)
		return -EBADF;
	kmutex_lock(&vfs_lock);
	ret = chmod_inode(f->inode, mode);
	kmutex_unlock(&vfs_lock);
	fput(f);
	return ret;
}

/* chown as Linux does it: a new owner needs root, a new group needs the
 * owner in that group (or root); -1 keeps a value. Any chown of a
 * non-directory drops set-user-ID, and set-group-ID when group-executable. */
static long chown_inode(struct inode *ino, uid_t user, gid_t group)
{
	const struct cred *c = &current_proc.cred;
	bool root = cred_is_root(c);
	u32 mode = ino->mode;
	unsigned int what = SETATTR_MODE;

	if (ino->sb->rdonly)
		return -EROFS;
	if (user != (uid_t)-1 && user != ino->uid && !root)
		return -EPERM;
	if (group != (gid_t)-1 && group != ino->gid && !root &&
	    (c->fsuid != ino->uid || !cred_in_group(c, group)))
		return -EPERM;
	if (!S_ISDIR(mode)) {
		mode &= ~(u32)S_ISUID;
		if ((mode & (S_ISGID | 0010)) == (S_ISGID | 0010))
			mode &= ~(u32)S_ISGID;
	}
	/* dropping those bits is a chmod: the owner's (or root's) to do */
	if (mode != ino->mode && !owner_or_capable(ino))
		return -EPERM;
	if (user != (uid_t)-1) {
		ino->uid = user;
		what |= SETATTR_UID;
	}
	if (group != (gid_t)-1) {
		ino->gid = group;
		what |= SETATTR_GID;
	}
	if (mode == ino->mode)
		what &= ~(unsigned int)SETATTR_MODE;
	ino->mode = mode;
	if (!ino->sb->own_ctime)
		inode_touch(ino, false, false, true);
	return setattr_inode(ino, what);
}

/* sys_fchownat changes owner and group of filename; AT_SYMLINK_NOFOLLOW acts
 * on a symlink itself, AT_EMPTY_PATH on dfd. */
long sys_fchownat(int dfd, uptr filename, uid_t user, gid_t group, int flag)
{
	struct path p;
	long ret;

	if (flag & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ret = lookup_arg(dfd, filename, at_lookup_flags((unsigned int)flag), &p);
	if (ret < 0)
		return ret;
	ret = chown_inode(p.dentry->inode, user, group);
	path_put(&p);
	kmutex_unlock(&vfs_lock);
	return ret;
}

/* sys_chown follows symlinks. */
long sys_chown(uptr filename, uid_t user, gid_t group)
{
	return sys_fchownat(AT_FDCWD, filename, user, group, 0);
}

/* sys_lchown acts on a symlink itself. */
long sys_lchown(uptr filename, uid_t user, gid_t group)
{
	return sys_fchownat(AT_FDCWD, filename, user, group, AT_SYMLINK_NOFOLLOW);
}

/* sys_fchown changes owner and group of the file open on fd. */
long sys_fchown(unsigned int fd, uid_t user, gid_t group)
{
	struct file *f = fget_no_path((int)fd);
	long ret;

	if (!f)
		return -EBADF;
	kmutex_lock(&vfs_lock);
	ret = chown_inode(f->inode, user, group);
	kmutex_unlock(&vfs_lock);
	fput(f);
	return ret;
}

static bool nsec_valid(s64 nsec)
{
	return (nsec >= 0 && nsec < NSEC_PER_SEC) || nsec == UTIME_NOW || nsec == UTIME_OMIT;
}

/* Sets atime and mtime (NULL: both to now) as vfs_utimes does: explicit
 * times need the owner (EPERM), "now" the owner or write access (EACCES). */
static long utimes_inode(struct inode *ino, const struct linux_timespec *t)
{
	struct linux_timespec now;
	bool explicit_time = false;
	long r;

	if (t) {
		if (!nsec_valid(t[0].tv_nsec) || !nsec_valid(t[1].tv_nsec))
			return -EINVAL;
		explicit_time = (t[0].tv_nsec != UTIME_NOW && t[0].tv_nsec != UTIME_OMIT) ||
				(t[1].tv_nsec != UTIME_NOW && t[1].tv_nsec != UTIME_OMIT);
		if (t[0].tv_nsec == UTIME_NOW && t[1].tv_nsec == UTIME_NOW)
			t = NULL;
	}
	if (ino->sb->rdonly)
		return -EROFS;
	if (!owner_or_capable(ino)) {
		if (explicit_time)
			return -EPERM;
		if ((r = inode_permission(ino, MAY_WRITE)) < 0)
			return r;
	}
	/* "now" is the change time's clock read (none needed when the
	 * filesystem keeps its own and no time is "now") */
	if (!ino->sb->own_ctime || !t || t[0].tv_nsec == UTIME_NOW || t[1].tv_nsec == UTIME_NOW)
		inode_touch(ino, false, false, true);
	now = ino->ctime;
	if (!t) {
		ino->atime = ino->mtime = now;
		return setattr_inode(ino, SETATTR_ATIME | SETATTR_MTIME | SETATTR_TIMES_NOW);
	}
	if (t[0].tv_nsec != UTIME_OMIT)
		ino->atime = t[0].tv_nsec == UTIME_NOW ? now : t[0];
	if (t[1].tv_nsec != UTIME_OMIT)
		ino->mtime = t[1].tv_nsec == UTIME_NOW ? now : t[1];
	return setattr_inode(ino, (t[0].tv_nsec != UTIME_OMIT ? SETATTR_ATIME : 0) |
					  (t[1].tv_nsec != UTIME_OMIT ? SETATTR_MTIME : 0));
}

static long do_utimes(int dfd, uptr filename, const struct linux_timespec *t, int flags)
{
	struct path p;
	struct file *f;
	long ret;

	if (uptr_is_null(filename) && dfd != AT_FDCWD) {
		/* utimensat(fd, NULL, ...) is futimens */
		if (flags)
			return -EINVAL;
		if (!(f = fget_no_path(dfd)))
			return -EBADF;
		kmutex_lock(&vfs_lock);
		ret = utimes_inode(f->inode, t);
		kmutex_unlock(&vfs_lock);
		fput(f);
		return ret;
	}
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ret = lookup_arg(dfd, filename, at_lookup_flags((unsigned int)flags), &p);
	if (ret < 0)
		return ret;
	ret = utimes_inode(p.dentry->inode, t);
	path_put(&p);
	kmutex_unlock(&vfs_lock);
	return ret;
}

/* sys_utimensat sets atime and mtime with nanoseconds, UTIME_NOW and
 * UTIME_OMIT; a NULL filename with a dfd acts on the open file. */
long sys_utimensat(int dfd, uptr filename, uptr utimes, int flags)
{
	struct linux_timespec t[2];

	if (!uptr_is_null(utimes)) {
		if (copy_from_user(t, utimes, sizeof t) < 0)
			return -EFAULT;
		/* nothing to do: not even the path is looked at */
		if (t[0].tv_nsec == UTIME_OMIT && t[1].tv_nsec == UTIME_OMIT)
			return 0;
	}
	return do_utimes(dfd, filename, uptr_is_null(utimes) ? NULL : t, flags);
}

/* The timeval flavours: microseconds, no NOW or OMIT. */
static long utimes_timeval(int dfd, uptr filename, uptr utimes)
{
	struct linux_timeval tv[2];
	struct linux_timespec t[2];

	if (uptr_is_null(utimes))
		return do_utimes(dfd, filename, NULL, 0);
	if (copy_from_user(tv, utimes, sizeof tv) < 0)
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= USEC_PER_SEC)
			return -EINVAL;
		t[i] = (struct linux_timespec){ tv[i].tv_sec, tv[i].tv_usec * NSEC_PER_USEC };
	}
	return do_utimes(dfd, filename, t, 0);
}

/* sys_futimesat is utimes relative to dfd. */
long sys_futimesat(int dfd, uptr filename, uptr utimes)
{
	return utimes_timeval(dfd, filename, utimes);
}

/* sys_utimes sets atime and mtime in microseconds (NULL: now). */
long sys_utimes(uptr filename, uptr utimes)
{
	return utimes_timeval(AT_FDCWD, filename, utimes);
}

/* sys_utime sets atime and mtime in seconds (NULL: now). */
long sys_utime(uptr filename, uptr times)
{
	s64 tb[2];
	struct linux_timespec t[2];

	if (uptr_is_null(times))
		return do_utimes(AT_FDCWD, filename, NULL, 0);
	if (copy_from_user(tb, times, sizeof tb) < 0)
		return -EFAULT;
	t[0] = (struct linux_timespec){ tb[0], 0 };
	t[1] = (struct linux_timespec){ tb[1], 0 };
	return do_utimes(AT_FDCWD, filename, t, 0);
}
