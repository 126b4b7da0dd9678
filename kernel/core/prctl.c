/* prctl(2): every option of Linux 6.x, answered as Linux answers it on an
 * x86_64 host (kernel/sys.c's sys_prctl with security/commoncap.c's
 * cap_task_prctl in front of it, as the capability LSM is). Options that
 * need a subsystem this kernel does not have answer as a Linux built
 * without it does (EINVAL), and say so in syscalls/process.yaml.
 *
 * uid 0 stands for a process with every capability (README: Credentials),
 * so CAP_SETPCAP, CAP_SYS_RESOURCE and CAP_CHECKPOINT_RESTORE are euid 0,
 * less those the host's root lacked when the kernel took the host's
 * credentials (a sandbox's bounding set). */
#include <abi/syscalls.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/prctl.h>
#include <kernel/proc.h>
#include <kernel/task.h>
#include <kernel/vfs.h>
#include "../plat/plat.h"

/* securebits.h: each bit and its lock (the next bit up). Linux 6.14 added
 * SECURE_EXEC_RESTRICT_FILE and SECURE_EXEC_DENY_INTERACTIVE (bits 8, 10). */
#define SECURE_KEEP_CAPS 4
#define SECURE_KEEP_CAPS_LOCKED 5
#define SECURE_NO_CAP_AMBIENT_RAISE 6
#define SECURE_ALL_BITS 0x555u
#define SECURE_ALL_LOCKS (SECURE_ALL_BITS << 1)

#define MMAP_MIN_ADDR 65536UL      /* vm.mmap_min_addr (CONFIG_LSM_MMAP_MIN_ADDR) */
#define TASK_SIZE 0x7ffffffff000UL /* x86_64's 47-bit user range */
#define ANON_VMA_NAME_MAX_LEN 80   /* with the NUL */
#define PRCTL_MM_MAP_SIZE 104      /* sizeof(struct prctl_mm_map) */

#define CAP_SETPCAP 8
#define CAP_SYS_ADMIN 21
#define CAP_SYS_RESOURCE 24
#define CAP_CHECKPOINT_RESTORE 40

bool capable(int cap)
{
	return current_proc.cred.euid == 0 && !(current_proc.ctl.cap_eff_missing & (1ULL << cap));
}

static void dump_ids(u32 ids[4])
{
	const struct cred *c = &current_proc.cred;

	ids[0] = c->euid;
	ids[1] = c->egid;
	ids[2] = c->fsuid;
	ids[3] = c->fsgid;
}

void prctl_commit_creds(void)
{
	u32 now[4];

	dump_ids(now);
	if (memcmp(now, current_proc.ctl.dump_ids, sizeof now) != 0) {
		current_proc.ctl.undumpable = true;
		current->ctl.pdeath_signal = 0;
		memcpy(current_proc.ctl.dump_ids, now, sizeof now);
	}
}

static bool cap_valid(unsigned long cap)
{
	return cap <= CAP_LAST_CAP;
}

static long put_int(unsigned long addr, int v)
{
	return copy_to_user((uptr){ addr }, &v, sizeof v);
}

/* A kernel with the host's credentials reads the host's bounding set when
 * it is first needed, not at boot (forty-odd host calls of every start). */
static bool host_bset_unread;

u64 proc_cap_bset(void)
{
	if (host_bset_unread) {
		host_bset_unread = false;
		current_proc.ctl.cap_bset_dropped |= CAP_ALL & ~plat_host_bset();
	}
	return CAP_ALL & ~current_proc.ctl.cap_bset_dropped;
}

void prctl_task_fork(struct task *t, const struct task *parent)
{
	t->ctl = parent->ctl;
	t->ctl.pdeath_signal = 0; /* copy_process clears it, for threads too */
	t->timer_slack_ns = parent->timer_slack_ns;
}

#define PR_MDWE_REFUSE_EXEC_GAIN 1
#define PR_MDWE_NO_INHERIT 2

