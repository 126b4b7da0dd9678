/* timers: setitimer/getitimer (REAL, VIRTUAL, PROF), alarm, POSIX timers on
 * every clock (SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_NONE; settime, gettime,
 * getoverrun, delete), signalfd, and a sigwait-based signal thread. */
#include "check.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/time.h>

#if !defined(sigev_notify_thread_id) && defined(__GLIBC__)
#define sigev_notify_thread_id _sigev_un._tid /* glibc < 2.41 names it only this way */
#endif

static volatile sig_atomic_t got[65];
static void count(int sig)
{
	got[sig]++;
}

static void catch (int sig)
{
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_handler = count;
	act.sa_flags = SA_RESTART;
	CHECK(sigaction(sig, &act, NULL) == 0);
}

static volatile unsigned long burn_sink;
static void burn_until(int sig, int n)
{
	long start = now_ms();
	while (got[sig] < n && now_ms() - start < 10000)
		for (int i = 0; i < 100000; i++)
			burn_sink += i;
}

static void test_itimers(void)
{
	static const struct {
		int which, sig;
		const char *name;
	} kinds[] = { { ITIMER_REAL, SIGALRM, "ITIMER_REAL" },
		      { ITIMER_VIRTUAL, SIGVTALRM, "ITIMER_VIRTUAL" },
		      { ITIMER_PROF, SIGPROF, "ITIMER_PROF" } };
	for (int k = 0; k < 3; k++) {
		catch (kinds[k].sig);
		struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, cur, old;
		CHECK(setitimer(kinds[k].which, &it, NULL) == 0);
		CHECK(getitimer(kinds[k].which, &cur) == 0);
		/* CPU-time timers round to the tick: "armed" is all that is stable */
		int armed = cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0;
		burn_until(kinds[k].sig, 3);
		struct itimerval off = { { 0, 0 }, { 0, 0 } };
		CHECK(setitimer(kinds[k].which, &off, &old) == 0);
		CHECK(getitimer(kinds[k].which, &cur) == 0);
		say("%s: armed %s, interval %ld.%06ld, fired >= 3: %s, old interval %ld, "
		    "after disarm %ld.%06ld\n",
		    kinds[k].name, armed ? "yes" : "no", (long)it.it_interval.tv_sec,
		    (long)it.it_interval.tv_usec, got[kinds[k].sig] >= 3 ? "yes" : "no",
		    (long)old.it_interval.tv_usec, (long)cur.it_value.tv_sec,
		    (long)cur.it_value.tv_usec);
	}
	int r = setitimer(99, &(struct itimerval){ 0 }, NULL);
	say("setitimer 99: %d %s\n", r, ename(r ? errno : 0));
	struct itimerval bad = { { 0, 0 }, { 0, 1000000 } };
	r = setitimer(ITIMER_REAL, &bad, NULL);
	say("setitimer usec 1000000: %d %s\n", r, ename(r ? errno : 0));
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
}

