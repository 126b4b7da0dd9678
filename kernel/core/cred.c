/* Identity: process and thread ids, user and group ids. The one process has
 * a fixed pid (it is not init: a parent, pid 1, is pretended). */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include <kernel/proc.h>

/* sys_getpid returns the process id. */
long sys_getpid(void)
{
	return current_proc.pid;
}

/* sys_gettid returns the calling thread's id (the pid, until threads exist). */
long sys_gettid(void)
{
	return current_proc.pid;
}

/* sys_getppid returns the parent's pid: there is none, so 1, as for orphans. */
long sys_getppid(void)
{
	return 1;
}

/* sys_getuid returns the real user id. */
long sys_getuid(void)
{
	return current_proc.cred.uid;
}

/* sys_geteuid returns the effective user id. */
long sys_geteuid(void)
{
	return current_proc.cred.euid;
}

/* sys_getgid returns the real group id. */
long sys_getgid(void)
{
	return current_proc.cred.gid;
}

/* sys_getegid returns the effective group id. */
long sys_getegid(void)
{
	return current_proc.cred.egid;
}

static long put_ids(uptr a, uptr b, uptr c, u32 x, u32 y, u32 z)
{
	if (copy_to_user(a, &x, sizeof x) < 0 || copy_to_user(b, &y, sizeof y) < 0 ||
	    copy_to_user(c, &z, sizeof z) < 0)
		return -EFAULT;
	return 0;
}

/* sys_getresuid stores the real, effective and saved user ids. */
long sys_getresuid(uptr ruid, uptr euid, uptr suid)
{
	const struct cred *c = &current_proc.cred;

	return put_ids(ruid, euid, suid, c->uid, c->euid, c->suid);
}

/* sys_getresgid stores the real, effective and saved group ids. */
long sys_getresgid(uptr rgid, uptr egid, uptr sgid)
{
	const struct cred *c = &current_proc.cred;

	return put_ids(rgid, egid, sgid, c->gid, c->egid, c->sgid);
}

/* sys_getgroups returns the number of supplementary groups, storing them
 * when gidsetsize is not 0 (EINVAL when it is too small). */
long sys_getgroups(int gidsetsize, uptr grouplist)
{
	const struct cred *c = &current_proc.cred;

	if (gidsetsize < 0)
		return -EINVAL;
	if (gidsetsize == 0)
		return c->ngroups;
	if ((u32)gidsetsize < c->ngroups)
		return -EINVAL;
	if (copy_to_user(grouplist, c->groups, c->ngroups * sizeof(u32)) < 0)
		return -EFAULT;
	return c->ngroups;
}
