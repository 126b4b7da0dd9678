/* futex(2) and futex_waitv(2) on the kernel's one wait (wait.h).
 *
 * A waiter is a struct futex_q on its own kernel stack, queued in the
 * kernel's futex hash under its key: the guest address and whether the
 * futex is shared (Linux's keys make a private and a shared futex at one
 * address two futexes; with one address space the rest of a key is the
 * same for everyone). A waker takes the q off the hash and wakes its task
 * (task_wake); the waiter finds itself off and returns 0. A timeout or a
 * signal ends the sleep with the q still queued: the waiter takes it off.
 * futex_lock covers the hash, the PI states and every read-compare-queue
 * of a futex word, so a wake that follows a store to the word is never
 * lost; it is dropped only while a waiter sleeps.
 *
 * PI futexes keep Linux's protocol on the word (the owner's TID,
 * FUTEX_WAITERS, FUTEX_OWNER_DIED) and its errors, with a pi_state per
 * contended futex that names the owner and queues the blocked waiters in
 * order; an unlock hands the lock to the first of them, as the rt_mutex
 * does between tasks of one priority. There is no priority inheritance
 * (no priorities to inherit: every task is SCHED_OTHER to the host). */
#include <abi/syscalls.h>
#include <kernel/futex.h>
#include <kernel/kmalloc.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/restart.h>
#include <kernel/task.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include "../plat/plat.h"

#define TASK_SIZE_MAX ((1ULL << 47) - 4096) /* x86_64's user range: access_ok */
#define ROBUST_LIST_LIMIT 2048
#define FUTEX_WAITV_MAX 128
#define FUTEX_HASH_SIZE 256
#define FUTEX2_SIZE_MASK 0x3
#define FUTEX2_VALID_MASK (FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE)

struct fkey {
	uintptr_t addr;
	bool shared;
};

/* Where a WAIT_REQUEUE_PI waiter stands (Linux's requeue_state). */
enum { RQ_NONE, RQ_LOCKED, RQ_DONE };

struct pi_state;

struct futex_q {
	struct list link; /* in a hash chain while queued */
	struct task *task;
	struct fkey key;
	u32 bitset;
	bool queued;
	struct pi_state *pi;     /* a PI waiter's state (holds a reference) */
	struct list pi_link;     /* in pi->waiters while blocked on the lock */
	bool rt_waiter;          /* WAIT_REQUEUE_PI: to be requeued onto a PI futex */
	struct fkey requeue_key; /* ... this one */
	int rq_state;
};

/* A contended PI futex: its owner and the waiters blocked on it, in order.
 * It lives while a futex_q refers to it. */
struct pi_state {
	struct list link; /* pi_states */
	struct fkey key;
	struct task *owner;  /* NULL once an owner died with nobody to hand to */
	struct list waiters; /* struct futex_q.pi_link */
	int refs;
};

static struct kmutex futex_lock = KMUTEX_INIT;
static struct list futex_hash[FUTEX_HASH_SIZE];
static struct list pi_states = LIST_INIT(pi_states);

/* Tasks whose futexes futex_exit_release has released (Linux's
 * FUTEX_STATE_DEAD), still on the task list: a PI locker that finds one as
 * the owner treats it as gone. The most recent ones (by task and tid); a
 * task leaves the task list soon after. */
#define EXITED_MAX 64
static struct {
	const struct task *task;
	int tid;
} exited[EXITED_MAX];
static unsigned int exited_next;

static bool futex_released(const struct task *t)
{
	for (unsigned int i = 0; i < EXITED_MAX; i++)
		if (exited[i].task == t && exited[i].tid == t->tid)
			return true;
	return false;
}

/* --- Keys, the hash and the word ----------------------------------------- */

static bool key_eq(const struct fkey *a, const struct fkey *b)
{
	return a->addr == b->addr && a->shared == b->shared;
}

static struct list *chain(const struct fkey *k)
{
	struct list *h = &futex_hash[(u32)(k->addr >> 2) * 2654435761U % FUTEX_HASH_SIZE];

	if (!h->next)
		list_init(h);
	return h;
}

/* Linux's get_futex_key: the word must be aligned (EINVAL) and in the user
 * range (EFAULT); a private futex is only an address. A shared one needs
 * its page readable, and an anonymous private page also writable (Linux
 * refuses a read-only anonymous page, which "will never change", while a
 * file's page or shared memory keys by inode whatever the protection). */
static long get_key(uptr uaddr, bool shared, struct fkey *key)
{
	const struct vma *vma;
	long r = -EFAULT;

	if (uaddr.addr % sizeof(u32))
		return -EINVAL;
	if (uaddr.addr >= TASK_SIZE_MAX)
		return -EFAULT;
	key->addr = uaddr.addr;
	key->shared = shared;
	if (!shared)
		return 0;
	kmutex_lock(&kernel_mm.lock);
	vma = vma_find(&kernel_mm, uaddr.addr);
	if (vma && vma->start <= uaddr.addr && (vma->prot & (PROT_READ | PROT_WRITE)) &&
	    ((vma->prot & PROT_WRITE) || vma->file || (vma->flags & VMA_SHARED)))
		r = 0;
	kmutex_unlock(&kernel_mm.lock);
	return r;
}

static long get_value(uptr uaddr, u32 *val)
{
	return copy_from_user(val, uaddr, sizeof *val) < 0 ? -EFAULT : 0;
}

/* Linux's futex_wait_setup check: the word still holds val (0), or
 * -EAGAIN, or -EFAULT. */
