/* sigframe: the x86_64 rt_sigframe as a handler sees it, as glibc and
 * HotSpot read it: where the frame goes (below the red zone, aligned), the
 * ucontext's flags, stack and mask, the general registers at the signal,
 * the fpstate with its xsave magic, the FP state the handler starts with,
 * and what rt_sigreturn restores (registers and the mask as the handler
 * changed them in the ucontext, MXCSR as it was). */
#include "check.h"
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853u /* asm/sigcontext.h (glibc has it, musl not) */
#define FP_XSTATE_MAGIC2 0x46505845u
#endif

/* Set and read by the assembly below (globals: the asm names them). */
uint64_t sf_r12, sf_r13, sf_r14, sf_r15, sf_rsp, sf_rax;
uint64_t sf_redzone[16];
extern char sf_after_syscall[];

static volatile int h_ran, h_regs_ok, h_rip_ok, h_rsp_ok, h_rax, h_uc_align, h_fp_align;
static volatile int h_magic1, h_magic2, h_mxcsr_saved_ok, h_mxcsr_fresh, h_mask_ok, h_cur_ok;
static volatile unsigned long h_uc_flags, h_xfeat_nonzero;
static volatile long h_info_off, h_ss_flags, h_xsize_ok;

static uint32_t get_mxcsr(void)
{
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return m;
}

static void set_mxcsr(uint32_t m)
{
	__asm__ volatile("ldmxcsr %0" ::"m"(m));
}

#define MXCSR_SET 0x7f80u /* round toward zero, all exceptions masked */

static void handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	h_ran++;
	h_mxcsr_fresh = get_mxcsr() == 0x1f80; /* the handler starts with a clean FP state */
	h_regs_ok = (uint64_t)g[REG_R12] == 0x1212121212121212ull &&
		    (uint64_t)g[REG_R13] == 0x1313131313131313ull &&
		    (uint64_t)g[REG_R14] == 0x1414141414141414ull &&
		    (uint64_t)g[REG_R15] == 0x1515151515151515ull;
	h_rip_ok = (uintptr_t)g[REG_RIP] == (uintptr_t)sf_after_syscall;
	h_rsp_ok = (uint64_t)g[REG_RSP] == sf_rsp;
	h_rax = (int)g[REG_RAX];
	h_uc_align = (int)((uintptr_t)uc % 16);
	h_info_off = (long)((char *)si - (char *)uc);
	h_uc_flags = uc->uc_flags;
	h_ss_flags = uc->uc_stack.ss_flags;
	h_mask_ok = sigismember(&uc->uc_sigmask, SIGUSR2) == 1 &&
		    sigismember(&uc->uc_sigmask, sig) == 0;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	h_cur_ok = sigismember(&cur, sig) == 1 && sigismember(&cur, SIGUSR2) == 1 &&
		   sigismember(&cur, SIGHUP) == 1; /* sa_mask */
	unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
	if (fp) {
		h_fp_align = (int)((uintptr_t)fp % 64);
		uint32_t mxcsr, magic1, xsize;
		uint64_t xfeat;
		memcpy(&mxcsr, fp + 24, 4);
		memcpy(&magic1, fp + 464, 4);
		memcpy(&xfeat, fp + 472, 8);
		memcpy(&xsize, fp + 480, 4);
		h_mxcsr_saved_ok = mxcsr == MXCSR_SET;
		h_magic1 = magic1 == FP_XSTATE_MAGIC1;
		h_xfeat_nonzero = (xfeat & 3) == 3; /* x87 and SSE at least */
		h_xsize_ok = xsize >= 512 + 64 && xsize <= 64 * 1024;
		if (h_magic1 && h_xsize_ok) {
			uint32_t magic2;
			memcpy(&magic2, fp + xsize, 4);
			h_magic2 = magic2 == FP_XSTATE_MAGIC2;
		}
	}
	/* change what sigreturn restores */
	g[REG_R13] = 0x3131313131313131ll;
	sigaddset(&uc->uc_sigmask, SIGTERM);
}

