/* sigaction: each flag. SA_SIGINFO (si_code, si_pid, si_uid, si_value for
 * kill, raise, sigqueue), SA_RESTART against no SA_RESTART on a pipe read
 * interrupted by another thread's pthread_kill and by an interval timer,
 * SA_NODEFER, SA_RESETHAND, SA_ONSTACK; the handler and flags read back. */
#include "check.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/time.h>

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* asm/signal.h */
#endif

static volatile sig_atomic_t hits, depth, max_depth;
static volatile int got_signo, got_code, got_pid, got_uid, got_value;

static void info_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	got_signo = sig == si->si_signo ? sig : -1;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_uid = si->si_uid;
	got_value = si->si_value.sival_int;
}

static const char *code_name(int c)
{
	switch (c) {
	case SI_USER:
		return "SI_USER";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_TKILL:
		return "SI_TKILL";
	case SI_TIMER:
		return "SI_TIMER";
	case SI_KERNEL:
		return "SI_KERNEL";
	}
	static char b[24];
	snprintf(b, sizeof b, "code%d", c);
	return b;
}

static void set(int sig, void (*h)(int), void (*sa)(int, siginfo_t *, void *), int flags)
{
	struct sigaction act;
	memset(&act, 0, sizeof act);
	sigemptyset(&act.sa_mask);
	if (sa)
		act.sa_sigaction = sa;
	else
		act.sa_handler = h;
	act.sa_flags = flags;
	CHECK(sigaction(sig, &act, NULL) == 0);
}

static void test_siginfo(void)
{
	set(SIGUSR1, NULL, info_handler, SA_SIGINFO);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	say("siginfo: kill -> hits %d signo %d code %s pid is mine %s uid is mine %s\n", hits,
	    got_signo, code_name(got_code), got_pid == getpid() ? "yes" : "no",
	    got_uid == (int)getuid() ? "yes" : "no");
	CHECK(raise(SIGUSR1) == 0);
	say("siginfo: raise -> hits %d code %s pid is mine %s\n", hits, code_name(got_code),
	    got_pid == getpid() ? "yes" : "no");
	union sigval v = { .sival_int = 1234 };
	CHECK(sigqueue(getpid(), SIGUSR1, v) == 0);
	say("siginfo: sigqueue -> hits %d code %s value %d\n", hits, code_name(got_code),
	    got_value);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = -42; /* a negative code from user space is accepted */
	si.si_value.sival_int = 77;
	si.si_pid = getpid();
	si.si_uid = getuid();
	CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si) == 0);
	say("siginfo: rt_sigqueueinfo -> hits %d code %s value %d\n", hits, code_name(got_code),
	    got_value);
	si.si_code = SI_KERNEL; /* only the kernel may claim that */
	long r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si);
	say("siginfo: rt_sigqueueinfo to itself with SI_KERNEL %ld %s\n", r, ename(r ? errno : 0));
	r = syscall(SYS_rt_tgsigqueueinfo, getpid(), sys_gettid(), SIGUSR1,
		    &(siginfo_t){ .si_signo = SIGUSR1,
				  .si_code = SI_QUEUE,
				  .si_pid = getpid(),
				  .si_uid = getuid(),
				  .si_value = { .sival_int = 99 } });
	say("siginfo: rt_tgsigqueueinfo %ld -> hits %d value %d\n", r, hits, got_value);
}

/* SA_RESTART: a read on an empty pipe, interrupted */
static int pfd[2];
static pthread_t reader_thread;
static volatile sig_atomic_t plain_hits;
static void plain(int sig)
{
	(void)sig;
	plain_hits++;
}

static volatile pid_t reader_tid;
static volatile int read_returned;

static void *kicker(void *arg)
{
	long restart = (long)arg;
	if (restart != 2) {
		wait_asleep(reader_tid);
		CHECK(pthread_kill(reader_thread, SIGUSR2) == 0);
	}
	if (restart) {
		while (!plain_hits)
			sleep_ms(1);
		sleep_ms(20);
		CHECK(write(pfd[1], "r", 1) == 1);
	} else {
		/* never hang: if the read was not interrupted, give it a byte */
		for (int i = 0; i < 300 && !read_returned; i++)
			sleep_ms(10);
		if (!read_returned)
			CHECK(write(pfd[1], "?", 1) == 1);
	}
	return NULL;
}

static void read_interrupted(const char *by, int restart)
{
	char c = 0;
	pthread_t k = 0;
	plain_hits = 0;
	set(by[0] == 't' ? SIGUSR2 : SIGALRM, plain, NULL, restart ? SA_RESTART : 0);
	reader_thread = pthread_self();
	reader_tid = sys_gettid();
	read_returned = 0;
	if (by[0] == 't') {
		PCHECK(pthread_create(&k, NULL, kicker, (void *)(long)restart));
	} else {
		struct itimerval it = { { 0, 0 }, { 0, 200000 } };
		CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
		if (restart) {
			/* a helper writes once the handler has run */
			PCHECK(pthread_create(&k, NULL, kicker, (void *)2L));
		}
	}
	ssize_t n = read(pfd[0], &c, 1);
	int e = n < 0 ? errno : 0;
	read_returned = 1;
	if (k)
		PCHECK(pthread_join(k, NULL));
	say("restart: %s, %s: read %zd %s, data '%c', handler ran %d\n", by,
	    restart ? "SA_RESTART" : "no SA_RESTART", n, ename(e), n > 0 ? c : '-',
	    (int)plain_hits);
}

static void nest_handler(int sig)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (hits++ == 0)
		raise(sig); /* again, from inside */
	depth--;
}

