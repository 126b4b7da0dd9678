/* sigqueue: real-time signals queue in order with their values while
 * standard ones coalesce; sigpending, sigsuspend, sigtimedwait and
 * sigwaitinfo; kill to the process lands on a thread that does not block
 * the signal, tgkill and pthread_kill on one thread (pending per thread);
 * pause woken by alarm. */
#include "check.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

static volatile int order[64], values[64];
static volatile int n_rec;
static volatile pid_t handled_by;

static void rec_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (n_rec < 64) {
		order[n_rec] = sig;
		values[n_rec] = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
		n_rec++;
	}
	handled_by = sys_gettid();
}

static void catch (int sig)
{
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_sigaction = rec_handler;
	act.sa_flags = SA_SIGINFO;
	sigemptyset(&act.sa_mask);
	CHECK(sigaction(sig, &act, NULL) == 0);
}

static const char *name(int sig)
{
	static char b[24];
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		snprintf(b, sizeof b, "SIGRTMIN+%d", sig - SIGRTMIN);
		return b;
	}
	return sname(sig);
}

static void block(int how, int a, int b, int c)
{
	sigset_t s;
	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	if (c)
		sigaddset(&s, c);
	CHECK(sigprocmask(how, &s, NULL) == 0);
}

static void test_queue(void)
{
	int r0 = SIGRTMIN, r1 = SIGRTMIN + 1;
	catch (SIGUSR1);
	catch (SIGUSR2);
	catch (r0);
	catch (r1);
	sigset_t all;
	sigemptyset(&all);
	sigaddset(&all, SIGUSR1);
	sigaddset(&all, SIGUSR2);
	sigaddset(&all, r0);
	sigaddset(&all, r1);
	CHECK(sigprocmask(SIG_BLOCK, &all, NULL) == 0);
	for (int i = 1; i <= 3; i++)
		CHECK(sigqueue(getpid(), r1, (union sigval){ .sival_int = i }) == 0);
	for (int i = 10; i <= 20; i += 10)
		CHECK(sigqueue(getpid(), r0, (union sigval){ .sival_int = i }) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(kill(getpid(), SIGUSR2) == 0);
	CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 5 }) == 0);
	CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 6 }) == 0);
	sigset_t p;
	CHECK(sigpending(&p) == 0);
	say("pending: SIGUSR1 %d SIGUSR2 %d SIGRTMIN %d SIGRTMIN+1 %d SIGTERM %d\n",
	    sigismember(&p, SIGUSR1), sigismember(&p, SIGUSR2), sigismember(&p, r0),
	    sigismember(&p, r1), sigismember(&p, SIGTERM));
	n_rec = 0;
	CHECK(sigprocmask(SIG_UNBLOCK, &all, NULL) == 0);
	say("delivered %d:", n_rec);
	for (int i = 0; i < n_rec; i++)
		say(" %s(%d)", name(order[i]), values[i]);
	say("\n");
	CHECK(sigpending(&p) == 0);
	say("pending afterwards: %s\n", sigisemptyset(&p) ? "none" : "some");
}

static void test_wait(void)
{
	block(SIG_BLOCK, SIGUSR1, SIGRTMIN, 0);
	sigset_t w;
	sigemptyset(&w);
	sigaddset(&w, SIGUSR1);
	sigaddset(&w, SIGRTMIN);
	siginfo_t si;
	struct timespec ts = { 0, 30000000 };
	int r = sigtimedwait(&w, &si, &ts);
	say("sigtimedwait, nothing pending: %d %s\n", r, ename(r < 0 ? errno : 0));
	ts.tv_nsec = 0;
	r = sigtimedwait(&w, &si, &ts);
	say("sigtimedwait, zero timeout: %d %s\n", r, ename(r < 0 ? errno : 0));
	CHECK(raise(SIGUSR1) == 0);
	CHECK(sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 42 }) == 0);
	r = sigtimedwait(&w, &si, &ts);
	say("sigtimedwait: %s si_code %d\n", name(r), si.si_code);
	r = sigwaitinfo(&w, &si);
	say("sigwaitinfo: %s value %d from me %s\n", name(r), si.si_value.sival_int,
	    si.si_pid == getpid() ? "yes" : "no");
	int sig = 0;
	CHECK(raise(SIGUSR1) == 0);
	CHECK(sigwait(&w, &sig) == 0);
	say("sigwait: %s\n", name(sig));
	/* a waited-for signal that is not blocked is still taken by sigtimedwait */
	block(SIG_UNBLOCK, SIGUSR1, SIGRTMIN, 0);
}

static void *sender(void *arg)
{
	sleep_ms(50);
	CHECK(pthread_kill(*(pthread_t *)arg, SIGUSR1) == 0);
	return NULL;
}

