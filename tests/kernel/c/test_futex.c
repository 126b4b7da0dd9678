/* core/futex.c's exit half: futex_exit_release on a task that is not
 * running (a struct task made here), its robust list and clear_child_tid
 * in guest memory, and a host thread of this test waiting on a robust
 * lock as a second guest thread would; plus cmpxchg_user_u32. */
#include <abi/boot.h>
#include <abi/syscalls.h>
#include <kernel/futex.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/task.h>
#include "ktest.h"

/* libc's, declared here: its headers' types clash with the kernel's */
typedef unsigned long pthread_t;
typedef union {
	char size[64];
	long align;
} pthread_attr_t;
int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int pthread_join(pthread_t th, void **ret);
int pthread_attr_init(pthread_attr_t *attr);
int pthread_attr_setstack(pthread_attr_t *attr, void *stack, size_t size);
int usleep(unsigned int usec);

#define PG PAGE_SIZE
#define TID 4242

static uptr U(unsigned long a)
{
	return (uptr){ a };
}

static unsigned long guest_pages(size_t n)
{
	long a = sys_mmap(0, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  (unsigned long)-1, 0);

	CHECK(a > 0);
	return (unsigned long)a;
}

/* A robust list in guest memory at base: the head (next, futex_offset,
 * list_op_pending), then n entries of 16 bytes (next, then the lock word at
 * offset 8), linked in order; entry i's next is head unless changed. */
struct robust {
	unsigned long head, entries;
};

static struct robust robust_list(unsigned long base, int n)
{
	struct robust r = { base, base + 64 };
	u64 *h = (u64 *)base;

	h[0] = n ? r.entries : r.head;
	h[1] = 8; /* futex_offset */
	h[2] = 0; /* list_op_pending */
	for (int i = 0; i < n; i++) {
		u64 *e = (u64 *)(r.entries + 16 * (unsigned long)i);

		e[0] = i + 1 < n ? r.entries + 16 * (unsigned long)(i + 1) : r.head;
		*(u32 *)(e + 1) = 0;
	}
	return r;
}

static u32 *lock_word(struct robust r, int i)
{
	return (u32 *)(r.entries + 16 * (unsigned long)i + 8);
}

