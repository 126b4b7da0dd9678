/* fstat, stat, lstat, newfstatat, readlink, readlinkat. */
#include <abi/syscalls.h>
#include <kernel/arch.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

/* sys_fstat describes the file behind fd (O_PATH descriptors too). */
long sys_fstat(unsigned int fd, uptr statbuf)
{
	struct file *f = fget((int)fd);
	struct linux_stat st;

	if (!f)
		return -EBADF;
	kmutex_lock(&vfs_lock);
	if (f->inode->iops && f->inode->iops->getattr)
		f->inode->iops->getattr(f->inode);
	vfs_fill_stat(f->inode, &st);
	kmutex_unlock(&vfs_lock);
	fput(f);
	return arch_put_stat(statbuf, &st);
}

static long do_statat(int dfd, uptr filename, uptr statbuf, int flag)
{
	unsigned lookup = at_lookup_flags((unsigned int)flag);
	struct path p;
	char *name;
	long ret;

	if (flag &
	    ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE_MASK))
		return -EINVAL;
	if ((ret = getname(filename, flag & AT_EMPTY_PATH, &name)) < 0)
		return ret;
	kmutex_lock(&vfs_lock);
	ret = path_lookupat(dfd, name, lookup, &p);
	if (ret == 0) {
		struct linux_stat st;

		/* not when the walk's last lookup just stat'ed it (hostfs) */
		if (p.dentry->inode->iops && p.dentry->inode->iops->getattr &&
		    !vfs_walk_refreshed(p.dentry->inode))
			p.dentry->inode->iops->getattr(p.dentry->inode);
		vfs_fill_stat(p.dentry->inode, &st);
		path_put(&p);
		kmutex_unlock(&vfs_lock);
		ret = arch_put_stat(statbuf, &st);
	} else {
		kmutex_unlock(&vfs_lock);
	}
	kfree(name);
	return ret;
}

/* sys_newfstatat stats filename relative to dfd (glibc's fstatat). */
long sys_newfstatat(int dfd, uptr filename, uptr statbuf, int flag)
{
	return do_statat(dfd, filename, statbuf, flag);
}

/* sys_stat stats a path, following a final symlink. */
long sys_stat(uptr filename, uptr statbuf)
{
	return do_statat(AT_FDCWD, filename, statbuf, 0);
}

/* sys_lstat stats a path without following a final symlink. */
long sys_lstat(uptr filename, uptr statbuf)
{
	return do_statat(AT_FDCWD, filename, statbuf, AT_SYMLINK_NOFOLLOW);
}

/* sys_readlinkat copies a symlink's target (not NUL-terminated) into buf. */
long sys_readlinkat(int dfd, uptr pathname, uptr buf, int bufsiz)
{
	struct path p;
	struct inode *ino;
	char *name, *target = NULL;
	long ret;

	if (bufsiz <= 0)
		return -EINVAL;
	if ((ret = getname(pathname, true, &name)) < 0)
		return ret;
	kmutex_lock(&vfs_lock);
	ret = path_lookupat(dfd, name, LOOKUP_EMPTY, &p);
	if (ret < 0)
		goto unlock;
	ino = p.dentry->inode;
	if (!S_ISLNK(ino->mode) || !ino->iops || !ino->iops->readlink) {
		/* an empty name that is not a symlink reads as "no such link" */
		ret = name[0] ? -EINVAL : -ENOENT;
	} else if (!(target = kmalloc(PATH_MAX))) {
		ret = -ENOMEM;
	} else {
		ret = ino->iops->readlink(ino, target, MIN((size_t)bufsiz, PATH_MAX));
		inode_touch(ino, true, false, false);
	}
	path_put(&p);
unlock:
	kmutex_unlock(&vfs_lock);
	if (ret > 0 && copy_to_user(buf, target, (size_t)ret) < 0)
		ret = -EFAULT;
	kfree(target);
	kfree(name);
	return ret;
}

