/* stress: 16 threads for N seconds (argv[1], default 10) mixing futex
 * waits and wakes, pipes, signals (handlers; tgkill between threads) and
 * thread create/exit, ending in exit_group while helper threads are still
 * blocked. It checks for:
 *   lost wake-ups: every futex wait is bounded (1 s); a wait that times out
 *     although its partner had already moved the word is reported;
 *   lost or reordered data: pipe tokens carry sequence numbers;
 *   lost signals: real-time signals queue, so the number each thread
 *     received must equal the number sent to it;
 *   deadlock: a watchdog (main) sees every worker make progress at least
 *     every 10 s, else it prints who is stuck and exits 3.
 * The summary's counts vary from run to run; its last line, "stress: ok",
 * and the exit status 0 do not. Failures exit 1 (a check) or 3 (the
 * watchdog). */
#include "check.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#define NT 16
#define WAIT_NS 1000000000L

static atomic_int stop;
static atomic_long progress[NT];
static const char *volatile phase[NT];
static pid_t tids[NT];
static atomic_long sent[NT], received[NT];
static atomic_long lost_wakeups, futex_rounds, pipe_tokens, created, bad_data;
static _Thread_local int my_index = -1;
static int rtsig;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	int idx = si->si_value.sival_int;
	if (my_index >= 0 && idx == my_index)
		atomic_fetch_add(&received[my_index], 1);
	else
		atomic_fetch_add(&bad_data, 1); /* delivered to the wrong thread */
}

