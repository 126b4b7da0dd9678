/* cancel: pthread_cancel of threads blocked at cancellation points (read on
 * an empty pipe, nanosleep, pthread_cond_wait) and of a thread polling
 * pthread_testcancel, with cleanup handlers; cancellation disabled and
 * re-enabled. */
#include "check.h"
#include <pthread.h>
#include <stdatomic.h>

static int pfd[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_int cleanups, started;
static int cleanup_saw_locked;

static void cleanup(void *arg)
{
	atomic_fetch_add(&cleanups, 1);
	if (arg == &mu) {
		/* cond_wait reacquired the mutex before running the handlers */
		cleanup_saw_locked = pthread_mutex_trylock(&mu) != 0;
		pthread_mutex_unlock(&mu);
	}
}

static void *reader(void *arg)
{
	(void)arg;
	char c;
	pthread_cleanup_push(cleanup, NULL);
	atomic_fetch_add(&started, 1);
	for (;;)
		read(pfd[0], &c, 1);
	pthread_cleanup_pop(0);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup, NULL);
	atomic_fetch_add(&started, 1);
	struct timespec ts = { 100, 0 };
	for (;;)
		nanosleep(&ts, NULL);
	pthread_cleanup_pop(0);
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	PCHECK(pthread_mutex_lock(&mu));
	pthread_cleanup_push(cleanup, &mu);
	atomic_fetch_add(&started, 1);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	pthread_cleanup_pop(0);
	return NULL;
}

static atomic_int spins_go;
static void *spinner(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup, NULL);
	atomic_fetch_add(&started, 1);
	for (;;) {
		if (atomic_load(&spins_go))
			pthread_testcancel();
		sched_yield();
	}
	pthread_cleanup_pop(0);
	return NULL;
}

static atomic_int may_enable;
static int disabled_was;
static void *disabler(void *arg)
{
	(void)arg;
	int old;
	PCHECK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old));
	atomic_fetch_add(&started, 1);
	/* cancelled while disabled: the sleeps and the read run to completion */
	while (!atomic_load(&may_enable))
		sleep_ms(5);
	char c;
	CHECK(write(pfd[1], "x", 1) == 1);
	CHECK(read(pfd[0], &c, 1) == 1);
	PCHECK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old));
	disabled_was = old == PTHREAD_CANCEL_DISABLE;
	pthread_testcancel();
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

static void one(const char *name, void *(*fn)(void *))
{
	pthread_t t;
	void *res;
	started = 0;
	cleanups = 0;
	PCHECK(pthread_create(&t, NULL, fn, NULL));
	while (!atomic_load(&started))
		sleep_ms(1);
	sleep_ms(20); /* usually blocked by now; cancelled either way */
	if (fn == spinner)
		spins_go = 1;
	PCHECK(pthread_cancel(t));
	if (fn == disabler) {
		sleep_ms(20);
		may_enable = 1;
	}
	PCHECK(pthread_join(t, &res));
	say("cancel: %s -> %s, cleanups %d\n", name, res == PTHREAD_CANCELED ? "CANCELED" : "?",
	    (int)cleanups);
}

int main(void)
{
	CHECK(pipe(pfd) == 0);
	one("read on a pipe", reader);
	one("nanosleep", sleeper);
	one("cond_wait", waiter);
	say("cancel: cond_wait handler ran with the mutex held: %s\n",
	    cleanup_saw_locked ? "yes" : "no");
	PCHECK(pthread_mutex_lock(&mu)); /* the handler released it */
	PCHECK(pthread_mutex_unlock(&mu));
	one("testcancel", spinner);
	one("disabled then enabled", disabler);
	say("cancel: the state read back was DISABLE: %s\n", disabled_was ? "yes" : "no");

	/* cancelling a thread that already exited is not an error */
	pthread_t t;
	PCHECK(pthread_create(&t, NULL, nothing, NULL));
	sleep_ms(20);
	say("cancel: cancel of a finished thread %s\n", ename(pthread_cancel(t)));
	PCHECK(pthread_join(t, NULL));
	return 0;
}
