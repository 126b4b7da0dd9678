/* fcntl: descriptor and status flags, duplication, record locks and leases
 * (fs/locks.c), pipe sizes (fs/pipe.c), seals (mm/memfd.c), and what is
 * only recorded and reported: owners, signals, write hints, F_NOTIFY masks
 * (there is no signal delivery, so no SIGIO or dnotify signal is sent). */
#include <abi/syscalls.h>
#include <kernel/arch.h>
#include <kernel/fd.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME)
#define RWH_WRITE_LIFE_EXTREME 5

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
	u32 mask = SETFL_MASK;

	if ((arg & O_NOATIME) && !(f->flags & O_NOATIME) && !owner_or_capable(f->inode))
		return -EPERM;
	/* FASYNC changes only where a fasync op would take it (pipes, ttys) */
	if (f->ops && f->ops->fasync)
		mask |= FASYNC;
	f->flags = (f->flags & ~mask) | ((u32)arg & mask);
	return 0;
}

/* F_DUPFD_QUERY: whether fd is a descriptor of the same open file. */
static long fcntl_dupfd_query(struct file *f, unsigned long arg)
{
	struct file *other = fget((int)arg);
	long ret = other ? other == f : -EBADF;

	fput(other);
	return ret;
}

/* The only process there is: its pid is also its tid, pgid and sid. */
static bool pid_exists(s32 pid)
{
	return pid == current_proc.pid;
}

/* Linux's f_modown with force: a non-zero owner records who set it. */
static void set_owner(struct file *f, s32 pid, u8 type)
{
	f->owner.pid = pid;
	f->owner.type = type;
	if (pid) {
		f->owner.uid = current_proc.cred.uid;
		f->owner.euid = current_proc.cred.euid;
	}
}

/* F_SETOWN: a process, or a process group as its negated id. */
static long fcntl_setown(struct file *f, unsigned long arg)
{
	int who = (int)arg;
	u8 type = F_OWNER_PID;

	if (who < 0) {
		if (who == -0x7fffffff - 1)
			return -EINVAL; /* it has no positive counterpart */
		type = F_OWNER_PGRP;
		who = -who;
	}
	if (who && !pid_exists(who))
		return -ESRCH;
	set_owner(f, who, type);
	return 0;
}

/* F_GETOWN: a process group comes back negated. */
static long fcntl_getown(const struct file *f)
{
	return f->owner.type == F_OWNER_PGRP ? -(long)f->owner.pid : f->owner.pid;
}

static long fcntl_setown_ex(struct file *f, uptr arg)
{
	struct linux_f_owner_ex o;

	if (copy_from_user(&o, arg, sizeof o))
		return -EFAULT;
	if (o.type != F_OWNER_TID && o.type != F_OWNER_PID && o.type != F_OWNER_PGRP)
		return -EINVAL;
	if (o.pid && !pid_exists(o.pid))
		return -ESRCH;
	set_owner(f, o.pid, (u8)o.type);
	return 0;
}

static long fcntl_getown_ex(const struct file *f, uptr arg)
{
	struct linux_f_owner_ex o = { f->owner.type, f->owner.pid };

	return copy_to_user(arg, &o, sizeof o) ? -EFAULT : 0;
}

static long fcntl_getowner_uids(const struct file *f, uptr arg)
{
	u32 ids[2] = { f->owner.uid, f->owner.euid };

	return copy_to_user(arg, ids, sizeof ids) ? -EFAULT : 0;
}

/* F_SETSIG: 0 (SIGIO) or a signal number, taken as an int. */
static long fcntl_setsig(struct file *f, unsigned long arg)
{
	int sig = (int)arg;

	if (sig < 0 || sig > 64)
		return -EINVAL;
	f->owner.signum = sig;
	return 0;
}

/* F_NOTIFY: directories only, recorded; a mask without events (or with
 * DN_MULTISHOT alone) removes it. The caller becomes the owner unless
 * there is one, as Linux's fcntl_dirnotify makes it. */
static long fcntl_notify(struct file *f, unsigned long arg)
{
	u32 mask = (u32)arg;

	if (!(mask & ~DN_MULTISHOT)) {
		f->dnotify = 0;
		return 0;
	}
	if (!S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	f->dnotify |= mask;
	if (!f->owner.pid)
		set_owner(f, current_proc.pid, F_OWNER_PID);
	return 0;
}

/* F_GET_RW_HINT / F_SET_RW_HINT: the inode's write-life hint, a u64. */
static long fcntl_rw_hint(struct file *f, unsigned int cmd, uptr arg)
{
	u64 h = f->inode->write_hint;

	if (cmd == F_GET_RW_HINT)
		return copy_to_user(arg, &h, sizeof h) ? -EFAULT : 0;
	if (!owner_or_capable(f->inode))
		return -EPERM;
	if (copy_from_user(&h, arg, sizeof h))
		return -EFAULT;
	if (h > RWH_WRITE_LIFE_EXTREME)
		return -EINVAL;
	f->inode->write_hint = (u8)h;
	return 0;
}

/* What an O_PATH descriptor allows. */
static bool path_cmd(unsigned int cmd)
{
	return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_DUPFD_QUERY ||
	       cmd == F_CREATED_QUERY || cmd == F_GETFD || cmd == F_SETFD || cmd == F_GETFL;
}

/* sys_fcntl performs cmd on fd's open file; F_GET_FILE_RW_HINT and
 * F_SET_FILE_RW_HINT, which Linux has dropped, are EINVAL as there. */
long sys_fcntl(unsigned int fd, unsigned int cmd, unsigned long arg)
{
	struct file *f = fget((int)fd);
	uptr p = { arg };
	long ret;

	if (!f)
		return -EBADF;
	if ((f->flags & O_PATH) && !path_cmd(cmd)) {
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
		ret = arch_open_flags_out(f->flags);
		break;
	case F_SETFL:
		ret = fcntl_setfl(f, arch_open_flags_in((u32)arg));
		break;
	case F_DUPFD_QUERY:
		ret = fcntl_dupfd_query(f, arg);
		break;
	case F_CREATED_QUERY:
		ret = f->created;
		break;
	case F_GETLK:
	case F_OFD_GETLK:
		ret = fcntl_getlk(f, cmd, p);
		break;
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		ret = fcntl_setlk(fd, f, cmd, p);
		break;
	case F_GETOWN:
		ret = fcntl_getown(f);
		break;
	case F_SETOWN:
		ret = fcntl_setown(f, arg);
		break;
	case F_GETOWN_EX:
		ret = fcntl_getown_ex(f, p);
		break;
	case F_SETOWN_EX:
		ret = fcntl_setown_ex(f, p);
		break;
	case F_GETOWNER_UIDS:
		ret = fcntl_getowner_uids(f, p);
		break;
	case F_GETSIG:
		ret = f->owner.signum;
		break;
	case F_SETSIG:
		ret = fcntl_setsig(f, arg);
		break;
	case F_GETLEASE:
		ret = fcntl_getlease(f);
		break;
	case F_SETLEASE:
		ret = fcntl_setlease(f, arg);
		break;
	case F_NOTIFY:
		ret = fcntl_notify(f, arg);
		break;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		ret = pipe_fcntl(f, cmd, arg);
		break;
	case F_ADD_SEALS:
	case F_GET_SEALS:
		ret = memfd_fcntl(f, cmd, arg);
		break;
	case F_GET_RW_HINT:
	case F_SET_RW_HINT:
		ret = fcntl_rw_hint(f, cmd, p);
		break;
	default:
		ret = -EINVAL;
		break;
	}
out:
	fput(f);
	return ret;
}