static long futex(int *uaddr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

/* futex ping-pong: pair (a, b) hands a word back and forth; each side
 * waits, bounded, while the word is not its turn. */
struct pair {
	_Alignas(64) int word;
	_Atomic long moved_at; /* now_ms() of the last hand-off */
};
static struct pair pairs[2];

static void futex_side(int idx, struct pair *p, int me)
{
	phase[idx] = "futex";
	while (!atomic_load(&stop)) {
		int v = __atomic_load_n(&p->word, __ATOMIC_ACQUIRE);
		if ((v & 1) == me) {
			atomic_store(&p->moved_at, now_ms());
			__atomic_store_n(&p->word, v + 1, __ATOMIC_RELEASE);
			futex(&p->word, FUTEX_WAKE, 1, NULL);
			atomic_fetch_add(&futex_rounds, 1);
			atomic_fetch_add(&progress[idx], 1);
			continue;
		}
		struct timespec ts = { WAIT_NS / 1000000000L, WAIT_NS % 1000000000L };
		long r = futex(&p->word, FUTEX_WAIT, v, &ts);
		if (r < 0 && errno == ETIMEDOUT) {
			/* the partner moved the word well before our timeout (not in
			 * the instant between its store and its wake), yet nobody woke us */
			int now = __atomic_load_n(&p->word, __ATOMIC_ACQUIRE);
			if (now != v && now_ms() - atomic_load(&p->moved_at) > 100 &&
			    !atomic_load(&stop)) {
				atomic_fetch_add(&lost_wakeups, 1);
				say("stress: lost wake-up in thread %d (word %d -> %d)\n", idx, v,
				    now);
			}
		}
		atomic_fetch_add(&progress[idx], 1);
	}
	/* let the partner out */
	__atomic_fetch_add(&p->word, 2, __ATOMIC_RELEASE);
	futex(&p->word, FUTEX_WAKE, 1, NULL);
}

/* pipe pairs: a writer sends sequence numbers, a reader checks them */
static int pipes[2][2];
static void pipe_writer(int idx, int *fds)
{
	phase[idx] = "pipe write";
	for (uint32_t seq = 0; !atomic_load(&stop); seq++) {
		ssize_t w = write(fds[1], &seq, sizeof seq);
		if (w != sizeof seq) {
			if (w < 0 && errno == EINTR) {
				seq--;
				continue;
			}
			fail(__LINE__, "pipe write");
		}
		atomic_fetch_add(&progress[idx], 1);
	}
	uint32_t end = UINT32_MAX;
	while (write(fds[1], &end, sizeof end) != sizeof end)
		;
}

static void pipe_reader(int idx, int *fds)
{
	phase[idx] = "pipe read";
	for (uint32_t expect = 0;; expect++) {
		uint32_t seq;
		ssize_t r = read(fds[0], &seq, sizeof seq);
		if (r < 0 && errno == EINTR) {
			expect--;
			continue;
		}
		if (r != sizeof seq)
			fail(__LINE__, "pipe read");
		if (seq == UINT32_MAX)
			break;
		if (seq != expect) {
			atomic_fetch_add(&bad_data, 1);
			say("stress: pipe token %u, expected %u\n", seq, expect);
			expect = seq;
		}
		atomic_fetch_add(&pipe_tokens, 1);
		atomic_fetch_add(&progress[idx], 1);
	}
}

/* signal senders: tgkill with a queued real-time signal to another worker */
static void signaller(int idx)
{
	phase[idx] = "signals";
	unsigned x = (unsigned)idx * 2654435761u;
	while (!atomic_load(&stop)) {
		x = x * 1103515245u + 12345u;
		int to = (int)((x >> 16) % NT);
		siginfo_t si;
		memset(&si, 0, sizeof si);
		si.si_signo = rtsig;
		si.si_code = SI_QUEUE;
		si.si_pid = getpid();
		si.si_uid = getuid();
		si.si_value.sival_int = to;
		if (syscall(SYS_rt_tgsigqueueinfo, getpid(), tids[to], rtsig, &si) == 0)
			atomic_fetch_add(&sent[to], 1);
		else if (errno != EAGAIN)
			fail(__LINE__, "rt_tgsigqueueinfo");
		atomic_fetch_add(&progress[idx], 1);
		if ((x & 7) == 0)
			sched_yield();
		else {
			struct timespec ts = { 0, 100000 };
			nanosleep(&ts, NULL);
		}
	}
}

/* thread churn: create short-lived threads, joined and detached */
static void *short_lived(void *arg)
{
	int *word = arg;
	if (word) {
		__atomic_store_n(word, 1, __ATOMIC_RELEASE);
		futex(word, FUTEX_WAKE, 1, NULL);
	}
	return NULL;
}

static void churner(int idx)
{
	phase[idx] = "create/exit";
	pthread_attr_t det;
	PCHECK(pthread_attr_init(&det));
	PCHECK(pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED));
	while (!atomic_load(&stop)) {
		pthread_t t;
		int word = 0;
		PCHECK(pthread_create(&t, NULL, short_lived, &word));
		while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) == 0) {
			struct timespec ts = { 1, 0 };
			if (futex(&word, FUTEX_WAIT, 0, &ts) < 0 && errno == ETIMEDOUT &&
			    __atomic_load_n(&word, __ATOMIC_ACQUIRE) != 0) {
				atomic_fetch_add(&lost_wakeups, 1);
				say("stress: lost wake-up from a new thread\n");
			}
		}
		PCHECK(pthread_join(t, NULL));
		int e = pthread_create(&t, &det, short_lived, NULL);
		if (e != 0 && e != EAGAIN)
			PCHECK(e);
		atomic_fetch_add(&created, 2);
		atomic_fetch_add(&progress[idx], 1);
	}
}

static pthread_barrier_t start_bar, end_bar;

static void *worker(void *arg)
{
	int idx = (int)(intptr_t)arg;
	my_index = idx;
	tids[idx] = sys_gettid();
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, rtsig);
	PCHECK(pthread_sigmask(SIG_UNBLOCK, &rt, NULL));
	pthread_barrier_wait(&start_bar);
	switch (idx) {
	case 0:
	case 1:
	case 2:
	case 3:
		futex_side(idx, &pairs[idx / 2], idx & 1);
		break;
	case 4:
	case 6:
		pipe_writer(idx, pipes[(idx - 4) / 2]);
		break;
	case 5:
	case 7:
		pipe_reader(idx, pipes[(idx - 5) / 2]);
		break;
	case 8:
	case 9:
	case 10:
	case 11:
		signaller(idx);
		break;
	default:
		churner(idx);
	}
	phase[idx] = "end barrier";
	/* every signal sent to this thread arrives before it leaves: the sends
	 * have stopped once everybody is at the barrier, and a pending signal
	 * is delivered on the way out of the next call */
	pthread_barrier_wait(&end_bar);
	sigset_t none;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	phase[idx] = "done";
	return NULL;
}

