/* Process groups and sessions. The one process is presented as abi-run
 * presents it: the leader of its own process group and of its own session
 * (pgid == sid == pid), as a daemon after setsid(). No other process exists,
 * so setsid and setpgid can never change anything: Linux refuses both to a
 * session leader (EPERM), and any other pid is not ours (ESRCH). */
#include <abi/syscalls.h>
#include <kernel/proc.h>

static bool is_self(pid_t pid)
{
	return pid == 0 || pid == current_proc.pid;
}

/* sys_getpgid returns the process group of pid (0: the caller). */
long sys_getpgid(pid_t pid)
{
	return is_self(pid) ? current_proc.pid : -ESRCH;
}

/* sys_getpgrp returns the caller's process group. */
long sys_getpgrp(void)
{
	return current_proc.pid;
}

/* sys_getsid returns the session of pid (0: the caller). */
long sys_getsid(pid_t pid)
{
	return is_self(pid) ? current_proc.pid : -ESRCH;
}

/* sys_setsid starts a new session: a process group leader may not. */
long sys_setsid(void)
{
	return -EPERM;
}

/* sys_setpgid moves pid into group pgid; checked in Linux's order: a negative
 * pgid, a pid that is neither ours nor a child's, a session leader. */
long sys_setpgid(pid_t pid, pid_t pgid)
{
	if (pgid < 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	return -EPERM;
}