/* sys_readlink is readlinkat(AT_FDCWD, ...). */
long sys_readlink(uptr path, uptr buf, int bufsiz)
{
	return sys_readlinkat(AT_FDCWD, path, buf, bufsiz);
}

static struct linux_statx_timestamp stx_time(struct linux_timespec t)
{
	return (struct linux_statx_timestamp){ t.tv_sec, (u32)t.tv_nsec, 0 };
}

/* The basic fields statx always reports; mtime, ctime and btime only when
 * asked (so a mask of 0 gets 0x73f, as tmpfs answers), the mount id in the
 * form asked for. */
static void fill_statx(const struct path *p, unsigned int mask, struct linux_statx *sx)
{
	struct inode *ino = p->dentry->inode;

	if (ino->iops && ino->iops->getattr)
		ino->iops->getattr(ino);
	memset(sx, 0, sizeof *sx);
	sx->stx_mask = STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID | STATX_ATIME |
		       STATX_INO | STATX_SIZE | STATX_BLOCKS |
		       (mask & (STATX_MTIME | STATX_CTIME | STATX_BTIME)) |
		       ((mask & STATX_MNT_ID_UNIQUE) ? STATX_MNT_ID_UNIQUE : STATX_MNT_ID);
	sx->stx_blksize = PAGE_SIZE;
	sx->stx_nlink = (u32)ino->nlink;
	sx->stx_uid = ino->uid;
	sx->stx_gid = ino->gid;
	sx->stx_mode = (u16)ino->mode;
	sx->stx_ino = ino->ino;
	sx->stx_size = (u64)ino->size;
	sx->stx_blocks = (u64)ino->blocks;
	sx->stx_atime = stx_time(ino->atime);
	if (mask & STATX_BTIME)
		sx->stx_btime = stx_time(ino->btime);
	if (mask & STATX_CTIME)
		sx->stx_ctime = stx_time(ino->ctime);
	if (mask & STATX_MTIME)
		sx->stx_mtime = stx_time(ino->mtime);
	sx->stx_rdev_major = (u32)((ino->rdev >> 8) & 0xfff);
	sx->stx_rdev_minor = (u32)((ino->rdev & 0xff) | ((ino->rdev >> 12) & 0xfff00));
	sx->stx_dev_major = (u32)((ino->sb->dev >> 8) & 0xfff);
	sx->stx_dev_minor = (u32)((ino->sb->dev & 0xff) | ((ino->sb->dev >> 12) & 0xfff00));
	sx->stx_mnt_id = (u64)p->mnt->id;
}

/* sys_statx describes filename (or with AT_EMPTY_PATH and a NULL or empty
 * name, dfd itself) as struct statx. */
long sys_statx(int dfd, uptr filename, unsigned int flags, unsigned int mask, uptr buffer)
{
	unsigned lookup = at_lookup_flags(flags);
	struct linux_statx sx;
	struct path p;
	char *name = NULL;
	long ret;

	if (flags & ~(unsigned int)(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH |
				    AT_STATX_SYNC_TYPE_MASK))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE_MASK) == AT_STATX_SYNC_TYPE_MASK)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	/* Linux 6.11+: a NULL name with AT_EMPTY_PATH is the same as "" */
	if (!uptr_is_null(filename) || !(flags & AT_EMPTY_PATH)) {
		if ((ret = getname(filename, flags & AT_EMPTY_PATH, &name)) < 0)
			return ret;
	}
	kmutex_lock(&vfs_lock);
	ret = path_lookupat(dfd, name ? name : "", lookup, &p);
	if (ret == 0) {
		fill_statx(&p, mask, &sx);
		path_put(&p);
	}
	kmutex_unlock(&vfs_lock);
	kfree(name);
	if (ret == 0)
		ret = copy_to_user(buffer, &sx, sizeof sx);
	return ret;
}
