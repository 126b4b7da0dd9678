/* fsync, fdatasync, sync, syncfs: ramfs has nothing to write back; hostfs
 * passes them on to the host file (file_ops.fsync). */
#include <abi/syscalls.h>
#include <kernel/fd.h>

static long do_fsync(int fd, bool datasync)
{
	struct file *f = fget_no_path(fd);
	long ret = 0;

	if (!f)
		return -EBADF;
	if (f->ops && f->ops->fsync)
		ret = f->ops->fsync(f, datasync);
	fput(f);
	return ret;
}

/* sys_fsync flushes fd's file to storage (a no-op for memory filesystems). */
long sys_fsync(unsigned int fd)
{
	return do_fsync((int)fd, false);
}

/* sys_fdatasync flushes fd's data (a no-op for memory filesystems). */
long sys_fdatasync(unsigned int fd)
{
	return do_fsync((int)fd, true);
}

/* sys_syncfs flushes the filesystem of fd. */
long sys_syncfs(int fd)
{
	return do_fsync(fd, false);
}

/* sys_sync flushes every filesystem; it never fails. */
long sys_sync(void)
{
	return 0;
}
