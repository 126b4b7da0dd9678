/* faults: synchronous faults become signals with Linux's si_code and
 * si_addr. Stack overflow caught on the alternate stack (main thread and a
 * thread's guard page), SIGSEGV recovery with siglongjmp, a handler that
 * mprotects the page and returns (the access then succeeds), SIGBUS past the
 * end of a file mapping, SIGFPE (divide), SIGILL (ud2, resumed by moving
 * RIP), SIGTRAP (int3), and the FP state restored by rt_sigreturn. */
#include "check.h"
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile int f_sig, f_code, f_addr_ok, f_on_alt, f_count;
static volatile uintptr_t f_expect_addr, f_addr;
static char *alt;
static const size_t altsz = 64 * 1024;

static const char *code_name(int sig, int c)
{
	static char b[32];
	if (sig == SIGSEGV && c == SEGV_MAPERR)
		return "SEGV_MAPERR";
	if (sig == SIGSEGV && c == SEGV_ACCERR)
		return "SEGV_ACCERR";
	if (sig == SIGBUS && c == BUS_ADRERR)
		return "BUS_ADRERR";
	if (sig == SIGFPE && c == FPE_INTDIV)
		return "FPE_INTDIV";
	if (sig == SIGFPE && c == FPE_INTOVF)
		return "FPE_INTOVF";
	if (sig == SIGILL && c == ILL_ILLOPN)
		return "ILL_ILLOPN";
	if (sig == SIGILL && c == ILL_ILLOPC)
		return "ILL_ILLOPC";
	if (sig == SIGTRAP && c == TRAP_BRKPT)
		return "TRAP_BRKPT";
	if (c == SI_KERNEL)
		return "SI_KERNEL";
	snprintf(b, sizeof b, "code%d", c);
	return b;
}

static void record(int sig, siginfo_t *si)
{
	char here;
	f_sig = sig;
	f_code = si->si_code;
	f_addr = (uintptr_t)si->si_addr;
	f_addr_ok = f_addr == f_expect_addr;
	f_on_alt = alt && &here >= alt && &here < alt + altsz;
	f_count++;
}

static void jump_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	record(sig, si);
	siglongjmp(jb, 1);
}

static void catch (int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_sigaction = h;
	act.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&act.sa_mask);
	CHECK(sigaction(sig, &act, NULL) == 0);
}

static void report(const char *what)
{
	say("%s: %s %s, si_addr as expected %s, on the alternate stack %s\n", what, sname(f_sig),
	    code_name(f_sig, f_code), f_addr_ok ? "yes" : "no", f_on_alt ? "yes" : "no");
	f_sig = f_code = 0;
	f_addr_ok = 0;
}

/* infinite recursion that the compiler cannot turn into a loop */
static volatile int sink, keep_going = 1;
static int recurse(int n)
{
	volatile char pad[256];
	pad[0] = (char)n;
	sink = pad[0];
	if (!keep_going)
		return 0;
	return recurse(n + 1) + pad[0];
}

static void *thread_overflow(void *arg)
{
	(void)arg;
	char *talt = malloc(altsz);
	stack_t ss = { .ss_sp = talt, .ss_size = altsz, .ss_flags = 0 };
	CHECK(sigaltstack(&ss, NULL) == 0);
	char *save_alt = alt;
	alt = talt;
	f_expect_addr = 1; /* the fault address is somewhere in the guard; not compared */
	if (sigsetjmp(jb, 1) == 0)
		recurse(0);
	alt = save_alt;
	say("thread stack overflow: %s %s, on the alternate stack %s\n", sname(f_sig),
	    code_name(f_sig, f_code), f_on_alt ? "yes" : "no");
	return NULL;
}

static volatile int fixed;
static char *fix_page;
static void fix_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	record(sig, si);
	fixed = mprotect(fix_page, 4096, PROT_READ | PROT_WRITE) == 0;
}

static void ill_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	record(sig, si);
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* skip the ud2 */
}

static void trap_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	record(sig, si);
	/* RIP is already past the int3; report where the trap happened */
	f_addr_ok = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] == f_expect_addr + 1;
}

static void clobber_handler(int sig)
{
	(void)sig;
	__asm__ volatile("pcmpeqd %%xmm8, %%xmm8\n\tpcmpeqd %%xmm0, %%xmm0" ::: "xmm0", "xmm8");
	f_count++;
}

extern char ud2_site[], int3_site[];
static volatile int zero;

