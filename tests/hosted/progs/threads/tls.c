/* tls: __thread variables (initialised, zeroed, over-aligned) and
 * pthread_key_t values with destructors, in 64 threads at once. */
#include "check.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define NT 64

static __thread int tv = 42;
static __thread long tz[64];
static __thread _Alignas(64) char big[4096];
static pthread_key_t key1, key2;
static atomic_int dtor1, dtor2, bad;
static pthread_barrier_t bar;

static void destroy1(void *v)
{
	if ((long)(intptr_t)v >= 1000 && (long)(intptr_t)v < 1000 + NT)
		atomic_fetch_add(&dtor1, 1);
}

/* A destructor that sets the value again is called again (up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds). */
static void destroy2(void *v)
{
	int round = (int)(intptr_t)v;
	atomic_fetch_add(&dtor2, 1);
	if (round < 3)
		pthread_setspecific(key2, (void *)(intptr_t)(round + 1));
}

static void *worker(void *arg)
{
	long id = (long)arg;
	if (tv != 42 || tz[5] != 0 || ((uintptr_t)big & 63) != 0 || big[100] != 0)
		atomic_fetch_add(&bad, 1);
	if (pthread_getspecific(key1) != NULL)
		atomic_fetch_add(&bad, 1);
	tv = (int)id;
	for (int i = 0; i < 64; i++)
		tz[i] = id * 100 + i;
	memset(big, (int)id, sizeof big);
	PCHECK(pthread_setspecific(key1, (void *)(intptr_t)(1000 + id)));
	PCHECK(pthread_setspecific(key2, (void *)(intptr_t)1));
	pthread_barrier_wait(&bar); /* everyone has written their copy */
	for (int r = 0; r < 50; r++) {
		if (tv != id || tz[r] != id * 100 + r || big[r * 80] != (char)id)
			atomic_fetch_add(&bad, 1);
		if (pthread_getspecific(key1) != (void *)(intptr_t)(1000 + id))
			atomic_fetch_add(&bad, 1);
		if ((r & 7) == 0)
			sched_yield();
	}
	pthread_barrier_wait(&bar);
	return (void *)(intptr_t)tv;
}

int main(void)
{
	pthread_t t[NT];
	PCHECK(pthread_key_create(&key1, destroy1));
	PCHECK(pthread_key_create(&key2, destroy2));
	PCHECK(pthread_barrier_init(&bar, NULL, NT));
	tv = -1;
	for (long i = 0; i < NT; i++)
		PCHECK(pthread_create(&t[i], NULL, worker, (void *)i));
	long sum = 0;
	for (int i = 0; i < NT; i++) {
		void *r;
		PCHECK(pthread_join(t[i], &r));
		sum += (long)(intptr_t)r;
	}
	say("tls: %d threads, returned sum %ld, bad %d\n", NT, sum, (int)bad);
	say("tls: main's copy %d (still -1: %s)\n", tv, tv == -1 ? "yes" : "no");
	say("tls: key1 destructors %d, key2 destructor calls %d\n", (int)dtor1, (int)dtor2);
	say("tls: main's key1 %s\n", pthread_getspecific(key1) == NULL ? "NULL" : "set");
	PCHECK(pthread_key_delete(key1));
	PCHECK(pthread_key_delete(key2));

	/* second wave: keys created after threads ran, and reused TLS blocks start fresh */
	PCHECK(pthread_key_create(&key1, destroy1));
	PCHECK(pthread_key_create(&key2, destroy2));
	dtor1 = dtor2 = bad = 0;
	for (long i = 0; i < NT; i++)
		PCHECK(pthread_create(&t[i], NULL, worker, (void *)i));
	for (int i = 0; i < NT; i++)
		PCHECK(pthread_join(t[i], NULL));
	say("tls: second wave bad %d, key1 destructors %d\n", (int)bad, (int)dtor1);
	return 0;
}
