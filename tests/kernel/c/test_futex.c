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
int pthread_create(pthread_t *th, const void *attr, void *(*fn)(void *), void *arg);
int pthread_join(pthread_t th, void **ret);
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

int main(void)
{
	RUN(test_owner_died);
	RUN(test_pending_and_limit);
	RUN(test_circular_and_bad);
	RUN(test_wakes_a_waiter);
	RUN(test_cmpxchg_user);
	KTEST_DONE();
}
