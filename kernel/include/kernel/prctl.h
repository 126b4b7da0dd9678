/* What prctl(2) keeps (core/prctl.c): per thread in struct task (task.h:
 * task.ctl, with comm and timer_slack_ns), per process in struct proc
 * (proc.h: proc.ctl). Zero is the state of a freshly booted process, so
 * neither needs an initialiser. */
#ifndef KERNEL_PRCTL_H
#define KERNEL_PRCTL_H

#include <abi/types.h>

#define CAP_LAST_CAP 40 /* CAP_CHECKPOINT_RESTORE, Linux 5.9 .. 6.18 */
#define CAP_ALL ((1ULL << (CAP_LAST_CAP + 1)) - 1)
#define AT_VECTOR_WORDS 56 /* Linux's saved_auxv: AT_VECTOR_SIZE longs on x86_64 */
#define DEFAULT_TIMER_SLACK_NS 50000

/* Per thread (Linux keeps these in task_struct: flags, pdeath_signal,
 * atomic_flags for no_new_privs, TIF_NOTSC). A new thread inherits all of
 * it but the parent-death signal (prctl_task_fork). */
struct task_ctl {
	int pdeath_signal; /* PR_SET_PDEATHSIG */
	bool no_new_privs; /* PR_SET_NO_NEW_PRIVS: never cleared */
	bool mce_process;  /* PR_MCE_KILL_SET: PF_MCE_PROCESS */
	bool mce_early;    /* PF_MCE_EARLY */
	bool io_flusher;   /* PR_SET_IO_FLUSHER */
	bool tsc_sigsegv;  /* PR_SET_TSC(PR_TSC_SIGSEGV), recorded only */
	u64 cpus_allowed;  /* sched_setaffinity (core/sched.c); 0: every CPU */
};

/* Per process: the credentials' capability state (the kernel's credentials
 * are the process's; uid 0 has every capability), the mm's flags, the
 * signal struct's subreaper flag. */
struct proc_ctl {
	u64 cap_bset_dropped;            /* PR_CAPBSET_DROP: the bounding set is CAP_ALL & ~this */
	u64 cap_eff_missing;             /* what uid 0 lacks (a host's root without some) */
	u32 dump_ids[4];                 /* euid, egid, fsuid, fsgid as last committed */
	u64 cap_ambient;                 /* PR_CAP_AMBIENT */
	u32 securebits;                  /* PR_SET_SECUREBITS, PR_SET_KEEPCAPS (SECURE_KEEP_CAPS) */
	bool undumpable;                 /* PR_SET_DUMPABLE(0); exec makes the process dumpable */
	bool child_subreaper;            /* PR_SET_CHILD_SUBREAPER */
	bool thp_disable;                /* PR_SET_THP_DISABLE: MMF_DISABLE_THP */
	bool merge_any;                  /* PR_SET_MEMORY_MERGE: MMF_VM_MERGE_ANY, recorded only */
	bool timer_restore_ids;          /* PR_TIMER_CREATE_RESTORE_IDS */
	u8 mdwe;                         /* PR_SET_MDWE: PR_MDWE_REFUSE_EXEC_GAIN | NO_INHERIT */
	u64 saved_auxv[AT_VECTOR_WORDS]; /* the program's auxv, for PR_GET_AUXV */
	/* PR_SET_MM's view of the address space (start_code .. env_end). */
	u64 mm_fields[11];
};

struct task;
/* A new thread t of the caller parent: what it inherits (Linux's
 * copy_process: everything but pdeath_signal). */
void prctl_task_fork(struct task *t, const struct task *parent);
/* Boot: the boot task's prctl state as a fresh thread has it; with the
 * host's credentials, the host's capability sets too. */
void prctl_boot(bool host_creds);
/* Linux's commit_creds: a change of euid, egid, fsuid or fsgid makes the
 * process undumpable (fs.suid_dumpable 0) and clears the parent-death
 * signal. */
void prctl_commit_creds(void);
/* Whether uid 0 has capability cap (CAP_SYS_RESOURCE &c.). */
bool capable(int cap);
/* What exec resets: keepcaps, dumpable (begin_new_exec). */
void prctl_exec(void);
/* The auxv a new program was started with (binfmt_elf), for PR_GET_AUXV;
 * n longs, up to AT_NULL. */
void prctl_save_auxv(const u64 *auxv, size_t n);

/* Thread t's CPU mask (bit n: CPU n) and the number of CPUs (core/sched.c). */
u64 task_cpu_mask(const struct task *t, int *ncpu);

/* Memory-deny-write-execute (PR_SET_MDWE, Linux's map_deny_write_exec):
 * whether a mapping of protection old may not become new (mmap passes its
 * prot twice; mmap and mprotect then fail with EACCES). */
bool mdwe_denies(u32 old_prot, u32 new_prot);

/* The capability bounding set (what /proc/self/status shows as CapBnd).
 * Dropping from it does not take a capability away from a running uid 0,
 * as on Linux: it limits what exec may grant. */
u64 proc_cap_bset(void);

#endif