static long value_is(uptr uaddr, u32 val)
{
	u32 uval;

	if (get_value(uaddr, &uval) < 0)
		return -EFAULT;
	return uval == val ? 0 : -EAGAIN;
}

static void queue(struct futex_q *q)
{
	q->queued = true;
	list_add_tail(&q->link, chain(&q->key));
}

/* Takes q off the hash: whether it was still on (not woken). */
static bool unqueue(struct futex_q *q)
{
	if (!q->queued)
		return false;
	list_del(&q->link);
	q->queued = false;
	return true;
}

/* Moves q to key (Linux's requeue_futex: within one hash chain only the
 * key changes, so a walk of that chain does not meet q again). */
static void requeue_q(struct futex_q *q, const struct fkey *key)
{
	bool same = chain(&q->key) == chain(key);

	q->key = *key;
	if (!same) {
		unqueue(q);
		queue(q);
	}
}

static void wake_q(struct futex_q *q)
{
	struct task *t = q->task;

	unqueue(q);
	task_wake(t); /* q may be gone once its task runs */
}

/* The first waiter queued under key (Linux's futex_top_waiter). */
static struct futex_q *top_waiter(const struct fkey *key)
{
	struct list *h = chain(key), *pos;

	list_for_each(pos, h) {
		struct futex_q *q = list_entry(pos, struct futex_q, link);

		if (key_eq(&q->key, key))
			return q;
	}
	return NULL;
}

static s64 now_ns(void)
{
	return plat_clock_ns(PLAT_CLOCK_MONOTONIC);
}

/* An absolute CLOCK_REALTIME time as a monotonic deadline (taken once: a
 * later change of the wall clock does not move it). */
static s64 realtime_deadline(s64 ns)
{
	s64 d = ktime_add_safe(now_ns(), ns - plat_clock_ns(PLAT_CLOCK_REALTIME));

	return d < 0 ? 0 : d;
}

/* Sleeps with futex_lock dropped until done(arg) (checked under the lock),
 * the deadline or a signal: 0, -ETIMEDOUT (a deadline that passed wins
 * over a signal, as Linux checks the timer first) or -EINTR. */
static long futex_sleep(bool (*done)(void *), void *arg, u32 seq, s64 deadline)
{
	for (;;) {
		long r;

		kmutex_unlock(&futex_lock);
		r = task_sleep(seq, deadline, NULL, 0);
		kmutex_lock(&futex_lock);
		if (done(arg))
			return 0;
		if (r == -EINTR && deadline != NO_DEADLINE && now_ns() >= deadline)
			r = -ETIMEDOUT;
		if (r < 0)
			return r;
		seq = wait_prepare(); /* spurious: sleep again */
	}
}

static bool q_woken(void *arg)
{
	return !((struct futex_q *)arg)->queued;
}

/* --- WAIT and WAKE --------------------------------------------------------- */

static long futex_wait_restart(struct restart_block *rb);

/* Linux's __futex_wait: 0 when woken, -EAGAIN when the word is not val,
 * -ETIMEDOUT, -ERESTARTSYS when a signal interrupted the sleep. */
static long do_futex_wait(uptr uaddr, bool shared, u32 val, s64 deadline, u32 bitset)
{
	struct futex_q q = { .task = current, .bitset = bitset };
	u32 seq;
	long r;

	if (!bitset)
		return -EINVAL;
	if ((r = get_key(uaddr, shared, &q.key)) < 0)
		return r;
	kmutex_lock(&futex_lock);
	seq = wait_prepare();
	if ((r = value_is(uaddr, val)) < 0)
		goto out;
	queue(&q);
	r = futex_sleep(q_woken, &q, seq, deadline);
	if (r < 0 && !unqueue(&q))
		r = 0; /* woken as the sleep ended: the wake counts */
	if (r == -EINTR)
		r = -ERESTARTSYS;
out:
	kmutex_unlock(&futex_lock);
	return r;
}

/* Linux's futex_wait: with a timeout, a signal leaves a restart block so
 * that restart_syscall waits again until the same deadline. */
static long futex_wait(uptr uaddr, bool shared, u32 val, s64 deadline, u32 bitset)
{
	long r = do_futex_wait(uaddr, shared, val, deadline, bitset);
	struct restart_block *rb = &current->restart;

	if (r != -ERESTARTSYS || deadline == NO_DEADLINE)
		return r;
	rb->deadline = deadline;
	rb->clock = CLOCK_MONOTONIC;
	rb->arg[0] = uaddr.addr;
	rb->arg[1] = val;
	rb->arg[2] = bitset;
	rb->arg[3] = shared;
	return set_restart_fn(rb, futex_wait_restart);
}

static long futex_wait_restart(struct restart_block *rb)
{
	rb->fn = do_no_restart_syscall;
	return futex_wait((uptr){ rb->arg[0] }, rb->arg[3], (u32)rb->arg[1], rb->deadline,
			  (u32)rb->arg[2]);
}

/* Linux's futex_wake: nr_wake <= 0 still wakes one (the loop counts
 * first); a PI or requeue-PI waiter at the address is EINVAL. Locked. */
static long wake_locked(const struct fkey *key, int nr_wake, u32 bitset)
{
	struct list *h = chain(key), *pos, *tmp;
	long ret = 0;

	list_for_each_safe(pos, tmp, h) {
		struct futex_q *q = list_entry(pos, struct futex_q, link);

		if (!key_eq(&q->key, key))
			continue;
		if (q->pi || q->rt_waiter)
			return -EINVAL;
		if (!(q->bitset & bitset))
			continue;
		wake_q(q);
		if (++ret >= nr_wake)
			break;
	}
	return ret;
}