static void test_nodefer(void)
{
	for (int nodefer = 0; nodefer < 2; nodefer++) {
		hits = depth = max_depth = 0;
		set(SIGUSR1, nest_handler, NULL, nodefer ? SA_NODEFER : 0);
		raise(SIGUSR1);
		say("nodefer: %s -> handler ran %d times, deepest nesting %d\n",
		    nodefer ? "SA_NODEFER" : "default", (int)hits, (int)max_depth);
	}
	/* without SA_NODEFER the signal is in the mask inside the handler */
}

static volatile int mask_had_sig;
static void mask_probe(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	mask_had_sig = sigismember(&cur, sig) + 10 * sigismember(&cur, SIGUSR2);
	hits++;
}

static void test_resethand(void)
{
	struct sigaction act, old;
	memset(&act, 0, sizeof act);
	act.sa_handler = mask_probe;
	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, SIGUSR2);
	act.sa_flags = SA_RESETHAND;
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0);
	hits = 0;
	raise(SIGUSR1);
	CHECK(sigaction(SIGUSR1, NULL, &old) == 0);
	say("resethand: ran %d; inside: signal blocked %d, sa_mask's SIGUSR2 blocked %d\n",
	    (int)hits, mask_had_sig % 10, mask_had_sig / 10);
	say("resethand: handler afterwards %s, flags 0x%x\n",
	    old.sa_handler == SIG_DFL ? "SIG_DFL" : "still set",
	    (unsigned)old.sa_flags & ~(unsigned)SA_RESTORER);
	act.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER | SA_ONSTACK;
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0);
	CHECK(sigaction(SIGUSR1, NULL, &old) == 0);
	say("readback: flags 0x%x, mask has SIGUSR2 %d, mask has SIGUSR1 %d\n",
	    (unsigned)old.sa_flags & ~(unsigned)SA_RESTORER, sigismember(&old.sa_mask, SIGUSR2),
	    sigismember(&old.sa_mask, SIGUSR1));
	/* SIGKILL and SIGSTOP cannot be caught; signal 0 and 65 do not exist */
	int rKILL = sigaction(SIGKILL, &act, NULL);
	say("sigaction SIGKILL %d %s\n", rKILL, ename(rKILL ? errno : 0));
	int rSTOP = sigaction(SIGSTOP, &act, NULL);
	say("sigaction SIGSTOP %d %s\n", rSTOP, ename(rSTOP ? errno : 0));
	long r = syscall(SYS_rt_sigaction, 65, NULL, NULL, 8);
	say("rt_sigaction 65 %ld %s\n", r, ename(r ? errno : 0));
	r = syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4);
	say("rt_sigaction sigsetsize 4 %ld %s\n", r, ename(r ? errno : 0));
	set(SIGUSR1, SIG_DFL, NULL, 0);
}

static char *alt;
static size_t altsz = 64 * 1024;
static volatile int on_alt, ss_flags_inside, ss_change_err;

static void where_handler(int sig)
{
	(void)sig;
	char here;
	on_alt = &here >= alt && &here < alt + altsz;
	stack_t cur, nw = { .ss_sp = alt, .ss_size = altsz, .ss_flags = 0 };
	sigaltstack(NULL, &cur);
	ss_flags_inside = cur.ss_flags;
	ss_change_err = sigaltstack(&nw, NULL) == 0 ? 0 : errno;
}

static void test_onstack(void)
{
	alt = malloc(altsz);
	stack_t ss = { .ss_sp = alt, .ss_size = altsz, .ss_flags = 0 }, got;
	CHECK(sigaltstack(&ss, NULL) == 0);
	for (int onstack = 0; onstack < 2; onstack++) {
		set(SIGUSR1, where_handler, NULL, onstack ? SA_ONSTACK : 0);
		raise(SIGUSR1);
		say("onstack: %s -> ran on the alternate stack %s, ss_flags inside %s, "
		    "changing it inside %s\n",
		    onstack ? "SA_ONSTACK" : "default", on_alt ? "yes" : "no",
		    ss_flags_inside == SS_ONSTACK ? "SS_ONSTACK"
		    : ss_flags_inside == 0        ? "0"
						  : "?",
		    ename(ss_change_err));
	}
	CHECK(sigaltstack(NULL, &got) == 0);
	say("sigaltstack: outside flags %d size ok %s\n", got.ss_flags,
	    got.ss_size == altsz ? "yes" : "no");
	stack_t small = { .ss_sp = alt, .ss_size = 512, .ss_flags = 0 };
	int r = sigaltstack(&small, NULL);
	say("sigaltstack: too small %d %s\n", r, ename(r ? errno : 0));
	stack_t badf = { .ss_sp = alt, .ss_size = altsz, .ss_flags = 12345 };
	r = sigaltstack(&badf, NULL);
	say("sigaltstack: bad flags %d %s\n", r, ename(r ? errno : 0));
	stack_t off = { .ss_flags = SS_DISABLE };
	CHECK(sigaltstack(&off, NULL) == 0);
	CHECK(sigaltstack(NULL, &got) == 0);
	say("sigaltstack: disabled flags %s\n", got.ss_flags == SS_DISABLE ? "SS_DISABLE" : "?");
	set(SIGUSR1, where_handler, NULL, SA_ONSTACK);
	raise(SIGUSR1);
	say("onstack: SA_ONSTACK with the stack disabled -> on it %s\n", on_alt ? "yes" : "no");
	set(SIGUSR1, SIG_DFL, NULL, 0);
}

int main(void)
{
	CHECK(pipe(pfd) == 0);
	test_siginfo();
	read_interrupted("thread pthread_kill", 0);
	read_interrupted("thread pthread_kill", 1);
	read_interrupted("setitimer", 0);
	read_interrupted("setitimer", 1);
	test_nodefer();
	test_resethand();
	test_onstack();
	return 0;
}
