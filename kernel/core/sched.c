/* Scheduling attributes: CPU affinity (per thread), policy, nice, I/O
 * priority (the process's).
 * They are recorded and reported as Linux would; the host's scheduler is
 * not told (the process runs on whatever CPUs the host gives it). Only the
 * normal policies (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE) are accepted. */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include "../plat/plat.h"
#include <kernel/proc.h>
#include <kernel/task.h>

#define SCHED_RESET_ON_FORK 0x40000000
#define MAX_RT_PRIO 100
#define MAX_CPUS 64 /* the mask is one u64: a host with more shows its first 64 */
/* What sched_rr_get_interval reports for a SCHED_OTHER task here (Linux 6.x
 * with EEVDF reports 0 when the task's runqueue is otherwise idle). */
#define FAIR_SLICE_NS 0

struct sched_param {
	int sched_priority;
};

/* Whether pid names one of our threads (0: the caller). Linux keeps the
 * policy, priority and nice value per thread; here they are the process's,
 * whichever thread is named. */
static bool is_self(pid_t pid)
{
	return pid == 0 || pid == current_proc.pid || (pid > 0 && task_find(pid));
}

/* The thread pid names for the affinity calls (Linux's find_process_by_pid:
 * a tid, 0 for the caller), or NULL. */
static struct task *affinity_task(pid_t pid)
{
	return pid == 0 ? current : pid > 0 ? task_find(pid) : NULL;
}

static int ncpus(void)
{
	u64 host = plat_cpu_mask();
	int n = plat_cpu_count(), top = host ? 64 - __builtin_clzll(host) : 1;

	/* nr_cpu_ids covers the highest CPU the host lets us use */
	n = n > top ? n : top;
	return n > MAX_CPUS ? MAX_CPUS : n;
}

/* The CPUs the host lets the process use: the guest's "every CPU". */
static u64 all_cpus(void)
{
	u64 host = plat_cpu_mask();

	return host ? host : 1;
}

u64 task_cpu_mask(const struct task *t, int *ncpu)
{
	*ncpu = ncpus();
	return t->ctl.cpus_allowed ? t->ctl.cpus_allowed : all_cpus();
}

/* The bytes of a CPU mask Linux copies: its cpumask_size(), a configuration
 * constant of the host kernel (32 on this kind of machine), whatever the
 * number of CPUs; never less than the longs covering them. */
static unsigned int mask_size(void)
{
	unsigned int need = (unsigned int)((ncpus() + 63) / 64 * 8), host = plat_cpumask_size();

	return host > need ? host : need;
}

static bool capable_sys_nice(void)
{
	return current_proc.cred.euid == 0;
}

/* sys_sched_yield gives the host CPU to another thread, guest or not; the
 * kernel lock is dropped meanwhile so another guest thread can use it. */
long sys_sched_yield(void)
{
	bool held = kernel_locked();

	if (held)
		kernel_leave();
	plat_yield();
	if (held)
		kernel_enter();
	return 0;
}

/* sys_sched_getaffinity stores the CPU mask of thread pid and returns its
 * size; len must cover nr_cpu_ids and be a multiple of sizeof(long). */
long sys_sched_getaffinity(pid_t pid, unsigned int len, uptr user_mask_ptr)
{
	struct task *t;
	u64 mask;
	unsigned int size = mask_size();

	if ((u64)len * 8 < (u64)ncpus() || (len & 7))
		return -EINVAL;
	if (!(t = affinity_task(pid)))
		return -ESRCH;
	mask = t->ctl.cpus_allowed ? t->ctl.cpus_allowed : all_cpus();
	if (size > len)
		size = len;
	/* the mask's bits past the CPUs that exist are zero */
	if (copy_to_user(user_mask_ptr, &mask, MIN(size, (unsigned int)sizeof mask)) < 0 ||
	    (size > sizeof mask &&
	     clear_user((uptr){ user_mask_ptr.addr + sizeof mask }, size - sizeof mask) < 0))
		return -EFAULT;
	return size;
}

/* sys_sched_setaffinity restricts thread pid to the CPUs of the mask that
 * exist; EINVAL when none does. A short mask is zero-extended. The mask is
 * recorded and reported (getaffinity, getcpu); the host thread is not
 * pinned. */
