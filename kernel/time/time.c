/* Clocks and sleeping: clock_gettime, clock_getres, gettimeofday, time,
 * nanosleep, clock_nanosleep, times and getrusage (timers: timer.c). Sleeping is the one wait (wait.h) with a
 * deadline, so a signal interrupts it as Linux's hrtimer sleeps are. */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/restart.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include "../plat/plat.h"

#define USER_HZ 100

/* A CPU clock id (negative): ~pid << 3 | 4 for a thread clock | which
 * (0 PROF, 1 VIRT, 2 SCHED), pid 0 meaning the caller. The only process is
 * this one and its only thread is the process; any other pid is EINVAL, as
 * Linux gives for a pid that does not exist. */
static int plat_cpu_clock_of(clockid_t id)
{
	static const int process[] = { PLAT_CLOCK_PROCESS_PROF, PLAT_CLOCK_PROCESS_VIRT,
				       PLAT_CLOCK_PROCESS_CPU };
	static const int thread[] = { PLAT_CLOCK_THREAD_PROF, PLAT_CLOCK_THREAD_VIRT,
				      PLAT_CLOCK_THREAD_CPU };
	s32 pid = ~(id >> 3);
	int which = id & 3;

	if (which == 3 || (pid != 0 && pid != (s32)sys_getpid()))
		return -EINVAL;
	return (id & 4 ? thread : process)[which];
}

/* The platform clock behind a Linux clock id, or -EINVAL. */
static int plat_clock_of(clockid_t id)
{
	if (id < 0)
		return plat_cpu_clock_of(id);
	switch (id) {
	case CLOCK_REALTIME:
		return PLAT_CLOCK_REALTIME;
	case CLOCK_MONOTONIC:
		return PLAT_CLOCK_MONOTONIC;
	case CLOCK_PROCESS_CPUTIME_ID:
		return PLAT_CLOCK_PROCESS_CPU;
	case CLOCK_THREAD_CPUTIME_ID:
		return PLAT_CLOCK_THREAD_CPU;
	case CLOCK_MONOTONIC_RAW:
		return PLAT_CLOCK_MONOTONIC_RAW;
	case CLOCK_REALTIME_COARSE:
		return PLAT_CLOCK_REALTIME_COARSE;
	case CLOCK_MONOTONIC_COARSE:
		return PLAT_CLOCK_MONOTONIC_COARSE;
	case CLOCK_BOOTTIME:
		return PLAT_CLOCK_BOOTTIME;
	case CLOCK_TAI:
		return PLAT_CLOCK_TAI;
	default:
		return -EINVAL; /* the alarm clocks need a wakeup device; CPU clocks of other pids later */
	}
}

/* sys_clock_gettime reads clock which_clock. */
long sys_clock_gettime(clockid_t which_clock, uptr tp)
{
	int c = plat_clock_of(which_clock);
	struct linux_timespec ts;

	if (c < 0)
		return c;
	ts = ns_to_timespec(plat_clock_ns(c));
	return copy_to_user(tp, &ts, sizeof ts);
}

/* sys_clock_getres gives a clock's resolution (tp may be NULL). */
long sys_clock_getres(clockid_t which_clock, uptr tp)
{
	int c = plat_clock_of(which_clock);
	struct linux_timespec ts;

	if (c < 0)
		return c;
	if (uptr_is_null(tp))
		return 0;
	ts = ns_to_timespec(plat_clock_res_ns(c));
	return copy_to_user(tp, &ts, sizeof ts);
}

/* sys_gettimeofday gives the wall time in microseconds; the timezone is UTC. */
long sys_gettimeofday(uptr tv, uptr tz)
{
	struct linux_timeval t = ns_to_timeval(plat_clock_ns(PLAT_CLOCK_REALTIME));
	static const s32 utc[2] = { 0, 0 };

	if (!uptr_is_null(tv) && copy_to_user(tv, &t, sizeof t) < 0)
		return -EFAULT;
	if (!uptr_is_null(tz) && copy_to_user(tz, utc, sizeof utc) < 0)
		return -EFAULT;
	return 0;
}

/* sys_time returns the wall time in seconds, also stored at tloc. */
long sys_time(uptr tloc)
{
	s64 t = plat_clock_ns(PLAT_CLOCK_REALTIME) / NSEC_PER_SEC;

	if (!uptr_is_null(tloc) && copy_to_user(tloc, &t, sizeof t) < 0)
		return -EFAULT;
	return t;
}

static long nanosleep_restart(struct restart_block *rb);

/* Linux's do_nanosleep: sleeps on the one wait until the monotonic clock
 * reaches deadline (0) or a signal interrupts it: then the time left is
 * written to the restart block's rmtp, if any (-EFAULT if it cannot be),
 * and the result is -ERESTART_RESTARTBLOCK. */
static long do_nanosleep(s64 deadline)
{
	struct restart_block *rb = &current->restart;
	struct linux_timespec ts;
	s64 rem;

	for (;;) {
		long r = task_sleep(wait_prepare(), deadline, NULL, 0);

		if (r == -ETIMEDOUT || plat_clock_ns(PLAT_CLOCK_MONOTONIC) >= deadline)
			return 0;
		if (r == -EINTR)
			break;
	}
	if (rb->rmtp.addr) {
		rem = deadline - plat_clock_ns(PLAT_CLOCK_MONOTONIC);
		if (rem <= 0)
			return 0;
		ts = ns_to_timespec(rem);
		if (copy_to_user(rb->rmtp, &ts, sizeof ts) < 0)
			return -EFAULT;
	}
	return -ERESTART_RESTARTBLOCK;
}

