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
u64 hosted_handler_mask = ~(u64)HOST_SYNC_MASK | BIT(HOST_SIG_KICK);

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

/* --- The signal thread ------------------------------------------------- */

#define SIGTHREAD_STACK (64 * 1024)
static u8 sigthread_stack[SIGTHREAD_STACK] __attribute__((aligned(16)));
static u32 sigthread_tid;

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
	 * end abi-run) */
	host_syscall4(HOST_NR(rt_sigprocmask), 0 /* SIG_BLOCK */, &set, 0, 8);
	for (;;) {
		struct linux_siginfo info;
		long sig = host_syscall4(HOST_NR(rt_sigtimedwait), &set, &info, 0, 8);

		if (sig > 0 && sig <= 64)
			hosted_host_signal((int)sig, &info);
	}
}

long hosted_sigthread_start(void)
{
	uintptr_t lo = (uintptr_t)sigthread_stack;
	long r;

	task_set_service_stack(lo, lo + sizeof sigthread_stack);
	r = hosted_clone(HOST_THREAD_CLONE_FLAGS, sigthread_stack + sizeof sigthread_stack,
			 &sigthread_tid, &sigthread_tid, sigthread_main, 0);
	if (r < 0)
		return r;
	plat_timer_tid = (int)r; /* the host's timer signals go to it */
	return 0;
}