static long do_futex_wake(uptr uaddr, bool shared, int nr_wake, u32 bitset)
{
	struct fkey key;
	long r;

	if (!bitset)
		return -EINVAL;
	if ((r = get_key(uaddr, shared, &key)) < 0)
		return r;
	kmutex_lock(&futex_lock);
	r = wake_locked(&key, nr_wake, bitset);
	kmutex_unlock(&futex_lock);
	return r;
}

long futex_wake(uptr uaddr, bool shared, int n)
{
	return do_futex_wake(uaddr, shared, n, FUTEX_BITSET_MATCH_ANY);
}

/* --- WAKE_OP ---------------------------------------------------------------- */

static s32 sign_extend12(u32 v)
{
	return (s32)(v << 20) >> 20;
}

/* Linux's futex_atomic_op_inuser: the operation on the word at uaddr, made
 * atomically, then the comparison of the old value: 1 or 0, -ENOSYS for an
 * unknown operation (nothing written) or comparison (after the write, as
 * on Linux), -EFAULT. */
static long atomic_op_inuser(u32 encoded, uptr uaddr)
{
	u32 op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	u32 oparg = (u32)sign_extend12((encoded >> 12) & 0xfff);
	s32 cmparg = sign_extend12(encoded & 0xfff), old;
	u32 cur, next;

	if ((encoded >> 28) & FUTEX_OP_OPARG_SHIFT) /* Linux masks a bad shift (with a warning) */
		oparg = 1U << (oparg & 31);
	if (op > FUTEX_OP_XOR)
		return -ENOSYS;
	if (get_value(uaddr, &cur) < 0)
		return -EFAULT;
	for (;;) {
		u32 found;

		switch (op) {
		case FUTEX_OP_SET:
			next = oparg;
			break;
		case FUTEX_OP_ADD:
			next = cur + oparg;
			break;
		case FUTEX_OP_OR:
			next = cur | oparg;
			break;
		case FUTEX_OP_ANDN:
			next = cur & ~oparg;
			break;
		default:
			next = cur ^ oparg;
			break;
		}
		if (cmpxchg_user_u32(uaddr, &found, cur, next) < 0)
			return -EFAULT;
		if (found == cur)
			break;
		cur = found;
	}
	old = (s32)cur;
	switch (cmp) {
	case FUTEX_OP_CMP_EQ:
		return old == cmparg;
	case FUTEX_OP_CMP_NE:
		return old != cmparg;
	case FUTEX_OP_CMP_LT:
		return old < cmparg;
	case FUTEX_OP_CMP_GE:
		return old >= cmparg;
	case FUTEX_OP_CMP_LE:
		return old <= cmparg;
	case FUTEX_OP_CMP_GT:
		return old > cmparg;
	default:
		return -ENOSYS;
	}
}

/* Linux's futex_wake_op: the operation on uaddr2, then up to nr_wake
 * waiters of uaddr1 and, if the comparison held, nr_wake2 of uaddr2 (no
 * bitset test: WAKE_OP wakes any waiter). */
static long futex_wake_op(uptr uaddr1, bool shared, uptr uaddr2, int nr_wake, int nr_wake2,
			  u32 encoded)
{
	struct fkey key1, key2;
	long r, op_ret;

	if ((r = get_key(uaddr1, shared, &key1)) < 0 || (r = get_key(uaddr2, shared, &key2)) < 0)
		return r;
	kmutex_lock(&futex_lock);
	op_ret = atomic_op_inuser(encoded, uaddr2);
	if (op_ret < 0) {
		r = op_ret;
		goto out;
	}
	if ((r = wake_locked(&key1, nr_wake, FUTEX_BITSET_MATCH_ANY)) < 0)
		goto out;
	if (op_ret > 0) {
		long r2 = wake_locked(&key2, nr_wake2, FUTEX_BITSET_MATCH_ANY);

		r = r2 < 0 ? r2 : r + r2;
	}
out:
	kmutex_unlock(&futex_lock);
	return r;
}

/* --- PI state ---------------------------------------------------------------- */

static struct pi_state *pi_alloc(const struct fkey *key, struct task *owner)
{
	struct pi_state *ps = kzalloc(sizeof *ps);

	if (!ps)
		return NULL;
	ps->key = *key;
	ps->owner = owner;
	ps->refs = 1;
	list_init(&ps->waiters);
	list_add_tail(&ps->link, &pi_states);
	return ps;
}

static void pi_put(struct pi_state *ps)
{
	if (ps && --ps->refs == 0) {
		list_del(&ps->link);
		kfree(ps);
	}
}

/* Linux's attach_to_pi_state: a new waiter joins the state of the futex's
 * existing waiters, if the word agrees with it. */
static long attach_to_pi_state(u32 uval, struct pi_state *ps, struct pi_state **out)
{
	u32 pid = uval & FUTEX_TID_MASK;

	if (!ps)
		return -EINVAL; /* a non-PI waiter sits on this word */
	if (uval & FUTEX_OWNER_DIED) {
		if (!ps->owner) {
			if (pid)
				return -EINVAL;
			goto attach;
		}
		if (!pid)
			goto attach;
	} else if (!ps->owner) {
		return -EINVAL;
	}
	if (pid != (u32)ps->owner->tid)
		return -EINVAL;
attach:
	ps->refs++;
	*out = ps;
	return 0;
}

