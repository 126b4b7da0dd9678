/* Sleeps a signal interrupts, from one thread: each call below blocks, a
 * one-shot ITIMER_REAL fires SIGALRM 30 ms later, and the line says what
 * the call returned once the handler had run, with and without
 * SA_RESTART. The handler can also undo what the call waits for (set the
 * futex word, close the descriptor that holds the lock), so that a call
 * the kernel restarts finishes instead of blocking again. Linux's rules:
 * futex waits without a timeout and the lock waits restart under
 * SA_RESTART (ERESTARTSYS); a timed futex wait, nanosleep and
 * clock_nanosleep never do (ERESTART_RESTARTBLOCK, ERESTARTNOHAND: EINTR
 * after a handler), nanosleep writing the time left. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static uint32_t word;
static volatile int close_fd = -1;
static volatile int handled;

static void on_alarm(int sig)
{
	(void)sig;
	handled++;
	word = 1;
	if (close_fd >= 0)
		close(close_fd);
}

static void arm(int restart)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 0 }, { 0, 30000 } };

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	word = 0;
	handled = 0;
	if (setitimer(ITIMER_REAL, &it, NULL) < 0) {
		printf("setitimer: %s\n", strerror(errno));
		_exit(1);
	}
}

static const char *res(long r)
{
	static char buf[64];

	if (r >= 0)
		snprintf(buf, sizeof buf, "%ld", r);
	else
		snprintf(buf, sizeof buf, "%s", errno == EINTR ? "EINTR" : strerrorname_np(errno));
	return buf;
}

static void futexes(int restart)
{
	struct timespec ts = { 5, 0 };
	long r;

	arm(restart);
	r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	printf("futex wait, SA_RESTART %d: %s handled %d\n", restart, res(r), handled);
	arm(restart);
	r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
	printf("futex timed wait, SA_RESTART %d: %s handled %d\n", restart, res(r), handled);
	arm(restart);
	r = syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0xffffffff);
	printf("futex bitset wait, SA_RESTART %d: %s handled %d\n", restart, res(r), handled);
}

static void sleeps(int restart)
{
	struct timespec ts = { 5, 0 }, rem = { -1, -1 }, abs;
	long r;

	arm(restart);
	r = syscall(SYS_nanosleep, &ts, &rem);
	printf("nanosleep, SA_RESTART %d: %s rem %s\n", restart, res(r),
	       rem.tv_sec == 4 && rem.tv_nsec > 0 ? "4.x s" : "wrong");
	rem = (struct timespec){ -1, -1 };
	arm(restart);
	r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, &rem);
	printf("clock_nanosleep, SA_RESTART %d: %s rem %s\n", restart, res(r),
	       rem.tv_sec == 4 && rem.tv_nsec > 0 ? "4.x s" : "wrong");
	rem = (struct timespec){ -1, -1 };
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_sec += 5;
	arm(restart);
	r = syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &abs, &rem);
	printf("clock_nanosleep abs, SA_RESTART %d: %s rem %s\n", restart, res(r),
	       rem.tv_sec == -1 ? "untouched" : "written");
}

/* Two open files of one file conflict (flock and OFD locks belong to the
 * open file): the second waits until the handler closes the first. */
static void locks(int restart)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int a, b;
	long r;

	a = open("lockfile", O_RDWR | O_CREAT, 0644);
	b = open("lockfile", O_RDWR);
	flock(a, LOCK_EX);
	close_fd = restart ? a : -1;
	arm(restart);
	r = flock(b, LOCK_EX);
	printf("flock, SA_RESTART %d: %s handled %d\n", restart, res(r), handled);
	close_fd = -1;
	close(b);
	if (!restart)
		close(a);

	a = open("lockfile", O_RDWR);
	b = open("lockfile", O_RDWR);
	fcntl(a, F_OFD_SETLK, &fl);
	close_fd = restart ? a : -1;
	arm(restart);
	r = fcntl(b, F_OFD_SETLKW, &fl);
	printf("F_OFD_SETLKW, SA_RESTART %d: %s handled %d\n", restart, res(r), handled);
	close_fd = -1;
	close(b);
	if (!restart)
		close(a);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int restart = 0; restart < 2; restart++) {
		futexes(restart);
		sleeps(restart);
		locks(restart);
	}
	unlink("lockfile");
	printf("done\n");
	return 0;
}
