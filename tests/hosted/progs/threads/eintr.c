/* eintr: a handler interrupts a thread blocked in each kind of call, with
 * and without SA_RESTART; the transcript says whether the call returned
 * EINTR or was restarted (still blocked after the handler ran, then
 * completed normally), following Linux's rules call by call (signal(7)):
 * pipe read and write and futex wait restart; poll, ppoll, select,
 * epoll_wait, nanosleep, clock_nanosleep, sigtimedwait, sigsuspend and pause
 * never do. */
#include "check.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>

enum kind {
	K_READ,
	K_WRITE,
	K_FUTEX,
	K_FUTEX_TIMED,
	K_POLL,
	K_PPOLL,
	K_SELECT,
	K_EPOLL,
	K_NANOSLEEP,
	K_CLOCK_NANOSLEEP_ABS,
	K_SIGTIMEDWAIT,
	K_SIGSUSPEND,
	K_PAUSE,
	K_N
};
static const char *const names[K_N] = { "read on a pipe", "write to a full pipe",
					"futex wait",     "futex wait with a timeout",
					"poll",           "ppoll",
					"select",         "epoll_wait",
					"nanosleep",      "clock_nanosleep absolute",
					"sigtimedwait",   "sigsuspend",
					"pause" };

static int pfd[2], full[2], ep, fword;
static atomic_int handler_ran, done;
static _Atomic pid_t btid;
static long result;
static int err, rem_left;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handler_ran, 1);
}

static void *blocker(void *arg)
{
	enum kind k = (enum kind)(intptr_t)arg;
	char buf[4096];
	struct timespec long_ts = { 30, 0 }, rem = { 0, 0 };
	struct pollfd p = { .fd = pfd[0], .events = POLLIN };
	fd_set rs;
	struct epoll_event ev;
	sigset_t w;
	atomic_store(&btid, sys_gettid());
	switch (k) {
	case K_READ:
		result = read(pfd[0], buf, 1);
		break;
	case K_WRITE:
		result = write(full[1], buf, sizeof buf);
		break;
	case K_FUTEX:
		result = syscall(SYS_futex, &fword, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL,
				 0);
		break;
	case K_FUTEX_TIMED:
		result = syscall(SYS_futex, &fword, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &long_ts,
				 NULL, 0);
		break;
	case K_POLL:
		result = poll(&p, 1, 30000);
		break;
	case K_PPOLL:
		result = ppoll(&p, 1, &long_ts, NULL);
		break;
	case K_SELECT:
		FD_ZERO(&rs);
		FD_SET(pfd[0], &rs);
		result = select(pfd[0] + 1, &rs, NULL, NULL, &(struct timeval){ 30, 0 });
		break;
	case K_EPOLL:
		result = epoll_wait(ep, &ev, 1, 30000);
		break;
	case K_NANOSLEEP:
		result = nanosleep(&long_ts, &rem);
		rem_left = rem.tv_sec > 0;
		break;
	case K_CLOCK_NANOSLEEP_ABS: {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 30;
		/* returns the error number, not -1 */
		result = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
		errno = (int)result;
		if (result)
			result = -1;
		break;
	}
	case K_SIGTIMEDWAIT:
		sigemptyset(&w);
		sigaddset(&w, SIGUSR2);
		/* musl's sigtimedwait retries on EINTR: 1 s bounds its run */
		result = sigtimedwait(&w, NULL, &(struct timespec){ 1, 0 });
		break;
	case K_SIGSUSPEND:
		sigemptyset(&w);
		result = sigsuspend(&w);
		break;
	case K_PAUSE:
		result = pause();
		break;
	default:
		break;
	}
	err = result < 0 ? errno : 0;
	atomic_store(&done, 1);
	return NULL;
}

/* What ends a restarted call normally. */
static void unblock(enum kind k)
{
	char buf[65536];
	switch (k) {
	case K_READ:
	case K_POLL:
	case K_PPOLL:
	case K_SELECT:
	case K_EPOLL:
		CHECK(write(pfd[1], "x", 1) == 1);
		break;
	case K_WRITE:
		CHECK(read(full[0], buf, sizeof buf) > 0);
		break;
	case K_FUTEX:
	case K_FUTEX_TIMED:
		fword = 1;
		syscall(SYS_futex, &fword, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
		break;
	default: /* sleeps and signal waits: a second signal (or its time) ends them */
		CHECK(pthread_kill(pthread_self(), 0) == 0);
		break;
	}
}

static void drain(void)
{
	char buf[65536];
	while (read(pfd[0], buf, sizeof buf) > 0)
		;
	while (read(full[0], buf, sizeof buf) > 0)
		;
	/* refill the full pipe */
	memset(buf, 'f', sizeof buf);
	while (write(full[1], buf, sizeof buf) > 0)
		;
}

static void one(enum kind k, int restart)
{
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_handler = on_usr1;
	act.sa_flags = restart ? SA_RESTART : 0;
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0);
	int fl = fcntl(pfd[0], F_GETFL);
	CHECK(fcntl(pfd[0], F_SETFL, fl | O_NONBLOCK) == 0);
	CHECK(fcntl(full[0], F_SETFL, fl | O_NONBLOCK) == 0);
	CHECK(fcntl(full[1], F_SETFL, fl | O_NONBLOCK) == 0);
	drain();
	CHECK(fcntl(pfd[0], F_SETFL, fl) == 0);
	CHECK(fcntl(full[0], F_SETFL, fl) == 0);
	CHECK(fcntl(full[1], F_SETFL, fl) == 0);
	fword = 0;
	handler_ran = 0;
	done = 0;
	btid = 0;
	pthread_t t;
	PCHECK(pthread_create(&t, NULL, blocker, (void *)(intptr_t)k));
	while (atomic_load(&btid) == 0)
		sleep_ms(1);
	wait_asleep(atomic_load(&btid));
	PCHECK(pthread_kill(t, SIGUSR1));
	while (!atomic_load(&handler_ran))
		sleep_ms(1);
	/* a restarted call is back asleep; an interrupted one has returned */
	for (int i = 0; i < 100 && !atomic_load(&done); i++)
		sleep_ms(2);
	int returned = atomic_load(&done);
	if (!returned) {
		if (k >= K_NANOSLEEP) {
			PCHECK(pthread_kill(t, SIGUSR1)); /* say("...") below tells */
		} else {
			unblock(k);
		}
	}
	PCHECK(pthread_join(t, NULL));
	say("%s, %s: %s, result %ld %s%s\n", names[k], restart ? "SA_RESTART" : "no SA_RESTART",
	    returned ? "returned at the signal" : "restarted", result, ename(err),
	    k == K_NANOSLEEP ? (rem_left ? ", time left" : ", no time left") : "");
}

int main(void)
{
	CHECK(pipe(pfd) == 0);
	CHECK(pipe(full) == 0);
	ep = epoll_create1(0);
	CHECK(ep >= 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = pfd[0] };
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev) == 0);
	for (int k = 0; k < K_N; k++)
		for (int restart = 0; restart < 2; restart++)
			one((enum kind)k, restart);
	return 0;
}