static const struct {
	clockid_t id;
	const char *name;
	int cpu;
} clocks[] = { { CLOCK_REALTIME, "REALTIME", 0 },
	       { CLOCK_MONOTONIC, "MONOTONIC", 0 },
	       { CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID", 1 },
	       { CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID", 1 },
	       { CLOCK_BOOTTIME, "BOOTTIME", 0 } };

static void test_posix_timers(void)
{
	int sig = SIGRTMIN;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	for (int c = 0; c < 5; c++) {
		struct sigevent ev;
		memset(&ev, 0, sizeof ev);
		ev.sigev_notify = SIGEV_SIGNAL;
		ev.sigev_signo = sig;
		ev.sigev_value.sival_int = 100 + c;
		timer_t t;
		CHECK(timer_create(clocks[c].id, &ev, &t) == 0);
		struct itimerspec its = { { 0, 0 }, { 0, 20000000 } }, cur;
		CHECK(timer_settime(t, 0, &its, NULL) == 0);
		CHECK(timer_gettime(t, &cur) == 0);
		int armed = cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
			    cur.it_value.tv_nsec <= 20000000;
		siginfo_t si;
		struct timespec zero = { 0, 0 };
		int r = -1;
		long start = now_ms();
		while (r < 0 && now_ms() - start < 10000) {
			if (clocks[c].cpu) {
				for (int i = 0; i < 100000; i++)
					burn_sink += i;
				r = sigtimedwait(&s, &si, &zero);
			} else {
				struct timespec ts = { 1, 0 };
				r = sigtimedwait(&s, &si, &ts);
			}
		}
		CHECK(timer_gettime(t, &cur) == 0);
		say("timer %s: armed %s, fired %s, SI_TIMER %s, value %d, overrun %d, "
		    "then disarmed %s\n",
		    clocks[c].name, armed ? "yes" : "no", r == sig ? "yes" : "no",
		    si.si_code == SI_TIMER ? "yes" : "no", si.si_value.sival_int,
		    timer_getoverrun(t),
		    cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0 ? "yes" : "no");
		CHECK(timer_delete(t) == 0);
	}

	/* overruns: a 1 ms periodic timer whose signal stays blocked for 50 ms */
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig };
	timer_t t;
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0);
	struct itimerspec its = { { 0, 1000000 }, { 0, 1000000 } };
	CHECK(timer_settime(t, 0, &its, NULL) == 0);
	sleep_ms(50);
	siginfo_t si;
	int r = sigwaitinfo(&s, &si);
	int ov = timer_getoverrun(t);
	say("periodic: one signal %s, overrun > 10: %s, si_overrun agrees %s\n",
	    r == sig ? "yes" : "no", ov > 10 ? "yes" : "no", si.si_overrun >= 10 ? "yes" : "no");
	/* absolute time in the past fires at once */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct itimerspec abs = { { 0, 0 }, { now.tv_sec - 1, 0 } }, old;
	CHECK(timer_settime(t, TIMER_ABSTIME, &abs, &old) == 0);
	say("periodic: old interval %ld ns\n", (long)old.it_interval.tv_nsec);
	r = sigwaitinfo(&s, &si);
	say("abstime in the past: fired %s\n", r == sig ? "yes" : "no");
	CHECK(timer_delete(t) == 0);
	r = timer_settime(t, 0, &its, NULL);
	say("settime on a deleted timer: %d %s\n", r, ename(r ? errno : 0));
	r = timer_create(12345, &ev, &t);
	say("timer_create on clock 12345: %d %s\n", r, ename(r ? errno : 0));
	struct itimerspec badv = { { 0, 0 }, { 0, 1000000000 } };
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0);
	r = timer_settime(t, 0, &badv, NULL);
	say("settime nsec 1e9: %d %s\n", r, ename(r ? errno : 0));

	/* SIGEV_NONE: nothing is sent, the time still runs */
	timer_t n;
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	CHECK(timer_create(CLOCK_MONOTONIC, &none, &n) == 0);
	struct itimerspec ten = { { 0, 0 }, { 10, 0 } }, cur;
	CHECK(timer_settime(n, 0, &ten, NULL) == 0);
	sleep_ms(20);
	CHECK(timer_gettime(n, &cur) == 0);
	say("SIGEV_NONE: running %s\n",
	    cur.it_value.tv_sec < 10 && (cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0)
		    ? "yes"
		    : "no");
	struct itimerspec shortt = { { 0, 0 }, { 0, 5000000 } };
	CHECK(timer_settime(n, 0, &shortt, NULL) == 0);
	sleep_ms(20);
	CHECK(timer_gettime(n, &cur) == 0);
	sigset_t p;
	sigpending(&p);
	say("SIGEV_NONE: expired %s, signal pending %d\n",
	    cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0 ? "yes" : "no",
	    sigismember(&p, sig));
	CHECK(timer_delete(n) == 0);
	CHECK(timer_delete(t) == 0);
	CHECK(sigprocmask(SIG_UNBLOCK, &s, NULL) == 0);
}

/* SIGEV_THREAD_ID: the signal goes to one chosen thread */
static atomic_int tid_ready;
static volatile pid_t target_tid;
static volatile int target_got, target_value;

static void *tid_target(void *arg)
{
	(void)arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 1);
	target_tid = sys_gettid();
	atomic_store(&tid_ready, 1);
	siginfo_t si;
	target_got = sigwaitinfo(&s, &si) == SIGRTMIN + 1;
	target_value = si.si_value.sival_int;
	return NULL;
}

static void test_thread_id(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 1);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0); /* inherited by the thread */
	pthread_t th;
	PCHECK(pthread_create(&th, NULL, tid_target, NULL));
	while (!atomic_load(&tid_ready))
		sleep_ms(1);
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGRTMIN + 1;
	ev.sigev_value.sival_int = 77;
	ev.sigev_notify_thread_id = target_tid;
	timer_t t;
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0);
	struct itimerspec its = { { 0, 0 }, { 0, 10000000 } };
	CHECK(timer_settime(t, 0, &its, NULL) == 0);
	PCHECK(pthread_join(th, NULL));
	sigset_t p;
	sigpending(&p);
	say("SIGEV_THREAD_ID: the thread got it %s, value %d, pending in main %d\n",
	    target_got ? "yes" : "no", target_value, sigismember(&p, SIGRTMIN + 1));
	CHECK(timer_delete(t) == 0);
	ev.sigev_notify_thread_id = 999999;
	int r = timer_create(CLOCK_MONOTONIC, &ev, &t);
	say("SIGEV_THREAD_ID with a foreign tid: %d %s\n", r, ename(r ? errno : 0));
	CHECK(sigprocmask(SIG_UNBLOCK, &s, NULL) == 0);
}

