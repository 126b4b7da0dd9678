/* sync: 16 threads stressing mutexes, condition variables, rwlocks, barriers
 * and semaphores (sem_init); each part prints totals that only a correct
 * implementation produces. */
#include "check.h"
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#define NT 16
#define ITER 20000

static pthread_t tid[NT];

static void run_all(void *(*fn)(void *))
{
	for (long i = 0; i < NT; i++)
		PCHECK(pthread_create(&tid[i], NULL, fn, (void *)i));
	for (int i = 0; i < NT; i++)
		PCHECK(pthread_join(tid[i], NULL));
}

/* mutex: a plain counter, a recursive mutex, an error-checking mutex */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rmu;
static long counter, rcounter;

static void *mutex_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITER; i++) {
		PCHECK(pthread_mutex_lock(&mu));
		long c = counter;
		if ((i & 255) == 0)
			sched_yield();
		counter = c + 1;
		PCHECK(pthread_mutex_unlock(&mu));
		if ((i & 15) == 0) {
			PCHECK(pthread_mutex_lock(&rmu));
			PCHECK(pthread_mutex_lock(&rmu));
			rcounter++;
			PCHECK(pthread_mutex_unlock(&rmu));
			PCHECK(pthread_mutex_unlock(&rmu));
		}
	}
	return NULL;
}

static void test_mutex(void)
{
	pthread_mutexattr_t a;
	PCHECK(pthread_mutexattr_init(&a));
	PCHECK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE));
	PCHECK(pthread_mutex_init(&rmu, &a));
	run_all(mutex_worker);
	say("mutex: counter %ld recursive %ld\n", counter, rcounter);

	pthread_mutex_t em;
	PCHECK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
	PCHECK(pthread_mutex_init(&em, &a));
	PCHECK(pthread_mutex_lock(&em));
	say("mutex: errorcheck relock %s\n", ename(pthread_mutex_lock(&em)));
	say("mutex: trylock held %s\n", ename(pthread_mutex_trylock(&em)));
	PCHECK(pthread_mutex_unlock(&em));
	say("mutex: errorcheck unlock unowned %s\n", ename(pthread_mutex_unlock(&em)));
}

/* condvar: a bounded queue between 8 producers and 8 consumers */
#define QCAP 8
#define PER 5000
static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;
static long q[QCAP];
static int qhead, qlen, producers_left = NT / 2;
static long consumed_sum, consumed_n;

static void *cond_worker(void *arg)
{
	long id = (long)arg;
	if (id < NT / 2) {
		for (long i = 1; i <= PER; i++) {
			PCHECK(pthread_mutex_lock(&qmu));
			while (qlen == QCAP)
				PCHECK(pthread_cond_wait(&notfull, &qmu));
			q[(qhead + qlen++) % QCAP] = i;
			PCHECK(pthread_cond_signal(&notempty));
			PCHECK(pthread_mutex_unlock(&qmu));
		}
		PCHECK(pthread_mutex_lock(&qmu));
		if (--producers_left == 0)
			PCHECK(pthread_cond_broadcast(&notempty));
		PCHECK(pthread_mutex_unlock(&qmu));
		return NULL;
	}
	long sum = 0, n = 0;
	for (;;) {
		PCHECK(pthread_mutex_lock(&qmu));
		while (qlen == 0 && producers_left > 0)
			PCHECK(pthread_cond_wait(&notempty, &qmu));
		if (qlen == 0) {
			PCHECK(pthread_mutex_unlock(&qmu));
			break;
		}
		sum += q[qhead];
		qhead = (qhead + 1) % QCAP;
		qlen--;
		n++;
		PCHECK(pthread_cond_signal(&notfull));
		PCHECK(pthread_mutex_unlock(&qmu));
	}
	PCHECK(pthread_mutex_lock(&qmu));
	consumed_sum += sum;
	consumed_n += n;
	PCHECK(pthread_mutex_unlock(&qmu));
	return NULL;
}

static void test_cond(void)
{
	run_all(cond_worker);
	say("cond: consumed %ld items, sum %ld (expected %ld)\n", consumed_n, consumed_sum,
	    (long)(NT / 2) * PER * (PER + 1) / 2);

	/* a timed wait that nobody signals times out, on both clocks */
	pthread_condattr_t ca;
	pthread_cond_t c;
	struct timespec ts;
	PCHECK(pthread_condattr_init(&ca));
	PCHECK(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
	PCHECK(pthread_cond_init(&c, &ca));
	for (int clk = 0; clk < 2; clk++) {
		clockid_t id = clk ? CLOCK_MONOTONIC : CLOCK_REALTIME;
		pthread_cond_t *cp = &c, plain = PTHREAD_COND_INITIALIZER;
		if (!clk)
			cp = &plain;
		clock_gettime(id, &ts);
		ts.tv_nsec += 30000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		PCHECK(pthread_mutex_lock(&qmu));
		int r;
		do
			r = pthread_cond_timedwait(cp, &qmu, &ts);
		while (r == 0);
		PCHECK(pthread_mutex_unlock(&qmu));
		say("cond: timedwait %s %s\n", clk ? "MONOTONIC" : "REALTIME", ename(r));
	}
}

/* rwlock: readers check that two words written together stay equal */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long wa, wb;
static atomic_long reads, torn;
static atomic_int readers_in, max_readers_seen;

static void *rw_worker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < ITER / 4; i++) {
		if (id % 4 == 0) {
			PCHECK(pthread_rwlock_wrlock(&rw));
			wa++;
			if ((i & 63) == 0)
				sched_yield();
			wb++;
			if (atomic_load(&readers_in) != 0)
				atomic_fetch_add(&torn, 1);
			PCHECK(pthread_rwlock_unlock(&rw));
		} else {
			PCHECK(pthread_rwlock_rdlock(&rw));
			int in = atomic_fetch_add(&readers_in, 1) + 1;
			int m = atomic_load(&max_readers_seen);
			while (in > m && !atomic_compare_exchange_weak(&max_readers_seen, &m, in))
				;
			if (wa != wb)
				atomic_fetch_add(&torn, 1);
			atomic_fetch_add(&reads, 1);
			atomic_fetch_sub(&readers_in, 1);
			PCHECK(pthread_rwlock_unlock(&rw));
		}
	}
	return NULL;
}