bool mdwe_denies(u32 old_prot, u32 new_prot)
{
	if (!(current_proc.ctl.mdwe & PR_MDWE_REFUSE_EXEC_GAIN) || !(new_prot & PROT_EXEC))
		return false;
	/* no writable and executable mapping, and nothing becomes executable */
	return (new_prot & PROT_WRITE) || !(old_prot & PROT_EXEC);
}

/* prctl_set_mdwe: the bits can be set, never unset or changed. */
static long set_mdwe(unsigned long bits, unsigned long arg3, unsigned long arg4, unsigned long arg5)
{
	u8 cur = current_proc.ctl.mdwe;

	if (arg3 || arg4 || arg5)
		return -EINVAL;
	if (bits & ~(unsigned long)(PR_MDWE_REFUSE_EXEC_GAIN | PR_MDWE_NO_INHERIT))
		return -EINVAL;
	if ((bits & PR_MDWE_NO_INHERIT) && !(bits & PR_MDWE_REFUSE_EXEC_GAIN))
		return -EINVAL;
	if (cur && cur != bits)
		return -EPERM;
	current_proc.ctl.mdwe = (u8)bits;
	return 0;
}

void prctl_exec(void)
{
	/* cap_bprm_creds_from_file drops SECURE_KEEP_CAPS; begin_new_exec
	 * makes an ordinary program dumpable again (there is no set-id exec) */
	current_proc.ctl.securebits &= ~(1u << SECURE_KEEP_CAPS);
	current_proc.ctl.undumpable = false;
	/* the new mm inherits MDWE unless NO_INHERIT (mmf_init_legacy_flags) */
	if (current_proc.ctl.mdwe & PR_MDWE_NO_INHERIT)
		current_proc.ctl.mdwe = 0;
}

void prctl_save_auxv(const u64 *auxv, size_t n)
{
	u64 *saved = current_proc.ctl.saved_auxv;

	memset(saved, 0, sizeof current_proc.ctl.saved_auxv);
	memcpy(saved, auxv, MIN(n, (size_t)AT_VECTOR_WORDS - 2) * sizeof *auxv);
}

/* Boot: the boot task's thread state as a fresh process has it. */
void prctl_boot(bool host_creds)
{
	memset(&boot_task.ctl, 0, sizeof boot_task.ctl);
	boot_task.timer_slack_ns = 0;
	dump_ids(current_proc.ctl.dump_ids);
	plat_cpu_mask(); /* asked before abi-run confines itself */
	host_bset_unread = host_creds;
	if (host_creds)
		current_proc.ctl.cap_eff_missing = CAP_ALL & ~plat_host_caps();
}

/* --- The capability module (cap_task_prctl) ------------------------------ */

static long cap_securebits(unsigned long arg2)
{
	u32 old = current_proc.ctl.securebits;

	/* no changing a locked bit, no unlocking, no unknown bits, and
	 * CAP_SETPCAP for anything at all */
	if ((((old & SECURE_ALL_LOCKS) >> 1) & (old ^ arg2)) || (old & SECURE_ALL_LOCKS & ~arg2) ||
	    (arg2 & ~(unsigned long)(SECURE_ALL_LOCKS | SECURE_ALL_BITS)) || !capable(CAP_SETPCAP))
		return -EPERM;
	current_proc.ctl.securebits = (u32)arg2;
	return 0;
}

static long cap_keepcaps(unsigned long arg2)
{
	if (arg2 > 1)
		return -EINVAL;
	if (current_proc.ctl.securebits & (1u << SECURE_KEEP_CAPS_LOCKED))
		return -EPERM;
	if (arg2)
		current_proc.ctl.securebits |= 1u << SECURE_KEEP_CAPS;
	else
		current_proc.ctl.securebits &= ~(1u << SECURE_KEEP_CAPS);
	return 0;
}

