/* The trap path: Syscall User Dispatch turns every syscall instruction the
 * program executes outside abi-run's own text into a SIGSYS, whose handler
 * (on a host signal stack, so the program's stack and red zone are never
 * touched) reads the call from the signal context, serves it with
 * abi_syscall and writes the result back into rax.
 *
 * The allowed region is abi-run's whole executable text (the kernel, the
 * loader, this file, and the host_syscall6 site and the rt_sigreturn
 * restorer that live there): its host syscalls run natively whatever the
 * selector says, so the selector byte stays on BLOCK for good and the
 * handler never has to flip it. */
#include <abi/boot.h>
#include <abi/syscalls.h>
#include <abi/trace_meta.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#define HOST_SIGSTACK_SIZE (256 * 1024)
#define HOST_ARCH_SET_GS 0x1001

extern const char __executable_start[] __attribute__((visibility("hidden")));
extern const char __etext[] __attribute__((visibility("hidden")));
void hosted_restorer(void);

__asm__(".text\n"
	".globl hosted_restorer\n"
	".hidden hosted_restorer\n"
	".type hosted_restorer,@function\n"
	"hosted_restorer:\n"
	"	mov $15, %eax\n" /* rt_sigreturn */
	"	syscall\n"
	"	hlt\n");

static volatile u8 selector = SYSCALL_DISPATCH_FILTER_BLOCK;
static u8 sigstack[HOST_SIGSTACK_SIZE] __attribute__((aligned(16)));

#define REPORT_ERRNO_MAX 134 /* errnos counted per syscall for --report */

static u64 stat_calls[ABI_SYS_COUNT];
/* of them, through the function-call entry: called by the program itself
 * (built for abi), or from a rewritten site's stub (rewrite.c) */
static u64 stat_fast[ABI_SYS_COUNT], stat_site[ABI_SYS_COUNT];
static s64 stat_ns[ABI_SYS_COUNT];
static u64 stat_unknown;
static u32 stat_errors[ABI_SYS_COUNT][REPORT_ERRNO_MAX];
static u16 enosys_order[ABI_SYS_COUNT]; /* ids, in the order first hit */
static int n_enosys;

long hosted_sud_probe(bool force_fail)
{
	if (force_fail)
		return -EINVAL;
	/* Turning dispatch off is a no-op where it exists, EINVAL where not. */
	return host_syscall5(HOST_NR(prctl), PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0,
			     0, 0);
}

/* Counts one call for --stats and --report, with how it came (by = the
 * trap, or stat_fast or stat_site), once it is made: a call still in
 * flight when the process ends (another thread's futex wait at an
 * exit_group) is in no column. */
static void count(int id, long ret, s64 t0, u64 *by)
{
	if (id < 0) {
		stat_unknown++;
		return;
	}
	stat_calls[id]++;
	if (by)
		by[id]++;
	if (hosted_opts.stats)
		stat_ns[id] += plat_clock_ns(PLAT_CLOCK_MONOTONIC) - t0;
	if (ret < 0 && ret > -REPORT_ERRNO_MAX)
		stat_errors[id][-ret]++;
	if (ret == -ENOSYS && abi_sysmeta[id].status == ABI_STATUS_ENOSYS &&
	    abi_enosys_hits[id] == 1)
		enosys_order[n_enosys++] = (u16)id;
}

/* The platform's part of exec: the kernel has replaced the address space,
 * and the thread resumes in the new program in the state Linux's execve
 * gives (see start_program in main.c): rsp at argc, every other general
 * register 0 (rdx 0: no atexit function), rflags 0x202, the FPU in its
 * initial state, no FS base, and no GS base unless the new program takes
 * the function-call entry (fast.c). */