int main(void)
{
	alt = malloc(altsz);
	stack_t ss = { .ss_sp = alt, .ss_size = altsz, .ss_flags = 0 };
	CHECK(sigaltstack(&ss, NULL) == 0);

	/* 1. stack overflow on the main thread, caught on the alternate stack */
	catch (SIGSEGV, jump_handler, SA_ONSTACK);
	f_expect_addr = 1;
	if (sigsetjmp(jb, 1) == 0)
		recurse(0);
	say("main stack overflow: %s %s, on the alternate stack %s\n", sname(f_sig),
	    code_name(f_sig, f_code), f_on_alt ? "yes" : "no");

	/* 2. the same in a thread: its stack ends at a guard page */
	pthread_t t;
	PCHECK(pthread_create(&t, NULL, thread_overflow, NULL));
	PCHECK(pthread_join(t, NULL));

	/* 3. SIGSEGV recovery with siglongjmp: unmapped and read-only */
	catch (SIGSEGV, jump_handler, 0);
	f_expect_addr = 0x10;
	if (sigsetjmp(jb, 1) == 0)
		sink = *(volatile int *)0x10;
	report("read of 0x10");
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	f_expect_addr = (uintptr_t)ro + 8;
	if (sigsetjmp(jb, 1) == 0)
		*(volatile char *)(ro + 8) = 1;
	report("write to a read-only page");
	/* the mask was restored by siglongjmp(savemask=1): SIGSEGV is deliverable again */
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	say("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));

	/* 4. a handler that fixes the cause and returns: the access is retried */
	fix_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(fix_page != MAP_FAILED);
	catch (SIGSEGV, fix_handler, 0);
	f_expect_addr = (uintptr_t)fix_page + 100;
	f_count = 0;
	fix_page[100] = 'x';
	say("mprotect in the handler: fixed %d, handler ran %d, value '%c'\n", fixed, f_count,
	    fix_page[100]);
	report("write to a PROT_NONE page");

	/* 5. SIGBUS past the end of a file mapping */
	int fd = open("sigbus.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, "0123456789", 10) == 10);
	char *fm = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(fm != MAP_FAILED);
	catch (SIGBUS, jump_handler, 0);
	say("file mapping: first page reads '%c', past the data reads %d\n", fm[3], fm[100]);
	f_expect_addr = (uintptr_t)fm + 4096 + 5;
	if (sigsetjmp(jb, 1) == 0)
		sink = fm[4096 + 5];
	report("read past the end of a file");
	close(fd);
	unlink("sigbus.dat");

	/* 6. SIGFPE: integer divide by zero, and INT_MIN / -1 */
	catch (SIGFPE, jump_handler, 0);
	f_expect_addr = 0; /* the instruction's address: not compared */
	if (sigsetjmp(jb, 1) == 0)
		sink = 7 / zero;
	f_addr_ok = 1;
	report("divide by zero");
	volatile int minint = (int)0x80000000, minus1 = -1;
	if (sigsetjmp(jb, 1) == 0)
		sink = minint / minus1;
	f_addr_ok = 1;
	report("INT_MIN / -1");

	/* 7. SIGILL: ud2, resumed after it by the handler */
	catch (SIGILL, ill_handler, 0);
	f_expect_addr = (uintptr_t)ud2_site;
	f_count = 0;
	__asm__ volatile(".globl ud2_site\nud2_site: ud2");
	say("after ud2: handler ran %d, resumed yes\n", f_count);
	report("ud2");

	/* 8. SIGTRAP: int3 */
	catch (SIGTRAP, trap_handler, 0);
	f_expect_addr = (uintptr_t)int3_site;
	f_count = 0;
	__asm__ volatile(".globl int3_site\nint3_site: int3");
	say("after int3: handler ran %d; si_addr is 0: %s\n", f_count, f_addr == 0 ? "yes" : "no");
	report("int3 (si_addr check: RIP after the int3)");

	/* 9. rt_sigreturn restores the vector registers the handler clobbered */
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_handler = clobber_handler;
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0);
	uint64_t before = 0x0123456789abcdefull, after0 = 0, after8 = 0;
	long nr = SYS_tgkill, ret;
	long pid = getpid(), tid = sys_gettid(), sig = SIGUSR1;
	f_count = 0;
	__asm__ volatile("movq %[b], %%xmm8\n\t"
			 "movq %[b], %%xmm0\n\t"
			 "syscall\n\t"
			 "movq %%xmm8, %[a8]\n\t"
			 "movq %%xmm0, %[a0]"
			 : "=a"(ret), [a8] "=r"(after8), [a0] "=r"(after0)
			 : "a"(nr), "D"(pid), "S"(tid), "d"(sig), [b] "r"(before)
			 : "rcx", "r11", "xmm0", "xmm8", "memory");
	say("fpstate: handler ran %d, tgkill %ld, xmm0 kept %s, xmm8 kept %s\n", f_count, ret,
	    after0 == before ? "yes" : "no", after8 == before ? "yes" : "no");
	return 0;
}
