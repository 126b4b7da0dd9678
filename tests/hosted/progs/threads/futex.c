/* futex: each operation with its results and errno as Linux gives them:
 * WAIT (EAGAIN on a changed word, ETIMEDOUT, EINTR from a handler), WAKE,
 * REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET/WAKE_BITSET, CLOCK_REALTIME
 * absolute timeouts, PRIVATE, the PI operations for mutual exclusion,
 * futex_waitv, and bad arguments (EFAULT, EINVAL, ENOSYS). */
#include "check.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

/* linux/futex.h */
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP(op, oparg, cmp, cmparg) \
	(((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff))
#define FUTEX_32 2
struct futex_waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449 /* not in Debian 12's libc headers */
#endif

static long fx(int *uaddr, int op, int val, const void *ts_or_val2, int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts_or_val2, uaddr2, val3);
}

static void show(const char *what, long r)
{
	say("%s: %ld %s\n", what, r, ename(r < 0 ? errno : 0));
}

/* waiter threads: each waits on a word and records that it woke */
struct waiter {
	int *word;
	int op;
	unsigned bitset;
	long result;
	int err;
	_Atomic pid_t tid;
	atomic_int done;
};
static atomic_int waiting;

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	atomic_store(&w->tid, sys_gettid());
	atomic_fetch_add(&waiting, 1);
	w->result = fx(w->word, w->op, 0, NULL, NULL, (int)w->bitset);
	w->err = w->result < 0 ? errno : 0;
	atomic_store(&w->done, 1);
	return NULL;
}

/* Waits until the n waiters are asleep in the kernel. */
static void settle(struct waiter *w, int n)
{
	while (atomic_load(&waiting) < n)
		sleep_ms(1);
	for (int i = 0; i < n; i++)
		wait_asleep(atomic_load(&w[i].tid));
}

static int count_done(struct waiter *w, int n)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		c += atomic_load(&w[i].done);
	return c;
}

static void start(struct waiter *w, pthread_t *t, int n, int *word, int op, unsigned bits)
{
	waiting = 0;
	for (int i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].word = word;
		w[i].op = op;
		w[i].bitset = bits;
		PCHECK(pthread_create(&t[i], NULL, wait_thread, &w[i]));
	}
	settle(w, n);
}

