/* Guest threads on host threads, kicks, and the signal thread.
 *
 * A guest thread is a host thread of abi-run's process (CLONE_VM, the same
 * files, the same host signal handlers) whose kernel stack is its task's
 * slot (core/task.c), also its host signal stack. It starts in the state
 * of the thread that called clone: the parent's host signal frame is
 * copied to the top of the new stack, with rax 0, the new stack pointer
 * and a sigaltstack of the new stack, and the new thread enters the guest
 * through the host's own rt_sigreturn of that frame, which restores every
 * register and the FPU state at once. Before that it turns Syscall User
 * Dispatch on (it is per thread and not inherited) and sets the guest's FS
 * base.
 *
 * Host signals aimed at abi-run (a terminal's SIGINT, a kill from outside,
 * SIGWINCH...) are blocked in every thread and taken by one host thread of
 * abi-run's own that waits for them and sends the guest the same signal. */
#include <abi/syscalls.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include <kernel/timer.h>
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

#define BIT(s) (1ULL << ((s)-1))
/* What the signal thread takes: every signal but the faults, SIGSYS, the
 * kick, SIGKILL and SIGSTOP (not blockable) and SIGPIPE (ignored: a write
 * to a broken host pipe is an EPIPE the kernel turns into the guest's
 * SIGPIPE itself). */
#define HOST_SYNC_MASK                                                                         \
	(BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP) | BIT(SIGSYS) | \
	 BIT(HOST_SIG_KICK) | BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGPIPE))
u64 hosted_guest_hostmask = ~(u64)HOST_SYNC_MASK;
/* Not the signal thread's: every thread blocks them once it runs, and
 * none of them runs a handler of abi-run's before it does (below). */
u64 hosted_handler_mask = BIT(HOST_SIG_KICK);

#define HOST_ARCH_SET_FS 0x1002

/* long hosted_clone(flags, stack, ptid, ctid, fn, arg): the host's clone;
 * the child calls fn(arg) on stack and never returns. The syscall
 * instruction is in abi-run's text, where dispatch lets it through. */
long hosted_clone(u64 flags, void *stack, u32 *ptid, u32 *ctid, void (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl hosted_clone\n"
	".hidden hosted_clone\n"
	".type hosted_clone,@function\n"
	"hosted_clone:\n"
	"	sub $16, %rsi\n"
	"	mov %r8, (%rsi)\n"  /* fn */
	"	mov %r9, 8(%rsi)\n" /* arg */
	"	mov %rcx, %r10\n"
	"	xor %r8d, %r8d\n"
	"	mov $56, %eax\n" /* clone(flags, stack, ptid, ctid, tls) */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	pop %rax\n"
	"	pop %rdi\n"
	"	call *%rax\n"
	"	hlt\n"
	"1:	ret\n");

/* What a new thread needs before its first guest instruction, at the top
 * of its stack under the frame. */
struct start {
	struct task *task;
	u64 frame_sp; /* the host frame's address + 8: rt_sigreturn's rsp */
	bool settls;
	u64 tls;
};

void hosted_restorer(void);

static _Noreturn void thread_entry(void *arg)
{
	struct start *st = arg;

	if (hosted_sud_enable() < 0)
		plat_abort("abi-run: a new thread could not turn on syscall user dispatch");
	if (st->settls)
		host_syscall2(HOST_NR(arch_prctl), HOST_ARCH_SET_FS, st->tls);
	hosted_fast_thread(task_kstack_top(st->task).addr);
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "jmp hosted_restorer" ::"r"(st->frame_sp)
			 : "memory");
	__builtin_unreachable();
}

