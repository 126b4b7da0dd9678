/* timers_cpu: POSIX timers on the CPU clocks of another thread
 * (pthread_getcpuclockid) and of the process by pid (clock_getcpuclockid),
 * and on a CPU clock of a thread that is not ours (EINVAL). */
#include "check.h"
#include <pthread.h>
#include <signal.h>

static volatile int stop;
static volatile unsigned long sink;

static void *burn(void *arg)
{
	(void)arg;
	while (!stop)
		sink++;
	return NULL;
}

static int fired(const sigset_t *s)
{
	siginfo_t si;
	struct timespec to = { 10, 0 };
	memset(&si, 0, sizeof si);
	return sigtimedwait(s, &si, &to) == SIGUSR1 && si.si_code == SI_TIMER;
}

int main(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	pthread_t th;
	PCHECK(pthread_create(&th, NULL, burn, NULL));
	clockid_t tc, pc;
	PCHECK(pthread_getcpuclockid(th, &tc));
	PCHECK(clock_getcpuclockid(getpid(), &pc));
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	timer_t t1, t2, t3;
	CHECK(timer_create(tc, &ev, &t1) == 0);
	CHECK(timer_create(pc, &ev, &t2) == 0);
	struct itimerspec its = { { 0, 0 }, { 0, 30000000 } };
	CHECK(timer_settime(t1, 0, &its, NULL) == 0);
	say("the other thread's CPU clock: fired %s\n", fired(&s) ? "yes" : "no");
	CHECK(timer_settime(t2, 0, &its, NULL) == 0);
	say("the process's CPU clock by pid: fired %s\n", fired(&s) ? "yes" : "no");
	stop = 1;
	PCHECK(pthread_join(th, NULL));
	clockid_t foreign = (clockid_t)((~1234567u << 3) | 6); /* a thread clock, tid 1234567 */
	int r = timer_create(foreign, &ev, &t3);
	say("a CPU clock of a thread not ours: %d %s\n", r, ename(r ? errno : 0));
	CHECK(timer_delete(t1) == 0 && timer_delete(t2) == 0);
	return 0;
}