/* Linux's handle_exit_race: the word names a task that is not there. */
static long handle_exit_race(uptr uaddr, u32 uval)
{
	u32 uval2;

	if (get_value(uaddr, &uval2) < 0)
		return -EFAULT;
	return uval2 != uval ? -EAGAIN : -ESRCH;
}

/* Linux's futex_lock_pi_atomic, for task: 1 when task now owns the futex
 * (the word is its TID; with set_waiters FUTEX_WAITERS too and a pi_state
 * owned by it in *ps), 0 when it must block (*ps is the state to block on,
 * referenced), -EAGAIN when the word changed under us (retry), -EBUSY when
 * the owner is exiting (retry after a moment), or an error. Locked. */
static long lock_pi_atomic(uptr uaddr, const struct fkey *key, struct task *task,
			   struct pi_state **ps, bool set_waiters)
{
	u32 uval, newval, cur, tid = (u32)task->tid;
	struct futex_q *top;
	struct task *owner;

	*ps = NULL;
	if (get_value(uaddr, &uval) < 0)
		return -EFAULT;
	if ((uval & FUTEX_TID_MASK) == tid)
		return -EDEADLK;
	if ((top = top_waiter(key)))
		return attach_to_pi_state(uval, top->pi, ps);
	if (!(uval & FUTEX_TID_MASK)) {
		/* nobody holds it: take it, keeping OWNER_DIED */
		newval = (uval & FUTEX_OWNER_DIED) | tid | (set_waiters ? FUTEX_WAITERS : 0);
		if (cmpxchg_user_u32(uaddr, &cur, uval, newval) < 0)
			return -EFAULT;
		if (cur != uval)
			return -EAGAIN;
		if (set_waiters && !(*ps = pi_alloc(key, task)))
			return -ENOMEM;
		return 1;
	}
	/* the first waiter: FUTEX_WAITERS sends the owner's unlock here */
	newval = uval | FUTEX_WAITERS;
	if (cmpxchg_user_u32(uaddr, &cur, uval, newval) < 0)
		return -EFAULT;
	if (cur != uval)
		return -EAGAIN;
	owner = task_find((int)(newval & FUTEX_TID_MASK));
	if (!owner || futex_released(owner))
		return handle_exit_race(uaddr, newval);
	if (owner->exiting)
		return -EBUSY; /* its futexes are not released yet: wait for that */
	if (!(*ps = pi_alloc(key, owner)))
		return -ENOMEM;
	return 0;
}

static bool pi_acquired(void *arg)
{
	struct futex_q *q = arg;

	return q->pi && q->pi->owner == q->task;
}

/* Sets the PI futex word at uaddr to name t as its owner, with
 * FUTEX_WAITERS and whatever FUTEX_OWNER_DIED it had (Linux's
 * fixup_pi_state_owner, for a task given a lock whose owner is gone). */
static void pi_word_owner(uptr uaddr, struct task *t)
{
	u32 uval, cur;

	if (get_value(uaddr, &uval) < 0)
		return;
	for (;;) {
		u32 newval = (uval & FUTEX_OWNER_DIED) | FUTEX_WAITERS | (u32)t->tid;

		if (cmpxchg_user_u32(uaddr, &cur, uval, newval) < 0 || cur == uval)
			return;
		uval = cur;
	}
}

/* Blocks q (queued, q->pi set) on its PI state until the lock is handed
 * to it, the deadline or a signal: 0 (owner), -ETIMEDOUT, -EINTR. On
 * return q is off the hash and its reference dropped. Locked. */
static long pi_block(struct futex_q *q, s64 deadline)
{
	struct pi_state *ps = q->pi;
	long r = 0;

	if (!ps->owner) {
		/* its owner died with nobody to hand it to: the rt_mutex is
		 * free, so it is ours at once (Linux's fixup_pi_owner) */
		ps->owner = q->task;
		pi_word_owner((uptr){ q->key.addr }, q->task);
	}
	if (ps->owner != q->task) {
		list_add_tail(&q->pi_link, &ps->waiters);
		r = futex_sleep(pi_acquired, q, wait_prepare(), deadline);
		if (r < 0 && ps->owner == q->task)
			r = 0; /* handed over as the sleep ended: we own it */
		if (r < 0)
			list_del(&q->pi_link);
	}
	unqueue(q);
	q->pi = NULL;
	pi_put(ps);
	return r;
}

/* A short interruptible pause while a PI owner finishes exiting (Linux
 * waits for its exit to complete). */
static long pi_owner_exiting_pause(void)
{
	long r;

	kmutex_unlock(&futex_lock);
	r = task_sleep(wait_prepare(), now_ns() + NSEC_PER_MSEC, NULL, 0);
	kmutex_lock(&futex_lock);
	return r == -EINTR ? -EINTR : 0;
}

/* Linux's futex_lock_pi (and TRYLOCK_PI): 0 once the caller owns the
 * futex. A signal restarts it (ERESTARTNOINTR). */
