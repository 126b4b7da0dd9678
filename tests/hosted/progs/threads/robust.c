/* robust: a robust mutex whose owner thread dies holding it (EOWNERDEAD,
 * pthread_mutex_consistent, and ENOTRECOVERABLE when nobody makes it
 * consistent), then the kernel's part alone: a raw clone thread with its
 * own robust list exits holding a futex, and the kernel marks the word
 * FUTEX_OWNER_DIED and wakes the waiter. */
#include "check.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

static pthread_mutex_t rm;
static atomic_int locked;

static void *die_holding(void *arg)
{
	(void)arg;
	PCHECK(pthread_mutex_lock(&rm));
	atomic_store(&locked, 1);
	return NULL; /* ends without unlocking */
}

static void *lock_in_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)pthread_mutex_lock(&rm);
}

static void owner_dies(void)
{
	pthread_t t;
	locked = 0;
	PCHECK(pthread_create(&t, NULL, die_holding, NULL));
	PCHECK(pthread_join(t, NULL));
}

/* The kernel-only case: a robust list walked at thread exit. */
struct rentry {
	struct robust_list list;
	int futex;
};
static struct rentry entry;
static struct robust_list_head head;
static int child_tid = -1, child_ready;

static int raw_child(void *arg)
{
	(void)arg;
	long tid = syscall(SYS_gettid);
	head.list.next = &head.list;
	head.futex_offset = offsetof(struct rentry, futex) - offsetof(struct rentry, list);
	head.list_op_pending = NULL;
	if (syscall(SYS_set_robust_list, &head, sizeof head) != 0)
		syscall(SYS_exit, 2);
	entry.futex = (int)tid; /* owned: the word holds the owner's tid */
	entry.list.next = &head.list;
	head.list.next = &entry.list;
	__atomic_store_n(&child_ready, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &child_ready, FUTEX_WAKE, 1, NULL, NULL, 0);
	syscall(SYS_exit, 0); /* dies holding it */
	return 0;
}

static void raw_robust(void)
{
	size_t sz = 64 * 1024;
	char *stk = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(stk != MAP_FAILED);
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID;
	int r = clone(raw_child, stk + sz, flags, NULL, &child_tid, NULL, &child_tid);
	CHECK(r > 0);
	/* wait for the CHILD_CLEARTID store and wake */
	for (;;) {
		int v = __atomic_load_n(&child_tid, __ATOMIC_SEQ_CST);
		if (v == 0)
			break;
		syscall(SYS_futex, &child_tid, FUTEX_WAIT, v, NULL, NULL, 0);
	}
	say("raw: child ready %d, tid cleared at exit: yes\n", child_ready);
	say("raw: word has FUTEX_OWNER_DIED: %s, owner tid cleared: %s, FUTEX_WAITERS: %s\n",
	    entry.futex & FUTEX_OWNER_DIED ? "yes" : "no",
	    (entry.futex & FUTEX_TID_MASK) == 0 ? "yes" : "no",
	    entry.futex & FUTEX_WAITERS ? "yes" : "no");
	struct robust_list_head *h;
	size_t len;
	long g = syscall(SYS_get_robust_list, 0, &h, &len);
	say("raw: get_robust_list of self %ld, len %zu\n", g, len);
	munmap(stk, sz);
}

int main(void)
{
	pthread_mutexattr_t a;
	PCHECK(pthread_mutexattr_init(&a));
	PCHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
	PCHECK(pthread_mutex_init(&rm, &a));

	owner_dies();
	int r = pthread_mutex_lock(&rm);
	say("robust: lock after owner died %s\n", ename(r));
	PCHECK(pthread_mutex_consistent(&rm));
	PCHECK(pthread_mutex_unlock(&rm));
	r = pthread_mutex_lock(&rm);
	say("robust: lock after consistent %s\n", ename(r));
	PCHECK(pthread_mutex_unlock(&rm));

	/* a waiter blocked in the kernel when the owner dies */
	pthread_t t, w;
	PCHECK(pthread_create(&t, NULL, die_holding, NULL));
	while (!atomic_load(&locked))
		sleep_ms(1);
	PCHECK(pthread_join(t, NULL));
	PCHECK(pthread_create(&w, NULL, lock_in_thread, NULL));
	void *wr;
	PCHECK(pthread_join(w, &wr));
	say("robust: lock in another thread after owner died %s\n", ename((int)(intptr_t)wr));
	/* w died holding it too, without making it consistent */
	r = pthread_mutex_lock(&rm);
	say("robust: lock after the second owner died %s\n", ename(r));
	PCHECK(pthread_mutex_unlock(&rm)); /* unlocked while inconsistent: not recoverable */
	r = pthread_mutex_lock(&rm);
	say("robust: lock after unlock without consistent %s\n", ename(r));
	r = pthread_mutex_trylock(&rm);
	say("robust: trylock %s\n", ename(r));

	raw_robust();
	return 0;
}
