/* detach: detached threads (by attribute and by pthread_detach) that end
 * while main waits on a condition variable; their stacks are reused by
 * later waves. */
#include "check.h"
#include <pthread.h>
#include <stdatomic.h>

#define WAVES 8
#define PER 32

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int alive;
static long work;

static void *worker(void *arg)
{
	long id = (long)arg;
	volatile long x = 0;
	for (long i = 0; i < 1000 + id; i++)
		x += i;
	PCHECK(pthread_mutex_lock(&mu));
	work += x;
	if (--alive == 0)
		PCHECK(pthread_cond_signal(&cv));
	PCHECK(pthread_mutex_unlock(&mu));
	return NULL;
}

static void *self_detacher(void *arg)
{
	PCHECK(pthread_detach(pthread_self()));
	return worker(arg);
}

int main(void)
{
	pthread_attr_t a;
	PCHECK(pthread_attr_init(&a));
	PCHECK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
	int st;
	PCHECK(pthread_attr_getdetachstate(&a, &st));
	say("detach: attribute %s\n", st == PTHREAD_CREATE_DETACHED ? "DETACHED" : "?");
	long expect = 0;
	for (int w = 0; w < WAVES; w++) {
		PCHECK(pthread_mutex_lock(&mu));
		alive = PER;
		PCHECK(pthread_mutex_unlock(&mu));
		for (long i = 0; i < PER; i++) {
			pthread_t t;
			long n = 1000 + i;
			expect += n * (n - 1) / 2;
			if (i % 3 == 0) {
				PCHECK(pthread_create(&t, &a, worker, (void *)i));
			} else if (i % 3 == 1) {
				PCHECK(pthread_create(&t, NULL, worker, (void *)i));
				PCHECK(pthread_detach(t));
			} else {
				PCHECK(pthread_create(&t, NULL, self_detacher, (void *)i));
			}
		}
		PCHECK(pthread_mutex_lock(&mu));
		while (alive > 0)
			PCHECK(pthread_cond_wait(&cv, &mu));
		PCHECK(pthread_mutex_unlock(&mu));
	}
	say("detach: %d waves of %d, work %s\n", WAVES, PER, work == expect ? "complete" : "LOST");
	return 0;
}
