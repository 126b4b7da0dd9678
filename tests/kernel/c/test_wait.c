/* The one wait's platform halves (plat_wait_host, plat_wake_task through
 * task_wake): no wake-up is ever lost, whichever of the futex or the host
 * ppoll the sleeper is in when the waker comes; a host fd's readiness ends
 * the sleep with its revents; the deadline holds. Two host threads play the
 * sleeper and the waker, on one struct task. */
#include <pthread.h>
#include <kernel/task.h>
#include <kernel/wait.h>
#include "../../../kernel/plat/plat.h"
#include "ktest.h"

int pipe(int fds[2]);
long write(int fd, const void *buf, unsigned long n);
int close(int fd);

#define ROUNDS 20000
#define SECOND 1000000000LL

static struct task t;
static int quiet[2], ready[2]; /* a pipe nobody writes; one written once */
static u32 posted, taken;
static int lost, slept[2];

static s64 now(void)
{
	return plat_clock_ns(PLAT_CLOCK_MONOTONIC);
}

/* Takes every post, sleeping between them: in the host ppoll on odd rounds,
 * on the futex on even ones. A sleep that times out missed a wake. */
static void *sleeper(void *arg)
{
	struct host_wait hw = { quiet[0], POLLIN, 0 };

	(void)arg;
	while (__atomic_load_n(&taken, __ATOMIC_ACQUIRE) < ROUNDS) {
		u32 seq = __atomic_load_n(&t.wake_seq, __ATOMIC_ACQUIRE);
		long r;

		if (__atomic_load_n(&posted, __ATOMIC_ACQUIRE) > taken) {
			__atomic_add_fetch(&taken, 1, __ATOMIC_RELEASE);
			continue;
		}
		if (taken % 2)
			r = plat_wait_host(&t, seq, now() + 2 * SECOND, &hw, 1);
		else
			r = plat_wait(&t.wake_seq, seq, now() + 2 * SECOND);
		if (r == -ETIMEDOUT) {
			lost++;
			break;
		}
		slept[taken % 2]++;
	}
	return NULL;
}

static void test_no_lost_wakeup(void)
{
	pthread_t th;

	CHECK_EQ(pthread_create(&th, NULL, sleeper, NULL), 0);
	for (u32 i = 1; i <= ROUNDS && !lost; i++) {
		while (__atomic_load_n(&taken, __ATOMIC_ACQUIRE) < i - 1 && !lost)
			;
		/* now and then, time for the sleeper to be asleep */
		for (volatile int spin = 0; i % 4 == 0 && spin < 20000; spin++)
			;
		__atomic_store_n(&posted, i, __ATOMIC_RELEASE);
		task_wake(&t);
	}
	pthread_join(th, NULL);
	CHECK_EQ(lost, 0);
	CHECK_EQ(taken, ROUNDS);
	CHECK(!t.host_waiting);
	/* both halves were really slept in */
	CHECK(slept[0] > 0 && slept[1] > 0);
}

static void test_host_fd_and_deadline(void)
{
	struct host_wait hw[2] = { { quiet[0], POLLIN, 0 }, { ready[0], POLLIN, 0 } };
	u32 seq = t.wake_seq;
	s64 start = now();

	/* nothing ready: the deadline, about when asked */
	CHECK_EQ(plat_wait_host(&t, seq, start + SECOND / 20, hw, 1), -ETIMEDOUT);
	CHECK(now() - start >= SECOND / 20);
	/* the word already moved: back at once, whatever the host fds */
	CHECK_EQ(plat_wait_host(&t, seq - 1, start + 5 * SECOND, hw, 1), 0);
	CHECK(now() - start < SECOND);
	/* a ready host fd: its revents, the quiet one's none */
	CHECK_EQ(write(ready[1], "x", 1), 1);
	CHECK_EQ(plat_wait_host(&t, seq, NO_DEADLINE, hw, 2), 0);
	CHECK_EQ(hw[0].revents, 0);
	CHECK_EQ(hw[1].revents, POLLIN);
	/* a wake left in the eventfd by an earlier round is drained, not seen
	 * as a new one */
	t.host_waiting = true;
	task_wake(&t);
	t.host_waiting = false;
	seq = t.wake_seq;
	start = now();
	CHECK_EQ(plat_wait_host(&t, seq, start + SECOND / 20, hw, 1), -ETIMEDOUT);
}

int main(void)
{
	if (pipe(quiet) < 0 || pipe(ready) < 0)
		return 2;
	RUN(test_no_lost_wakeup);
	RUN(test_host_fd_and_deadline);
	plat_task_release(&t);
	CHECK_EQ(t.host_wake_fd, 0);
	KTEST_DONE();
}
