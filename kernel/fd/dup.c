/* dup, dup2, dup3, close, close_range. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/proc.h>

/* sys_dup duplicates fildes onto the lowest free descriptor. */
long sys_dup(unsigned int fildes)
{
	struct file *f = fget((int)fildes);
	long ret;

	if (!f)
		return -EBADF;
	ret = fd_install(f, 0, false);
	if (ret < 0)
		fput(f);
	return ret;
}

/* sys_dup3 duplicates oldfd onto newfd; unlike dup2, oldfd == newfd is EINVAL. */
long sys_dup3(unsigned int oldfd, unsigned int newfd, int flags)
{
	struct file *f;
	long ret;

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	if (newfd >= current_proc.rlim[RLIMIT_NOFILE].rlim_cur)
		return -EBADF;
	f = fget((int)oldfd);
	if (!f)
		return -EBADF;
	ret = fd_replace(newfd, f, flags & O_CLOEXEC);
	if (ret < 0)
		fput(f);
	return ret;
}

/* sys_dup2 is dup3 without flags, except that oldfd == newfd checks oldfd. */
long sys_dup2(unsigned int oldfd, unsigned int newfd)
{
	struct file *f;

	if (oldfd == newfd) {
		f = fget((int)oldfd);
		if (!f)
			return -EBADF;
		fput(f);
		return oldfd;
	}
	return sys_dup3(oldfd, newfd, 0);
}

/* sys_close releases fd; the file goes when its last descriptor does. */
long sys_close(unsigned int fd)
{
	struct file *f = fd_detach(fd);

	if (!f)
		return -EBADF;
	filp_close(f);
	return 0;
}

/* sys_close_range closes (or with CLOSE_RANGE_CLOEXEC marks) fds fd..max_fd. */
long sys_close_range(unsigned int fd, unsigned int max_fd, unsigned int flags)
{
	struct fdtable *t = &current_proc.fdt;
	unsigned int end;

	if (flags & ~(unsigned int)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (fd > max_fd)
		return -EINVAL;
	kmutex_lock(&t->lock);
	end = t->size ? MIN(max_fd, t->size - 1) : 0;
	kmutex_unlock(&t->lock);
	for (unsigned int i = fd; i <= end; i++) {
		if (flags & CLOSE_RANGE_CLOEXEC) {
			fd_set_cloexec(i, true);
		} else {
			struct file *f = fd_detach(i);

			if (f)
				filp_close(f);
		}
		if (i == end)
			break; /* end may be UINT_MAX: i++ would wrap */
	}
	return 0;
}