long sys_sched_setaffinity(pid_t pid, unsigned int len, uptr user_mask_ptr)
{
	struct task *t;
	u64 mask = 0;

	if (copy_from_user(&mask, user_mask_ptr, len < sizeof mask ? len : sizeof mask) < 0)
		return -EFAULT;
	if (!(t = affinity_task(pid)))
		return -ESRCH;
	mask &= all_cpus();
	if (!mask)
		return -EINVAL;
	t->ctl.cpus_allowed = mask == all_cpus() ? 0 : mask;
	return 0;
}

/* sys_sched_getscheduler returns pid's policy. */
long sys_sched_getscheduler(pid_t pid)
{
	if (pid < 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	return current_proc.sched_policy;
}

/* Validates a policy change as __sched_setscheduler does; policy -1 keeps
 * the current one (sched_setparam). */
static long set_scheduler(pid_t pid, int policy, uptr param)
{
	struct sched_param p;
	int reset = 0, cur = current_proc.sched_policy & ~SCHED_RESET_ON_FORK;

	if (uptr_is_null(param) || pid < 0)
		return -EINVAL;
	if (copy_from_user(&p, param, sizeof p) < 0)
		return -EFAULT;
	if (!is_self(pid))
		return -ESRCH;
	if (policy < 0) {
		reset = current_proc.sched_policy & SCHED_RESET_ON_FORK;
		policy = cur;
	} else {
		reset = policy & SCHED_RESET_ON_FORK;
		policy &= ~SCHED_RESET_ON_FORK;
	}
	switch (policy) {
	case SCHED_NORMAL:
	case SCHED_BATCH:
	case SCHED_IDLE:
		if (p.sched_priority != 0)
			return -EINVAL;
		break;
	case SCHED_FIFO:
	case SCHED_RR:
		if (p.sched_priority < 1 || p.sched_priority > MAX_RT_PRIO - 1)
			return -EINVAL;
		/* Real-time policies are not offered: refused as Linux refuses
		 * them to a caller with RLIMIT_RTPRIO 0 and no CAP_SYS_NICE. */
		return -EPERM;
	default:
		return -EINVAL;
	}
	if (!capable_sys_nice()) {
		/* leaving SCHED_IDLE needs the nice rlimit to allow the nice value */
		if (cur == SCHED_IDLE && policy != SCHED_IDLE &&
		    20 - current_proc.nice > (long)current_proc.rlim[RLIMIT_NICE].rlim_cur)
			return -EPERM;
		/* dropping SCHED_RESET_ON_FORK needs the capability */
		if ((current_proc.sched_policy & SCHED_RESET_ON_FORK) && !reset)
			return -EPERM;
	}
	current_proc.sched_policy = policy | reset;
	return 0;
}

/* struct sched_attr as of Linux 5.3 (SCHED_ATTR_SIZE_VER1). */
struct sched_attr {
	u32 size, sched_policy;
	u64 sched_flags;
	s32 sched_nice;
	u32 sched_priority;
	u64 sched_runtime, sched_deadline, sched_period;
	u32 sched_util_min, sched_util_max;
};

#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_KEEP_POLICY 0x08
#define SCHED_FLAG_KEEP_PARAMS 0x10
#define SCHED_FLAG_UTIL_CLAMP 0x60
#define SCHED_FLAG_ALL 0x7f
#define SLICE_MIN_NS 100000ull    /* a custom slice is clamped to 0.1 ms .. */
#define SLICE_MAX_NS 100000000ull /* .. 100 ms */

/* The attributes sched_getattr reports (get_params): nice and slice, as
 * for every policy but the real-time ones, which a process cannot have
 * here. */
static void get_attr(struct sched_attr *a)
{
	memset(a, 0, sizeof *a);
	a->size = sizeof *a;
	a->sched_policy = (u32)(current_proc.sched_policy & ~SCHED_RESET_ON_FORK);
	if (current_proc.sched_policy & SCHED_RESET_ON_FORK)
		a->sched_flags = SCHED_FLAG_RESET_ON_FORK;
	a->sched_nice = current_proc.nice;
	a->sched_runtime = current_proc.sched_slice ? current_proc.sched_slice
						    : (u64)plat_sched_slice_ns();
}

/* __checkparam_dl: a deadline reservation runtime <= deadline <= period,
 * at least 1 us of deadline, each below 2^63. */
static bool dl_params_valid(const struct sched_attr *a)
{
	u64 period = a->sched_period ? a->sched_period : a->sched_deadline;

	if (a->sched_deadline == 0 || a->sched_deadline < 1000 || a->sched_runtime < 1024)
		return false;
	if ((a->sched_deadline | a->sched_period) & (1ull << 63))
		return false;
	return a->sched_runtime <= a->sched_deadline && a->sched_deadline <= period;
}

/* __sched_setscheduler's checks for the attr form, then the change. As for
 * sched_setscheduler, SCHED_FIFO, SCHED_RR and SCHED_DEADLINE are refused
 * (EPERM) once valid; utilisation clamps are EOPNOTSUPP, as on a kernel
 * without CONFIG_UCLAMP_TASK. */
static long set_attr(struct sched_attr *a)
{
	bool keep = a->sched_flags & SCHED_FLAG_KEEP_POLICY;
	int cur = current_proc.sched_policy & ~SCHED_RESET_ON_FORK;
	int policy = keep ? cur : (int)a->sched_policy;
	bool reset = keep ? current_proc.sched_policy & SCHED_RESET_ON_FORK
			  : a->sched_flags & SCHED_FLAG_RESET_ON_FORK;
	bool rt = policy == SCHED_FIFO || policy == SCHED_RR;
	bool fair = policy == SCHED_NORMAL || policy == SCHED_BATCH; /* not SCHED_IDLE */

	if (policy != SCHED_NORMAL && policy != SCHED_BATCH && policy != SCHED_IDLE && !rt &&
	    policy != SCHED_DEADLINE)
		return -EINVAL;
	if (a->sched_flags & ~(u64)SCHED_FLAG_ALL || a->sched_priority > MAX_RT_PRIO - 1)
		return -EINVAL;
	if ((policy == SCHED_DEADLINE && !dl_params_valid(a)) || rt != (a->sched_priority != 0))
		return -EINVAL;
	if (rt || policy == SCHED_DEADLINE)
		return -EPERM;
	if (!capable_sys_nice()) {
		/* user_check_sched_setscheduler: lowering nice past RLIMIT_NICE,
		 * leaving SCHED_IDLE likewise, dropping reset-on-fork */
		long lim = (long)current_proc.rlim[RLIMIT_NICE].rlim_cur;

		if (fair && a->sched_nice < current_proc.nice && 20 - a->sched_nice > lim)
			return -EPERM;
		if (cur == SCHED_IDLE && policy != SCHED_IDLE && 20 - current_proc.nice > lim)
			return -EPERM;
		if ((current_proc.sched_policy & SCHED_RESET_ON_FORK) && !reset)
			return -EPERM;
	}
	if (a->sched_flags & SCHED_FLAG_UTIL_CLAMP)
		return -EOPNOTSUPP;
	current_proc.sched_policy = policy | (reset ? SCHED_RESET_ON_FORK : 0);
	if (fair) { /* SCHED_IDLE keeps the nice value and slice it had */
		current_proc.nice = a->sched_nice;
		current_proc.sched_slice =
			a->sched_runtime ? MIN(MAX(a->sched_runtime, SLICE_MIN_NS), SLICE_MAX_NS)
					 : 0;
	}
	return 0;
}

/* sys_sched_setattr sets pid's policy and its parameters from a struct
 * sched_attr of any size from VER0 to a page (bytes beyond ours must be
 * zero; E2BIG writes our size back into uattr->size). */
long sys_sched_setattr(pid_t pid, uptr uattr, unsigned int flags)
{
	struct sched_attr a = { 0 };
	u32 size;
	long r;

	if (uptr_is_null(uattr) || pid < 0 || flags)
		return -EINVAL;
	if (copy_from_user(&size, uattr, sizeof size) < 0)
		return -EFAULT;
	if (size == 0)
		size = SCHED_ATTR_SIZE_VER0;
	r = size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE
		    ? -E2BIG
		    : copy_struct_from_user(&a, sizeof a, uattr, size);
	if (r == -E2BIG) {
		size = sizeof a;
		return copy_to_user(uattr, &size, sizeof size) < 0 ? -EFAULT : -E2BIG;
	}
	if (r < 0)
		return r;
	if ((a.sched_flags & SCHED_FLAG_UTIL_CLAMP) && size < sizeof a)
		return -EINVAL;
	a.sched_nice = MIN(MAX(a.sched_nice, -20), 19);
	if ((int)a.sched_policy < 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	if (a.sched_flags & SCHED_FLAG_KEEP_PARAMS) {
		struct sched_attr now;

		get_attr(&now);
		a.sched_nice = now.sched_nice;
		a.sched_runtime = now.sched_runtime;
	}
	return set_attr(&a);
}

/* sys_sched_getattr stores pid's attributes, as many bytes of them as usize
 * (48 .. a page) asks for, zero-filled beyond ours; size says how many. */
long sys_sched_getattr(pid_t pid, uptr uattr, unsigned int usize, unsigned int flags)
{
	struct sched_attr a;

	if (uptr_is_null(uattr) || pid < 0 || usize > PAGE_SIZE || usize < SCHED_ATTR_SIZE_VER0 ||
	    flags)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	get_attr(&a);
	a.size = MIN(usize, (u32)sizeof a);
	return copy_struct_to_user(uattr, usize, &a, sizeof a);
}

/* sys_sched_setscheduler sets pid's policy and static priority. */
long sys_sched_setscheduler(pid_t pid, int policy, uptr param)
{
	if (policy < 0)
		return -EINVAL;
	return set_scheduler(pid, policy, param);
}

/* sys_sched_setparam sets pid's static priority under its current policy. */
long sys_sched_setparam(pid_t pid, uptr param)
{
	return set_scheduler(pid, -1, param);
}

/* sys_sched_getparam stores pid's static priority (0 for normal policies). */
long sys_sched_getparam(pid_t pid, uptr param)
{
	struct sched_param p = { 0 };

	if (uptr_is_null(param) || pid < 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	return copy_to_user(param, &p, sizeof p);
}

/* sys_sched_get_priority_max returns the highest static priority of policy. */
long sys_sched_get_priority_max(int policy)
{
	switch (policy) {
	case SCHED_FIFO:
	case SCHED_RR:
		return MAX_RT_PRIO - 1;
	case SCHED_NORMAL:
	case SCHED_BATCH:
	case SCHED_IDLE:
	case SCHED_DEADLINE:
		return 0;
	}
	return -EINVAL;
}

/* sys_sched_get_priority_min returns the lowest static priority of policy. */
long sys_sched_get_priority_min(int policy)
{
	switch (policy) {
	case SCHED_FIFO:
	case SCHED_RR:
		return 1;
	case SCHED_NORMAL:
	case SCHED_BATCH:
	case SCHED_IDLE:
	case SCHED_DEADLINE:
		return 0;
	}
	return -EINVAL;
}

/* sys_sched_rr_get_interval stores pid's time slice. */
long sys_sched_rr_get_interval(pid_t pid, uptr interval)
{
	struct linux_timespec ts = { 0, FAIR_SLICE_NS };

	if (pid < 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	return copy_to_user(interval, &ts, sizeof ts);
}

/* sys_getcpu stores the CPU and NUMA node the caller runs on (cache is
 * unused since 2.6.24): the host's CPU when the thread's mask allows it
 * (the host thread is not pinned), else its first allowed CPU; node 0. */
long sys_getcpu(uptr cpu, uptr node, uptr cache)
{
	u64 mask = current->ctl.cpus_allowed ? current->ctl.cpus_allowed : all_cpus();
	int host = plat_getcpu();
	u32 c = host >= 0 && host < 64 && (mask >> host & 1) ? (u32)host
							     : (u32)__builtin_ctzll(mask),
	    n = 0;

	(void)cache;
	if (!uptr_is_null(cpu) && copy_to_user(cpu, &c, sizeof c) < 0)
		return -EFAULT;
	if (!uptr_is_null(node) && copy_to_user(node, &n, sizeof n) < 0)
		return -EFAULT;
	return 0;
}

/* Whether who names the one process under which. */
static long prio_target(int which, int who)
{
	switch (which) {
	case PRIO_PROCESS:
		return is_self(who) ? 0 : -ESRCH; /* a thread, on Linux */
	case PRIO_PGRP:
		return who == 0 || who == current_proc.pid ? 0 : -ESRCH;
	case PRIO_USER:
		return who == 0 || (u32)who == current_proc.cred.uid ? 0 : -ESRCH;
	}
	return -EINVAL;
}

/* sys_getpriority returns 20 - nice (the raw syscall avoids negative values). */
long sys_getpriority(int which, int who)
{
	long r = prio_target(which, who);

	return r < 0 ? r : 20 - current_proc.nice;
}

/* sys_setpriority sets the nice value (clamped to -20..19); lowering it
 * beyond RLIMIT_NICE needs CAP_SYS_NICE (EACCES). */
long sys_setpriority(int which, int who, int niceval)
{
	long r = prio_target(which, who);

	if (r < 0)
		return r;
	if (niceval < -20)
		niceval = -20;
	if (niceval > 19)
		niceval = 19;
	if (niceval < current_proc.nice && !capable_sys_nice() &&
	    20 - niceval > (long)current_proc.rlim[RLIMIT_NICE].rlim_cur)
		return -EACCES;
	current_proc.nice = niceval;
	return 0;
}

/* I/O priorities: a 3-bit class, a 3-bit level and hint bits between them,
 * kept as the 16 bits ioprio_set was given. */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_NONE 0
#define IOPRIO_CLASS_RT 1
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_LEVEL_MASK 7

/* ioprio_check_cap: the class must be known, NONE carries no level, and RT
 * needs CAP_SYS_NICE or CAP_SYS_ADMIN; bits above 16 are dropped unchecked
 * (Linux 6.18 stores the value in a u16). */
static long ioprio_check(int ioprio)
{
	switch ((ioprio >> IOPRIO_CLASS_SHIFT) & 7) {
	case IOPRIO_CLASS_RT:
		return capable_sys_nice() ? 0 : -EPERM;
	case IOPRIO_CLASS_BE:
	case IOPRIO_CLASS_IDLE:
		return 0;
	case IOPRIO_CLASS_NONE:
		return ioprio & IOPRIO_LEVEL_MASK ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* The priority the process's I/O gets: an unset class follows the CPU
 * policy and nice value (BE, level (nice + 20) / 5), its hints dropped. */
static int effective_ioprio(void)
{
	int policy = current_proc.sched_policy & ~SCHED_RESET_ON_FORK;
	int cls = policy == SCHED_IDLE ? IOPRIO_CLASS_IDLE : IOPRIO_CLASS_BE;
	int p = current_proc.ioprio;

	if ((p >> IOPRIO_CLASS_SHIFT) != IOPRIO_CLASS_NONE)
		return p;
	return cls << IOPRIO_CLASS_SHIFT | (current_proc.nice + 20) / 5;
}

/* Whether who names the one process under which: as prio_target, but who
 * is always a uid for IOPRIO_WHO_USER (Linux 6.18 reads 0 as root, not as
 * the caller). */
static long ioprio_target(int which, int who)
{
	if (which < IOPRIO_WHO_PROCESS || which > IOPRIO_WHO_USER)
		return -EINVAL;
	if (which == IOPRIO_WHO_USER)
		return (u32)who == current_proc.cred.uid ? 0 : -ESRCH;
	return prio_target(which - IOPRIO_WHO_PROCESS + PRIO_PROCESS, who);
}

/* sys_ioprio_get returns the I/O priority of the process (as set), or the
 * effective one of a process group or user's processes: here always the
 * one process when who names it. */
long sys_ioprio_get(int which, int who)
{
	long r = ioprio_target(which, who);

	if (r < 0)
		return r;
	return which == IOPRIO_WHO_PROCESS ? current_proc.ioprio : effective_ioprio();
}

/* sys_ioprio_set records an I/O priority (the host's I/O scheduler is not
 * told); the value is checked before which and who, as on Linux. */
long sys_ioprio_set(int which, int who, int ioprio)
{
	long r = ioprio_check(ioprio);

	if (r < 0 || (r = ioprio_target(which, who)) < 0)
		return r;
	current_proc.ioprio = (u16)ioprio;
	return 0;
}