static void finish(struct waiter *w, pthread_t *t, int n, int *word)
{
	*word = 1;
	fx(word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	for (int i = 0; i < n; i++)
		PCHECK(pthread_join(t[i], NULL));
	(void)w;
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(void)
{
	static int w1, w2, pi;
	struct timespec short_ts = { 0, 20000000 };

	/* WAIT's own checks */
	w1 = 5;
	show("WAIT on a changed word", fx(&w1, FUTEX_WAIT, 4, NULL, NULL, 0));
	show("WAIT timeout 20 ms", fx(&w1, FUTEX_WAIT, 5, &short_ts, NULL, 0));
	show("WAIT|PRIVATE timeout",
	     fx(&w1, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 5, &short_ts, NULL, 0));
	struct timespec bad_ts = { 0, 1000000000 };
	show("WAIT tv_nsec 1e9", fx(&w1, FUTEX_WAIT, 5, &bad_ts, NULL, 0));
	struct timespec neg_ts = { -1, 0 };
	show("WAIT negative timeout", fx(&w1, FUTEX_WAIT, 5, &neg_ts, NULL, 0));
	show("WAIT on NULL", fx(NULL, FUTEX_WAIT, 0, NULL, NULL, 0));
	show("WAIT misaligned", fx((int *)((char *)&w1 + 1), FUTEX_WAIT, 0, NULL, NULL, 0));
	show("WAKE nobody", fx(&w1, FUTEX_WAKE, 1, NULL, NULL, 0));
	show("op 99", fx(&w1, 99, 0, NULL, NULL, 0));
	show("FUTEX_FD", fx(&w1, FUTEX_FD, 0, NULL, NULL, 0));
	show("WAIT with CLOCK_REALTIME",
	     fx(&w1, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 5, &short_ts, NULL, 0));

	/* absolute timeouts: WAIT_BITSET takes an absolute time on either clock */
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 20000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	show("WAIT_BITSET absolute MONOTONIC",
	     fx(&w1, FUTEX_WAIT_BITSET, 5, &abs, NULL, (int)FUTEX_BITSET_MATCH_ANY));
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	show("WAIT_BITSET|CLOCK_REALTIME absolute",
	     fx(&w1, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 5, &abs, NULL,
		(int)FUTEX_BITSET_MATCH_ANY));
	show("WAIT_BITSET bitset 0", fx(&w1, FUTEX_WAIT_BITSET, 5, NULL, NULL, 0));

	/* EINTR: a handler runs while a thread waits (no SA_RESTART) */
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_handler = on_usr1;
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0);
	struct waiter w[4];
	pthread_t t[4];
	w1 = 0;
	start(w, t, 1, &w1, FUTEX_WAIT, 0);
	PCHECK(pthread_kill(t[0], SIGUSR1));
	PCHECK(pthread_join(t[0], NULL));
	say("WAIT interrupted by a handler: %ld %s\n", w[0].result, ename(w[0].err));
	act.sa_flags = SA_RESTART; /* a futex wait without a timeout is restarted */
	CHECK(sigaction(SIGUSR1, &act, NULL) == 0);
	start(w, t, 1, &w1, FUTEX_WAIT, 0);
	PCHECK(pthread_kill(t[0], SIGUSR1));
	sleep_ms(50);
	say("WAIT with SA_RESTART after the handler: still waiting %s\n",
	    atomic_load(&w[0].done) ? "no" : "yes");
	show("WAKE it", fx(&w1, FUTEX_WAKE, 1, NULL, NULL, 0));
	PCHECK(pthread_join(t[0], NULL));
	say("WAIT woken: %ld %s\n", w[0].result, ename(w[0].err));

	/* WAKE counts */
	w1 = 0;
	start(w, t, 4, &w1, FUTEX_WAIT, 0);
	show("WAKE 1 of 4", fx(&w1, FUTEX_WAKE, 1, NULL, NULL, 0));
	sleep_ms(20);
	show("WAKE|PRIVATE all (a private wake of shared waiters)",
	     fx(&w1, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT32_MAX, NULL, NULL, 0));
	show("WAKE all", fx(&w1, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0));
	finish(w, t, 4, &w1);

	/* REQUEUE and CMP_REQUEUE: wake 1, move up to 2 to w2 */
	w1 = 0;
	w2 = 0;
	start(w, t, 4, &w1, FUTEX_WAIT, 0);
	show("CMP_REQUEUE with a wrong value", fx(&w1, FUTEX_CMP_REQUEUE, 1, (void *)2L, &w2, 7));
	show("CMP_REQUEUE wake 1 move 2", fx(&w1, FUTEX_CMP_REQUEUE, 1, (void *)2L, &w2, 0));
	sleep_ms(20);
	say("after it: woken %d\n", count_done(w, 4));
	show("WAKE all on w2 (the moved ones)", fx(&w2, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0));
	sleep_ms(20);
	show("REQUEUE wake 0 move all", fx(&w1, FUTEX_REQUEUE, 0, (void *)(long)INT32_MAX, &w2, 0));
	show("WAKE all on w1 (none left)", fx(&w1, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0));
	show("WAKE all on w2", fx(&w2, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0));
	finish(w, t, 4, &w1);
	show("CMP_REQUEUE negative count", fx(&w1, FUTEX_CMP_REQUEUE, -1, (void *)1L, &w2, 1));

	/* WAKE_OP: w2 += 1 (old 0 > 0 is false): wake 1 on w1 only */
	w1 = 0;
	w2 = 0;
	start(w, t, 2, &w1, FUTEX_WAIT, 0);
	show("WAKE_OP add 1, if old > 0", fx(&w1, FUTEX_WAKE_OP, 1, (void *)1L, &w2,
					     FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 0)));
	say("w2 is now %d\n", w2);
	finish(w, t, 2, &w1);
	w1 = 0;
	start(w, t, 1, &w1, FUTEX_WAIT, 0);
	struct waiter w2w[1];
	pthread_t t2[1];
	memset(w2w, 0, sizeof w2w);
	w2w[0].word = &w2;
	w2w[0].op = FUTEX_WAIT;
	w2 = 0;
	waiting = 0;
	PCHECK(pthread_create(&t2[0], NULL, wait_thread, &w2w[0]));
	settle(w2w, 1);
	show("WAKE_OP set 5, if old == 0 (wakes on both)",
	     fx(&w1, FUTEX_WAKE_OP, 1, (void *)1L, &w2,
		FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0)));
	say("w2 is now %d\n", w2);
	PCHECK(pthread_join(t2[0], NULL));
	finish(w, t, 1, &w1);
	show("WAKE_OP on a bad uaddr2", fx(&w1, FUTEX_WAKE_OP, 1, (void *)1L, (int *)8,
					   FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0)));

	/* bitsets: a wake with a disjoint mask leaves the waiter */
	w1 = 0;
	start(w, t, 1, &w1, FUTEX_WAIT_BITSET, 0x1);
	show("WAKE_BITSET 0x2 on a 0x1 waiter", fx(&w1, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0x2));
	show("WAKE_BITSET 0x3", fx(&w1, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0x3));
	PCHECK(pthread_join(t[0], NULL));
	show("WAKE_BITSET 0", fx(&w1, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0));

	/* PI: lock, trylock, unlock; the word holds the owner's tid */
	pi = 0;
	show("LOCK_PI free", fx(&pi, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
	say("word holds my tid: %s\n", (pi & (int)FUTEX_TID_MASK) == sys_gettid() ? "yes" : "no");
	show("LOCK_PI again (deadlock)", fx(&pi, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
	show("TRYLOCK_PI held by me", fx(&pi, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
	show("UNLOCK_PI", fx(&pi, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
	say("word after unlock: %d\n", pi);
	show("UNLOCK_PI not owner", fx(&pi, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
	show("TRYLOCK_PI free", fx(&pi, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
	show("UNLOCK_PI", fx(&pi, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
	/* a PI mutex between threads: glibc's PTHREAD_PRIO_INHERIT */
	pthread_mutexattr_t ma;
	pthread_mutex_t pm;
	PCHECK(pthread_mutexattr_init(&ma));
	PCHECK(pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT));
	PCHECK(pthread_mutex_init(&pm, &ma));
	PCHECK(pthread_mutex_lock(&pm));
	say("PI mutex: trylock in main while held %s\n", ename(pthread_mutex_trylock(&pm)));
	PCHECK(pthread_mutex_unlock(&pm));

	/* futex_waitv: two words, the second is woken */
	int a = 0, b = 0;
	struct futex_waitv wv[2] = {
		{ .val = 0, .uaddr = (uintptr_t)&a, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
		{ .val = 0, .uaddr = (uintptr_t)&b, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
	};
	struct timespec wabs;
	clock_gettime(CLOCK_MONOTONIC, &wabs);
	wabs.tv_nsec += 20000000;
	if (wabs.tv_nsec >= 1000000000) {
		wabs.tv_sec++;
		wabs.tv_nsec -= 1000000000;
	}
	show("futex_waitv timeout", syscall(SYS_futex_waitv, wv, 2, 0, &wabs, CLOCK_MONOTONIC));
	b = 1;
	show("futex_waitv a changed word", syscall(SYS_futex_waitv, wv, 2, 0, NULL, 0));
	b = 0;
	show("futex_waitv flags 1", syscall(SYS_futex_waitv, wv, 2, 1, NULL, 0));
	show("futex_waitv 0 words", syscall(SYS_futex_waitv, wv, 0, 0, NULL, 0));
	show("futex_waitv 129 words", syscall(SYS_futex_waitv, wv, 129, 0, NULL, 0));
	show("futex_waitv bad clock", syscall(SYS_futex_waitv, wv, 2, 0, &wabs, 12));
	return 0;
}
