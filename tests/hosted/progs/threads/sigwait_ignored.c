/* sigwait_ignored: a signal whose default action is to be ignored
 * (SIGWINCH) is still taken by a sigwait that waits for it while it is
 * blocked, when another thread sends it to the process; and alarm's
 * SIGALRM, blocked, ends a sigtimedwait (Linux's real_blocked: a waited
 * signal is neither ignored nor fatal). */
#include "check.h"
#include <pthread.h>
#include <signal.h>

static void *other(void *arg)
{
	(void)arg;
	sleep_ms(100);
	CHECK(kill(getpid(), SIGWINCH) == 0);
	return NULL;
}

int main(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGWINCH);
	PCHECK(pthread_sigmask(SIG_BLOCK, &s, NULL));
	pthread_t t;
	PCHECK(pthread_create(&t, NULL, other, NULL));
	int sig = 0;
	PCHECK(sigwait(&s, &sig));
	say("sigwait: %s\n", sname(sig));
	PCHECK(pthread_join(t, NULL));
	sigset_t a;
	sigemptyset(&a);
	sigaddset(&a, SIGALRM);
	PCHECK(pthread_sigmask(SIG_BLOCK, &a, NULL));
	alarm(1);
	siginfo_t si;
	struct timespec to = { 5, 0 };
	sig = sigtimedwait(&a, &si, &to);
	say("sigtimedwait: %s, SI_KERNEL %s\n", sig > 0 ? sname(sig) : ename(errno),
	    si.si_code == SI_KERNEL ? "yes" : "no");
	return 0;
}