static long cap_ambient(unsigned long op, unsigned long cap, unsigned long arg4, unsigned long arg5)
{
	struct proc_ctl *c = &current_proc.ctl;

	if (op == PR_CAP_AMBIENT_CLEAR_ALL) {
		if (cap | arg4 | arg5)
			return -EINVAL;
		c->cap_ambient = 0;
		return 0;
	}
	if (!cap_valid(cap) || arg4 || arg5)
		return -EINVAL;
	if (op == PR_CAP_AMBIENT_IS_SET)
		return !!(c->cap_ambient & (1ULL << cap));
	if (op != PR_CAP_AMBIENT_RAISE && op != PR_CAP_AMBIENT_LOWER)
		return -EINVAL;
	/* raising needs the capability in the permitted and inheritable
	 * sets; the inheritable set is always empty here (no capset), as
	 * it is for root on Linux unless capset filled it */
	if (op == PR_CAP_AMBIENT_RAISE)
		return -EPERM;
	c->cap_ambient &= ~(1ULL << cap);
	return 0;
}

/* cap_task_prctl: the options it serves, or -ENOSYS for the rest. */
static long cap_task_prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
			   unsigned long arg5)
{
	switch (option) {
	case PR_CAPBSET_READ:
		if (!cap_valid(arg2))
			return -EINVAL;
		return !!(proc_cap_bset() & (1ULL << arg2));
	case PR_CAPBSET_DROP:
		if (!capable(CAP_SETPCAP))
			return -EPERM;
		if (!cap_valid(arg2))
			return -EINVAL;
		proc_cap_bset(); /* the host's set first */
		current_proc.ctl.cap_bset_dropped |= 1ULL << arg2;
		return 0;
	case PR_SET_SECUREBITS:
		return cap_securebits(arg2);
	case PR_GET_SECUREBITS:
		return current_proc.ctl.securebits;
	case PR_GET_KEEPCAPS:
		return !!(current_proc.ctl.securebits & (1u << SECURE_KEEP_CAPS));
	case PR_SET_KEEPCAPS:
		return cap_keepcaps(arg2);
	case PR_CAP_AMBIENT:
		return cap_ambient(arg2, arg3, arg4, arg5);
	}
	return -ENOSYS;
}

/* --- PR_SET_MM ------------------------------------------------------------ */

struct prctl_mm_map {
	u64 start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	u64 arg_start, arg_end, env_start, env_end;
	u64 auxv;
	u32 auxv_size, exe_fd;
};
_Static_assert(sizeof(struct prctl_mm_map) == PRCTL_MM_MAP_SIZE, "struct prctl_mm_map");

/* validate_prctl_map_addr: every field inside the user range, the pairs
 * in order, the data segment within RLIMIT_DATA. */
static long mm_map_valid(const struct prctl_mm_map *m)
{
	const u64 *f = &m->start_code;
	u64 lim = current_proc.rlim[RLIMIT_DATA].rlim_cur;

	for (int i = 0; i < 11; i++)
		if (f[i] >= TASK_SIZE || f[i] < MMAP_MIN_ADDR)
			return -EINVAL;
	if (!(m->start_code < m->end_code) || !(m->start_data <= m->end_data) ||
	    !(m->start_brk <= m->brk) || !(m->arg_start <= m->arg_end) ||
	    !(m->env_start <= m->env_end))
		return -EINVAL;
	/* check_data_rlimit */
	if (lim != ~0ULL && m->brk - m->start_brk + m->end_data - m->start_data > lim)
		return -EINVAL;
	return 0;
}

/* prctl_set_mm_exe_file: the new exe must be a regular file the caller may
 * execute. */
static long set_mm_exe_file(unsigned int fd)
{
	struct file *f = fget((int)fd);
	long r = 0;

	if (!f)
		return -EBADF;
	if (!S_ISREG(f->inode->mode))
		r = -EACCES;
	else
		r = inode_permission(f->inode, MAY_EXEC);
	if (r == 0) {
		kmutex_lock(&vfs_lock);
		proc_set_exe(&f->path);
		kmutex_unlock(&vfs_lock);
	}
	fput(f);
	return r;
}

