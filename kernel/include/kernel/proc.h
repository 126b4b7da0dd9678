/* The one process: credentials, limits, working directory, descriptors.
 * There is no fork; its threads (task.h) share all of this. */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <abi/types.h>
#include <kernel/fd.h>
#include <kernel/linux.h>
#include <kernel/task.h>
#include <kernel/prctl.h>
#include <kernel/vfs.h>

struct cred {
	u32 uid, euid, suid, fsuid;
	u32 gid, egid, sgid, fsgid;
	u32 ngroups;
	u32 groups[32];
};

struct proc {
	struct cred cred;
	/* Counts Linux's commit_creds (a setter that replaced the credentials):
	 * an open file keeps the value it was opened with, as Linux's f_cred. */
	u64 cred_gen;
	u32 umask;
	struct linux_rlimit rlim[RLIM_NLIMITS];
	struct fdtable fdt;
	struct path cwd;
	struct path root;
	int pid;
	char release[65], nodename[65]; /* for uname */
	char domainname[65];            /* uname's, "(none)" at boot (core/uts.c) */
	/* What /proc/self shows of the program: argv and envp as NUL-terminated
	 * strings back to back (as Linux keeps them on the stack) and its file
	 * (exe; no dentry until a program runs). The name (comm) is each
	 * thread's own (struct task). */
	char *cmdline, *environ;
	size_t cmdline_len, environ_len;
	struct path exe;
	/* Scheduling (core/sched.c): zero is the boot state (SCHED_OTHER,
	 * nice 0); the CPU mask is each thread's (task.ctl.cpus_allowed). */
	int sched_policy; /* with SCHED_RESET_ON_FORK */
	int nice;
	u16 ioprio;      /* as ioprio_set stored it; 0 is IOPRIO_CLASS_NONE */
	u64 sched_slice; /* sched_setattr's custom fair slice in ns; 0: the host's */
	int mlockall;    /* MCL_FUTURE | MCL_ONFAULT from mlockall (mm/mlock.c) */
	u32 membarrier;  /* registered MEMBARRIER_CMD_REGISTER_* commands */
	u32 personality;
	/* The running image calls the kernel through the function-call entry
	 * (exec gave it AT_ABI_ENTRY: plat_fast_entry, and the ABI note). */
	bool fastcall;
	u8 arch; /* enum abi_arch: whose ABI it speaks (core/arch.c) */
	/* Signals (core/signal.c): the actions, shared by every thread, and
	 * the process-directed pending signals; the mask and thread-directed
	 * ones are each task's (task.h). */
	struct k_sigaction {
		u64 handler, flags, restorer, mask;
	} sigactions[64];
	struct sigpending shared_pending;
	u32 nr_queued;       /* siginfo entries queued, against RLIMIT_SIGPENDING */
	int exit_code;       /* the leader's, when it left by exit before the others */
	bool leader_gone;    /* the boot task has exited; the process lives on */
	struct proc_ctl ctl; /* prctl's per-process state (prctl.h) */
};

extern struct proc current_proc;

static inline bool cred_is_root(const struct cred *c)
{
	return c->fsuid == 0;
}
/* fsgid or a supplementary group is gid. */
bool cred_in_group(const struct cred *c, u32 gid);

/* Sets cmdline, environ and comm from NULL-terminated arrays of kernel
 * strings (boot, exec); 0 or -ENOMEM. */
long proc_set_args(const char *const *argv, const char *const *envp);
/* Sets the exe link (a referenced copy of p is kept); vfs_lock held. */
void proc_set_exe(const struct path *p);
/* Frees what proc_set_args and proc_set_exe keep; vfs_lock held. */
void proc_args_free(void);
/* Bytes of memory as procfs and sysinfo report them: the guest range, and
 * what of it is not mapped. */
void proc_mem_totals(unsigned long *total, unsigned long *free);

#endif
