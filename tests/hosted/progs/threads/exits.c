/* exits: how threads and processes end (the exit status is checked by
 * tests/hosted/test_threads.py).
 *   group       a thread calls exit_group(42) while others block in futex,
 *               read, poll and nanosleep and main blocks in pthread_join
 *   thread-exit a raw clone thread ends with the exit syscall (CHILD_CLEARTID
 *               store and wake) while main continues; pthread_exit's value
 *   main-exit   main calls pthread_exit while its threads run; the process
 *               ends (status 0) when the last one returns
 *   sigpipe     a write to a pipe with no reader: killed by SIGPIPE
 *   epipe       the same with SIGPIPE ignored: EPIPE, status 0
 *   thread-segv a thread faults with no handler: the whole process dies of
 *               SIGSEGV while main blocks
 *   thread-term SIGTERM (default action) sent with tgkill to one thread ends
 *               the whole process */
#include "check.h"
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

static atomic_int ready;
static int pfd[2];
static int futex_word;

static __attribute__((noreturn)) void *block_futex(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ready, 1);
	for (;;)
		syscall(SYS_futex, &futex_word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
}

static __attribute__((noreturn)) void *block_read(void *arg)
{
	(void)arg;
	char c;
	atomic_fetch_add(&ready, 1);
	for (;;)
		read(pfd[0], &c, 1);
}

static __attribute__((noreturn)) void *block_poll(void *arg)
{
	(void)arg;
	struct pollfd p = { .fd = pfd[0], .events = POLLIN };
	atomic_fetch_add(&ready, 1);
	for (;;)
		poll(&p, 1, -1);
}

static __attribute__((noreturn)) void *block_sleep(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ready, 1);
	for (;;) {
		struct timespec ts = { 1000, 0 };
		nanosleep(&ts, NULL);
	}
}

static void *ender(void *arg)
{
	(void)arg;
	while (atomic_load(&ready) < 4)
		sleep_ms(1);
	sleep_ms(50); /* let them block */
	say("group: %d threads blocked; exit_group(42) from a thread\n", (int)ready);
	syscall(SYS_exit_group, 42);
	return NULL;
}

static int group(void)
{
	pthread_t t[5];
	CHECK(pipe(pfd) == 0);
	void *(*fns[])(void *) = { block_futex, block_read, block_poll, block_sleep, ender };
	for (int i = 0; i < 5; i++)
		PCHECK(pthread_create(&t[i], NULL, fns[i], NULL));
	pthread_join(t[0], NULL); /* never returns */
	say("group: FAIL main returned from join\n");
	return 1;
}

static int child_tid = -1;
static volatile int child_ran;

static int raw_child(void *arg)
{
	(void)arg;
	child_ran = 1;
	syscall(SYS_exit, 7); /* this thread only */
	return 0;
}

static void *returns_value(void *arg)
{
	pthread_exit((void *)((intptr_t)arg * 2));
}

static int thread_exit(void)
{
	size_t sz = 64 * 1024;
	char *stk = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(stk != MAP_FAILED);
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID;
	int r = clone(raw_child, stk + sz, flags, NULL, &child_tid, NULL, &child_tid);
	CHECK(r > 0);
	say("thread-exit: clone returned a new tid %s\n", r != getpid() ? "yes" : "no");
	for (;;) {
		int v = __atomic_load_n(&child_tid, __ATOMIC_SEQ_CST);
		if (v == 0)
			break;
		syscall(SYS_futex, &child_tid, FUTEX_WAIT, v, NULL, NULL, 0);
	}
	say("thread-exit: child ran %d, its tid word cleared and woken\n", child_ran);
	long k = syscall(SYS_tgkill, getpid(), r, 0);
	say("thread-exit: tgkill to it afterwards %ld %s\n", k, ename(k ? errno : 0));
	munmap(stk, sz);
	for (long i = 1; i <= 4; i++) {
		pthread_t t;
		void *v;
		PCHECK(pthread_create(&t, NULL, returns_value, (void *)i));
		PCHECK(pthread_join(t, &v));
		say("thread-exit: pthread_exit value %ld\n", (long)(intptr_t)v);
	}
	say("thread-exit: main continues and returns 0\n");
	return 0;
}

static atomic_int finished;
static void *worker(void *arg)
{
	long id = (long)arg;
	sleep_ms(50 + 10 * id);
	if (atomic_fetch_add(&finished, 1) == 3)
		say("main-exit: all 4 workers ran after main's pthread_exit\n");
	return NULL;
}

static int main_exit(void)
{
	for (long i = 0; i < 4; i++) {
		pthread_t t;
		PCHECK(pthread_create(&t, NULL, worker, (void *)i));
	}
	say("main-exit: main calls pthread_exit\n");
	pthread_exit(NULL);
}

static int sigpipe(int ignore)
{
	int p[2];
	CHECK(pipe(p) == 0);
	close(p[0]);
	if (ignore)
		signal(SIGPIPE, SIG_IGN);
	say("sigpipe: writing to a pipe with no reader\n");
	ssize_t n = write(p[1], "x", 1);
	say("sigpipe: write %zd %s\n", n, ename(n < 0 ? errno : 0));
	return 0;
}

static volatile int *volatile nowhere;

static void *faulter(void *arg)
{
	(void)arg;
	sleep_ms(20);
	return (void *)(intptr_t)*nowhere;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep_ms(1000);
	return NULL;
}

static int thread_dies(int fault)
{
	pthread_t t;
	PCHECK(pthread_create(&t, NULL, fault ? faulter : sleeper, NULL));
	say("%s\n", fault ? "thread-segv: a thread reads NULL" : "thread-term: tgkill SIGTERM");
	if (!fault) {
		sleep_ms(20);
		PCHECK(pthread_kill(t, SIGTERM));
	}
	pthread_join(t, NULL);
	say("FAIL: main survived\n");
	return 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "group") == 0)
		return group();
	if (strcmp(mode, "thread-exit") == 0)
		return thread_exit();
	if (strcmp(mode, "main-exit") == 0)
		return main_exit();
	if (strcmp(mode, "sigpipe") == 0 || strcmp(mode, "epipe") == 0)
		return sigpipe(mode[0] == 'e');
	if (strcmp(mode, "thread-segv") == 0 || strcmp(mode, "thread-term") == 0)
		return thread_dies(mode[7] == 's');
	say("usage: exits group|thread-exit|main-exit|sigpipe|epipe|thread-segv|thread-term\n");
	return 2;
}
