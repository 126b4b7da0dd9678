/* statfs, fstatfs, and the page-cache hints that memory filesystems accept
 * and ignore: fadvise64, readahead, sync_file_range. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

#define NAME_MAX 255
#define SYNC_FILE_RANGE_ALL \
	(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)

/* What a filesystem of this kernel reports: by default a tmpfs without a
 * size or inode limit (the block and inode counts are 0, as tmpfs shows
 * for size=0), mounted relatime; a filesystem's statfs op may refine it. */
static void fill_statfs(const struct path *p, struct linux_statfs *st)
{
	struct super_block *sb = p->dentry->inode->sb;

	memset(st, 0, sizeof *st);
	st->f_type = TMPFS_MAGIC;
	st->f_bsize = st->f_frsize = PAGE_SIZE;
	st->f_namelen = NAME_MAX;
	st->f_fsid[0] = (s32)(u32)sb->dev;
	st->f_fsid[1] = (s32)(u32)(sb->dev >> 32);
	st->f_flags = ST_VALID | ST_RELATIME | (sb->rdonly ? ST_RDONLY : 0);
	if (sb->ops && sb->ops->statfs)
		sb->ops->statfs(p->dentry->inode, st);
}

/* sys_statfs describes the filesystem holding pathname (symlinks followed). */
long sys_statfs(uptr pathname, uptr buf)
{
	struct linux_statfs st;
	struct path p;
	char *name;
	long ret;

	if ((ret = getname(pathname, false, &name)) < 0)
		return ret;
	kmutex_lock(&vfs_lock);
	ret = path_lookupat(AT_FDCWD, name, LOOKUP_FOLLOW, &p);
	if (ret == 0) {
		fill_statfs(&p, &st);
		path_put(&p);
	}
	kmutex_unlock(&vfs_lock);
	kfree(name);
	return ret < 0 ? ret : copy_to_user(buf, &st, sizeof st);
}

/* sys_fstatfs describes the filesystem of fd's file (O_PATH included). */
long sys_fstatfs(unsigned int fd, uptr buf)
{
	struct file *f = fget((int)fd);
	struct linux_statfs st;

	if (!f)
		return -EBADF;
	kmutex_lock(&vfs_lock);
	fill_statfs(&f->path, &st);
	kmutex_unlock(&vfs_lock);
	fput(f);
	return copy_to_user(buf, &st, sizeof st);
}

/* A file descriptor usable for I/O hints: not O_PATH (Linux's fdget). */
static struct file *fget_io(int fd)
{
	struct file *f = fget(fd);

	if (f && (f->flags & O_PATH)) {
		fput(f);
		return NULL;
	}
	return f;
}

/* sys_fadvise64 accepts an access-pattern hint; memory filesystems have no
 * page cache to tune (tmpfs's generic_fadvise answers the same way). */
long sys_fadvise64(int fd, loff_t offset, size_t len, int advice)
{
	struct file *f = fget_io(fd);
	long ret = 0;

	(void)offset;
	if (!f)
		return -EBADF;
	if (S_ISFIFO(f->inode->mode))
		ret = -ESPIPE;
	else if ((s64)len < 0 || advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE)
		ret = -EINVAL;
	fput(f);
	return ret;
}

/* sys_readahead reads ahead into the page cache: regular files opened for
 * reading only; nothing to do for memory. */
long sys_readahead(int fd, loff_t offset, size_t count)
{
	struct file *f = fget_io(fd);
	long ret = 0;

	(void)offset;
	if (!f || !file_readable(f))
		ret = -EBADF;
	else if (!S_ISREG(f->inode->mode))
		ret = -EINVAL;
	else if ((s64)count < 0)
		ret = -EINVAL;
	if (f)
		fput(f);
	return ret;
}

/* sys_sync_file_range starts and/or waits for writeback of a range: a
 * no-op for memory filesystems once the arguments are valid. */
long sys_sync_file_range(int fd, loff_t offset, loff_t nbytes, unsigned int flags)
{
	struct file *f;
	u64 end = (u64)offset + (u64)nbytes;
	long ret = 0;
	u32 mode;

	/* Linux 6.x looks the descriptor up before it checks the arguments */
	if (!(f = fget_io(fd)))
		return -EBADF;
	mode = f->inode->mode;
	if ((flags & ~SYNC_FILE_RANGE_ALL) || offset < 0 || (s64)end < 0 || end < (u64)offset)
		ret = -EINVAL;
	else if (!S_ISREG(mode) && !S_ISBLK(mode) && !S_ISDIR(mode) && !S_ISLNK(mode))
		ret = -ESPIPE;
	fput(f);
	return ret;
}
