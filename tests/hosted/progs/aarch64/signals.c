/* aarch64 signal delivery and rt_sigreturn, for abi-run --emu against
 * qemu-aarch64 (tests/hosted/test_emu_aarch64.py): handlers with siginfo
 * and ucontext, the mask during a handler, the alternate stack, faults
 * (si_code, si_addr, sigcontext.fault_address), udf and brk skipped by a
 * handler that moves the saved pc, a blocking read interrupted (by a
 * second thread's pthread_kill) with and without SA_RESTART, and a default
 * action that kills. Prints facts only. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define FPSIMD_MAGIC_ 0x46508001u

static volatile sig_atomic_t got_sig, got_code, mask_had_usr1, on_alt;
static volatile uintptr_t got_addr, got_fault_address, got_pc;
static volatile int fpsimd_record, wfd = -1;
static char altstack[1 << 16];
static sigjmp_buf jb;

static int has_record(const ucontext_t *uc, unsigned magic)
{
	const unsigned char *r = (const unsigned char *)uc->uc_mcontext.__reserved;
	for (size_t off = 0; off + 8 <= sizeof uc->uc_mcontext.__reserved;) {
		unsigned m, sz;
		memcpy(&m, r + off, 4);
		memcpy(&sz, r + off + 4, 4);
		if (m == 0 || sz == 0)
			return 0;
		if (m == magic)
			return 1;
		off += sz;
	}
	return 0;
}

static void on_info(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	sigset_t now;
	char here;

	got_sig = sig;
	got_code = si->si_code;
	got_addr = (uintptr_t)si->si_addr;
	got_fault_address = uc->uc_mcontext.fault_address;
	got_pc = uc->uc_mcontext.pc;
	fpsimd_record = has_record(uc, FPSIMD_MAGIC_);
	sigprocmask(SIG_BLOCK, NULL, &now);
	mask_had_usr1 = sigismember(&now, SIGUSR1);
	on_alt = &here >= altstack && &here < altstack + sizeof altstack;
	if (sig == SIGILL || sig == SIGTRAP)
		uc->uc_mcontext.pc += 4; /* skip the udf or brk: rt_sigreturn takes the new pc */
	else if (sig == SIGSEGV)
		siglongjmp(jb, 1);
}

static void on_alarm(int sig)
{
	(void)sig;
	if (wfd >= 0)
		write(wfd, "x", 1);
}

/* Clobbers the vector registers the main line keeps a value in. */
static void on_winch(int sig)
{
	(void)sig;
	__asm__ volatile("fmov d16, xzr\n\tmovi v17.16b, #0xff" ::: "v16", "v17");
}

/* A value in d16 across a tgkill whose signal runs on_winch: the frame's
 * fpsimd_context must bring it back. */
static void fp_kept(void)
{
	unsigned long in = 0x1122334455667788UL, out;
	long pid = getpid(), tid = gettid();

	signal(SIGWINCH, on_winch);
	__asm__ volatile("fmov d16, %1\n\t"
			 "mov x0, %2\n\tmov x1, %3\n\tmov x2, %4\n\tmov x8, %5\n\t"
			 "svc #0\n\t"
			 "fmov %0, d16"
			 : "=r"(out)
			 : "r"(in), "r"(pid), "r"(tid), "r"((long)SIGWINCH), "r"((long)SYS_tgkill)
			 : "x0", "x1", "x2", "x8", "v16", "v17", "memory");
	printf("d16 kept across a handler: %s\n", out == in ? "yes" : "no");
}

static void handle(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(sig, &sa, NULL);
}

static void report(const char *what)
{
	printf("%s: sig %d code %d fpsimd record %s\n", what, (int)got_sig, (int)got_code,
	       fpsimd_record ? "yes" : "no");
	got_sig = got_code = 0;
}

static pthread_t main_thread;

/* Sends SIGALRM to the main thread once it sleeps in read. */
static void *kicker(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	(void)arg;
	nanosleep(&ts, NULL);
	pthread_kill(main_thread, SIGALRM);
	return NULL;
}

static void interrupted_read(int restart)
{
	int p[2];
	char c = 0;
	struct sigaction sa;
	pthread_t t;

	pipe(p);
	wfd = p[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	main_thread = pthread_self();
	pthread_create(&t, NULL, kicker, NULL);
	long n = read(p[0], &c, 1);
	printf("read %s SA_RESTART: %ld %s%s\n", restart ? "with" : "without", n,
	       n < 0 ? strerrorname_np(errno) : "", n == 1 && c == 'x' ? "got x" : "");
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);
	wfd = -1;
}

int main(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };

	setvbuf(stdout, NULL, _IONBF, 0);
	handle(SIGUSR1, 0);
	raise(SIGUSR1);
	report("raise SIGUSR1");
	printf("SIGUSR1 blocked in its handler: %s\n", mask_had_usr1 ? "yes" : "no");
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("blocked after the handler: %s\n", sigismember(&now, SIGUSR1) ? "yes" : "no");

	sigaltstack(&ss, NULL);
	handle(SIGUSR2, SA_ONSTACK);
	raise(SIGUSR2);
	report("raise SIGUSR2 on the altstack");
	printf("handler ran on the altstack: %s\n", on_alt ? "yes" : "no");

	handle(SIGSEGV, 0);
	volatile int *bad = (int *)0x10;
	if (!sigsetjmp(jb, 1))
		*bad = 1;
	report("write to 0x10");
	printf("si_addr 0x%lx fault_address 0x%lx\n", (unsigned long)got_addr,
	       (unsigned long)got_fault_address);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!sigsetjmp(jb, 1))
		*(volatile char *)(ro + 8) = 1;
	report("write to a read-only page");
	printf("si_addr is the byte: %s\n", got_addr == (uintptr_t)(ro + 8) ? "yes" : "no");
	static uintptr_t store; /* the store's address, written before it faults */
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("adr x9, 1f\n\tstr x9, [%0]\n1:\tstr wzr, [%1]"
				 :
				 : "r"(&store), "r"(ro + 16)
				 : "x9", "memory");
	printf("the saved pc is the store: %s\n", got_pc == store ? "yes" : "no");

	handle(SIGILL, 0);
	uintptr_t at;
	__asm__ volatile("adr %0, 1f\n1: udf #0" : "=r"(at));
	report("udf");
	printf("si_addr and pc are the udf: %s %s\n", got_addr == at ? "yes" : "no",
	       got_pc == at ? "yes" : "no");
	handle(SIGTRAP, 0);
	__asm__ volatile("adr %0, 1f\n1: brk #0" : "=r"(at));
	report("brk");
	printf("pc is the brk: %s\n", got_pc == at ? "yes" : "no");

	interrupted_read(1);
	interrupted_read(0);
	fp_kept();

	signal(SIGUSR1, SIG_DFL);
	printf("now dying of SIGUSR1\n");
	raise(SIGUSR1);
	printf("not reached\n");
	return 0;
}