static long thread_start(struct task *t, u64 sp, bool settls, u64 tls)
{
	struct host_ucontext *puc = current->frame;
	/* below the function-call entry's area, which the thread may write
	 * before its first instruction (fast.c) */
	u64 top = task_kstack_top(t).addr - FAST_AREA, base = task_kstack_base(t).addr;
	u8 *pfp = hosted_frame_fpu(puc);
	u32 fpsize = pfp ? hosted_fpstate_size(pfp) : 0;
	u64 fpaddr = (top - fpsize) & ~63ULL;
	u64 frame = ((fpaddr - sizeof(struct host_ucontext) - 8) & ~15ULL) - 8;
	struct host_ucontext *uc = (struct host_ucontext *)(uintptr_t)(frame + 8);
	struct start *st = (struct start *)(uintptr_t)((frame - sizeof *st) & ~15ULL);
	long r;

	*uc = *puc;
	if (fpsize)
		memcpy((void *)(uintptr_t)fpaddr, pfp, fpsize);
	uc->fpregs = fpsize ? (u8 *)(uintptr_t)fpaddr : NULL;
	uc->uc_link = 0;
	uc->ss_sp = base + 4096; /* the host's sigaltstack for the thread */
	uc->ss_flags = 0;
	uc->ss_size = KSTACK_SIZE - 4096 - FAST_AREA;
	uc->gregs[REG_RAX] = 0;
	uc->gregs[REG_RIP] = puc->gregs[REG_RIP];
	if (sp)
		uc->gregs[REG_RSP] = sp;
	*st = (struct start){ t, frame + 8, settls, tls };
	r = hosted_clone(HOST_THREAD_CLONE_FLAGS, st, task_slot_word(t), task_slot_word(t),
			 thread_entry, st);
	if (r < 0)
		return r == -ENOMEM ? -ENOMEM : -EAGAIN;
	t->host_tid = (int)r;
	return 0;
}

static void kick(struct task *t)
{
	if (t->host_tid)
		host_syscall3(HOST_NR(tgkill), host_syscall0(HOST_NR(getpid)), t->host_tid,
			      HOST_SIG_KICK);
}

/* The host thread ends; its stack stays the slot's until the host clears
 * the slot's word (CLONE_CHILD_CLEARTID), after the thread is gone. */
static void thread_exit(int code)
{
	struct host_stack off = { 0, 2 /* SS_DISABLE */, 0 };

	if (hosted_opts.trace)
		hosted_trace_exit(code); /* strace's "[pid N] +++ exited with 0 +++" */
	task_exit_release();
	kernel_leave();
	host_syscall2(HOST_NR(sigaltstack), &off, 0);
	for (;;)
		host_syscall1(HOST_NR(exit), 0);
}

const struct plat_guest hosted_guest = {
	.thread_start = thread_start,
	.sigreturn = hosted_sigreturn,
	.kick = kick,
	.thread_exit = thread_exit,
};

/* --- The signal thread ------------------------------------------------- *
 *
 * It starts when it is first needed, not with every program (its clone,
 * and its exit at the end, were some 20 µs of a start-up here): until then
 * no host signal the guest has not blocked is blocked on the host, and
 * each has the disposition the guest has too, Linux's default or ignored
 * (inherited); no handler of abi-run's is installed for them. A host
 * signal then does to abi-run what it would do to the program natively
 * (terminate, stop, continue, nothing), and one the guest blocks waits on
 * the host, to be the guest's pending signal when the thread starts. The
 * thread starts before the first guest call that is not one of those
 * below, which leave signals as they are (sigthread_not_needed), and at
 * once for a program that takes the function-call entry, or under --trace,
 * --stats or --report, which report how the program ended. */

#define SIGTHREAD_STACK (64 * 1024)
static u8 sigthread_stack[SIGTHREAD_STACK] __attribute__((aligned(16)));
static u32 sigthread_tid;
static bool sigthread_up;

/* Waits for the host signals the other threads block and sends each to
 * the guest process as it came: a kill from outside is SI_USER (its pid is
 * not one the guest can see, so 0, as for a sender outside a pid
 * namespace), a terminal's SIGINT SI_KERNEL, the host's interval timers'
 * SIGALRM, SIGVTALRM and SIGPROF SI_KERNEL as Linux sends them. A guest
 * POSIX timer's host signal (PLAT_SIG_TIMER with SI_TIMER, aimed at this
 * thread) becomes that timer's own signal (posix_timer_fire); the same
 * signal number sent by anyone else is the guest's. */
static _Noreturn void sigthread_main(void *arg)
{
	u64 set = hosted_guest_hostmask;

	(void)arg;
	/* blocked here too: one that comes while this thread is not waiting
	 * (it is sending the last one) must stay pending for it, not take
	 * its default action (a timer's SIGALRM or real-time signal would
	 * end abi-run); and only those (a thread started from a handler has
	 * its mask) */
	host_syscall4(HOST_NR(rt_sigprocmask), 2 /* SIG_SETMASK */, &set, 0, 8);
	for (;;) {
		struct linux_siginfo info;
		long sig = host_syscall4(HOST_NR(rt_sigtimedwait), &set, &info, 0, 8);

		if (sig > 0 && sig <= 64)
			hosted_host_signal((int)sig, &info);
	}
}