static long set_mm_map(int opt, unsigned long addr, unsigned long size)
{
	struct prctl_mm_map m;
	u64 auxv[AT_VECTOR_WORDS] = { 0 };
	long r;

	if (opt == PR_SET_MM_MAP_SIZE)
		return put_int(addr, PRCTL_MM_MAP_SIZE);
	if (size != sizeof m)
		return -EINVAL;
	if (copy_from_user(&m, (uptr){ addr }, sizeof m) < 0)
		return -EFAULT;
	if ((r = mm_map_valid(&m)) < 0)
		return r;
	if (m.auxv_size) {
		if (!m.auxv || m.auxv_size > sizeof auxv)
			return -EINVAL;
		if (copy_from_user(auxv, (uptr){ m.auxv }, m.auxv_size) < 0)
			return -EFAULT;
	}
	if (m.exe_fd != (u32)-1) {
		if (!capable(CAP_SYS_ADMIN) && !capable(CAP_CHECKPOINT_RESTORE))
			return -EPERM;
		if ((r = set_mm_exe_file(m.exe_fd)) < 0)
			return r;
	}
	memcpy(current_proc.ctl.mm_fields, &m, sizeof current_proc.ctl.mm_fields);
	if (m.auxv_size)
		prctl_save_auxv(auxv, AT_VECTOR_WORDS);
	return 0;
}

static long set_mm(int opt, unsigned long addr, unsigned long arg4, unsigned long arg5)
{
	struct prctl_mm_map m;
	u64 *f = &m.start_code;
	long r;

	if (arg5 ||
	    (arg4 && opt != PR_SET_MM_AUXV && opt != PR_SET_MM_MAP && opt != PR_SET_MM_MAP_SIZE))
		return -EINVAL;
	if (opt == PR_SET_MM_MAP || opt == PR_SET_MM_MAP_SIZE)
		return set_mm_map(opt, addr, arg4);
	if (!capable(CAP_SYS_RESOURCE))
		return -EPERM;
	if (opt == PR_SET_MM_EXE_FILE)
		return set_mm_exe_file((unsigned int)addr);
	if (opt == PR_SET_MM_AUXV) {
		u64 auxv[AT_VECTOR_WORDS] = { 0 };

		if (arg4 > sizeof auxv)
			return -EINVAL;
		if (copy_from_user(auxv, (uptr){ addr }, arg4) < 0)
			return -EFAULT;
		prctl_save_auxv(auxv, AT_VECTOR_WORDS);
		return 0;
	}
	if (addr >= TASK_SIZE || addr < MMAP_MIN_ADDR)
		return -EINVAL;
	if (opt < PR_SET_MM_START_CODE || opt > PR_SET_MM_ENV_END)
		return -EINVAL;
	memcpy(f, current_proc.ctl.mm_fields, sizeof current_proc.ctl.mm_fields);
	f[opt - PR_SET_MM_START_CODE] = addr;
	if ((r = mm_map_valid(&m)) < 0)
		return r;
	/* the stack, argument and environment fields must lie below some
	 * mapping (find_vma) */
	if (opt == PR_SET_MM_START_STACK || opt >= PR_SET_MM_ARG_START) {
		struct mm *mm = &kernel_mm;
		bool found;

		kmutex_lock(&mm->lock);
		found = vma_index(mm, addr) < mm->nvmas;
		kmutex_unlock(&mm->lock);
		if (!found)
			return -EFAULT;
	}
	memcpy(current_proc.ctl.mm_fields, f, sizeof current_proc.ctl.mm_fields);
	return 0;
}

/* --- PR_SET_VMA ----------------------------------------------------------- */

/* is_valid_name_char: printable ASCII but \ ` $ [ ]. */
static bool anon_name_char(char c)
{
	return c > 0x1f && c < 0x7f && !strchr("\\`$[]", c);
}

/* Names (or unnames) the anonymous mappings of [start, end): a VMA of a
 * file is EBADF, a hole ENOMEM once the rest is named (madvise_walk_vmas).
 * mm->lock held. */
