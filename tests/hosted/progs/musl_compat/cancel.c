/* cancel.c: pthread_cancel of threads blocked in cancellation points (read
 * on an empty pipe, nanosleep, a futex wait in pthread_cond_wait), a signal
 * handler's return (the restorer), and threads that end detached (their
 * stack unmapped by __unmapself). The output is the same natively and under
 * abi-run (tests/hosted/test_musl_compat.py). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t handled;
static int cleanups;

static void cleanup(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&cleanups, 1, __ATOMIC_SEQ_CST);
}

static void *reader(void *arg)
{
	char c;
	ssize_t n;
	(void)arg;
	pthread_cleanup_push(cleanup, 0);
	n = read(fds[0], &c, 1);
	pthread_cleanup_pop(0);
	return (void *)n;
}

static void *sleeper(void *arg)
{
	struct timespec ts = { 60, 0 };
	(void)arg;
	pthread_cleanup_push(cleanup, 0);
	nanosleep(&ts, 0);
	pthread_cleanup_pop(0);
	return 0;
}

static void unlock(void *arg)
{
	(void)arg;
	pthread_mutex_unlock(&lock);
	cleanup(0);
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	pthread_cleanup_push(unlock, 0);
	for (;;)
		pthread_cond_wait(&cond, &lock);
	pthread_cleanup_pop(1);
	return 0;
}

static void cancel_one(const char *what, void *(*fn)(void *))
{
	pthread_t t;
	void *res;
	struct timespec settle = { 0, 50 * 1000 * 1000 };
	int before = cleanups;

	pthread_create(&t, 0, fn, 0);
	nanosleep(&settle, 0); /* let it block (cancellation acts either way) */
	pthread_cancel(t);
	pthread_join(t, &res);
	printf("%s: canceled=%d cleanup=%d\n", what, res == PTHREAD_CANCELED, cleanups - before);
}

static void on_usr1(int sig)
{
	handled = sig;
}

static void *detached(void *arg)
{
	return arg;
}

int main(void)
{
	if (pipe(fds))
		return 1;
	cancel_one("read", reader);
	cancel_one("nanosleep", sleeper);
	cancel_one("cond_wait", waiter);

	/* A write that completes is never undone: the reader gets the byte. */
	pthread_t t;
	void *res;
	write(fds[1], "x", 1);
	pthread_create(&t, 0, reader, 0);
	pthread_join(t, &res);
	printf("read done: %ld\n", (long)res);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, 0);
	raise(SIGUSR1);
	printf("handler: %d\n", handled == SIGUSR1);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 8; i++)
		pthread_create(&t, &attr, detached, 0);
	struct timespec settle = { 0, 100 * 1000 * 1000 };
	nanosleep(&settle, 0);
	printf("detached: ok\n");
	return 7;
}
