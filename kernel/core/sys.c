/* Process attributes that belong to no subsystem: the umask, uname. */
#include <abi/syscalls.h>
#include <kernel/arch.h>
#include <kernel/mm.h>
#include <kernel/proc.h>

struct new_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

/* sys_umask sets the file creation mask and returns the old one. */
long sys_umask(int mask)
{
	long old = current_proc.umask;

	current_proc.umask = (u32)mask & 0777;
	return old;
}

/* sys_uname describes the system: Linux, the configured release, the node
 * and domain names (sethostname, setdomainname), x86_64. */
long sys_uname(uptr name)
{
	struct new_utsname u;

	memset(&u, 0, sizeof u);
	strlcpy(u.sysname, "Linux", sizeof u.sysname);
	memcpy(u.nodename, current_proc.nodename, sizeof u.nodename); /* as set, NULs and all */
	strlcpy(u.release, current_proc.release, sizeof u.release);
	strlcpy(u.version, "#1 SMP PREEMPT_DYNAMIC abi", sizeof u.version);
	strlcpy(u.machine, arch_name(), sizeof u.machine);
	memcpy(u.domainname, current_proc.domainname, sizeof u.domainname);
	return copy_to_user(name, &u, sizeof u);
}
