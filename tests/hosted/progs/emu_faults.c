/* Faults in guest code and the signals they become, with a handler for
 * each (tests/hosted/test_emu.py runs it natively and under abi-run --emu):
 * si_code, si_addr, and the frame's trapno and err, as Linux reports them. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile int got;

static void handler(int sig, siginfo_t *info, void *ctx)
{
	ucontext_t *uc = ctx;

	printf("signal %d code %d addr %p trapno %lld err %lld\n", sig, info->si_code,
	       info->si_addr, (long long)uc->uc_mcontext.gregs[REG_TRAPNO],
	       (long long)uc->uc_mcontext.gregs[REG_ERR]);
	siglongjmp(jb, 1);
}

static void plain(int sig)
{
	got = sig;
}

int main(void)
{
	struct sigaction sa;
	double d = 1.5;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGILL, &sa, 0);
	sigaction(SIGTRAP, &sa, 0);
	if (!sigsetjmp(jb, 1))
		*(volatile int *)8 = 1; /* a write to unmapped memory */
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("ud2");
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("int3");
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("hlt");
	if (!sigsetjmp(jb, 1))
		((void (*)(void))0x1234)(); /* a jump to unmapped memory */
	if (!sigsetjmp(jb, 1))
		*(volatile char *)(void *)main = 0; /* a write to the program's text */
	signal(SIGUSR1, plain);
	raise(SIGUSR1);
	printf("raise: handler ran for %d\n", got);
	printf("after the handlers: %.1f\n", d * 2);
	return 0;
}
