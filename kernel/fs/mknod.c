/* mknod and mknodat: regular files, FIFOs, sockets and device nodes.
 * FIFOs, sockets and device nodes are ramfs inodes with the right type,
 * mode and rdev; nothing is behind them yet, so opening one gives ENXIO
 * (Linux's answer for a device number without a driver). */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

#define S_IXGRP 00010

/* Linux's new_decode_dev: the 32-bit dev_t of mknod to a 64-bit one as
 * struct stat shows it (major in bits 8-19, minor in 0-7 and 20-31). */
static u64 decode_dev(u32 dev)
{
	u64 major = (dev & 0xfff00) >> 8, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffull) << 12);
}

static long special_open(struct inode *ino, struct file *f)
{
	(void)ino;
	(void)f;
	return -ENXIO;
}

static const struct file_ops special_fops = {
	.open = special_open,
};

/* may_mknod: the types mknod can make. */
static long may_mknod(u32 mode)
{
	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return 0;
	case S_IFDIR:
		return -EPERM;
	}
	return -EINVAL;
}

/* Linux's mode_strip_sgid: a group-executable set-group-ID file in a
 * set-group-ID directory of a group the caller is not in loses S_ISGID. */
static u32 strip_sgid(const struct inode *dir, u32 mode)
{
	if ((mode & (S_ISGID | S_IXGRP)) != (S_ISGID | S_IXGRP) || !(dir->mode & S_ISGID))
		return mode;
	if (cred_in_group(&current_proc.cred, dir->gid) || cred_is_root(&current_proc.cred))
		return mode;
	return mode & ~S_ISGID;
}

static long do_mknodat(int dfd, uptr filename, u32 mode, u32 dev)
{
	struct parent_lookup pl;
	struct inode *dir;
	struct dentry *d;
	char *name;
	long ret;

	if ((ret = may_mknod(mode)) < 0)
		return ret;
	if (!(mode & S_IFMT))
		mode |= S_IFREG;
	if ((ret = getname(filename, false, &name)) < 0)
		return ret;
	kmutex_lock(&vfs_lock);
	if ((ret = create_lookup(dfd, name, &pl, false)) < 0)
		goto unlock;
	dir = pl.dir.dentry->inode;
	mode = strip_sgid(dir, mode & ~current_proc.umask);
	/* vfs_mknod: device nodes need CAP_MKNOD, one of the fsuid's caps */
	if ((S_ISCHR(mode) || S_ISBLK(mode)) && !cred_is_root(&current_proc.cred)) {
		ret = -EPERM;
		goto put;
	}
	if (!dir->iops || !dir->iops->create) {
		ret = S_ISREG(mode) ? -EACCES : -EPERM;
		goto put;
	}
	if (!(d = dentry_new(pl.dir.dentry, pl.last, pl.last_len))) {
		ret = -ENOMEM;
		goto put;
	}
	ret = dir->iops->create(dir, d, mode);
	if (ret == 0 && !S_ISREG(mode)) {
		struct inode *ino = d->inode;

		ino->iops = NULL;
		ino->fops = &special_fops;
		ino->size = 0;
		ino->rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? decode_dev(dev) : 0;
	}
	dput(d);
put:
	parent_lookup_put(&pl);
unlock:
	kmutex_unlock(&vfs_lock);
	kfree(name);
	return ret;
}

/* sys_mknodat makes a file of any non-directory type relative to dfd. */
long sys_mknodat(int dfd, uptr filename, umode_t mode, unsigned int dev)
{
	return do_mknodat(dfd, filename, mode, dev);
}

/* sys_mknod is mknodat(AT_FDCWD, ...). */
long sys_mknod(uptr filename, umode_t mode, unsigned int dev)
{
	return do_mknodat(AT_FDCWD, filename, mode, dev);
}
