/* Time inside the kernel is nanoseconds in an s64 (Linux's ktime_t); the
 * guest's timespec and timeval exist only at the syscall boundary. These are
 * the one set of checks and conversions between them. Conversions saturate
 * at KTIME_MAX as Linux's do, so a huge timeout means "never", not an
 * overflow. */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <abi/types.h>
#include <kernel/linux.h>

#define NSEC_PER_USEC 1000LL
#define NSEC_PER_MSEC 1000000LL
#define USEC_PER_SEC 1000000LL
#define NSEC_PER_SEC 1000000000LL
#define KTIME_MAX ((s64)0x7fffffffffffffffLL)
#define KTIME_SEC_MAX (KTIME_MAX / NSEC_PER_SEC)

/* Linux's timespec64_valid: tv_sec >= 0 and 0 <= tv_nsec < NSEC_PER_SEC
 * (the check behind every EINVAL for a timeout or a time). */
static inline bool timespec_valid(const struct linux_timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NSEC_PER_SEC;
}

/* A valid timespec in nanoseconds, KTIME_MAX from KTIME_SEC_MAX seconds on
 * (timespec64_to_ns). */
static inline s64 timespec_to_ns(const struct linux_timespec *ts)
{
	if (ts->tv_sec >= KTIME_SEC_MAX)
		return KTIME_MAX;
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

/* ns as a timespec whose tv_nsec is in [0, NSEC_PER_SEC) also when ns is
 * negative (ns_to_timespec64). */
static inline struct linux_timespec ns_to_timespec(s64 ns)
{
	struct linux_timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += NSEC_PER_SEC;
	}
	return ts;
}

/* ns as a timeval, microseconds rounded down (ns_to_kernel_old_timeval). */
static inline struct linux_timeval ns_to_timeval(s64 ns)
{
	struct linux_timespec ts = ns_to_timespec(ns);

	return (struct linux_timeval){ ts.tv_sec, ts.tv_nsec / NSEC_PER_USEC };
}

/* a + b for a time a >= 0, KTIME_MAX where it would overflow (ktime_add_safe). */
static inline s64 ktime_add_safe(s64 a, s64 b)
{
	return b > 0 && a > KTIME_MAX - b ? KTIME_MAX : a + b;
}

#endif