static long futex_lock_pi(uptr uaddr, bool shared, s64 deadline, bool trylock)
{
	struct futex_q q = { .task = current, .bitset = FUTEX_BITSET_MATCH_ANY };
	struct pi_state *ps;
	long r;

	if ((r = get_key(uaddr, shared, &q.key)) < 0)
		return r;
	kmutex_lock(&futex_lock);
	for (;;) {
		r = lock_pi_atomic(uaddr, &q.key, current, &ps, false);
		if (r == -EAGAIN)
			continue;
		if (r == -EBUSY) {
			if ((r = pi_owner_exiting_pause()) < 0)
				break;
			continue;
		}
		break;
	}
	if (r == 1)
		r = 0;
	if (r != 0 || !ps)
		goto out;
	q.pi = ps;
	queue(&q);
	if (trylock) {
		/* the rt_mutex is free only when its owner died with nobody
		 * to hand it to; otherwise the trylock fails (FUTEX_WAITERS
		 * stays set, as on Linux) */
		r = -EWOULDBLOCK;
		if (!ps->owner) {
			ps->owner = current;
			pi_word_owner(uaddr, current);
			r = 0;
		}
		unqueue(&q);
		q.pi = NULL;
		pi_put(ps);
		goto out;
	}
	r = pi_block(&q, deadline);
	if (r == -EINTR)
		r = -ERESTARTNOINTR;
out:
	kmutex_unlock(&futex_lock);
	return r;
}

/* Linux's futex_unlock_pi: only the owner may unlock (EPERM); with
 * waiters the lock goes to the first of them, the word becoming its TID
 * with FUTEX_WAITERS; without, the word becomes 0. */
static long futex_unlock_pi(uptr uaddr, bool shared)
{
	u32 uval, cur, tid = (u32)current->tid;
	struct futex_q *top;
	struct fkey key;
	long r;

	kmutex_lock(&futex_lock);
retry:
	if ((r = get_value(uaddr, &uval)) < 0)
		goto out;
	if ((uval & FUTEX_TID_MASK) != tid) {
		r = -EPERM;
		goto out;
	}
	if ((r = get_key(uaddr, shared, &key)) < 0)
		goto out;
	top = top_waiter(&key);
	if (top) {
		struct pi_state *ps = top->pi;
		struct futex_q *next;

		r = -EINVAL;
		if (!ps || ps->owner != current)
			goto out;
		if (!list_empty(&ps->waiters)) {
			next = list_entry(ps->waiters.next, struct futex_q, pi_link);
			if ((r = cmpxchg_user_u32(uaddr, &cur, uval,
						  FUTEX_WAITERS | (u32)next->task->tid)) < 0)
				goto out;
			if (cur != uval) {
				if ((cur & FUTEX_TID_MASK) == uval)
					goto retry;
				r = -EINVAL;
				goto out;
			}
			list_del(&next->pi_link);
			ps->owner = next->task;
			task_wake(next->task);
			r = 0;
			goto out;
		}
		ps->owner = NULL; /* its last waiter is leaving */
	}
	if ((r = cmpxchg_user_u32(uaddr, &cur, uval, 0)) < 0)
		goto out;
	r = cur == uval ? 0 : -EAGAIN;
out:
	kmutex_unlock(&futex_lock);
	return r;
}

/* --- REQUEUE, CMP_REQUEUE and the requeue-PI pair ------------------------------ */

/* Linux's futex_proxy_trylock_atomic: takes the PI futex for the first
 * requeue-PI waiter of key1 if it is free (1: that waiter is woken
 * owning it), else attaches to its owner (0, *ps referenced); 0 and no
 * state when nobody waits. Locked. */
static long proxy_trylock(uptr pifutex, const struct fkey *key1, const struct fkey *key2,
			  struct pi_state **ps, bool set_waiters)
{
	struct futex_q *top;
	u32 cur;
	long r;

	*ps = NULL;
	if (get_value(pifutex, &cur) < 0)
		return -EFAULT;
	if (!(top = top_waiter(key1)))
		return 0;
	if (!top->rt_waiter || top->pi)
		return -EINVAL;
	if (!key_eq(&top->requeue_key, key2))
		return -EINVAL;
	r = lock_pi_atomic(pifutex, key2, top->task, ps, set_waiters);
	if (r == 1) {
		top->rq_state = RQ_LOCKED;
		top->key = *key2;
		wake_q(top);
	}
	return r;
}

/* Linux's futex_requeue: wakes nr_wake waiters of uaddr1 and moves up to
 * nr_requeue more to uaddr2 (for requeue-PI, onto the PI futex's lock);
 * the number woken and moved. */
static long futex_requeue(uptr uaddr1, bool shared, uptr uaddr2, int nr_wake, int nr_requeue,
			  const u32 *cmpval, bool requeue_pi)
{
	struct pi_state *ps = NULL;
	struct fkey key1, key2;
	struct list *h, *pos, *tmp;
	int task_count = 0;
	long ret;

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	if (requeue_pi && (uaddr1.addr == uaddr2.addr || nr_wake != 1))
		return -EINVAL;
	if ((ret = get_key(uaddr1, shared, &key1)) < 0 ||
	    (ret = get_key(uaddr2, shared, &key2)) < 0)
		return ret;
	if (requeue_pi && key_eq(&key1, &key2))
		return -EINVAL;
	kmutex_lock(&futex_lock);
retry:
	if (cmpval) {
		u32 cur;

		if ((ret = get_value(uaddr1, &cur)) < 0)
			goto out;
		if (cur != *cmpval) {
			ret = -EAGAIN;
			goto out;
		}
	}
	if (requeue_pi) {
		ret = proxy_trylock(uaddr2, &key1, &key2, &ps, nr_requeue > 0);
		if (ret == -EAGAIN)
			goto retry;
		if (ret == -EBUSY) {
			if ((ret = pi_owner_exiting_pause()) < 0)
				goto out;
			goto retry;
		}
		if (ret < 0)
			goto out;
		task_count += (int)ret;
		ret = 0;
	}
	h = chain(&key1);
	list_for_each_safe(pos, tmp, h) {
		struct futex_q *q = list_entry(pos, struct futex_q, link);

		if (task_count - nr_wake >= nr_requeue)
			break;
		if (!key_eq(&q->key, &key1))
			continue;
		if (requeue_pi != q->rt_waiter || q->pi) {
			ret = -EINVAL;
			break;
		}
		if (!requeue_pi) {
			if (++task_count <= nr_wake)
				wake_q(q);
			else
				requeue_q(q, &key2);
			continue;
		}
		if (!key_eq(&q->requeue_key, &key2)) {
			ret = -EINVAL;
			break;
		}
		if (!ps->owner) {
			/* a free lock (its owner died): the waiter takes it */
			ps->owner = q->task;
			pi_word_owner(uaddr2, q->task);
			q->rq_state = RQ_LOCKED;
			q->key = key2;
			wake_q(q);
		} else {
			/* it sleeps on, now blocked on the lock */
			ps->refs++;
			q->pi = ps;
			q->rq_state = RQ_DONE;
			list_add_tail(&q->pi_link, &ps->waiters);
			requeue_q(q, &key2);
		}
		task_count++;
	}
	pi_put(ps);
out:
	kmutex_unlock(&futex_lock);
	return ret ? ret : task_count;
}