/* Linux's hrtimer_nanosleep: an interrupted relative sleep leaves a restart
 * block (restart_syscall sleeps on to the same deadline); an absolute one
 * is -ERESTARTNOHAND (restarted as it was, unless a handler ran: EINTR). */
static long nanosleep_until(s64 deadline, bool absolute, clockid_t clock)
{
	struct restart_block *rb = &current->restart;
	long r = do_nanosleep(deadline);

	if (r != -ERESTART_RESTARTBLOCK)
		return r;
	if (absolute)
		return -ERESTARTNOHAND;
	rb->deadline = deadline;
	rb->clock = clock;
	return set_restart_fn(rb, nanosleep_restart);
}

static long nanosleep_restart(struct restart_block *rb)
{
	return do_nanosleep(rb->deadline);
}

/* Before a sleep: no restart pending, and where the remainder goes. */
static void nanosleep_prepare(uptr rmtp)
{
	current->restart.fn = do_no_restart_syscall;
	current->restart.rmtp = rmtp;
}

/* sys_nanosleep sleeps for *rqtp on the monotonic clock; interrupted, it
 * stores the time left at rmtp. */
long sys_nanosleep(uptr rqtp, uptr rmtp)
{
	struct linux_timespec ts;

	if (copy_from_user(&ts, rqtp, sizeof ts) < 0)
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	nanosleep_prepare(rmtp);
	return nanosleep_until(
		ktime_add_safe(plat_clock_ns(PLAT_CLOCK_MONOTONIC), timespec_to_ns(&ts)), false,
		CLOCK_MONOTONIC);
}

/* sys_clock_nanosleep sleeps on a clock, for a while or (TIMER_ABSTIME)
 * until a time; the raw call returns -errno. An absolute sleep never
 * writes rmtp. */
long sys_clock_nanosleep(clockid_t which_clock, int flags, uptr rqtp, uptr rmtp)
{
	struct linux_timespec ts;
	int c;
	s64 now, d;

	switch (which_clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		break;
	case CLOCK_THREAD_CPUTIME_ID:
		return -EOPNOTSUPP; /* as Linux 6 does (the man page still says EINVAL) */
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		return -EOPNOTSUPP; /* as Linux on a host without an RTC wake alarm */
	case CLOCK_PROCESS_CPUTIME_ID:
		break;
	default:
		if (which_clock < 0) {              /* a CPU clock id: only process clocks sleep */
			if ((which_clock & 7) == 3) /* a clock device's fd: they never sleep */
				return -EOPNOTSUPP;
			if (plat_cpu_clock_of(which_clock) < 0 || (which_clock & 4))
				return -EINVAL;
			break;
		}
		return plat_clock_of(which_clock) < 0 ? -EINVAL : -EOPNOTSUPP; /* no nsleep */
	}
	c = plat_clock_of(which_clock);
	if (copy_from_user(&ts, rqtp, sizeof ts) < 0)
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	nanosleep_prepare(flags & TIMER_ABSTIME ? (uptr){ 0 } : rmtp);
	now = plat_clock_ns(c);
	d = timespec_to_ns(&ts);
	if (flags & TIMER_ABSTIME)
		d = d > now ? d - now : 0;
	/* a CPU clock advances no faster than the monotonic one while we sleep,
	 * so sleeping the difference on the monotonic clock is never short for
	 * the wall clocks and is long enough for the process clock */
	return nanosleep_until(ktime_add_safe(plat_clock_ns(PLAT_CLOCK_MONOTONIC), d),
			       flags & TIMER_ABSTIME, which_clock);
}

/* sys_times stores process times in clock ticks (user and system time as
 * the host accounts them: the program runs as the host process; there are
 * never children) and returns ticks since an arbitrary point (the host's
 * boot). */
long sys_times(uptr tbuf)
{
	s64 ru[18], t[4] = { 0 }; /* user, system, children's user and system */
	long r = plat_rusage(RUSAGE_SELF, ru);

	if (r < 0)
		return r;
	/* Linux converts each timeval as a whole to ticks */
	t[0] = (ru[0] * NSEC_PER_SEC + ru[1] * NSEC_PER_USEC) / (NSEC_PER_SEC / USER_HZ);
	t[1] = (ru[2] * NSEC_PER_SEC + ru[3] * NSEC_PER_USEC) / (NSEC_PER_SEC / USER_HZ);
	if (!uptr_is_null(tbuf) && copy_to_user(tbuf, t, sizeof t) < 0)
		return -EFAULT;
	return plat_clock_ns(PLAT_CLOCK_BOOTTIME) / (NSEC_PER_SEC / USER_HZ);
}

/* sys_getrusage reports the host's accounting of the process (or calling
 * thread): the program's CPU time, faults, context switches and I/O are the
 * host process's. RUSAGE_CHILDREN is all zeros: there are never children. */
long sys_getrusage(int who, uptr ru)
{
	s64 r[18] = { 0 }; /* struct rusage: two timevals, then 14 longs */
	long ret;

	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	if (who != RUSAGE_CHILDREN && (ret = plat_rusage(who, r)) < 0)
		return ret;
	return copy_to_user(ru, r, sizeof r);
}
