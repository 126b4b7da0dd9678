/* The function-call entry, exercised without musl-compat: the program
 * carries the ABI note, so abi-run gives it AT_ABI_ENTRY, and makes its own
 * calls through it (glibc's calls still trap). Natively there is no entry
 * and the same calls use the syscall instruction, so the output must be
 * the same. The checks: results and errno values, every register but rax,
 * rcx and r11 kept, a signal delivered on the way out (its handler clobbers
 * the vector registers, which the interrupted code gets back), a blocking
 * call restarted (SA_RESTART) or failed with EINTR, nanosleep interrupted,
 * and a thread making calls through the entry. Built with -DNO_NOTE it has
 * no note, and `fastcall probe` says what it was given. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef NO_NOTE
__asm__(".section .note.abi,\"a\",@note\n"
	".balign 4\n"
	".long 4, 4, 0xab1\n"
	".asciz \"abi\"\n"
	".long 1\n"
	".text\n");
#endif

unsigned long entry;

/* A call through the entry, or the syscall instruction without one; the
 * red zone is stepped over (this file is built with one). */
static long call6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;

	if (entry)
		__asm__ volatile("sub $128, %%rsp\n\tcall *%[e]\n\tadd $128, %%rsp"
				 : "=a"(ret), "+r"(r10), "+r"(r8), "+r"(r9)
				 : "a"(n), "D"(a), "S"(b), "d"(c), [e] "m"(entry)
				 : "rcx", "r11", "memory", "cc");
	else
		__asm__ volatile("syscall"
				 : "=a"(ret), "+r"(r10), "+r"(r8), "+r"(r9)
				 : "a"(n), "D"(a), "S"(b), "d"(c)
				 : "rcx", "r11", "memory", "cc");
	return ret;
}
#define call(n, ...) call6_(n, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define call6_(n, a, b, c, d, e, f, ...) \
	call6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static int fds[2];
static volatile int handled;

static void on_signal(int sig)
{
	char c = 'h';

	handled = sig;
	/* clobber the vector registers the interrupted code relies on */
	__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpcmpeqd %%xmm7, %%xmm7" ::: "xmm0", "xmm7");
	if (sig == SIGUSR2)
		call(SYS_write, fds[1], &c, 1);
}

/* Every general register but rax, rcx and r11 survives a call, and the
 * vector registers survive a call that runs a handler. Globals: no operand
 * may be addressed through the stack pointer the asm moves. */
unsigned long regin[9] = { 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0x8888, 0x9999 },
	      regout[9];
double fx0 = 1.5, fx7 = 2.25, fy0, fy7;

static void registers(void)
{
	long ret;

	__asm__ volatile("push %%rbp\n\t"
			 "mov regin+0(%%rip), %%rbx\n\tmov regin+8(%%rip), %%rbp\n\t"
			 "mov regin+16(%%rip), %%r12\n\tmov regin+24(%%rip), %%r13\n\t"
			 "mov regin+32(%%rip), %%r14\n\tmov regin+40(%%rip), %%r15\n\t"
			 "mov regin+48(%%rip), %%r8\n\tmov regin+56(%%rip), %%r9\n\t"
			 "mov regin+64(%%rip), %%r10\n\t"
			 "movsd fx0(%%rip), %%xmm0\n\tmovsd fx7(%%rip), %%xmm7\n\t"
			 "mov %%edx, %%edi\n\tmov %[sig], %%esi\n\tmov %[nr], %%eax\n\t"
			 "sub $128, %%rsp\n\t"
			 "cmpq $0, entry(%%rip)\n\tje 1f\n\tcall *entry(%%rip)\n\tjmp 2f\n"
			 "1:\tsyscall\n"
			 "2:\tadd $128, %%rsp\n\t"
			 "mov %%rbx, regout+0(%%rip)\n\tmov %%rbp, regout+8(%%rip)\n\t"
			 "mov %%r12, regout+16(%%rip)\n\tmov %%r13, regout+24(%%rip)\n\t"
			 "mov %%r14, regout+32(%%rip)\n\tmov %%r15, regout+40(%%rip)\n\t"
			 "mov %%r8, regout+48(%%rip)\n\tmov %%r9, regout+56(%%rip)\n\t"
			 "mov %%r10, regout+64(%%rip)\n\t"
			 "movsd %%xmm0, fy0(%%rip)\n\tmovsd %%xmm7, fy7(%%rip)\n\t"
			 "pop %%rbp"
			 : "=a"(ret)
			 : "d"(getpid()), [sig] "i"(SIGUSR1), [nr] "i"(SYS_kill)
			 : "rbx", "rcx", "rdi", "rsi", "r8", "r9", "r10", "r11", "r12", "r13",
			   "r14", "r15", "xmm0", "xmm7", "memory", "cc");
	printf("kill through the call: %ld, handler %d\n", ret, handled);
	printf("registers kept: %s\n", memcmp(regin, regout, sizeof regin) == 0 ? "yes" : "no");
	printf("vector registers kept: %s\n", fy0 == 1.5 && fy7 == 2.25 ? "yes" : "no");
}

/* The signal in 100 ms, from a POSIX timer. */
static void arm(int sig)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig };
	struct itimerspec its = { .it_value = { 0, 100 * 1000 * 1000 } };
	static timer_t t;

	timer_create(CLOCK_MONOTONIC, &ev, &t);
	timer_settime(t, 0, &its, NULL);
}

static void restart(int flags, const char *what)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };
	char c = 0;
	long r;

	sigaction(SIGUSR2, &sa, NULL);
	handled = 0;
	arm(SIGUSR2);
	r = call(SYS_read, fds[0], &c, 1);
	printf("%s: read %ld%s%c, handler %d\n", what, r, r == 1 ? " '" : "", r == 1 ? c : ' ',
	       handled);
	if (r < 0) /* the handler's byte is still there */
		printf("  then read %ld\n", call(SYS_read, fds[0], &c, 1));
}

static void *thread(void *arg)
{
	(void)arg;
	printf("thread: gettid %s\n",
	       call(SYS_gettid, 0) == syscall(SYS_gettid) ? "matches" : "differs");
	return NULL;
}

/* `fastcall probe`: whether the entry and a GS base were given. */
static int probe(void)
{
	unsigned long gs;

	__asm__ volatile("rdgsbase %0" : "=r"(gs));
	printf("entry %d gs %d\n", entry != 0, gs != 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	pthread_t th;
	long r;

	entry = getauxval(0xab1);
	if (argc > 1 && strcmp(argv[1], "probe") == 0)
		return probe();
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("getpid: %s\n", call(SYS_getpid, 0) == getpid() ? "matches" : "differs");
	r = call(SYS_write, 1, "written through the call\n", 25);
	printf("write: %ld\n", r);
	printf("close(-1): %ld\n", call(SYS_close, -1));
	printf("write(bad pointer): %ld\n", call(SYS_write, 1, (void *)8, 1));
	sigaction(SIGUSR1, &sa, NULL);
	registers();
	pipe(fds);
	restart(SA_RESTART, "SA_RESTART");
	restart(0, "no SA_RESTART");
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	handled = 0;
	/* an alarm during a 2 s nanosleep: EINTR with the time left */
	ts.tv_sec = 2;
	r = call(SYS_nanosleep, &ts, &ts);
	printf("nanosleep: %ld, handler %d, left %s\n", r, handled,
	       ts.tv_sec <= 1 ? "under 1 s" : "too much");
	pthread_create(&th, NULL, thread, NULL);
	pthread_join(th, NULL);
	call(SYS_exit_group, 3);
	return 0;
}
