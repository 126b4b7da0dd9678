/* once: pthread_once under contention (16 threads released together, an
 * init routine that sleeps), several once controls, and an init routine
 * cancelled halfway (the next caller runs it again). */
#include "check.h"
#include <pthread.h>
#include <stdatomic.h>

#define NT 16
#define ONCES 8

static pthread_once_t once[ONCES];
static atomic_int runs[ONCES];
static int ready[ONCES];
static pthread_barrier_t bar;
static atomic_int saw_unready;

#define INIT(i)                                \
	static void init##i(void)              \
	{                                      \
		atomic_fetch_add(&runs[i], 1); \
		sleep_ms(i == 0 ? 50 : 2);     \
		ready[i] = 1;                  \
	}
INIT(0)
INIT(1)
INIT(2)
INIT(3)
INIT(4)
INIT(5)
INIT(6)
INIT(7)
static void (*inits[ONCES])(void) = { init0, init1, init2, init3, init4, init5, init6, init7 };

static void *worker(void *arg)
{
	long id = (long)arg;
	pthread_barrier_wait(&bar);
	for (int k = 0; k < ONCES; k++) {
		int i = (int)((k + id) % ONCES);
		PCHECK(pthread_once(&once[i], inits[i]));
		if (!ready[i])
			atomic_fetch_add(&saw_unready, 1);
	}
	return NULL;
}

static pthread_once_t cancel_once = PTHREAD_ONCE_INIT;
static atomic_int cancel_runs;
static atomic_int in_init;

static void init_cancellable(void)
{
	if (atomic_fetch_add(&cancel_runs, 1) == 0) {
		atomic_store(&in_init, 1);
		for (;;)
			sleep_ms(1000); /* nanosleep: a cancellation point */
	}
}

static void *cancel_victim(void *arg)
{
	(void)arg;
	pthread_once(&cancel_once, init_cancellable);
	return NULL;
}

int main(void)
{
	pthread_t t[NT];
	for (int i = 0; i < ONCES; i++)
		once[i] = (pthread_once_t)PTHREAD_ONCE_INIT;
	PCHECK(pthread_barrier_init(&bar, NULL, NT));
	for (long i = 0; i < NT; i++)
		PCHECK(pthread_create(&t[i], NULL, worker, (void *)i));
	for (int i = 0; i < NT; i++)
		PCHECK(pthread_join(t[i], NULL));
	for (int i = 0; i < ONCES; i++)
		say("once[%d]: init ran %d time(s)\n", i, (int)runs[i]);
	say("once: a caller returned before init finished: %d\n", (int)saw_unready);

	pthread_t v;
	PCHECK(pthread_create(&v, NULL, cancel_victim, NULL));
	while (!atomic_load(&in_init))
		sleep_ms(1);
	PCHECK(pthread_cancel(v));
	void *res;
	PCHECK(pthread_join(v, &res));
	say("once: cancelled inside init: %s\n", res == PTHREAD_CANCELED ? "CANCELED" : "?");
	PCHECK(pthread_once(&cancel_once, init_cancellable));
	say("once: init after the cancelled one ran again: runs %d\n", (int)cancel_runs);
	return 0;
}
