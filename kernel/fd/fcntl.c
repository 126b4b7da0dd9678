/* fcntl: descriptor flags, status flags and duplication (locks come later). */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/poll.h>
#include <kernel/proc.h>

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | FASYNC)

static long fcntl_dupfd(struct file *f, unsigned long arg, bool cloexec)
{
	long ret;

	if (arg >= current_proc.rlim[RLIMIT_NOFILE].rlim_cur)
		return -EINVAL;
	fget_raw(f);
	ret = fd_install(f, (unsigned int)arg, cloexec);
	if (ret < 0)
		fput(f);
	return ret;
}

static long fcntl_setfl(struct file *f, unsigned long arg)
{
	if ((arg & O_NOATIME) && !(f->flags & O_NOATIME) && !owner_or_capable(f->inode))
		return -EPERM;
	f->flags = (f->flags & ~(u32)SETFL_MASK) | ((u32)arg & SETFL_MASK);
	return 0;
}

/* sys_fcntl: F_DUPFD[_CLOEXEC], F_GETFD/F_SETFD, F_GETFL/F_SETFL; other
 * commands are EINVAL for now. */
long sys_fcntl(unsigned int fd, unsigned int cmd, unsigned long arg)
{
	struct file *f = fget((int)fd);
	long ret;

	if (!f)
		return -EBADF;
	/* An O_PATH descriptor allows only these. */
	if ((f->flags & O_PATH) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_GETFD &&
	    cmd != F_SETFD && cmd != F_GETFL) {
		ret = -EBADF;
		goto out;
	}
	switch (cmd) {
	case F_DUPFD:
		ret = fcntl_dupfd(f, arg, false);
		break;
	case F_DUPFD_CLOEXEC:
		ret = fcntl_dupfd(f, arg, true);
		break;
	case F_GETFD:
		ret = fd_get_cloexec(fd);
		if (ret > 0)
			ret = FD_CLOEXEC;
		break;
	case F_SETFD:
		ret = fd_set_cloexec(fd, arg & FD_CLOEXEC);
		break;
	case F_GETFL:
		ret = f->flags;
		break;
	case F_SETFL:
		ret = fcntl_setfl(f, arg);
		break;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		ret = pipe_fcntl(f, cmd, arg);
		break;
	default:
		ret = -EINVAL;
		break;
	}
out:
	fput(f);
	return ret;
}
