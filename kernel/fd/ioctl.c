/* ioctl: the generic commands of Linux's do_vfs_ioctl (FIOCLEX, FIONCLEX,
 * FIONBIO, FIONREAD on regular files), then the file's own (pipes'
 * FIONREAD); anything else, TCGETS on a non-terminal included, is ENOTTY. */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/mm.h>
#include <kernel/proc.h>

static long ioctl_fionbio(struct file *f, uptr argp)
{
	int on;

	if (copy_from_user(&on, argp, sizeof on) < 0)
		return -EFAULT;
	kmutex_lock(&vfs_lock);
	if (on)
		f->flags |= O_NONBLOCK;
	else
		f->flags &= ~(u32)O_NONBLOCK;
	kmutex_unlock(&vfs_lock);
	return 0;
}

/* FIONREAD on a regular file: the bytes from the position to the end, as
 * an int (Linux truncates the same way). */
static long ioctl_fionread_reg(struct file *f, uptr argp)
{
	int n = (int)(f->inode->size - f->pos);

	return copy_to_user(argp, &n, sizeof n);
}

/* sys_ioctl serves FIOCLEX, FIONCLEX, FIONBIO and FIONREAD; every other
 * command is the file's own or ENOTTY. */
long sys_ioctl(unsigned int fd, unsigned int cmd, unsigned long arg)
{
	struct file *f = fget((int)fd);
	uptr argp = { arg };
	long ret;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH) { /* Linux's fdget does not see O_PATH files here */
		ret = -EBADF;
		goto out;
	}
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		ret = fd_set_cloexec(fd, cmd == FIOCLEX);
		goto out;
	case FIONBIO:
		ret = ioctl_fionbio(f, argp);
		goto out;
	case FIONREAD:
		if (S_ISREG(f->inode->mode)) {
			ret = ioctl_fionread_reg(f, argp);
			goto out;
		}
		break;
	default:
		break;
	}
	ret = f->ops && f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
out:
	fput(f);
	return ret;
}
