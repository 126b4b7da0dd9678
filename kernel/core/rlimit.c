/* Resource limits: getrlimit, setrlimit, prlimit64. Only RLIMIT_NOFILE and
 * RLIMIT_DATA are enforced so far; the others are kept and reported. */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include <kernel/proc.h>

#define NR_OPEN (1u << 20) /* fs.nr_open */

/* Validates and installs a new limit as do_prlimit does. */
static long set_limit(unsigned int resource, const struct linux_rlimit *r)
{
	struct linux_rlimit *cur = &current_proc.rlim[resource];

	if (r->rlim_cur > r->rlim_max)
		return -EINVAL;
	if (resource == RLIMIT_NOFILE && r->rlim_max > NR_OPEN)
		return -EPERM;
	/* raising a hard limit needs CAP_SYS_RESOURCE */
	if (r->rlim_max > cur->rlim_max && !cred_is_root(&current_proc.cred))
		return -EPERM;
	*cur = *r;
	return 0;
}

/* sys_prlimit64 gets and/or sets a limit of pid (0 or our own). */
long sys_prlimit64(pid_t pid, unsigned int resource, uptr new_rlim, uptr old_rlim)
{
	struct linux_rlimit nr, old;
	long ret;

	if (!uptr_is_null(new_rlim) && copy_from_user(&nr, new_rlim, sizeof nr) < 0)
		return -EFAULT;
	if (pid != 0 && pid != current_proc.pid)
		return -ESRCH;
	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	old = current_proc.rlim[resource];
	if (!uptr_is_null(new_rlim) && (ret = set_limit(resource, &nr)) < 0)
		return ret;
	if (!uptr_is_null(old_rlim) && copy_to_user(old_rlim, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* sys_getrlimit stores the soft and hard limit of resource. */
long sys_getrlimit(unsigned int resource, uptr rlim)
{
	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	return copy_to_user(rlim, &current_proc.rlim[resource], sizeof(struct linux_rlimit));
}

/* sys_setrlimit sets the soft and hard limit of resource. */
long sys_setrlimit(unsigned int resource, uptr rlim)
{
	struct linux_rlimit r;

	if (copy_from_user(&r, rlim, sizeof r) < 0)
		return -EFAULT;
	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	return set_limit(resource, &r);
}