/* helpers that are blocked when exit_group comes */
static int never;
static void *blocked_forever(void *arg)
{
	long kind = (long)arg;
	char c;
	struct pollfd p = { .fd = pipes[0][0], .events = POLLIN };
	for (;;) {
		if (kind == 0)
			futex(&never, FUTEX_WAIT, 0, NULL);
		else if (kind == 1)
			read(pipes[1][0], &c, 1);
		else
			poll(&p, 1, -1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10;
	rtsig = SIGRTMIN + 2;
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_sigaction = on_rt;
	act.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&act.sa_mask);
	CHECK(sigaction(rtsig, &act, NULL) == 0);
	/* main (the watchdog) never takes a worker's signal */
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, rtsig);
	CHECK(pthread_sigmask(SIG_BLOCK, &rt, NULL) == 0);
	CHECK(pipe(pipes[0]) == 0 && pipe(pipes[1]) == 0);
	PCHECK(pthread_barrier_init(&start_bar, NULL, NT + 1));
	PCHECK(pthread_barrier_init(&end_bar, NULL, NT));
	pthread_t t[NT];
	for (long i = 0; i < NT; i++) {
		pthread_attr_t a;
		PCHECK(pthread_attr_init(&a));
		PCHECK(pthread_create(&t[i], &a, worker, (void *)i));
	}
	pthread_barrier_wait(&start_bar); /* the workers unblocked rtsig themselves */

	long start = now_ms();
	long seen[NT] = { 0 }, last_move[NT];
	for (int i = 0; i < NT; i++)
		last_move[i] = start;
	while (now_ms() - start < seconds * 1000L) {
		sleep_ms(200);
		long now = now_ms();
		for (int i = 0; i < NT; i++) {
			long p = atomic_load(&progress[i]);
			if (p != seen[i]) {
				seen[i] = p;
				last_move[i] = now;
			} else if (now - last_move[i] > 10000) {
				say("stress: DEADLOCK: thread %d made no progress for 10 s (in %s)\n",
				    i, phase[i]);
				_exit(3);
			}
		}
	}
	atomic_store(&stop, 1);
	/* wake anything still waiting (a pipe reader gets its end token) */
	for (int i = 0; i < NT; i++) {
		long deadline = now_ms() + 10000;
		for (;;) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
#ifdef __GLIBC__
			if (pthread_timedjoin_np(t[i], NULL, &ts) == 0)
				break;
#else
			if (pthread_join(t[i], NULL) == 0)
				break;
#endif
			if (now_ms() > deadline) {
				say("stress: DEADLOCK: thread %d did not finish (in %s)\n", i,
				    phase[i]);
				_exit(3);
			}
		}
	}
	long s = 0, r = 0, mismatched = 0;
	for (int i = 0; i < NT; i++) {
		s += sent[i];
		r += received[i];
		if (sent[i] != received[i]) {
			mismatched++;
			say("stress: thread %d: %ld signals sent to it, %ld received\n", i,
			    (long)sent[i], (long)received[i]);
		}
	}
	say("stress: %d s, futex hand-offs %ld, pipe tokens %ld, signals %ld/%ld, threads "
	    "created %ld\n",
	    seconds, (long)futex_rounds, (long)pipe_tokens, r, s, (long)created);
	int ok = lost_wakeups == 0 && bad_data == 0 && mismatched == 0 && futex_rounds > 0 &&
		 pipe_tokens > 0 && s > 0 && created > 0;
	say("stress: lost wake-ups %ld, bad data %ld, signal mismatches %ld\n", (long)lost_wakeups,
	    (long)bad_data, mismatched);
	/* end as a process does mid-work: exit_group with threads still blocked */
	for (long k = 0; k < 3; k++) {
		pthread_t h;
		PCHECK(pthread_create(&h, NULL, blocked_forever, (void *)k));
	}
	sleep_ms(50);
	say("stress: %s\n", ok ? "ok" : "FAILED");
	syscall(SYS_exit_group, ok ? 0 : 1);
	return 1;
}