static long name_range(struct mm *mm, uintptr_t start, uintptr_t end, const char *name)
{
	uintptr_t at = start;
	long r = 0;

	while (at < end) {
		size_t i = vma_index(mm, at);
		uintptr_t s, e;
		char *copy = NULL;

		if (i >= mm->nvmas || mm->vmas[i].start >= end)
			break;
		if (mm->vmas[i].start > at)
			r = -ENOMEM;
		if (mm->vmas[i].file) {
			r = -EBADF;
			break;
		}
		s = MAX(mm->vmas[i].start, at);
		e = MIN(mm->vmas[i].end, end);
		if ((name && !(copy = kstrndup(name, strlen(name)))) || vma_split_at(mm, s) < 0 ||
		    vma_split_at(mm, e) < 0) {
			kfree(copy);
			r = -ENOMEM;
			break;
		}
		i = vma_index(mm, s);
		kfree(mm->vmas[i].name);
		mm->vmas[i].name = copy;
		at = e;
	}
	if (r == 0 && at < end)
		r = -ENOMEM;
	vma_merge_range(mm, start, end);
	return r;
}

/* set_anon_vma_name: the name is at most 79 printable characters. */
static long set_vma_anon_name(unsigned long start, unsigned long len, unsigned long uname)
{
	char name[5 + ANON_VMA_NAME_MAX_LEN] = "anon:";
	struct mm *mm = &kernel_mm;
	unsigned long end;
	long r;

	if (uname) {
		r = strncpy_from_user(name + 5, (uptr){ uname }, ANON_VMA_NAME_MAX_LEN);
		if (r < 0)
			return r;
		if (r == ANON_VMA_NAME_MAX_LEN) /* strndup_user: too long */
			return -EINVAL;
		for (char *c = name + 5; *c; c++)
			if (!anon_name_char(*c))
				return -EINVAL;
	}
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	end = start + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	if ((len && end == start) || end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	kmutex_lock(&mm->lock);
	r = name_range(mm, start, end, uname ? name : NULL);
	mm_unlock(mm);
	return r;
}

/* --- The options ---------------------------------------------------------- */

static long set_name(unsigned long addr)
{
	char comm[TASK_COMM_LEN] = { 0 };

	if (strncpy_from_user(comm, (uptr){ addr }, TASK_COMM_LEN - 1) < 0)
		return -EFAULT;
	comm[TASK_COMM_LEN - 1] = 0;
	/* strscpy_pad: the rest of the name is zeros */
	memset(current->comm, 0, sizeof current->comm);
	strlcpy(current->comm, comm, sizeof current->comm);
	return 0;
}

static long mce_kill(unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)
{
	struct task_ctl *c = &current->ctl;

	if (arg4 | arg5)
		return -EINVAL;
	switch (arg2) {
	case PR_MCE_KILL_CLEAR:
		if (arg3 != 0)
			return -EINVAL;
		c->mce_process = false;
		return 0;
	case PR_MCE_KILL_SET:
		if (arg3 == PR_MCE_KILL_EARLY) {
			c->mce_process = c->mce_early = true;
		} else if (arg3 == PR_MCE_KILL_LATE) {
			c->mce_process = true;
			c->mce_early = false;
		} else if (arg3 == PR_MCE_KILL_DEFAULT) {
			c->mce_process = c->mce_early = false;
		} else {
			/* Linux has already set PF_MCE_PROCESS */
			c->mce_process = true;
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

static long io_flusher(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
		       unsigned long arg5)
{
	if (!capable(CAP_SYS_RESOURCE))
		return -EPERM;
	if (option == PR_GET_IO_FLUSHER) {
		if (arg2 || arg3 || arg4 || arg5)
			return -EINVAL;
		return current->ctl.io_flusher;
	}
	if (arg3 || arg4 || arg5 || arg2 > 1)
		return -EINVAL;
	current->ctl.io_flusher = arg2 == 1;
	return 0;
}

/* PR_GET_TSC/PR_SET_TSC (x86's get_tsc_mode/set_tsc_mode). The mode is
 * recorded, not enforced: rdtsc in guest code does not fault. */
static long tsc(int option, unsigned long arg2)
{
	if (option == PR_GET_TSC)
		return put_int(arg2, current->ctl.tsc_sigsegv ? PR_TSC_SIGSEGV : PR_TSC_ENABLE);
	if (arg2 == PR_TSC_SIGSEGV)
		current->ctl.tsc_sigsegv = true;
	else if (arg2 == PR_TSC_ENABLE)
		current->ctl.tsc_sigsegv = false;
	else
		return -EINVAL;
	return 0;
}

/* posixtimer_create_prctl: checkpoint/restore's choice of timer ids. */
static long timer_restore_ids(unsigned long arg2)
{
	switch (arg2) {
	case 0: /* PR_TIMER_CREATE_RESTORE_IDS_OFF */
	case 1: /* PR_TIMER_CREATE_RESTORE_IDS_ON */
		current_proc.ctl.timer_restore_ids = arg2;
		return 0;
	case 2: /* PR_TIMER_CREATE_RESTORE_IDS_GET */
		return current_proc.ctl.timer_restore_ids;
	}
	return -EINVAL;
}

/* PR_GET_AUXV: as much of the saved auxv as fits, and its full size. */
static long get_auxv(unsigned long addr, unsigned long len)
{
	size_t size = MIN(sizeof current_proc.ctl.saved_auxv, len);

	if (size && copy_to_user((uptr){ addr }, current_proc.ctl.saved_auxv, size) < 0)
		return -EFAULT;
	return sizeof current_proc.ctl.saved_auxv;
}

/* sys_prctl performs the per-thread or per-process operation option. */
long sys_prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
	       unsigned long arg5)
{
	struct task *me = current;
	long r = cap_task_prctl(option, arg2, arg3, arg4, arg5);

	if (r != -ENOSYS)
		return r;
	switch (option) {
	case PR_SET_PDEATHSIG:
		if (arg2 > 64) /* valid_signal */
			return -EINVAL;
		me->ctl.pdeath_signal = (int)arg2;
		return 0;
	case PR_GET_PDEATHSIG:
		return put_int(arg2, me->ctl.pdeath_signal);
	case PR_GET_DUMPABLE:
		return current_proc.ctl.undumpable ? 0 : 1;
	case PR_SET_DUMPABLE:
		if (arg2 != SUID_DUMP_DISABLE && arg2 != SUID_DUMP_USER)
			return -EINVAL;
		current_proc.ctl.undumpable = arg2 == SUID_DUMP_DISABLE;
		return 0;
	case PR_GET_TIMING:
		return PR_TIMING_STATISTICAL;
	case PR_SET_TIMING:
		return arg2 == PR_TIMING_STATISTICAL ? 0 : -EINVAL;
	case PR_SET_NAME:
		return set_name(arg2);
	case PR_GET_NAME:
		return copy_to_user((uptr){ arg2 }, me->comm, TASK_COMM_LEN) < 0 ? -EFAULT : 0;
	case PR_GET_TSC:
	case PR_SET_TSC:
		return tsc(option, arg2);
	case PR_TASK_PERF_EVENTS_DISABLE:
	case PR_TASK_PERF_EVENTS_ENABLE:
		return 0; /* no perf events to switch */
	case PR_GET_TIMERSLACK:
		return me->timer_slack_ns ? (long)me->timer_slack_ns : DEFAULT_TIMER_SLACK_NS;
	case PR_SET_TIMERSLACK:
		/* 0 restores the default; real-time policies are never granted
		 * here, so the slack always applies */
		me->timer_slack_ns = arg2;
		return 0;
	case PR_MCE_KILL:
		return mce_kill(arg2, arg3, arg4, arg5);
	case PR_MCE_KILL_GET:
		if (arg2 | arg3 | arg4 | arg5)
			return -EINVAL;
		if (!me->ctl.mce_process)
			return PR_MCE_KILL_DEFAULT;
		return me->ctl.mce_early ? PR_MCE_KILL_EARLY : PR_MCE_KILL_LATE;
	case PR_SET_MM:
		return set_mm((int)arg2, arg3, arg4, arg5);
	case PR_GET_TID_ADDRESS:
		return copy_to_user((uptr){ arg2 }, &me->clear_child_tid.addr, sizeof(u64)) < 0
			       ? -EFAULT
			       : 0;
	case PR_SET_CHILD_SUBREAPER:
		current_proc.ctl.child_subreaper = arg2 != 0;
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		return put_int(arg2, current_proc.ctl.child_subreaper);
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || arg3 || arg4 || arg5)
			return -EINVAL;
		me->ctl.no_new_privs = true;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		if (arg2 || arg3 || arg4 || arg5)
			return -EINVAL;
		return me->ctl.no_new_privs;
	case PR_GET_THP_DISABLE:
		if (arg2 || arg3 || arg4 || arg5)
			return -EINVAL;
		return current_proc.ctl.thp_disable;
	case PR_SET_THP_DISABLE:
		if (arg3 || arg4 || arg5)
			return -EINVAL;
		current_proc.ctl.thp_disable = arg2 != 0;
		return 0;
	case PR_GET_SPECULATION_CTRL:
		if (arg3 || arg4 || arg5)
			return -EINVAL;
		return plat_spec_ctrl(false, arg2, 0);
	case PR_SET_SPECULATION_CTRL:
		if (arg4 || arg5)
			return -EINVAL;
		return plat_spec_ctrl(true, arg2, arg3);
	case PR_PAC_RESET_KEYS:
	case PR_PAC_SET_ENABLED_KEYS:
	case PR_PAC_GET_ENABLED_KEYS:
	case PR_SET_TAGGED_ADDR_CTRL:
	case PR_GET_TAGGED_ADDR_CTRL:
	case PR_PPC_GET_DEXCR:
	case PR_PPC_SET_DEXCR:
		/* arm64's and powerpc's: the argument checks come first, then
		 * x86's stub says EINVAL, so it is EINVAL either way */
		return -EINVAL;
	case PR_SET_IO_FLUSHER:
	case PR_GET_IO_FLUSHER:
		return io_flusher(option, arg2, arg3, arg4, arg5);
	case PR_SET_VMA:
		if (arg2 != PR_SET_VMA_ANON_NAME)
			return -EINVAL;
		return set_vma_anon_name(arg3, arg4, arg5);
	case PR_GET_AUXV:
		if (arg4 || arg5)
			return -EINVAL;
		return get_auxv(arg2, arg3);
	case PR_SET_MEMORY_MERGE:
		/* KSM would merge identical pages behind the guest's back:
		 * recorded, nothing is merged */
		if (arg3 || arg4 || arg5)
			return -EINVAL;
		current_proc.ctl.merge_any = arg2 != 0;
		return 0;
	case PR_GET_MEMORY_MERGE:
		if (arg2 || arg3 || arg4 || arg5)
			return -EINVAL;
		return current_proc.ctl.merge_any;
	case PR_SET_MDWE:
		return set_mdwe(arg2, arg3, arg4, arg5);
	case PR_GET_MDWE:
		if (arg2 || arg3 || arg4 || arg5)
			return -EINVAL;
		return current_proc.ctl.mdwe;
	case PR_TIMER_CREATE_RESTORE_IDS:
		if (arg3 || arg4 || arg5)
			return -EINVAL;
		return timer_restore_ids(arg2);
	}
	/* Everything else is EINVAL, as on Linux x86_64: the other
	 * architectures' options (UNALIGN, FPEMU, FPEXC, ENDIAN, FP_MODE, SVE,
	 * SME, RISC-V, MEM_MODEL, shadow stacks without
	 * CONFIG_X86_USER_SHADOW_STACK), MPX (gone since 5.4), and what needs a
	 * subsystem this kernel does not have, as a Linux built without it:
	 * seccomp (GET/SET_SECCOMP), Syscall User Dispatch (abi-run's own
	 * dispatch owns each host thread's), core scheduling (SCHED_CORE),
	 * the Yama LSM (SET_PTRACER), private futex hashes (FUTEX_HASH). */
	return -EINVAL;
}