static void resume_at_entry(struct host_ucontext *uc, u64 entry, u64 sp)
{
	u64 *g = uc->gregs;

	for (int i = REG_R8; i <= REG_RCX; i++)
		g[i] = 0;
	g[REG_RSP] = sp;
	g[REG_RIP] = entry;
	g[REG_EFL] = 0x202;
	hosted_fpstate_init(hosted_frame_fpu(uc));
	plat_set_fs(0);
	hosted_rewrite_exec();
	if (!current->frame_fast)
		hosted_fast_prepare(uc); /* the entry's template, if the program takes it */
	hosted_fast_thread(hosted_kstack_top(current));
}

u64 hosted_kstack_top(const struct task *t)
{
	return t == &boot_task ? (u64)(uintptr_t)(sigstack + sizeof sigstack)
			       : task_kstack_top(t).addr;
}

void hosted_enter(struct host_ucontext *uc, void *fpu)
{
	struct task *t;

	kernel_enter();
	t = current;
	t->frame = uc;
	t->frame_fast = fpu != NULL;
	t->fpu_buf = fpu;
	t->user_sp = uc->gregs[REG_RSP];
}

/* Every syscall the program makes is served by abi_syscall, execve and
 * execveat included, whichever way it came (the SIGSYS handler, or the
 * function-call entry with fpu its FPU save area); this only adds the trace
 * line, the counts and, after an exec, the jump to the new program. */
void hosted_serve(struct host_ucontext *uc, long nr, void *fpu, bool site)
{
	u64 *g = uc->gregs;
	long a[6] = { (long)g[REG_RDI], (long)g[REG_RSI], (long)g[REG_RDX],
		      (long)g[REG_R10], (long)g[REG_R8],  (long)g[REG_R9] };
	int id = abi_sys_id(ABI_ARCH_X86_64, nr);
	bool counting = hosted_opts.stats || hosted_opts.report_fd >= 0;
	bool exec = id == ABI_SYS_execve || id == ABI_SYS_execveat;
	struct hosted_trace_pending pend;
	bool two_step;
	u64 entry, sp, *by;
	s64 t0 = 0;
	long ret;

	hosted_sigthread_before(id, a, uc); /* outside the kernel: it may send signals */
	hosted_enter(uc, fpu);
	by = !fpu ? NULL : site ? stat_site : stat_fast;
	if (!fpu && hosted_rewrite)
		hosted_rewrite_site(uc);
	/* exit and exit_group do not return: their line and count first. */
	if (nr == ABI_X86_64_NR_exit || nr == ABI_X86_64_NR_exit_group) {
		if (hosted_opts.trace)
			hosted_trace_noreturn(nr, a);
		if (counting)
			count(id, 0, plat_clock_ns(PLAT_CLOCK_MONOTONIC), by);
	}
	/* execve's and select's lines are begun first: their arguments are
	 * gone or rewritten after the call. */
	two_step = hosted_opts.trace && hosted_trace_prepare(&pend, nr, a);
	if (hosted_opts.stats)
		t0 = plat_clock_ns(PLAT_CLOCK_MONOTONIC);
	ret = abi_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (counting)
		count(id, ret, t0, by);
	if (two_step)
		hosted_trace_finish(&pend, ret);
	else if (hosted_opts.trace)
		hosted_trace(nr, a, ret);
	if (exec && ret == 0 && abi_exec_entry(&entry, &sp)) {
		resume_at_entry(uc, entry, sp);
		hosted_signals(uc, false, 0, 0);
	} else if (nr == ABI_X86_64_NR_rt_sigreturn) {
		g[REG_RAX] = (u64)ret; /* the restored rax: no restart to consider */
		hosted_signals(uc, false, 0, 0);
	} else {
		hosted_signals(uc, true, nr, ret);
	}
	kernel_leave();
}

static void on_sigsys(int sig, void *info, void *ctx)
{
	(void)sig;
	hosted_serve(ctx, *(const int *)((const char *)info + 24) /* si_syscall */, NULL, false);
}

