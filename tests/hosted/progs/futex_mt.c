/* Futexes between threads: requeue, wake-op, bitsets, futex_waitv, PI
 * hand-over, requeue-PI, robust owner death, condvars and mutexes under
 * contention, timeouts. Every line it prints is the same on every run on
 * Linux (waiters are counted before they are woken, never guessed by
 * sleeping), so its output compares natively and under abi-run.
 *
 * Counting the waiters on a word without waking them: a CMP_REQUEUE of the
 * word onto itself with nr_wake 0 moves them in place and returns how many
 * there are (EINVAL once a requeue-PI waiter is among them). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* linux/futex.h's values (musl-gcc has no kernel headers) */
enum {
	FUTEX_WAIT = 0,
	FUTEX_WAKE = 1,
	FUTEX_REQUEUE = 3,
	FUTEX_CMP_REQUEUE = 4,
	FUTEX_WAKE_OP = 5,
	FUTEX_LOCK_PI = 6,
	FUTEX_UNLOCK_PI = 7,
	FUTEX_TRYLOCK_PI = 8,
	FUTEX_WAIT_BITSET = 9,
	FUTEX_WAKE_BITSET = 10,
	FUTEX_WAIT_REQUEUE_PI = 11,
	FUTEX_CMP_REQUEUE_PI = 12,
	FUTEX_PRIVATE_FLAG = 128,
	FUTEX_OP_SET = 0,
	FUTEX_OP_CMP_EQ = 0,
	FUTEX2_SIZE_U32 = 2,
	FUTEX2_PRIVATE = 128,
};
#define FUTEX_BITSET_MATCH_ANY 0xffffffffU
#define FUTEX_WAITERS 0x80000000U
#define FUTEX_TID_MASK 0x3fffffffU
#define FUTEX_OP(op, oparg, cmp, cmparg) \
	(((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff))
#define SYS_futex_waitv_ 449
struct waitv_entry {
	uint64_t val, uaddr;
	uint32_t flags, reserved;
};

#define PRIV FUTEX_PRIVATE_FLAG
#define MANY 0x7fffffff

static long futex(uint32_t *uaddr, int op, uint32_t val, uintptr_t utime, uint32_t *uaddr2,
		  uint32_t val3)
{
	long r = syscall(SYS_futex, uaddr, op, val, utime, uaddr2, val3);

	return r < 0 ? -errno : r;
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void die(const char *what, long r)
{
	printf("FAIL %s: %ld\n", what, r);
	fflush(stdout);
	exit(1);
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int r = pthread_create(t, NULL, fn, arg);

	if (r)
		die("pthread_create", r);
}

static void pause_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits until n waiters sleep on w (see above); the count, or the error. */
static long wait_queued(uint32_t *w, long n)
{
	for (int i = 0; i < 10000; i++) {
		long r = futex(w, FUTEX_CMP_REQUEUE | PRIV, 0, MANY, w, *w);

		if (r < 0 || r >= n)
			return r;
		pause_ms(1);
	}
	return -ETIMEDOUT;
}

struct wait_arg {
	uint32_t *w;
	uint32_t val, bitset;
	long result;
};

static void *waiter(void *p)
{
	struct wait_arg *a = p;

	a->result = futex(a->w, FUTEX_WAIT_BITSET | PRIV, a->val, 0, NULL, a->bitset);
	return NULL;
}

static void test_requeue(void)
{
	static uint32_t a, b;
	struct wait_arg args[4];
	pthread_t t[4];
	long r1, r2, r3, r4;

	for (int i = 0; i < 4; i++) {
		args[i] = (struct wait_arg){ &a, 0, FUTEX_BITSET_MATCH_ANY, 99 };
		start(&t[i], waiter, &args[i]);
	}
	if (wait_queued(&a, 4) != 4)
		die("requeue: queued", 0);
	r1 = futex(&a, FUTEX_CMP_REQUEUE | PRIV, 1, 2, &b, 1); /* a is 0: EAGAIN */
	r2 = futex(&a, FUTEX_CMP_REQUEUE | PRIV, 1, 2, &b, 0); /* 1 woken, 2 moved */
	r3 = futex(&a, FUTEX_REQUEUE | PRIV, 0, MANY, &b, 0);  /* the last one moved */
	r4 = futex(&b, FUTEX_WAKE | PRIV, MANY, 0, NULL, 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("requeue: %ld %ld %ld %ld waiters", r1, r2, r3, r4);
	for (int i = 0; i < 4; i++)
		printf(" %ld", args[i].result);
	printf("\n");
}

static void test_wake_op_and_bitsets(void)
{
	static uint32_t a, b, c;
	struct wait_arg wa = { &a, 0, FUTEX_BITSET_MATCH_ANY, 99 };
	struct wait_arg wb = { &b, 0, FUTEX_BITSET_MATCH_ANY, 99 };
	struct wait_arg w1 = { &c, 0, 1, 99 }, w2 = { &c, 0, 2, 99 };
	pthread_t t[4];
	long r, r1, r2, r3;

	start(&t[0], waiter, &wa);
	start(&t[1], waiter, &wb);
	if (wait_queued(&a, 1) != 1 || wait_queued(&b, 1) != 1)
		die("wake_op: queued", 0);
	/* b = 5 if it was 0: wakes a's waiter and, the comparison holding, b's */
	r = futex(&a, FUTEX_WAKE_OP | PRIV, 1, 1, &b,
		  FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0));
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	printf("wake_op: %ld b=%u waiters %ld %ld\n", r, b, wa.result, wb.result);

	start(&t[2], waiter, &w1);
	start(&t[3], waiter, &w2);
	if (wait_queued(&c, 2) != 2)
		die("bitset: queued", 0);
	r1 = futex(&c, FUTEX_WAKE_BITSET | PRIV, MANY, 0, NULL, 4);
	r2 = futex(&c, FUTEX_WAKE_BITSET | PRIV, MANY, 0, NULL, 2);
	pthread_join(t[3], NULL);
	r3 = futex(&c, FUTEX_WAKE_BITSET | PRIV, MANY, 0, NULL, 3);
	pthread_join(t[2], NULL);
	printf("bitset: %ld %ld %ld waiters %ld %ld\n", r1, r2, r3, w1.result, w2.result);
}

struct waitv_arg {
	uint32_t *a, *b;
	long result;
};

static void *waitv_thread(void *p)
{
	struct waitv_arg *w = p;
	struct waitv_entry v[2] = {
		{ 0, (uintptr_t)w->a, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0 },
		{ 0, (uintptr_t)w->b, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0 },
	};
	long r = syscall(SYS_futex_waitv_, v, 2, 0, NULL, 0);

	w->result = r < 0 ? -errno : r;
	return NULL;
}

static void test_waitv(void)
{
	static uint32_t a, b;
	struct waitv_arg w = { &a, &b, 99 };
	pthread_t t;
	long r;

	start(&t, waitv_thread, &w);
	if (wait_queued(&b, 1) != 1)
		die("waitv: queued", 0);
	r = futex(&b, FUTEX_WAKE | PRIV, 1, 0, NULL, 0);
	pthread_join(t, NULL);
	printf("waitv: woke %ld, index %ld\n", r, w.result);
}

/* --- PI ------------------------------------------------------------------ */

struct pi_arg {
	uint32_t *w, *cond;
	uint32_t word_after;
	long result, unlock;
};

static void *pi_locker(void *p)
{
	struct pi_arg *a = p;

	a->result = futex(a->w, FUTEX_LOCK_PI | PRIV, 0, 0, NULL, 0);
	a->word_after = *a->w == ((uint32_t)gettid_() | FUTEX_WAITERS);
	a->unlock = futex(a->w, FUTEX_UNLOCK_PI | PRIV, 0, 0, NULL, 0);
	return NULL;
}

static void until_waiters(uint32_t *w)
{
	while (!(__atomic_load_n(w, __ATOMIC_ACQUIRE) & FUTEX_WAITERS))
		pause_ms(1);
}

static void *pi_trylocker(void *p)
{
	struct pi_arg *a = p;

	a->result = futex(a->w, FUTEX_TRYLOCK_PI | PRIV, 0, 0, NULL, 0);
	a->word_after = *a->w;
	a->unlock = futex(a->w, FUTEX_UNLOCK_PI | PRIV, 0, 0, NULL, 0);
	return NULL;
}

static void test_pi_handover(void)
{
	static uint32_t w;
	struct pi_arg a = { &w, NULL, 0, 99, 99 }, b = { &w, NULL, 0, 99, 99 };
	pthread_t t;
	long lock, unlock, word;

	lock = futex(&w, FUTEX_LOCK_PI | PRIV, 0, 0, NULL, 0);
	/* another thread's trylock fails, leaving FUTEX_WAITERS set */
	start(&t, pi_trylocker, &b);
	pthread_join(t, NULL);
	/* unlocked and locked again: the bit is gone */
	unlock = futex(&w, FUTEX_UNLOCK_PI | PRIV, 0, 0, NULL, 0);
	lock = futex(&w, FUTEX_LOCK_PI | PRIV, 0, 0, NULL, 0);
	printf("pi trylock: %ld word-ours-waiters %d unlock %ld relock %ld %ld\n", b.result,
	       b.word_after == ((uint32_t)gettid_() | FUTEX_WAITERS), b.unlock, unlock, lock);
	start(&t, pi_locker, &a);
	until_waiters(&w); /* the other thread is blocked on it */
	word = w == ((uint32_t)gettid_() | FUTEX_WAITERS);
	unlock = futex(&w, FUTEX_UNLOCK_PI | PRIV, 0, 0, NULL, 0);
	pthread_join(t, NULL);
	printf("pi: lock %ld word-ours %ld unlock %ld | waiter lock %ld word-its %u unlock %ld | "
	       "word %u\n",
	       lock, word, unlock, a.result, a.word_after, a.unlock, w);
}

static void *requeue_pi_waiter(void *p)
{
	struct pi_arg *a = p;

	a->result = futex(a->cond, FUTEX_WAIT_REQUEUE_PI | PRIV, 0, 0, a->w, 0);
	a->word_after = (*a->w & FUTEX_TID_MASK) == (uint32_t)gettid_();
	a->unlock = futex(a->w, FUTEX_UNLOCK_PI | PRIV, 0, 0, NULL, 0);
	return NULL;
}

static void test_requeue_pi(void)
{
	static uint32_t cond, mutex;
	struct pi_arg a = { &mutex, &cond, 0, 99, 99 };
	pthread_t t;
	long q, r, lock, unlock;

	/* the mutex is free: the waiter is woken owning it */
	start(&t, requeue_pi_waiter, &a);
	q = wait_queued(&cond, 1);
	r = futex(&cond, FUTEX_CMP_REQUEUE_PI | PRIV, 1, 0, &mutex, 0);
	pthread_join(t, NULL);
	printf("requeue-pi free: count %ld requeue %ld | waiter %ld owner %u unlock %ld | word %u\n",
	       q, r, a.result, a.word_after, a.unlock, mutex);

	/* the mutex is held: the waiter moves onto it and gets it at unlock */
	a = (struct pi_arg){ &mutex, &cond, 0, 99, 99 };
	lock = futex(&mutex, FUTEX_LOCK_PI | PRIV, 0, 0, NULL, 0);
	start(&t, requeue_pi_waiter, &a);
	q = wait_queued(&cond, 1);
	r = futex(&cond, FUTEX_CMP_REQUEUE_PI | PRIV, 1, 1, &mutex, 0);
	unlock = futex(&mutex, FUTEX_UNLOCK_PI | PRIV, 0, 0, NULL, 0);
	pthread_join(t, NULL);
	printf("requeue-pi held: lock %ld count %ld requeue %ld unlock %ld | waiter %ld owner %u "
	       "unlock %ld | word %u\n",
	       lock, q, r, unlock, a.result, a.word_after, a.unlock, mutex);
}

/* --- pthreads -------------------------------------------------------------- */

static pthread_mutex_t pi_mutex;
static long counter;

static void *pi_worker(void *p)
{
	(void)p;
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&pi_mutex);
		counter++;
		pthread_mutex_unlock(&pi_mutex);
	}
	return NULL;
}