static void test_suspend(void)
{
	block(SIG_BLOCK, SIGUSR1, 0, 0);
	pthread_t self = pthread_self(), t;
	PCHECK(pthread_create(&t, NULL, sender, &self));
	sigset_t none;
	sigemptyset(&none);
	n_rec = 0;
	int r = sigsuspend(&none);
	int e = errno;
	PCHECK(pthread_join(t, NULL));
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	say("sigsuspend: %d %s, handler ran %d, SIGUSR1 blocked again %d\n", r, ename(e), n_rec,
	    sigismember(&cur, SIGUSR1));
	block(SIG_UNBLOCK, SIGUSR1, 0, 0);
}

/* which thread takes a signal */
static atomic_int t_ready, t_go;
static volatile pid_t t_tid;
static volatile int t_pending_usr2, t_got;

static void *target(void *arg)
{
	(void)arg;
	block(SIG_UNBLOCK, SIGUSR1, 0, 0);
	block(SIG_BLOCK, SIGUSR2, 0, 0);
	t_tid = sys_gettid();
	atomic_store(&t_ready, 1);
	while (atomic_load(&t_go) == 0)
		sleep_ms(1);
	sigset_t p;
	sigpending(&p);
	t_pending_usr2 = sigismember(&p, SIGUSR2);
	n_rec = 0;
	block(SIG_UNBLOCK, SIGUSR2, 0, 0);
	t_got = n_rec;
	while (atomic_load(&t_go) == 1)
		sleep_ms(1);
	return NULL;
}

static void test_threads(void)
{
	pthread_t t;
	block(SIG_BLOCK, SIGUSR1, SIGUSR2, 0); /* main blocks both; inherited, then changed */
	PCHECK(pthread_create(&t, NULL, target, NULL));
	while (!atomic_load(&t_ready))
		sleep_ms(1);
	handled_by = 0;
	CHECK(kill(getpid(), SIGUSR1) == 0);
	for (int i = 0; i < 2000 && handled_by == 0; i++)
		sleep_ms(1);
	say("kill to the process: taken by the thread that does not block it: %s\n",
	    handled_by == t_tid ? "yes" : "no");
	CHECK(syscall(SYS_tgkill, getpid(), t_tid, SIGUSR2) == 0);
	sigset_t p;
	sigpending(&p);
	say("tgkill to the thread: pending in main %d\n", sigismember(&p, SIGUSR2));
	handled_by = 0;
	atomic_store(&t_go, 1);
	while (handled_by == 0)
		sleep_ms(1);
	say("tgkill: pending in the thread %d, delivered there %s (%d)\n", t_pending_usr2,
	    handled_by == t_tid ? "yes" : "no", t_got);
	handled_by = 0;
	CHECK(pthread_kill(t, SIGUSR1) == 0);
	while (handled_by == 0)
		sleep_ms(1);
	say("pthread_kill: delivered to it %s\n", handled_by == t_tid ? "yes" : "no");
	atomic_store(&t_go, 2);
	PCHECK(pthread_join(t, NULL));
	/* join returns at CLEARTID, before the exiting thread is released:
	 * Linux answers 0 or ESRCH by timing until its /proc entry is gone */
	char task_dir[64];
	snprintf(task_dir, sizeof task_dir, "/proc/self/task/%d", (int)t_tid);
	for (int i = 0; i < 2000 && access(task_dir, F_OK) == 0; i++)
		sleep_ms(1);
	long r = syscall(SYS_tgkill, getpid(), t_tid, 0);
	say("tgkill to the ended thread: %ld %s\n", r, ename(r ? errno : 0));
	r = syscall(SYS_tgkill, getpid(), sys_gettid(), 0);
	say("tgkill signal 0 to myself: %ld\n", r);
	r = syscall(SYS_tgkill, getpid() + 1000000, sys_gettid(), SIGUSR1);
	say("tgkill with a wrong tgid: %ld %s\n", r, ename(r ? errno : 0));
	r = syscall(SYS_tkill, sys_gettid(), 0);
	say("tkill signal 0 to myself: %ld\n", r);
	r = kill(getpid(), 99);
	say("kill with signal 99: %ld %s\n", r, ename(r ? errno : 0));
	block(SIG_UNBLOCK, SIGUSR1, SIGUSR2, 0);
}

static volatile int alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void test_pause(void)
{
	signal(SIGALRM, on_alarm);
	unsigned left = alarm(5);
	unsigned left2 = alarm(0);
	say("alarm: none before %u, then %u left\n", left, left2);
	alarm(1);
	int r = pause();
	say("pause: %d %s, alarms %d\n", r, ename(errno), alarms);
	say("alarm after it fired: %u\n", alarm(0));
}

int main(void)
{
	test_queue();
	test_wait();
	test_suspend();
	test_threads();
	test_pause();
	return 0;
}