/* --stats and --report, however the process ends (plat_exit_hook). */
static void at_exit(void)
{
#ifdef HOSTED_PROF
	PROF("guest");
	hosted_prof_print();
#endif
	if (hosted_opts.stats)
		hosted_stats_print();
	if (hosted_opts.report_fd >= 0)
		hosted_report_write();
}

bool hosted_in_text(u64 rip)
{
	return rip >= (u64)(uintptr_t)__executable_start && rip < (u64)(uintptr_t)__etext;
}

/* A fault in one of the kernel's user-copy routines resumes at its fixup,
 * which returns the short count (mm/copy_user.c): the guest gets EFAULT or a
 * short transfer, as on Linux. The copies run inside on_sigsys, on the
 * signal stack: SIGSEGV and SIGBUS are not in its mask, so the fault is
 * delivered there and nests on the same stack (SA_ONSTACK on a stack already
 * in use continues below the current frame).
 *
 * A fault in the guest's own code becomes the guest's signal (signal.c).
 * Any other fault, in abi-run's own text, is a kernel bug and says so
 * whatever the options. */
static void on_fault(int sig, void *info, void *ctx)
{
	struct host_ucontext *uc = ctx;
	u64 rip = uc->gregs[REG_RIP];
	u64 addr = *(const u64 *)((const char *)info + 16); /* si_addr */
	uintptr_t fixup = (sig == SIGSEGV || sig == SIGBUS) ? uaccess_fixup((uintptr_t)rip) : 0;

	if (fixup) {
		uc->gregs[REG_RIP] = fixup;
		return;
	}
	if (!hosted_in_text(rip)) {
		if (hosted_opts.verbose)
			hosted_printf(
				2,
				"abi-run: the program faulted: signal %d at rip 0x%lx, address 0x%lx\n",
				sig, (unsigned long)rip, (unsigned long)addr);
		hosted_enter(uc, NULL);
		hosted_guest_fault(sig, info, uc);
		kernel_leave();
		return;
	}
	hosted_printf(
		2, "abi-run: a fault in the kernel itself: signal %d at rip 0x%lx, address 0x%lx\n",
		sig, (unsigned long)rip, (unsigned long)addr);
	plat_kill_self(sig);
}

/* A kick (thread.c): another thread left a signal for this one while it ran
 * guest code. The kick is blocked in every kernel handler, so it always
 * arrives in guest code, and a kick sent while this thread was in the
 * kernel waits until it goes back. */
static void on_kick(int sig, void *info, void *ctx)
{
	struct host_ucontext *uc = ctx;

	(void)sig, (void)info;
	if (hosted_fast_kick(uc))
		return; /* in the function-call entry's exit: it starts again */
	if (hosted_in_text(uc->gregs[REG_RIP])) {
		/* a new thread before its first guest instruction, the kernel
		 * on the function-call entry's way, or start-up's own kick for
		 * the frame's template (hosted_fast_prepare) */
		hosted_fast_template(uc);
		return;
	}
	hosted_enter(uc, NULL);
	hosted_signals(uc, false, 0, 0);
	kernel_leave();
}

/* The signals this process ignores: field 33 (sigignore, decimal) of
 * /proc/self/stat, one read where asking rt_sigaction for each signal takes
 * 64 host calls. false when it cannot be read (no /proc). */