static void test_pi_mutex(void)
{
	pthread_mutexattr_t at;
	pthread_t t[4];

	pthread_mutexattr_init(&at);
	pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&pi_mutex, &at);
	for (int i = 0; i < 4; i++)
		start(&t[i], pi_worker, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("pi mutex: %ld\n", counter);
}

static pthread_mutex_t robust;
static atomic_int robust_stage;

static void *robust_owner(void *p)
{
	(void)p;
	pthread_mutex_lock(&robust);
	atomic_store(&robust_stage, 1);
	while (atomic_load(&robust_stage) != 2)
		pause_ms(1);
	pause_ms(20); /* main is (very likely) blocked on the lock by now */
	return NULL;  /* dies holding it */
}

static void test_robust(void)
{
	pthread_mutexattr_t at;
	pthread_t t;
	int r, r2;

	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &at);
	start(&t, robust_owner, NULL);
	while (atomic_load(&robust_stage) != 1)
		pause_ms(1);
	atomic_store(&robust_stage, 2);
	r = pthread_mutex_lock(&robust);
	pthread_mutex_consistent(&robust);
	pthread_mutex_unlock(&robust);
	r2 = pthread_mutex_lock(&robust);
	pthread_mutex_unlock(&robust);
	pthread_join(t, NULL);
	printf("robust: %s then %d\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r), r2);
}

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static long queue_items, consumed_sum, produced_done;

