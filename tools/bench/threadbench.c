/* threadbench: the costs of threads and signals, timed inside the program
 * so that the same static binary measures native Linux and abi-run alike.
 *
 *     threadbench BENCH N
 *
 * runs N operations of BENCH and prints the mean cost of one in ns:
 *
 *     create-join  pthread_create of a thread that returns at once + pthread_join
 *     futex-pingpong  one round trip between two threads that hand a word
 *                  back and forth with FUTEX_WAIT/FUTEX_WAKE (two waits and
 *                  two wakes per round)
 *     mutex        pthread_mutex_lock + unlock, uncontended, in a process that
 *                  has a second thread (so libc takes its multi-threaded path)
 *     signal       raise(SIGUSR1) -> handler -> return (tgkill, delivery,
 *                  rt_sigreturn)
 *
 * Exit status 1 (with a message on stderr) on any failure, 2 on bad usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT_PRIVATE 128 /* linux/futex.h: FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define FUTEX_WAKE_PRIVATE 129

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "threadbench: %s: %s\n", what, strerror(err));
	exit(1);
}

static void *nothing(void *arg)
{
	return arg;
}

static double create_join(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pthread_t t;
		int e = pthread_create(&t, NULL, nothing, NULL);
		if (e)
			die("pthread_create", e);
		e = pthread_join(t, NULL);
		if (e)
			die("pthread_join", e);
	}
	return (now_ns() - t0) / (double)n;
}

/* word: even is the main thread's turn, odd the partner's */
static int word;
static long rounds;

static void wait_turn(int parity)
{
	for (;;) {
		int v = __atomic_load_n(&word, __ATOMIC_ACQUIRE);
		if ((v & 1) == parity)
			return;
		if (syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			die("futex wait", errno);
	}
}

static void pass_turn(void)
{
	__atomic_fetch_add(&word, 1, __ATOMIC_RELEASE);
	if (syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
		die("futex wake", errno);
}

static void *partner(void *arg)
{
	(void)arg;
	for (long i = 0; i < rounds; i++) {
		wait_turn(1);
		pass_turn();
	}
	return NULL;
}

static double futex_pingpong(long n)
{
	pthread_t t;
	rounds = n;
	int e = pthread_create(&t, NULL, partner, NULL);
	if (e)
		die("pthread_create", e);
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pass_turn();
		wait_turn(0);
	}
	double dt = now_ns() - t0;
	e = pthread_join(t, NULL);
	if (e)
		die("pthread_join", e);
	return dt / (double)n;
}

static pthread_mutex_t idle_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static int idle_done;

static void *idler(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&idle_mu);
	while (!idle_done)
		pthread_cond_wait(&idle_cv, &idle_mu);
	pthread_mutex_unlock(&idle_mu);
	return NULL;
}

static double mutex(long n)
{
	pthread_t t;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int e = pthread_create(&t, NULL, idler, NULL);
	if (e)
		die("pthread_create", e);
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&mu);
		__asm__ volatile("" ::: "memory");
		pthread_mutex_unlock(&mu);
	}
	double dt = now_ns() - t0;
	pthread_mutex_lock(&idle_mu);
	idle_done = 1;
	pthread_cond_signal(&idle_cv);
	pthread_mutex_unlock(&idle_mu);
	e = pthread_join(t, NULL);
	if (e)
		die("pthread_join", e);
	return dt / (double)n;
}

static volatile long handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static double signal_round_trip(long n)
{
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_handler = on_usr1;
	if (sigaction(SIGUSR1, &act, NULL) != 0)
		die("sigaction", errno);
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (raise(SIGUSR1) != 0)
			die("raise", errno);
	double dt = now_ns() - t0;
	if (handled != n) {
		fprintf(stderr, "threadbench: %ld signals raised, %ld handled\n", n, handled);
		exit(1);
	}
	return dt / (double)n;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		double (*run)(long);
	} benches[] = { { "create-join", create_join },
			{ "futex-pingpong", futex_pingpong },
			{ "mutex", mutex },
			{ "signal", signal_round_trip } };
	if (argc != 3 || atol(argv[2]) <= 0) {
		fprintf(stderr, "usage: threadbench create-join|futex-pingpong|mutex|signal N\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
		if (strcmp(argv[1], benches[i].name) == 0) {
			printf("%.1f\n", benches[i].run(atol(argv[2])));
			return 0;
		}
	fprintf(stderr, "threadbench: unknown bench %s\n", argv[1]);
	return 2;
}