/* Woken owning the PI futex: at the requeue, or by an unlock after it. */
static bool rq_acquired(void *arg)
{
	struct futex_q *q = arg;

	return q->rq_state == RQ_LOCKED || (q->rq_state == RQ_DONE && q->pi->owner == q->task);
}

/* Linux's futex_wait_requeue_pi: waits on uaddr (not PI) to be requeued
 * onto the PI futex uaddr2 by CMP_REQUEUE_PI, and returns owning it. */
static long futex_wait_requeue_pi(uptr uaddr, bool shared, u32 val, s64 deadline, u32 bitset,
				  uptr uaddr2)
{
	struct futex_q q = { .task = current, .bitset = bitset, .rt_waiter = true };
	u32 seq;
	long r;

	if (uaddr.addr == uaddr2.addr || !bitset)
		return -EINVAL;
	if ((r = get_key(uaddr2, shared, &q.requeue_key)) < 0)
		return r;
	if ((r = get_key(uaddr, shared, &q.key)) < 0)
		return r;
	kmutex_lock(&futex_lock);
	seq = wait_prepare();
	if ((r = value_is(uaddr, val)) < 0)
		goto out;
	if (key_eq(&q.key, &q.requeue_key)) {
		r = -EINVAL;
		goto out;
	}
	queue(&q);
	r = futex_sleep(rq_acquired, &q, seq, deadline);
	switch (q.rq_state) {
	case RQ_NONE: /* woken early, still on uaddr */
		unqueue(&q);
		r = r == -ETIMEDOUT ? -ETIMEDOUT : r == -EINTR ? -ERESTARTNOINTR : -EWOULDBLOCK;
		break;
	case RQ_LOCKED:
		r = 0;
		break;
	default: /* requeued onto the PI futex */
		if (q.pi->owner == current)
			r = 0;
		else
			list_del(&q.pi_link);
		/* a restart would find the word changed: Linux answers
		 * EWOULDBLOCK at once */
		if (r == -EINTR)
			r = -EWOULDBLOCK;
		unqueue(&q);
		pi_put(q.pi);
		q.pi = NULL;
	}
out:
	kmutex_unlock(&futex_lock);
	return r;
}

/* --- The syscalls -------------------------------------------------------------- */

static bool futex_cmd_has_timeout(int cmd)
{
	return cmd == FUTEX_WAIT || cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2 ||
	       cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAIT_REQUEUE_PI;
}

/* Linux's futex_init_timeout: FUTEX_WAIT's timeout is relative on
 * CLOCK_MONOTONIC; the others' absolute, on CLOCK_REALTIME with the flag
 * (and always for LOCK_PI). As a monotonic deadline. */
static long futex_timeout(uptr utime, int cmd, bool realtime, s64 *deadline)
{
	struct linux_timespec ts;
	s64 ns;

	if (copy_from_user(&ts, utime, sizeof ts) < 0)
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	ns = timespec_to_ns(&ts);
	if (cmd == FUTEX_WAIT)
		*deadline = ktime_add_safe(now_ns(), ns);
	else if (realtime || cmd == FUTEX_LOCK_PI)
		*deadline = realtime_deadline(ns);
	else
		*deadline = ns;
	return 0;
}

/* sys_futex waits on, wakes, requeues or locks the futex word at uaddr:
 * every operation of Linux's do_futex but FUTEX_FD (gone since 2.6.26). */