static void *consumer(void *p)
{
	long mine = 0;

	(void)p;
	pthread_mutex_lock(&qlock);
	for (;;) {
		while (!queue_items && !produced_done)
			pthread_cond_wait(&qcond, &qlock);
		if (!queue_items)
			break;
		mine += queue_items--;
	}
	consumed_sum += mine;
	pthread_mutex_unlock(&qlock);
	return NULL;
}

static void test_condvar(void)
{
	pthread_t t[4];
	long expect = 0;
	struct timespec ts;
	int r;

	for (int i = 0; i < 4; i++)
		start(&t[i], consumer, NULL);
	for (long i = 1; i <= 5000; i++) {
		pthread_mutex_lock(&qlock);
		queue_items++;
		expect += queue_items;
		pthread_cond_signal(&qcond);
		pthread_mutex_unlock(&qlock);
	}
	pthread_mutex_lock(&qlock);
	produced_done = 1;
	pthread_cond_broadcast(&qcond);
	pthread_mutex_unlock(&qlock);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&qlock);
	r = pthread_cond_timedwait(&qcond, &qlock, &ts);
	pthread_mutex_unlock(&qlock);
	printf("condvar: sum ok %d, timedwait %s\n", consumed_sum == expect,
	       r == ETIMEDOUT ? "ETIMEDOUT" : strerror(r));
}

static void *timeout_thread(void *p)
{
	static uint32_t w;
	struct timespec ts = { 0, 20000000 };

	*(long *)p = futex(&w, FUTEX_WAIT | PRIV, 0, (uintptr_t)&ts, NULL, 0);
	return NULL;
}

static void test_timeout_in_thread(void)
{
	pthread_t t;
	long r = 99;

	start(&t, timeout_thread, &r);
	pthread_join(t, NULL);
	printf("timeout: %s\n", r == -ETIMEDOUT ? "ETIMEDOUT" : strerror((int)-r));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_requeue();
	test_wake_op_and_bitsets();
	test_waitv();
	test_pi_handover();
	test_requeue_pi();
	test_pi_mutex();
	test_robust();
	test_condvar();
	test_timeout_in_thread();
	printf("done\n");
	return 0;
}
