/* timers_exec: what exec does to timers (Linux's exit_itimers at exec):
 * the interval timers survive, the POSIX timers are deleted and their ids
 * are free again; the ids come from the same counter (allocated from 0),
 * and a timer_create that fails after its id was taken still takes it. */
#include "check.h"
#include <signal.h>
#include <sys/time.h>

static int create(clockid_t clock, int notify, int signo)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = notify;
	ev.sigev_signo = signo;
	int id = -1;
	long r = syscall(SYS_timer_create, clock, &ev, &id);
	return r < 0 ? -errno : id;
}

int main(int argc, char **argv)
{
	signal(SIGALRM, SIG_IGN);
	signal(SIGVTALRM, SIG_IGN);
	if (argc > 1) {
		struct itimerval cur;
		CHECK(getitimer(ITIMER_REAL, &cur) == 0);
		say("after exec: ITIMER_REAL armed %s, interval %ld\n",
		    cur.it_value.tv_sec > 0 ? "yes" : "no", (long)cur.it_interval.tv_sec);
		CHECK(getitimer(ITIMER_VIRTUAL, &cur) == 0);
		say("after exec: ITIMER_VIRTUAL armed %s\n",
		    cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0 ? "yes" : "no");
		struct itimerspec its;
		long r = syscall(SYS_timer_gettime, 0, &its);
		say("after exec: timer 0 gettime %ld %s\n", r, ename(r < 0 ? errno : 0));
		say("after exec: a new timer gets id %d\n", create(CLOCK_MONOTONIC, SIGEV_NONE, 0));
		say("alarm(0) after exec -> %u\n", alarm(0));
		setitimer(ITIMER_VIRTUAL, &(struct itimerval){ 0 }, NULL);
		return 0;
	}
	int a = create(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1);
	int b = create(CLOCK_REALTIME, SIGEV_NONE, 0);
	say("ids: %d %d\n", a, b);
	a = create(CLOCK_MONOTONIC, 99, 0);
	b = create(CLOCK_MONOTONIC_RAW, SIGEV_NONE, 0);
	int c = create(CLOCK_BOOTTIME, SIGEV_NONE, 0);
	say("bad event: %d, raw clock: %d, then id %d\n", a, b, c);
	long r = syscall(SYS_timer_delete, 1);
	say("delete 1: %ld, next id %d\n", r, create(CLOCK_MONOTONIC, SIGEV_NONE, 0));
	struct itimerspec ten = { { 0, 0 }, { 10, 0 } };
	CHECK(syscall(SYS_timer_settime, 0, 0, &ten, NULL) == 0);
	CHECK(alarm(100) == 0);
	struct itimerval v = { { 0, 0 }, { 50, 0 } };
	CHECK(setitimer(ITIMER_VIRTUAL, &v, NULL) == 0);
	execl(argv[0], argv[0], "child", (char *)NULL);
	say("exec failed: %s\n", ename(errno));
	return 1;
}