static void test_rwlock(void)
{
	run_all(rw_worker);
	say("rwlock: writes %ld reads %ld torn %ld\n", wa, (long)reads, (long)torn);
	PCHECK(pthread_rwlock_rdlock(&rw));
	say("rwlock: tryrdlock under a reader %s\n", ename(pthread_rwlock_tryrdlock(&rw)));
	PCHECK(pthread_rwlock_unlock(&rw));
	say("rwlock: trywrlock under a reader %s\n", ename(pthread_rwlock_trywrlock(&rw)));
	PCHECK(pthread_rwlock_unlock(&rw));
	PCHECK(pthread_rwlock_wrlock(&rw));
	say("rwlock: tryrdlock under a writer %s\n", ename(pthread_rwlock_tryrdlock(&rw)));
	PCHECK(pthread_rwlock_unlock(&rw));
}

/* barrier: in each round every thread writes its slot, and after the
 * barrier each reads all slots; one serial thread per round. */
#define ROUNDS 200
static pthread_barrier_t bar;
static int slot[NT];
static atomic_int serials, bad_rounds;

static void *barrier_worker(void *arg)
{
	long id = (long)arg;
	for (int r = 1; r <= ROUNDS; r++) {
		slot[id] = r;
		int s = pthread_barrier_wait(&bar);
		if (s == PTHREAD_BARRIER_SERIAL_THREAD)
			atomic_fetch_add(&serials, 1);
		else if (s != 0)
			fail(__LINE__, "pthread_barrier_wait");
		for (int j = 0; j < NT; j++)
			if (slot[j] != r)
				atomic_fetch_add(&bad_rounds, 1);
		s = pthread_barrier_wait(&bar);
		if (s != 0 && s != PTHREAD_BARRIER_SERIAL_THREAD)
			fail(__LINE__, "pthread_barrier_wait");
	}
	return NULL;
}

static void test_barrier(void)
{
	PCHECK(pthread_barrier_init(&bar, NULL, NT));
	run_all(barrier_worker);
	PCHECK(pthread_barrier_destroy(&bar));
	say("barrier: rounds %d serial threads %d bad %d\n", ROUNDS, (int)serials, (int)bad_rounds);
}

/* semaphore: at most 4 threads inside; a token passed around a ring */
static sem_t room, ring[NT];
static atomic_int inside, max_inside;
static long passes;

static void *sem_worker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < 2000; i++) {
		while (sem_wait(&room) != 0)
			CHECK(errno == EINTR);
		int in = atomic_fetch_add(&inside, 1) + 1;
		int m = atomic_load(&max_inside);
		while (in > m && !atomic_compare_exchange_weak(&max_inside, &m, in))
			;
		if ((i & 31) == 0)
			sched_yield();
		atomic_fetch_sub(&inside, 1);
		CHECK(sem_post(&room) == 0);
	}
	for (int i = 0; i < 500; i++) {
		while (sem_wait(&ring[id]) != 0)
			CHECK(errno == EINTR);
		passes++;
		CHECK(sem_post(&ring[(id + 1) % NT]) == 0);
	}
	return NULL;
}

static void test_sem(void)
{
	CHECK(sem_init(&room, 0, 4) == 0);
	for (int i = 0; i < NT; i++)
		CHECK(sem_init(&ring[i], 0, i == 0) == 0);
	run_all(sem_worker);
	int v;
	CHECK(sem_getvalue(&room, &v) == 0);
	say("sem: at most 4 inside %s, value %d, ring passes %ld\n",
	    max_inside >= 1 && max_inside <= 4 ? "yes" : "no", v, passes);
	CHECK(sem_getvalue(&ring[0], &v) == 0);
	say("sem: ring token back at 0: %d\n", v);
	sem_t s;
	CHECK(sem_init(&s, 0, 0) == 0);
	int r = sem_trywait(&s);
	say("sem: trywait empty %d %s\n", r, ename(r ? errno : 0));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	r = sem_timedwait(&s, &ts);
	say("sem: timedwait empty %d %s\n", r, ename(r ? errno : 0));
	CHECK(sem_post(&s) == 0);
	say("sem: trywait after post %d\n", sem_trywait(&s));
	CHECK(sem_destroy(&s) == 0);
}

int main(void)
{
	test_mutex();
	test_cond();
	test_rwlock();
	test_barrier();
	test_sem();
	say("sync: done\n");
	return 0;
}