long hosted_sigthread_start(struct host_ucontext *uc)
{
	static const struct linux_timespec now = { 0, 0 };
	uintptr_t lo = (uintptr_t)sigthread_stack;
	u64 set = hosted_guest_hostmask;
	long r;

	if (sigthread_up)
		return 0;
	/* from now on every thread blocks them: this one now and, when it is
	 * in a handler (uc), after its rt_sigreturn; the threads the guest
	 * makes start with uc's mask */
	if ((r = host_syscall4(HOST_NR(rt_sigprocmask), 0 /* SIG_BLOCK */, &set, 0, 8)) < 0)
		return r;
	if (uc) {
		struct linux_siginfo info;
		long sig;

		uc->sigmask |= set;
		/* those that came while the guest blocked them are its pending
		 * signals before its call, as the thread would have made them */
		while ((sig = host_syscall4(HOST_NR(rt_sigtimedwait), &set, &info, &now, 8)) > 0 &&
		       sig <= 64)
			hosted_host_signal((int)sig, &info);
	}
	sigthread_up = true;
	task_set_service_stack(lo, lo + sizeof sigthread_stack);
	r = hosted_clone(HOST_THREAD_CLONE_FLAGS, sigthread_stack + sizeof sigthread_stack,
			 &sigthread_tid, &sigthread_tid, sigthread_main, 0);
	if (r < 0)
		return r;
	plat_timer_tid = (int)r; /* the host's timer signals go to it */
	return 0;
}

/* The guest calls that leave signals and their delivery as they are and
 * need no thread: file and memory calls, identities and clocks, sleeps (a
 * host signal ends abi-run as it would end the program), exit. Anything
 * else starts the signal thread first: the signal calls, clone, exec,
 * timers, waits with a signal mask, ioctls but two that only read. */
static bool sigthread_not_needed(int id, long arg1)
{
	switch (id) {
	case ABI_SYS_read:
	case ABI_SYS_write:
	case ABI_SYS_readv:
	case ABI_SYS_writev:
	case ABI_SYS_pread64:
	case ABI_SYS_pwrite64:
	case ABI_SYS_open:
	case ABI_SYS_openat:
	case ABI_SYS_close:
	case ABI_SYS_stat:
	case ABI_SYS_fstat:
	case ABI_SYS_lstat:
	case ABI_SYS_newfstatat:
	case ABI_SYS_statx:
	case ABI_SYS_lseek:
	case ABI_SYS_getdents64:
	case ABI_SYS_access:
	case ABI_SYS_faccessat:
	case ABI_SYS_readlink:
	case ABI_SYS_readlinkat:
	case ABI_SYS_getcwd:
	case ABI_SYS_chdir:
	case ABI_SYS_fcntl:
	case ABI_SYS_dup:
	case ABI_SYS_dup2:
	case ABI_SYS_dup3:
	case ABI_SYS_pipe2:
	case ABI_SYS_mmap:
	case ABI_SYS_munmap:
	case ABI_SYS_mprotect:
	case ABI_SYS_madvise:
	case ABI_SYS_brk:
	case ABI_SYS_arch_prctl:
	case ABI_SYS_set_tid_address:
	case ABI_SYS_set_robust_list:
	case ABI_SYS_rseq:
	case ABI_SYS_getpid:
	case ABI_SYS_getppid:
	case ABI_SYS_gettid:
	case ABI_SYS_getuid:
	case ABI_SYS_geteuid:
	case ABI_SYS_getgid:
	case ABI_SYS_getegid:
	case ABI_SYS_uname:
	case ABI_SYS_getrandom:
	case ABI_SYS_clock_gettime:
	case ABI_SYS_clock_getres:
	case ABI_SYS_gettimeofday:
	case ABI_SYS_nanosleep:
	case ABI_SYS_clock_nanosleep:
	case ABI_SYS_sched_getaffinity:
	case ABI_SYS_sched_yield:
	case ABI_SYS_exit:
	case ABI_SYS_exit_group:
		return true;
	case ABI_SYS_ioctl:
		return arg1 == TCGETS || arg1 == TIOCGWINSZ;
	default:
		return false;
	}
}

void hosted_sigthread_before(int id, const long *args, struct host_ucontext *uc)
{
	long r;

	if (sigthread_up || sigthread_not_needed(id, args[1]))
		return;
	if ((r = hosted_sigthread_start(uc)) < 0)
		hosted_die("cannot start the signal thread: %s", hosted_errname(r));
}