long sys_futex(uptr uaddr, int op, u32 val, uptr utime, uptr uaddr2, u32 val3)
{
	int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	bool realtime = op & FUTEX_CLOCK_REALTIME, shared = !(op & FUTEX_PRIVATE_FLAG);
	/* for the requeue and wake-op commands, utime is a count */
	int val2 = (int)(u32)utime.addr;
	s64 deadline = NO_DEADLINE;
	long r;

	/* Linux reads the timeout before it looks at the rest */
	if (utime.addr && futex_cmd_has_timeout(cmd) &&
	    (r = futex_timeout(utime, cmd, realtime, &deadline)) < 0)
		return r;
	/* CLOCK_REALTIME only with the absolute-time waits */
	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
	    cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(uaddr, shared, val, deadline, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		return futex_wait(uaddr, shared, val, deadline, val3);
	case FUTEX_WAKE:
		return do_futex_wake(uaddr, shared, (int)val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return do_futex_wake(uaddr, shared, (int)val, val3);
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, shared, uaddr2, (int)val, val2, NULL, false);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, shared, uaddr2, (int)val, val2, &val3, false);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, shared, uaddr2, (int)val, val2, val3);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		return futex_lock_pi(uaddr, shared, deadline, false);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(uaddr, shared);
	case FUTEX_TRYLOCK_PI:
		return futex_lock_pi(uaddr, shared, NO_DEADLINE, true);
	case FUTEX_WAIT_REQUEUE_PI:
		return futex_wait_requeue_pi(uaddr, shared, val, deadline, FUTEX_BITSET_MATCH_ANY,
					     uaddr2);
	case FUTEX_CMP_REQUEUE_PI:
		return futex_requeue(uaddr, shared, uaddr2, (int)val, val2, &val3, true);
	default:
		return -ENOSYS;
	}
}

/* --- futex_waitv ------------------------------------------------------------------ */

struct futex_waitv {
	u64 val, uaddr;
	u32 flags, reserved;
};
_Static_assert(sizeof(struct futex_waitv) == 24, "struct futex_waitv is 24 bytes");

struct waitv {
	struct futex_q *qs;
	unsigned int n;
};

static bool waitv_woken(void *arg)
{
	struct waitv *w = arg;

	for (unsigned int i = 0; i < w->n; i++)
		if (!w->qs[i].queued)
			return true;
	return false;
}

/* Takes the first n off the hash: the index of the last one a waker had
 * taken off already, or -1 (Linux's futex_unqueue_multiple). */
static long unqueue_multiple(struct futex_q *qs, unsigned int n)
{
	long woken = -1;

	for (unsigned int i = 0; i < n; i++)
		if (!unqueue(&qs[i]))
			woken = i;
	return woken;
}

/* Linux's futex2_setup_timeout: CLOCK_MONOTONIC or CLOCK_REALTIME, an
 * absolute time. */
static long waitv_timeout(uptr timeout, clockid_t clockid, s64 *deadline)
{
	struct linux_timespec ts;
	s64 ns;

	if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
		return -EINVAL;
	if (copy_from_user(&ts, timeout, sizeof ts) < 0)
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	ns = timespec_to_ns(&ts);
	*deadline = clockid == CLOCK_REALTIME ? realtime_deadline(ns) : ns;
	return 0;
}

/* Linux's futex_parse_waitv and get_futex_key for each: only 32-bit
 * words; a FUTEX2_NUMA word is 8-aligned with its node id after it (-1,
 * or a node that exists: this kernel has node 0). */
static long waitv_parse(struct futex_q *qs, u32 *vals, u32 *flags, uptr waiters, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct futex_waitv w;

		if (copy_from_user(&w, (uptr){ waiters.addr + i * sizeof w }, sizeof w) < 0)
			return -EFAULT;
		if ((w.flags & ~FUTEX2_VALID_MASK) || w.reserved)
			return -EINVAL;
		if ((w.flags & FUTEX2_SIZE_MASK) != FUTEX2_SIZE_U32 || (w.val >> 32))
			return -EINVAL;
		qs[i].task = current;
		qs[i].bitset = FUTEX_BITSET_MATCH_ANY;
		qs[i].key.addr = w.uaddr;
		qs[i].key.shared = !(w.flags & FUTEX2_PRIVATE);
		vals[i] = (u32)w.val;
		flags[i] = w.flags;
	}
	for (unsigned int i = 0; i < n; i++) {
		uptr ua = { qs[i].key.addr };
		bool numa = flags[i] & FUTEX2_NUMA;
		long r;

		if (numa && ua.addr % 8)
			return -EINVAL;
		if ((r = get_key(ua, qs[i].key.shared, &qs[i].key)) < 0)
			return r;
		if (numa) {
			s32 node;

			if (copy_from_user(&node, (uptr){ ua.addr + 4 }, sizeof node) < 0)
				return -EFAULT;
			if (node != -1 && node != 0)
				return -EINVAL;
		}
	}
	return 0;
}

/* sys_futex_waitv waits on up to 128 futexes at once: the index of one
 * that was woken. */
long sys_futex_waitv(uptr waiters, unsigned int nr_futexes, unsigned int flags, uptr timeout,
		     clockid_t clockid)
{
	s64 deadline = NO_DEADLINE;
	struct futex_q *qs;
	struct waitv w;
	u32 *vals, *fl, seq;
	long r;

	if (flags)
		return -EINVAL;
	if (!nr_futexes || nr_futexes > FUTEX_WAITV_MAX || !waiters.addr)
		return -EINVAL;
	if (timeout.addr && (r = waitv_timeout(timeout, clockid, &deadline)) < 0)
		return r;
	qs = kzalloc(nr_futexes * (sizeof *qs + 2 * sizeof *vals));
	if (!qs)
		return -ENOMEM;
	vals = (u32 *)(qs + nr_futexes);
	fl = vals + nr_futexes;
	if ((r = waitv_parse(qs, vals, fl, waiters, nr_futexes)) < 0)
		goto out_free;
	w = (struct waitv){ qs, nr_futexes };
	kmutex_lock(&futex_lock);
	seq = wait_prepare();
	for (unsigned int i = 0; i < nr_futexes; i++) {
		u32 uval;

		if ((r = get_value((uptr){ qs[i].key.addr }, &uval)) < 0 || uval != vals[i]) {
			/* a futex woken meanwhile wins over the error */
			long woken = unqueue_multiple(qs, i);

			r = woken >= 0 ? woken : r < 0 ? r : -EAGAIN;
			goto out;
		}
		queue(&qs[i]);
	}
	r = futex_sleep(waitv_woken, &w, seq, deadline);
	{
		long woken = unqueue_multiple(qs, nr_futexes);

		if (woken >= 0)
			r = woken;
		else if (r == -EINTR)
			r = -ERESTARTSYS;
	}
out:
	kmutex_unlock(&futex_lock);
out_free:
	kfree(qs);
	return r;
}

