/* The one process: credentials, limits, working directory, descriptors.
 * There is no fork; threads (later) share all of this. */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <abi/types.h>
#include <kernel/fd.h>
#include <kernel/linux.h>
#include <kernel/vfs.h>

struct cred {
	u32 uid, euid, suid, fsuid;
	u32 gid, egid, sgid, fsgid;
	u32 ngroups;
	u32 groups[32];
};

struct proc {
	struct cred cred;
	u32 umask;
	struct linux_rlimit rlim[RLIM_NLIMITS];
	struct fdtable fdt;
	struct path cwd;
	struct path root;
	int pid;
	char release[65], nodename[65]; /* for uname */
};

extern struct proc current_proc;

static inline bool cred_is_root(const struct cred *c) { return c->fsuid == 0; }
/* fsgid or a supplementary group is gid. */
bool cred_in_group(const struct cred *c, u32 gid);

#endif