static bool host_ignored(u64 *set)
{
	char buf[1024];
	long fd = host_syscall4(HOST_NR(openat), AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC,
				0);
	long n = fd < 0 ? -1 : host_syscall3(HOST_NR(read), fd, buf, sizeof buf - 1);
	char *p = NULL;
	int field = 2; /* the comm's, which ends at the last ")" */

	if (fd >= 0)
		host_syscall1(HOST_NR(close), fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	for (long i = 0; i < n; i++) /* the comm may hold anything: the last ")" */
		if (buf[i] == ')')
			p = buf + i + 1;
	for (; p && *p && field < 33; p++)
		if (*p == ' ' && p[1] != ' ')
			field++;
	if (!p || *p < '0' || *p > '9')
		return false;
	for (*set = 0; *p >= '0' && *p <= '9'; p++)
		*set = *set * 10 + (u64)(*p - '0');
	return *p == ' ';
}

/* What exec passes on, abi-run's own exec included: the program starts
 * with the signal mask abi-run was given and with the signals abi-run's
 * parent ignored ignored (nohup's SIGHUP), as it would natively. The host
 * side then changes: every thread blocks what the signal thread takes. */
static void inherit_signal_state(void)
{
	u64 mask = 0, ignored = 0;

	if (host_syscall4(HOST_NR(rt_sigprocmask), SIG_BLOCK, 0, &mask, 8) == 0)
		set_current_blocked(mask & ~(1ULL << (HOST_SIG_KICK - 1)));
	if (!host_ignored(&ignored))
		for (int sig = 1; sig <= 64; sig++) {
			struct host_sigaction old;

			if (host_syscall4(HOST_NR(rt_sigaction), sig, 0, &old, 8) == 0 &&
			    old.handler == (void *)1 /* SIG_IGN */)
				ignored |= 1ULL << (sig - 1);
		}
	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != HOST_SIG_KICK &&
		    (ignored & (1ULL << (sig - 1))))
			current_proc.sigactions[sig - 1].handler = 1;
}

long hosted_trap_install(void)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	struct host_stack ss = { sigstack, 0, sizeof sigstack - FAST_AREA };
	/* The kick is blocked in every handler (kernel code never runs twice
	 * on one thread), and so are the host signals the signal thread takes,
	 * by every thread's own mask once it runs (before, none of them has a
	 * handler: thread.c); SIGSEGV and SIGBUS are not: a user copy inside
	 * on_sigsys must reach on_fault. */
	struct host_sigaction sa = {
		.handler = (void *)on_sigsys,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		.restorer = (void *)hosted_restorer,
		.mask = hosted_handler_mask,
	};
	u64 open = 1ULL << (SIGSYS - 1) | 1ULL << (HOST_SIG_KICK - 1);
	long r;

	plat_exit_hook = at_exit;
	plat_guest = &hosted_guest;
	boot_task.host_tid = (int)host_syscall0(HOST_NR(gettid));
	inherit_signal_state();
	if ((r = host_syscall2(HOST_NR(sigaltstack), &ss, 0)) < 0)
		return r;
	if ((r = host_syscall4(HOST_NR(rt_sigaction), SIGSYS, &sa, 0, 8)) < 0)
		return r;
	sa.handler = (void *)on_fault;
	for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++) {
		if ((r = host_syscall4(HOST_NR(rt_sigaction), faults[i], &sa, 0, 8)) < 0)
			return r;
		open |= 1ULL << (faults[i] - 1);
	}
	sa.handler = (void *)on_kick;
	/* a host call the function-call entry makes, blocking, goes on
	 * after a kick (the one wait's ppoll returns, and looks again) */
	sa.flags |= SA_RESTART;
	if ((r = host_syscall4(HOST_NR(rt_sigaction), HOST_SIG_KICK, &sa, 0, 8)) < 0)
		return r;
	/* A mask inherited from abi-run's parent must not hide them: a fault
	 * with its signal blocked kills outright, and a blocked SIGSYS would
	 * kill at the program's first syscall. The program's own mask is the
	 * kernel's record (core/signal.c), not the host's: once the signal
	 * thread runs, the host's blocks what it takes, in every thread, guest
	 * code included (thread.c). */
	if ((r = host_syscall4(HOST_NR(rt_sigprocmask), SIG_UNBLOCK, &open, 0, 8)) < 0)
		return r;
	hosted_fast_setup(!hosted_setup.sandbox && !hosted_opts.no_fastcall);
	hosted_rewrite_setup(!hosted_opts.no_rewrite);
	return 0;
}