/* --- Thread exit ---------------------------------------------------------------------- */

/* Linux's handle_futex_death, for a lock on t's robust list: 0, or -1 to
 * stop the walk. Locked. */
static int handle_futex_death(uptr uaddr, struct task *t, bool pi, bool pending_op)
{
	u32 uval, nval, mval, owner;
	struct fkey key = { uaddr.addr, true };

	if (uaddr.addr % sizeof(u32))
		return -1;
	for (;;) {
		if (get_value(uaddr, &uval) < 0)
			return -1;
		owner = uval & FUTEX_TID_MASK;
		/* an unlock (or a woken waiter) killed half-way: only wake */
		if (pending_op && !pi && !owner) {
			if (get_key(uaddr, true, &key) == 0)
				wake_locked(&key, 1, FUTEX_BITSET_MATCH_ANY);
			return 0;
		}
		if (owner != (u32)t->tid)
			return 0;
		mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (cmpxchg_user_u32(uaddr, &nval, uval, mval) < 0)
			return -1;
		if (nval == uval)
			break;
	}
	/* robust non-PI waiters are woken here (shared: as Linux's exit
	 * wakes them); PI ones get the lock below */
	if (!pi && (uval & FUTEX_WAITERS) && get_key(uaddr, true, &key) == 0)
		wake_locked(&key, 1, FUTEX_BITSET_MATCH_ANY);
	return 0;
}

/* Reads one robust-list pointer: the entry and its PI bit (bit 0). */
static long fetch_robust_entry(uptr *entry, uptr head, bool *pi)
{
	u64 v;

	if (copy_from_user(&v, head, sizeof v) < 0)
		return -EFAULT;
	entry->addr = v & ~1ULL;
	*pi = v & 1;
	return 0;
}

/* Linux's exit_robust_list: struct robust_list_head is { next, futex_offset,
 * list_op_pending }. Locked. */
static void exit_robust_list(struct task *t)
{
	uptr head = t->robust_list, entry, next, pending;
	unsigned int limit = ROBUST_LIST_LIMIT;
	bool pi, next_pi, pip;
	s64 futex_offset;

	if (fetch_robust_entry(&entry, head, &pi) < 0)
		return;
	if (copy_from_user(&futex_offset, (uptr){ head.addr + 8 }, sizeof futex_offset) < 0)
		return;
	if (fetch_robust_entry(&pending, (uptr){ head.addr + 16 }, &pip) < 0)
		return;
	while (entry.addr != head.addr) {
		long rc = fetch_robust_entry(&next, entry, &next_pi);

		/* a pending lock may be on the list too: not twice */
		if (entry.addr != pending.addr &&
		    handle_futex_death((uptr){ entry.addr + futex_offset }, t, pi, false) < 0)
			return;
		if (rc < 0)
			return;
		entry = next;
		pi = next_pi;
		if (!--limit)
			break; /* long or circular lists end here */
	}
	if (pending.addr)
		handle_futex_death((uptr){ pending.addr + futex_offset }, t, pip, true);
}

/* Linux's exit_pi_state_list: each PI futex t owns goes to its first
 * waiter, which finds the word its own (FUTEX_OWNER_DIED kept, as the
 * robust walk set it) with FUTEX_WAITERS. Locked. */
static void exit_pi_state_list(struct task *t)
{
	struct list *pos;

	list_for_each(pos, &pi_states) {
		struct pi_state *ps = list_entry(pos, struct pi_state, link);
		uptr uaddr = { ps->key.addr };
		struct futex_q *next;

		if (ps->owner != t)
			continue;
		ps->owner = NULL;
		if (list_empty(&ps->waiters))
			continue;
		next = list_entry(ps->waiters.next, struct futex_q, pi_link);
		pi_word_owner(uaddr, next->task);
		list_del(&next->pi_link);
		ps->owner = next->task;
		task_wake(next->task);
	}
}

void futex_exit_release(struct task *t)
{
	struct task *other;
	bool shared_mm = false;
	u32 zero = 0;

	kmutex_lock(&futex_lock);
	if (t->robust_list.addr)
		exit_robust_list(t);
	exit_pi_state_list(t);
	exited[exited_next].task = t;
	exited[exited_next].tid = t->tid;
	exited_next = (exited_next + 1) % EXITED_MAX;
	kmutex_unlock(&futex_lock);
	t->robust_list = (uptr){ 0 };
	/* mm_release: only while another thread still uses the memory */
	for_each_task(other) {
		if (other != t)
			shared_mm = true;
	}
	if (t->clear_child_tid.addr && shared_mm) {
		/* errors are ignored: a bad pointer is the program's loss */
		copy_to_user(t->clear_child_tid, &zero, sizeof zero);
		futex_wake(t->clear_child_tid, true, 1);
	}
	t->clear_child_tid = (uptr){ 0 };
}