static void test_owner_died(void)
{
	unsigned long base;
	struct task t;
	struct robust r;

	CHECK_EQ(abi_boot(NULL), 0);
	base = guest_pages(1);
	r = robust_list(base, 4);
	*lock_word(r, 0) = TID;
	*lock_word(r, 1) = TID | FUTEX_WAITERS;
	*lock_word(r, 2) = 77;  /* another thread's lock: untouched */
	*lock_word(r, 3) = TID; /* a PI lock: bit 0 of the link to it */
	((u64 *)(r.entries + 32))[0] |= 1;
	memset(&t, 0, sizeof t);
	t.tid = TID;
	t.robust_list = U(r.head);
	futex_exit_release(&t);
	CHECK_EQ(*lock_word(r, 0), FUTEX_OWNER_DIED);
	CHECK_EQ(*lock_word(r, 1), FUTEX_OWNER_DIED | FUTEX_WAITERS);
	CHECK_EQ(*lock_word(r, 2), 77);
	CHECK_EQ(*lock_word(r, 3), FUTEX_OWNER_DIED); /* PI: marked, nobody woken here */
	CHECK_EQ(t.robust_list.addr, 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_pending_and_limit(void)
{
	unsigned long base;
	struct task t;
	struct robust r;
	int n = 2100, died = 0;

	CHECK_EQ(abi_boot(NULL), 0);
	base = guest_pages((64 + 16 * (size_t)n) / PG + 2);
	r = robust_list(base, n);
	for (int i = 0; i < n; i++)
		*lock_word(r, i) = TID;
	/* the pending lock is also on the list: handled once, after the walk */
	((u64 *)r.head)[2] = r.entries + 16 * 5;
	memset(&t, 0, sizeof t);
	t.tid = TID;
	t.robust_list = U(r.head);
	futex_exit_release(&t);
	for (int i = 0; i < n; i++)
		died += *lock_word(r, i) == FUTEX_OWNER_DIED;
	/* 2048 entries walked; entry 5 (pending) skipped in the walk but done
	 * after it */
	CHECK_EQ(died, 2048);
	CHECK_EQ(*lock_word(r, 5), FUTEX_OWNER_DIED);
	CHECK_EQ(*lock_word(r, 2048), TID);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_circular_and_bad(void)
{
	unsigned long base;
	struct task t;
	struct robust r;

	CHECK_EQ(abi_boot(NULL), 0);
	base = guest_pages(1);
	/* a list that loops on itself ends after the limit */
	r = robust_list(base, 2);
	*lock_word(r, 0) = TID;
	*lock_word(r, 1) = TID;
	((u64 *)(r.entries + 16))[0] = r.entries;
	memset(&t, 0, sizeof t);
	t.tid = TID;
	t.robust_list = U(r.head);
	futex_exit_release(&t);
	CHECK_EQ(*lock_word(r, 0), FUTEX_OWNER_DIED);
	CHECK_EQ(*lock_word(r, 1), FUTEX_OWNER_DIED);
	/* a bad link ends the walk quietly; a bad head does nothing */
	r = robust_list(base, 2);
	*lock_word(r, 0) = TID;
	*lock_word(r, 1) = TID;
	((u64 *)r.entries)[0] = 0x10;
	t.robust_list = U(r.head);
	futex_exit_release(&t);
	CHECK_EQ(*lock_word(r, 0), FUTEX_OWNER_DIED);
	CHECK_EQ(*lock_word(r, 1), TID);
	t.robust_list = U(0x18);
	futex_exit_release(&t);
	/* an unaligned lock word stops the walk */
	r = robust_list(base, 2);
	((u64 *)r.head)[1] = 9;
	*(u32 *)(r.entries + 9) = TID;
	t.robust_list = U(r.head);
	futex_exit_release(&t);
	CHECK_EQ(*(u32 *)(r.entries + 9), TID);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

struct waiter {
	unsigned long uaddr;
	u32 val;
	long result;
	unsigned long ts; /* a 5 s timeout, in guest memory */
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	*(struct linux_timespec *)w->ts = (struct linux_timespec){ 5, 0 };
	/* shared, as glibc's robust mutexes and pthread_join wait */
	w->result = sys_futex(U(w->uaddr), FUTEX_WAIT, w->val, U(w->ts), U(0), 0);
	return NULL;
}

static void test_wakes_a_waiter(void)
{
	unsigned long base;
	struct task t;
	struct robust r;
	struct waiter w;
	pthread_t th;

	CHECK_EQ(abi_boot(NULL), 0);
	base = guest_pages(1);
	/* a robust lock with a waiter: OWNER_DIED, and the waiter is woken */
	r = robust_list(base, 1);
	*lock_word(r, 0) = TID | FUTEX_WAITERS;
	w = (struct waiter){ (unsigned long)lock_word(r, 0), TID | FUTEX_WAITERS, 1, base + 3072 };
	CHECK_EQ(pthread_create(&th, NULL, wait_thread, &w), 0);
	usleep(100 * 1000); /* the waiter is asleep by now */
	memset(&t, 0, sizeof t);
	t.tid = TID;
	t.robust_list = U(r.head);
	futex_exit_release(&t);
	pthread_join(th, NULL);
	CHECK_EQ(w.result, 0);
	CHECK_EQ(*lock_word(r, 0), FUTEX_OWNER_DIED | FUTEX_WAITERS);
	/* CLONE_CHILD_CLEARTID: 0 stored, one waiter woken (pthread_join) */
	*(u32 *)(base + 2048) = TID;
	w = (struct waiter){ base + 2048, TID, 1, base + 3072 };
	CHECK_EQ(pthread_create(&th, NULL, wait_thread, &w), 0);
	usleep(100 * 1000); /* the waiter is asleep by now */
	memset(&t, 0, sizeof t);
	t.tid = TID;
	t.clear_child_tid = U(base + 2048);
	futex_exit_release(&t);
	pthread_join(th, NULL);
	CHECK_EQ(w.result, 0);
	CHECK_EQ(*(u32 *)(base + 2048), 0);
	CHECK_EQ(t.clear_child_tid.addr, 0);
	/* a bad clear_child_tid is ignored */
	t.clear_child_tid = U(0x18);
	futex_exit_release(&t);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_cmpxchg_user(void)
{
	unsigned long base;
	u32 cur;

	CHECK_EQ(abi_boot(NULL), 0);
	base = guest_pages(2);
	*(u32 *)base = 5;
	CHECK_EQ(cmpxchg_user_u32(U(base), &cur, 5, 6), 0);
	CHECK_EQ(cur, 5);
	CHECK_EQ(*(u32 *)base, 6);
	CHECK_EQ(cmpxchg_user_u32(U(base), &cur, 5, 7), 0);
	CHECK_EQ(cur, 6);
	CHECK_EQ(*(u32 *)base, 6);
	CHECK_EQ(sys_mprotect(base + PG, PG, PROT_READ), 0);
	CHECK_EQ(cmpxchg_user_u32(U(base + PG), &cur, 0, 1), -EFAULT);
	CHECK_EQ(sys_munmap(base + PG, PG), 0);
	CHECK_EQ(cmpxchg_user_u32(U(base + PG), &cur, 0, 1), -EFAULT);
	CHECK_EQ(cmpxchg_user_u32(U(base + 2), &cur, 0, 1), -EINVAL);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

/* --- Tasks on host threads ---------------------------------------------
 * A host thread whose stack is a task's kernel stack is that task to the
 * kernel (task_current), with its own tid and wake word: real waiters and
 * wakers, as guest threads will be. */

struct thr {
	struct task *task;
	pthread_t th;
	void *(*fn)(struct thr *);
	unsigned long w, w2; /* futex words */
	long result, result2;
	u32 seen;
};

static void *thr_main(void *p)
{
	struct thr *t = p;

	return t->fn(t);
}

static void spawn(struct thr *t, void *(*fn)(struct thr *))
{
	long err = 0;
	pthread_attr_t at;

	t->fn = fn;
	t->task = task_new(&err);
	CHECK(t->task != NULL);
	pthread_attr_init(&at);
	pthread_attr_setstack(&at, (void *)(task_kstack_base(t->task).addr + 4096),
			      KSTACK_SIZE - 4096);
	CHECK_EQ(pthread_create(&t->th, &at, thr_main, t), 0);
}

static void reap(struct thr *t)
{
	pthread_join(t->th, NULL);
	task_release(t->task);
}

static long fx(unsigned long uaddr, int op, u32 val, unsigned long utime, unsigned long uaddr2,
	       u32 val3)
{
	return sys_futex(U(uaddr), op | FUTEX_PRIVATE_FLAG, val, U(utime), U(uaddr2), val3);
}

/* Waits until n waiters sleep on w: a requeue of w onto itself counts them. */
static long queued(unsigned long w, long n)
{
	for (int i = 0; i < 5000; i++) {
		long r = fx(w, FUTEX_CMP_REQUEUE, 0, 0x7fffffff, w, *(u32 *)w);

		if (r < 0 || r >= n)
			return r;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static void until_bits(unsigned long w, u32 bits)
{
	for (int i = 0; i < 5000 && !(__atomic_load_n((u32 *)w, __ATOMIC_ACQUIRE) & bits); i++)
		usleep(1000);
}

static void *t_lock_pi(struct thr *t)
{
	t->result = fx(t->w, FUTEX_LOCK_PI, 0, 0, 0, 0);
	t->seen = *(u32 *)t->w;
	t->result2 = fx(t->w, FUTEX_UNLOCK_PI, 0, 0, 0, 0);
	return NULL;
}

static void *t_trylock_pi(struct thr *t)
{
	t->result = fx(t->w, FUTEX_TRYLOCK_PI, 0, 0, 0, 0);
	t->seen = *(u32 *)t->w;
	t->result2 = fx(t->w, FUTEX_UNLOCK_PI, 0, 0, 0, 0);
	return NULL;
}

static void *t_lock_pi_timeout(struct thr *t)
{
	t->result = fx(t->w, FUTEX_LOCK_PI, 0, t->w2, 0, 0);
	return NULL;
}

static void *t_wait(struct thr *t)
{
	t->result = fx(t->w, FUTEX_WAIT, 0, 0, 0, 0);
	return NULL;
}

static void test_threads_requeue_and_pi(void)
{
	struct thr a = { 0 }, b = { 0 }, c = { 0 };
	unsigned long base;
	u32 me;

	CHECK_EQ(abi_boot(NULL), 0);
	me = (u32)current->tid;
	base = guest_pages(1);
	/* requeue: two waiters on w move to w2, then one wake each */
	a.w = b.w = base;
	spawn(&a, t_wait);
	spawn(&b, t_wait);
	CHECK_EQ(queued(base, 2), 2);
	CHECK_EQ(fx(base, FUTEX_CMP_REQUEUE, 0, 2, base + 4, 0), 2);
	CHECK_EQ(fx(base, FUTEX_WAKE, 10, 0, 0, 0), 0);
	CHECK_EQ(fx(base + 4, FUTEX_WAKE, 1, 0, 0, 0), 1);
	CHECK_EQ(fx(base + 4, FUTEX_WAKE, 1, 0, 0, 0), 1);
	reap(&a);
	reap(&b);
	CHECK_EQ(a.result, 0);
	CHECK_EQ(b.result, 0);

	/* PI: another task's trylock fails and leaves FUTEX_WAITERS */
	a = (struct thr){ .w = base + 8 };
	CHECK_EQ(fx(base + 8, FUTEX_LOCK_PI, 0, 0, 0, 0), 0);
	spawn(&a, t_trylock_pi);
	reap(&a);
	CHECK_EQ(a.result, -EWOULDBLOCK);
	CHECK_EQ(a.seen, me | FUTEX_WAITERS);
	CHECK_EQ(a.result2, -EPERM);
	CHECK_EQ(fx(base + 8, FUTEX_UNLOCK_PI, 0, 0, 0, 0), 0);
	CHECK_EQ(*(u32 *)(base + 8), 0);

	/* PI: the lock goes to the blocked waiter, in order */
	a = (struct thr){ .w = base + 8 };
	b = (struct thr){ .w = base + 8 };
	CHECK_EQ(fx(base + 8, FUTEX_LOCK_PI, 0, 0, 0, 0), 0);
	spawn(&a, t_lock_pi);
	until_bits(base + 8, FUTEX_WAITERS);
	usleep(20000);
	spawn(&b, t_lock_pi);
	usleep(50000);
	CHECK_EQ(*(u32 *)(base + 8), me | FUTEX_WAITERS);
	CHECK_EQ(fx(base + 8, FUTEX_UNLOCK_PI, 0, 0, 0, 0), 0);
	reap(&a);
	reap(&b);
	CHECK_EQ(a.result, 0);
	CHECK_EQ(a.seen, (u32)a.task->tid | FUTEX_WAITERS);
	CHECK_EQ(a.result2, 0);
	CHECK_EQ(b.result, 0);
	CHECK_EQ(b.seen, (u32)b.task->tid | FUTEX_WAITERS);
	CHECK_EQ(b.result2, 0);
	CHECK_EQ(*(u32 *)(base + 8), 0);

	/* a PI waiter that times out leaves FUTEX_WAITERS; the unlock clears it */
	*(long *)(base + 64) = 0;
	*(long *)(base + 72) = 0; /* an absolute CLOCK_REALTIME time long past */
	CHECK_EQ(fx(base + 8, FUTEX_LOCK_PI, 0, 0, 0, 0), 0);
	c = (struct thr){ .w = base + 8, .w2 = base + 64 };
	spawn(&c, t_lock_pi_timeout);
	reap(&c);
	CHECK_EQ(c.result, -ETIMEDOUT);
	CHECK_EQ(*(u32 *)(base + 8), me | FUTEX_WAITERS);
	CHECK_EQ(fx(base + 8, FUTEX_UNLOCK_PI, 0, 0, 0, 0), 0);
	CHECK_EQ(*(u32 *)(base + 8), 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void *t_wait_requeue_pi(struct thr *t)
{
	t->result = fx(t->w, FUTEX_WAIT_REQUEUE_PI, 0, 0, t->w2, 0);
	t->seen = *(u32 *)t->w2;
	t->result2 = fx(t->w2, FUTEX_UNLOCK_PI, 0, 0, 0, 0);
	return NULL;
}

static void *t_wait_bitset(struct thr *t)
{
	t->result = fx(t->w, FUTEX_WAIT_BITSET, 0, 0, 0, t->seen);
	return NULL;
}

static void *t_waitv(struct thr *t)
{
	/* t->w2: two struct futex_waitv */
	t->result = sys_futex_waitv(U(t->w2), 2, 0, U(0), 0);
	return NULL;
}

static void test_threads_bitset_wake_op_waitv(void)
{
	struct thr a = { 0 }, b = { 0 }, c = { 0 };
	unsigned long base;
	u64 *v;

	CHECK_EQ(abi_boot(NULL), 0);
	base = guest_pages(1);
	/* bitsets: a wake reaches only the waiters whose bits it shares */
	a = (struct thr){ .w = base, .seen = 1 };
	b = (struct thr){ .w = base, .seen = 2 };
	spawn(&a, t_wait_bitset);
	spawn(&b, t_wait_bitset);
	CHECK_EQ(queued(base, 2), 2);
	CHECK_EQ(fx(base, FUTEX_WAKE_BITSET, 10, 0, 0, 4), 0);
	CHECK_EQ(fx(base, FUTEX_WAKE_BITSET, 10, 0, 0, 2), 1);
	reap(&b);
	CHECK_EQ(fx(base, FUTEX_WAKE_BITSET, 10, 0, 0, 3), 1);
	reap(&a);
	CHECK_EQ(a.result, 0);
	CHECK_EQ(b.result, 0);
	/* WAKE_OP: b's word set to 5 if it was 0, waking a's and b's waiters */
	a = (struct thr){ .w = base + 4 };
	b = (struct thr){ .w = base + 8 };
	spawn(&a, t_wait);
	spawn(&b, t_wait);
	CHECK_EQ(queued(base + 4, 1), 1);
	CHECK_EQ(queued(base + 8, 1), 1);
	CHECK_EQ(fx(base + 4, FUTEX_WAKE_OP, 1, 1, base + 8, (5 << 12)), 2);
	CHECK_EQ(*(u32 *)(base + 8), 5);
	reap(&a);
	reap(&b);
	/* futex_waitv: woken on its second futex, it answers 1 */
	v = (u64 *)(base + 256);
	v[0] = 0, v[1] = base + 12, v[2] = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE;
	v[3] = 0, v[4] = base + 16, v[5] = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE;
	c = (struct thr){ .w2 = base + 256 };
	spawn(&c, t_waitv);
	CHECK_EQ(queued(base + 16, 1), 1);
	CHECK_EQ(queued(base + 12, 1), 1);
	CHECK_EQ(fx(base + 16, FUTEX_WAKE, 1, 0, 0, 0), 1);
	reap(&c);
	CHECK_EQ(c.result, 1);
	CHECK_EQ(fx(base + 12, FUTEX_WAKE, 1, 0, 0, 0), 0); /* it left both */
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_threads_requeue_pi(void)
{
	struct thr a = { 0 }, b = { 0 };
	unsigned long base;

	CHECK_EQ(abi_boot(NULL), 0);
	base = guest_pages(1);
	/* a free mutex: the first waiter is woken owning it, the second moved */
	a = (struct thr){ .w = base, .w2 = base + 4 };
	b = (struct thr){ .w = base, .w2 = base + 4 };
	spawn(&a, t_wait_requeue_pi);
	CHECK_EQ(queued(base, 1), -EINVAL); /* a requeue-PI waiter is there */
	spawn(&b, t_wait_requeue_pi);
	usleep(50000);
	CHECK_EQ(fx(base, FUTEX_CMP_REQUEUE_PI, 1, 1, base + 4, 0), 2);
	reap(&a);
	reap(&b);
	CHECK_EQ(a.result, 0);
	CHECK_EQ(b.result, 0);
	CHECK_EQ(a.seen & FUTEX_TID_MASK, (u32)a.task->tid);
	CHECK_EQ(b.seen & FUTEX_TID_MASK, (u32)b.task->tid);
	CHECK_EQ(a.result2, 0);
	CHECK_EQ(b.result2, 0);
	CHECK_EQ(*(u32 *)(base + 4), 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void *t_hold_pi(struct thr *t)
{
	t->result = fx(t->w, FUTEX_LOCK_PI, 0, 0, 0, 0);
	/* "dies" holding it: the test calls futex_exit_release for it */
	return NULL;
}

static void test_threads_owner_death(void)
{
	struct thr owner = { 0 }, waiter = { 0 };
	unsigned long base;
	struct robust r;

	CHECK_EQ(abi_boot(NULL), 0);
	base = guest_pages(1);
	r = robust_list(base, 1);
	((u64 *)r.head)[0] = r.entries | 1; /* a PI lock on the list */
	owner = (struct thr){ .w = (unsigned long)lock_word(r, 0) };
	spawn(&owner, t_hold_pi);
	pthread_join(owner.th, NULL);
	CHECK_EQ(owner.result, 0);
	waiter = (struct thr){ .w = owner.w };
	spawn(&waiter, t_lock_pi);
	until_bits(owner.w, FUTEX_WAITERS);
	usleep(20000);
	owner.task->robust_list = U(r.head);
	futex_exit_release(owner.task);
	reap(&waiter);
	CHECK_EQ(waiter.result, 0);
	CHECK_EQ(waiter.seen, (u32)waiter.task->tid | FUTEX_WAITERS | FUTEX_OWNER_DIED);
	CHECK_EQ(waiter.result2, 0);
	/* its futexes released, the dead owner of a non-robust PI lock is
	 * gone for a new locker, though still on the task list: ESRCH */
	*(u32 *)(base + 512) = (u32)owner.task->tid;
	CHECK_EQ(fx(base + 512, FUTEX_LOCK_PI, 0, 0, 0, 0), -ESRCH);
	CHECK_EQ(*(u32 *)(base + 512), (u32)owner.task->tid | FUTEX_WAITERS);
	task_release(owner.task);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

/* Contended locks made of futex calls, from four tasks: a classic
 * three-state futex mutex and a PI mutex with the user-space fast paths
 * (cmpxchg 0 -> tid, tid -> 0) as glibc's. No count may be lost and
 * nobody may sleep for ever. */
#define ITERS 3000

static void mutex_lock(u32 *m)
{
	u32 c = 0;

	if (__atomic_compare_exchange_n(m, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		fx((unsigned long)m, FUTEX_WAIT, 2, 0, 0, 0);
		c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
	}
}

static void mutex_unlock(u32 *m)
{
	if (__atomic_exchange_n(m, 0, __ATOMIC_RELEASE) == 2)
		fx((unsigned long)m, FUTEX_WAKE, 1, 0, 0, 0);
}

static void *t_mutex_loop(struct thr *t)
{
	u32 *m = (u32 *)t->w;
	long *count = (long *)t->w2;

	for (int i = 0; i < ITERS; i++) {
		mutex_lock(m);
		++*count;
		mutex_unlock(m);
	}
	return NULL;
}

static void *t_pi_loop(struct thr *t)
{
	u32 *m = (u32 *)t->w, tid = (u32)task_current()->tid;
	long *count = (long *)t->w2;

	for (int i = 0; i < ITERS; i++) {
		u32 z = 0;

		if (!__atomic_compare_exchange_n(m, &z, tid, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED) &&
		    fx((unsigned long)m, FUTEX_LOCK_PI, 0, 0, 0, 0) != 0)
			t->result = -1;
		++*count;
		z = tid;
		if (!__atomic_compare_exchange_n(m, &z, 0, false, __ATOMIC_RELEASE,
						 __ATOMIC_RELAXED) &&
		    fx((unsigned long)m, FUTEX_UNLOCK_PI, 0, 0, 0, 0) != 0)
			t->result = -2;
	}
	return NULL;
}

static void test_threads_contention(void)
{
	struct thr t[4];
	unsigned long base;

	CHECK_EQ(abi_boot(NULL), 0);
	base = guest_pages(1);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){ .w = base, .w2 = base + 64 };
		spawn(&t[i], t_mutex_loop);
	}
	for (int i = 0; i < 4; i++)
		reap(&t[i]);
	CHECK_EQ(*(long *)(base + 64), 4 * ITERS);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){ .w = base + 128, .w2 = base + 192 };
		spawn(&t[i], t_pi_loop);
	}
	for (int i = 0; i < 4; i++) {
		reap(&t[i]);
		CHECK_EQ(t[i].result, 0);
	}
	CHECK_EQ(*(long *)(base + 192), 4 * ITERS);
	CHECK_EQ(*(u32 *)(base + 128), 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

int main(void)
{
	RUN(test_owner_died);
	RUN(test_pending_and_limit);
	RUN(test_circular_and_bad);
	RUN(test_wakes_a_waiter);
	RUN(test_cmpxchg_user);
	RUN(test_threads_requeue_and_pi);
	RUN(test_threads_bitset_wake_op_waitv);
	RUN(test_threads_requeue_pi);
	RUN(test_threads_owner_death);
	RUN(test_threads_contention);
	KTEST_DONE();
}