int main(void)
{
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_sigaction = handler;
	act.sa_flags = SA_SIGINFO;
	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, SIGHUP);
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	set_mxcsr(MXCSR_SET);

	long nr = SYS_tgkill, pid = getpid(), tid = sys_gettid(), sig = SIGUSR1;
	/* r12-r15 and the 128-byte red zone below rsp hold patterns across a
	 * tgkill to ourselves; the handler's frame must leave the red zone alone */
	__asm__ volatile("movabs $0x1212121212121212, %%r12\n\t"
			 "movabs $0x1313131313131313, %%r13\n\t"
			 "movabs $0x1414141414141414, %%r14\n\t"
			 "movabs $0x1515151515151515, %%r15\n\t"
			 "lea -128(%%rsp), %%rcx\n\t"
			 "mov $16, %%r11d\n"
			 "1:\n\t"
			 "mov %%r15, (%%rcx)\n\t"
			 "add $8, %%rcx\n\t"
			 "dec %%r11d\n\t"
			 "jnz 1b\n\t"
			 "mov %%rsp, sf_rsp(%%rip)\n\t"
			 "syscall\n"
			 ".globl sf_after_syscall\n"
			 "sf_after_syscall:\n\t"
			 "mov %%rax, sf_rax(%%rip)\n\t"
			 "mov %%r12, sf_r12(%%rip)\n\t"
			 "mov %%r13, sf_r13(%%rip)\n\t"
			 "mov %%r14, sf_r14(%%rip)\n\t"
			 "mov %%r15, sf_r15(%%rip)\n\t"
			 "lea -128(%%rsp), %%rcx\n\t"
			 "lea sf_redzone(%%rip), %%rdi\n\t"
			 "mov $16, %%r11d\n"
			 "2:\n\t"
			 "mov (%%rcx), %%rsi\n\t"
			 "mov %%rsi, (%%rdi)\n\t"
			 "add $8, %%rcx\n\t"
			 "add $8, %%rdi\n\t"
			 "dec %%r11d\n\t"
			 "jnz 2b"
			 : "+a"(nr), "+D"(pid), "+S"(tid), "+d"(sig)
			 :
			 : "rcx", "r11", "r12", "r13", "r14", "r15", "memory", "cc");
	uint32_t mxcsr_after = get_mxcsr();
	set_mxcsr(0x1f80);
	int redzone_ok = 1;
	for (int i = 0; i < 16; i++)
		redzone_ok &= sf_redzone[i] == 0x1515151515151515ull;
	say("handler ran %d, tgkill returned %ld (rax in the frame %d)\n", h_ran, (long)sf_rax,
	    h_rax);
	say("frame: r12-r15 as set %s, rip after the syscall %s, rsp as it was %s\n",
	    h_regs_ok ? "yes" : "no", h_rip_ok ? "yes" : "no", h_rsp_ok ? "yes" : "no");
	say("frame: red zone intact %s, ucontext 16-aligned %s, siginfo at ucontext + %ld\n",
	    redzone_ok ? "yes" : "no", h_uc_align == 0 ? "yes" : "no", h_info_off);
	say("frame: uc_flags 0x%lx, uc_stack.ss_flags %ld (SS_DISABLE %d)\n", h_uc_flags,
	    h_ss_flags, SS_DISABLE);
	say("frame: uc_sigmask is the mask before %s, mask inside adds the signal and sa_mask %s\n",
	    h_mask_ok ? "yes" : "no", h_cur_ok ? "yes" : "no");
	say("fpstate: 64-aligned %s, MXCSR saved %s, handler starts with 0x1f80 %s\n",
	    h_fp_align == 0 ? "yes" : "no", h_mxcsr_saved_ok ? "yes" : "no",
	    h_mxcsr_fresh ? "yes" : "no");
	say("fpstate: FP_XSTATE_MAGIC1 %s, xfeatures has x87+SSE %s, size sane %s, "
	    "FP_XSTATE_MAGIC2 at xstate_size %s\n",
	    h_magic1 ? "yes" : "no", h_xfeat_nonzero ? "yes" : "no", h_xsize_ok ? "yes" : "no",
	    h_magic2 ? "yes" : "no");
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	say("sigreturn: r12 kept %s, r13 as the handler set it %s, r14/r15 kept %s\n",
	    sf_r12 == 0x1212121212121212ull ? "yes" : "no",
	    sf_r13 == 0x3131313131313131ull ? "yes" : "no",
	    sf_r14 == 0x1414141414141414ull && sf_r15 == 0x1515151515151515ull ? "yes" : "no");
	say("sigreturn: MXCSR restored %s, mask from the ucontext: SIGTERM %d SIGUSR2 %d "
	    "SIGUSR1 %d SIGHUP %d\n",
	    mxcsr_after == MXCSR_SET ? "yes" : "no", sigismember(&cur, SIGTERM),
	    sigismember(&cur, SIGUSR2), sigismember(&cur, SIGUSR1), sigismember(&cur, SIGHUP));

	/* the same on an alternate stack: uc_stack describes it */
	static char alt[64 * 1024];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
	CHECK(sigaltstack(&ss, NULL) == 0);
	act.sa_flags = SA_SIGINFO | SA_ONSTACK;
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0);
	h_ran = 0;
	CHECK(raise(SIGUSR1) == 0);
	say("on the alternate stack: ran %d, uc_stack.ss_flags %ld, ucontext 16-aligned %s, "
	    "magic2 %s\n",
	    h_ran, h_ss_flags, h_uc_align == 0 ? "yes" : "no", h_magic2 ? "yes" : "no");
	return 0;
}
