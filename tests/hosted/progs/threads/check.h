/* check.h: what the thread and signal programs share (tests/hosted/test_threads.py).
 *
 * Each program prints a deterministic transcript: values, yes/no facts and
 * errno *names*, never addresses, times or thread ids, so that its output
 * natively and under abi-run can be compared byte for byte. say() writes
 * straight to fd 1 (one write per line, no stdio buffer to lose at an
 * exit_group); CHECK() reports the failed condition and exits 1. Signal
 * handlers only record into volatile variables: main prints. */
#ifndef THREADS_CHECK_H
#define THREADS_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* linux/futex.h (musl-gcc has no kernel headers) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
struct robust_list {
	struct robust_list *next;
};
struct robust_list_head {
	struct robust_list list;
	long futex_offset;
	struct robust_list *list_op_pending;
};

static inline void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	for (int off = 0; off < n;) {
		ssize_t w = write(1, buf + off, n - off);
		if (w <= 0)
			break;
		off += w;
	}
}

/* errno names: musl's and glibc's strerror texts differ, names do not. */
static inline const char *ename(int e)
{
	switch (e) {
	case 0:
		return "0";
	case EPERM:
		return "EPERM";
	case ESRCH:
		return "ESRCH";
	case EINTR:
		return "EINTR";
	case EBADF:
		return "EBADF";
	case EAGAIN:
		return "EAGAIN";
	case EFAULT:
		return "EFAULT";
	case EBUSY:
		return "EBUSY";
	case EINVAL:
		return "EINVAL";
	case EDEADLK:
		return "EDEADLK";
	case ENOSYS:
		return "ENOSYS";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EOWNERDEAD:
		return "EOWNERDEAD";
	case ENOTRECOVERABLE:
		return "ENOTRECOVERABLE";
	case ENOMEM:
		return "ENOMEM";
	case EPIPE:
		return "EPIPE";
	}
	static char other[32];
	snprintf(other, sizeof other, "errno%d", e);
	return other;
}

/* signal names, the same for both libcs */
static inline const char *sname(int sig)
{
	static const char *const names[] = {
		"0",        "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP",   "SIGABRT",
		"SIGBUS",   "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV", "SIGUSR2",   "SIGPIPE",
		"SIGALRM",  "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",   "SIGTSTP",
		"SIGTTIN",  "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
		"SIGWINCH", "SIGIO",   "SIGPWR",    "SIGSYS"
	};
	static char b[16];
	if (sig >= 0 && sig < (int)(sizeof names / sizeof names[0]))
		return names[sig];
	snprintf(b, sizeof b, "SIG%d", sig);
	return b;
}

static inline void fail(int line, const char *what)
{
	int e = errno;
	say("FAIL line %d: %s (errno %s)\n", line, what, ename(e));
	exit(1);
}

#define CHECK(cond)                            \
	do {                                   \
		if (!(cond))                   \
			fail(__LINE__, #cond); \
	} while (0)

/* A pthread call returns 0 or an error number. */
#define PCHECK(call)                           \
	do {                                   \
		int pc_err_ = (call);          \
		if (pc_err_) {                 \
			errno = pc_err_;       \
			fail(__LINE__, #call); \
		}                              \
	} while (0)

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static inline long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static inline pid_t sys_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Waits (at most 5 s) until thread tid is asleep in the kernel, as
 * /proc/self/task/TID/stat's state field says, then 20 ms more: a signal or
 * a wake sent afterwards finds it blocked. */
static inline void wait_asleep(pid_t tid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		char *p = f && fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
		if (f)
			fclose(f);
		if (p && p[1] == ' ' && p[2] == 'S')
			break;
		sleep_ms(10);
	}
	sleep_ms(20);
}

#endif