static void test_signalfd(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	int fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK(fd >= 0);
	struct signalfd_siginfo fi;
	ssize_t n = read(fd, &fi, sizeof fi);
	say("signalfd: empty read %zd %s\n", n, ename(n < 0 ? errno : 0));
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	say("signalfd: poll empty %d\n", poll(&pfd, 1, 0));
	CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 31337 }) == 0);
	CHECK(kill(getpid(), SIGUSR2) == 0);
	int pr = poll(&pfd, 1, 0);
	say("signalfd: poll with two pending %d revents 0x%x\n", pr, pfd.revents);
	n = read(fd, &fi, 4);
	say("signalfd: short buffer %zd %s\n", n, ename(n < 0 ? errno : 0));
	struct signalfd_siginfo two[2];
	n = read(fd, two, sizeof two);
	say("signalfd: read %zd (%zu each)\n", n, sizeof two[0]);
	for (int i = 0; i < n / (ssize_t)sizeof two[0]; i++)
		say("signalfd: %s code %s value %d pid mine %s uid mine %s\n",
		    sname((int)two[i].ssi_signo),
		    two[i].ssi_code == SI_QUEUE  ? "SI_QUEUE"
		    : two[i].ssi_code == SI_USER ? "SI_USER"
						 : "?",
		    two[i].ssi_code == SI_QUEUE ? two[i].ssi_int : -1,
		    two[i].ssi_pid == (uint32_t)getpid() ? "yes" : "no",
		    two[i].ssi_uid == (uint32_t)getuid() ? "yes" : "no");
	sigset_t p;
	sigpending(&p);
	say("signalfd: pending after read %s\n", sigisemptyset(&p) ? "none" : "some");
	/* a new mask through the same fd */
	sigset_t only2;
	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	say("signalfd: update mask returns the same fd %s\n",
	    signalfd(fd, &only2, 0) == fd ? "yes" : "no");
	CHECK(raise(SIGUSR1) == 0);
	n = read(fd, &fi, sizeof fi);
	say("signalfd: SIGUSR1 outside the mask: read %zd %s\n", n, ename(n < 0 ? errno : 0));
	CHECK(sigwait(&s, &(int){ 0 }) == 0);
	int r = signalfd(-1, &s, 0x1234);
	say("signalfd: bad flags %d %s\n", r, ename(r < 0 ? errno : 0));
	close(fd);
	CHECK(sigprocmask(SIG_UNBLOCK, &s, NULL) == 0);
}

/* a signal-handling thread with sigwait: every other thread blocks */
static atomic_int handled_usr1, handled_usr2, acked;
static void *sig_thread(void *arg)
{
	sigset_t *s = arg;
	for (;;) {
		int sig;
		PCHECK(sigwait(s, &sig));
		if (sig == SIGUSR1)
			atomic_fetch_add(&handled_usr1, 1);
		else if (sig == SIGUSR2)
			atomic_fetch_add(&handled_usr2, 1);
		else if (sig == SIGTERM)
			return NULL;
		atomic_fetch_add(&acked, 1);
	}
}

static void test_sigwait_thread(void)
{
	static sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigaddset(&s, SIGTERM);
	CHECK(pthread_sigmask(SIG_BLOCK, &s, NULL) == 0);
	pthread_t t;
	PCHECK(pthread_create(&t, NULL, sig_thread, &s));
	for (int i = 0; i < 20; i++) {
		int before = atomic_load(&acked);
		CHECK(kill(getpid(), i % 3 ? SIGUSR1 : SIGUSR2) == 0);
		while (atomic_load(&acked) == before)
			sleep_ms(1);
	}
	CHECK(kill(getpid(), SIGTERM) == 0);
	PCHECK(pthread_join(t, NULL));
	say("sigwait thread: SIGUSR1 %d SIGUSR2 %d, ended on SIGTERM\n", (int)handled_usr1,
	    (int)handled_usr2);
	CHECK(pthread_sigmask(SIG_UNBLOCK, &s, NULL) == 0);
}

int main(void)
{
	test_itimers();
	catch (SIGALRM);
	got[SIGALRM] = 0;
	alarm(1);
	say("alarm: pending seconds %u\n", alarm(1));
	while (!got[SIGALRM])
		pause();
	say("alarm: fired %d\n", (int)got[SIGALRM]);
	test_posix_timers();
	test_thread_id();
	test_signalfd();
	test_sigwait_thread();
	return 0;
}