long hosted_sud_enable(void)
{
	u64 start = (u64)(uintptr_t)__executable_start;
	u64 len = (u64)(uintptr_t)__etext - start;

	return host_syscall5(HOST_NR(prctl), PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
			     start, len, (long)(uintptr_t)&selector);
}

void hosted_stats_print(void)
{
	int fd = hosted_opts.trace_fd;
	u64 total = 0, fast = 0, site = 0;

	hosted_printf(fd, "%10s %10s %10s %10s %10s %12s  %-24s %s\n", "calls", "fast", "rewritten",
		      "trapped", "enosys", "usecs", "syscall", "status");
	for (int i = 0; i < ABI_SYS_COUNT; i++) {
		static const char *const status[] = { "implemented", "partial", "ENOSYS" };

		if (!stat_calls[i])
			continue;
		total += stat_calls[i];
		fast += stat_fast[i];
		site += stat_site[i];
		hosted_printf(fd, "%10lu %10lu %10lu %10lu %10lu %12ld  %-24s %s\n",
			      (unsigned long)stat_calls[i], (unsigned long)stat_fast[i],
			      (unsigned long)stat_site[i],
			      (unsigned long)(stat_calls[i] - stat_fast[i] - stat_site[i]),
			      abi_enosys_hits[i], (long)(stat_ns[i] / 1000), abi_sysmeta[i].name,
			      status[abi_sysmeta[i].status]);
	}
	hosted_printf(fd, "%10lu total (%lu fast, %lu rewritten, %lu trapped; %lu sites rewritten)",
		      (unsigned long)total, (unsigned long)fast, (unsigned long)site,
		      (unsigned long)(total - fast - site), (unsigned long)hosted_rewrite_count());
	if (stat_unknown)
		hosted_printf(fd, ", %lu with numbers not in the table",
			      (unsigned long)stat_unknown);
	hosted_printf(fd, "\n");
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_string(int fd, const char *str)
{
	char buf[8];

	hosted_write(fd, "\"", 1);
	for (const char *c = str; *c; c++) {
		if (*c == '"' || *c == '\\') {
			buf[0] = '\\', buf[1] = *c;
			hosted_write(fd, buf, 2);
		} else if ((unsigned char)*c < 0x20) {
			hosted_printf(fd, "\\u%04x", (unsigned)(unsigned char)*c);
		} else {
			hosted_write(fd, c, 1);
		}
	}
	hosted_write(fd, "\"", 1);
}

void hosted_report_write(void)
{
	int fd = hosted_opts.report_fd;
	bool first = true;

	hosted_printf(fd, "{\n  \"format\": \"abi-run-report/1\",\n  \"program\": ");
	json_string(fd, hosted_opts.program ? hosted_opts.program : "");
	hosted_printf(fd, ",\n  \"arch\": \"x86_64\",\n  \"syscalls\": [");
	for (int i = 0; i < ABI_SYS_COUNT; i++) {
		bool efirst = true;

		if (!stat_calls[i])
			continue;
		hosted_printf(fd, "%s\n    {\"name\": \"%s\", \"count\": %lu", first ? "" : ",",
			      abi_sysmeta[i].name, (unsigned long)stat_calls[i]);
		first = false;
		for (int e = 1; e < REPORT_ERRNO_MAX; e++) {
			const char *name = abi_errno_name(e);

			if (!stat_errors[i][e] || !name)
				continue;
			hosted_printf(fd, "%s\"%s\": %u", efirst ? ", \"errors\": {" : ", ", name,
				      stat_errors[i][e]);
			efirst = false;
		}
		hosted_printf(fd, "%s}", efirst ? "" : "}");
	}
	hosted_printf(fd, "\n  ],\n  \"unimplemented\": [");
	for (int i = 0; i < n_enosys; i++)
		hosted_printf(fd, "%s\n    {\"name\": \"%s\"}", i ? "," : "",
			      abi_sysmeta[enosys_order[i]].name);
	hosted_printf(fd, "\n  ]\n}\n");
}
