/* Timers: alarm, setitimer/getitimer and the POSIX timers (timer_create,
 * timer_settime, timer_gettime, timer_getoverrun, timer_delete).
 *
 * The host keeps the time (plat.h, "Timers"). An interval timer is the
 * host process's own, so its rounding, its remaining value and its signal
 * (SI_KERNEL, sent to the process) are the host's. A POSIX timer is a host
 * POSIX timer, with the host's id; its expiries come back through
 * posix_timer_fire, which sends the guest's signal as Linux's
 * posix_timer_queue_signal does: one queued siginfo per timer, further
 * expiries counted as overruns while it waits. The dequeue hook
 * (posix_timer_deliver) reports the overrun, and drops the signal of a
 * timer deleted or re-armed since it was queued, as Linux's
 * posixtimer_deliver_signal does. Everything here is locked. */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include <kernel/time.h>
#include "../plat/plat.h"

#define DELAYTIMER_MAX 0x7fffffff
#define CPUCLOCK_MAX 3
#define CLOCKFD 3

struct itimerval {
	struct linux_timeval interval, value;
};
struct itimerspec {
	struct linux_timespec interval, value;
};
struct sigevent {
	u64 value;
	s32 signo, notify;
	s32 tid;
	s32 pad[11];
};
_Static_assert(sizeof(struct sigevent) == 64, "struct sigevent is 64 bytes");

/* --- Interval timers ------------------------------------------------------ */

/* sys_alarm arms ITIMER_REAL for seconds (0: disarms) and returns the
 * seconds that were left, rounded as Linux's alarm_setitimer rounds. */
long sys_alarm(unsigned int seconds)
{
	return plat_alarm(seconds);
}

static bool timeval_valid(const struct linux_timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < USEC_PER_SEC;
}

static bool itimer_which_valid(int which)
{
	return which == ITIMER_REAL || which == ITIMER_VIRTUAL || which == ITIMER_PROF;
}

/* sys_setitimer arms or disarms an interval timer (value NULL: disarms, as
 * Linux still accepts) and stores the previous setting at ovalue. */
long sys_setitimer(int which, uptr value, uptr ovalue)
{
	struct itimerval nv = { { 0, 0 }, { 0, 0 } }, old;
	long r;

	if (!uptr_is_null(value)) {
		if (copy_from_user(&nv, value, sizeof nv) < 0)
			return -EFAULT;
		if (!timeval_valid(&nv.value) || !timeval_valid(&nv.interval))
			return -EINVAL;
	}
	if (!itimer_which_valid(which))
		return -EINVAL;
	if ((r = plat_setitimer(which, &nv, &old)) < 0)
		return r;
	if (!uptr_is_null(ovalue) && copy_to_user(ovalue, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* sys_getitimer reads an interval timer: the time left and the interval.
 * Where there are no timers (the library platform) each reads disarmed. */
long sys_getitimer(int which, uptr value)
{
	struct itimerval cur = { { 0, 0 }, { 0, 0 } };
	long r;

	if (!itimer_which_valid(which))
		return -EINVAL;
	if ((r = plat_getitimer(which, &cur)) < 0 && r != -ENOSYS)
		return r;
	return copy_to_user(value, &cur, sizeof cur);
}

/* --- POSIX timers --------------------------------------------------------- */

struct ptimer {
	struct list link;
	int id;           /* the host's id, which is the guest's */
	u64 cookie;       /* what the host's signal carries (never reused) */
	int notify;       /* SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID */
	int signo;        /* 0 for SIGEV_NONE */
	int tid;          /* SIGEV_THREAD_ID's thread, else 0 (the process) */
	u64 value;        /* sigev_value */
	s32 seq;          /* the arming: moves with each settime (never 0) */
	s64 overrun;      /* expiries since the queued signal was sent */
	s32 overrun_last; /* reported by the last delivered signal */
};

static struct list timers = LIST_INIT(timers);
static u64 next_cookie = 1;

static struct ptimer *timer_by_id(int id)
{
	struct list *l;

	list_for_each(l, &timers) {
		struct ptimer *t = list_entry(l, struct ptimer, link);

		if (t->id == id)
			return t;
	}
	return NULL;
}

/* The host clock for a guest clock id, as Linux's clockid_to_kclock and
 * posix_cpu_timer_create resolve it: the fixed clocks are the host's own
 * ids (the host refuses the ones without timers as Linux does); a CPU
 * clock of pid 0 or our pid (process), or of tid 0 or one of our threads
 * (thread), is the host's clock of the same host process or thread; any
 * other pid is one the host does not have. */
static s32 host_clock(clockid_t id)
{
	bool thread = (id & 4) != 0;
	int which = id & 3;
	s32 pid = ~(id >> 3);
	const struct task *t = NULL;

	if (id >= 0)
		return id;
	if (pid == 0)
		return id;
	if (thread) {
		t = task_find(pid);
	} else if (pid == current_proc.pid) {
		t = current;
	}
	return plat_cpu_clock(t, thread, which);
}

/* Linux's clockid_to_kclock and its timer_create: EINVAL for a clock that
 * does not exist, EOPNOTSUPP for one without timers (the raw and coarse
 * clocks, a clock device's fd). The alarm clocks and the CPU clocks'
 * own checks are the host's. */
static long clock_has_timers(clockid_t id)
{
	if (id < 0)
		return (id & 3) == CLOCKFD ? -EOPNOTSUPP : 0;
	switch (id) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_BOOTTIME:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
	case CLOCK_TAI:
		return 0;
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}

/* Linux's good_sigevent: the event's target and signal. */
static bool sigevent_valid(const struct sigevent *ev)
{
	switch (ev->notify) {
	case SIGEV_THREAD_ID: {
		struct task *t = task_find(ev->tid);

		if (!t || t->exiting)
			return false;
	}
		/* fall through */
	case SIGEV_SIGNAL:
	case SIGEV_THREAD:
		return ev->signo > 0 && ev->signo <= NSIG_MAX;
	case SIGEV_NONE:
		return true;
	default:
		return false;
	}
}

/* sys_timer_create makes a POSIX timer on a clock (disarmed); with no
 * event, it sends SIGALRM to the process with its id as the value. */
long sys_timer_create(clockid_t which_clock, uptr timer_event_spec, uptr created_timer_id)
{
	struct sigevent ev = { .value = 0, .signo = SIGALRM, .notify = SIGEV_SIGNAL };
	bool have_event = !uptr_is_null(timer_event_spec);
	struct ptimer *t;
	int kind = PLAT_TIMER_SIGNAL, id = -1;
	long r;

	if (have_event && copy_from_user(&ev, timer_event_spec, sizeof ev) < 0)
		return -EFAULT;
	if ((r = clock_has_timers(which_clock)) < 0)
		return r; /* before an id is allocated, as Linux checks it */
	if (have_event && !sigevent_valid(&ev))
		kind = PLAT_TIMER_INVALID; /* the host allocates the id, then refuses */
	else if (ev.notify == SIGEV_NONE)
		kind = PLAT_TIMER_NONE;
	if (!(t = kzalloc(sizeof *t)))
		return -EAGAIN;
	t->cookie = next_cookie++;
	if ((r = plat_timer_create(host_clock(which_clock), kind, t->cookie, &id)) < 0) {
		kfree(t);
		return r;
	}
	if (copy_to_user(created_timer_id, &id, sizeof id) < 0) {
		plat_timer_delete(id);
		kfree(t);
		return -EFAULT;
	}
	t->id = id;
	t->notify = ev.notify == SIGEV_THREAD ? SIGEV_SIGNAL : ev.notify;
	t->signo = ev.notify == SIGEV_NONE ? 0 : ev.signo;
	t->tid = ev.notify == SIGEV_THREAD_ID ? ev.tid : 0;
	t->value = have_event ? ev.value : (u64)(u32)id;
	t->seq = 1;
	list_add_tail(&t->link, &timers);
	return 0;
}

/* The queued siginfo of timer t, or NULL. */
static struct linux_siginfo *queued_info(const struct ptimer *t)
{
	struct sigpending *p;
	struct list *l;

	if (t->tid) {
		struct task *k = task_find(t->tid);

		if (!k)
			return NULL;
		p = &k->pending;
	} else {
		p = &current_proc.shared_pending;
	}
	list_for_each(l, &p->queue) {
		struct sigqueue *q = list_entry(l, struct sigqueue, link);

		if (q->info.si_code == SI_TIMER && q->info.si_signo == t->signo &&
		    q->info.timer.tid == t->id && q->info.timer.sys_private)
			return &q->info;
	}
	return NULL;
}

void posix_timer_fire(u64 cookie, int host_overrun)
{
	struct linux_siginfo info, *queued;
	struct ptimer *t = NULL;
	struct task *target = NULL;
	struct list *l;

	list_for_each(l, &timers) {
		struct ptimer *i = list_entry(l, struct ptimer, link);

		if (i->cookie == cookie) {
			t = i;
			break;
		}
	}
	if (!t || !t->signo)
		return; /* deleted since: the expiry is dropped */
	if (t->tid && (!(target = task_find(t->tid)) || target->exiting))
		return; /* its thread is gone */
	if ((queued = queued_info(t)) != NULL) {
		/* one siginfo per timer: the expiry is an overrun (a stale
		 * entry of an earlier arming becomes this arming's) */
		if (queued->timer.sys_private != t->seq) {
			queued->timer.sys_private = t->seq;
			t->overrun = host_overrun;
		} else {
			t->overrun += 1 + (s64)host_overrun;
		}
		return;
	}
	t->overrun = host_overrun;
	memset(&info, 0, sizeof info);
	info.si_signo = t->signo;
	info.si_code = SI_TIMER;
	info.timer.tid = t->id;
	info.timer.value = t->value;
	info.timer.sys_private = t->seq;
	send_signal(t->signo, &info, target);
}

bool posix_timer_deliver(struct linux_siginfo *info)
{
	struct ptimer *t;

	if (!info->timer.sys_private)
		return true; /* not a timer's: rt_sigqueueinfo may send SI_TIMER */
	t = timer_by_id(info->timer.tid);
	if (!t || t->seq != info->timer.sys_private)
		return false;
	t->overrun_last = t->overrun > DELAYTIMER_MAX ? DELAYTIMER_MAX : (s32)t->overrun;
	t->overrun = 0;
	info->timer.overrun = t->overrun_last;
	info->timer.sys_private = 0;
	return true;
}

/* sys_timer_settime arms (it_value non-zero; TIMER_ABSTIME: an absolute
 * time on the timer's clock) or disarms a timer, storing the previous
 * setting at old_setting. */
long sys_timer_settime(timer_t timer_id, int flags, uptr new_setting, uptr old_setting)
{
	struct itimerspec nv, old;
	struct ptimer *t;
	long r;

	if (uptr_is_null(new_setting))
		return -EINVAL;
	if (copy_from_user(&nv, new_setting, sizeof nv) < 0)
		return -EFAULT;
	if (!timespec_valid(&nv.interval) || !timespec_valid(&nv.value))
		return -EINVAL;
	if (!(t = timer_by_id(timer_id)))
		return -EINVAL;
	if ((r = plat_timer_settime(t->id, flags, &nv, &old)) < 0)
		return r;
	/* a signal of the previous arming still queued is dropped */
	if (++t->seq == 0)
		t->seq = 1;
	t->overrun = 0;
	t->overrun_last = 0;
	if (!uptr_is_null(old_setting) && copy_to_user(old_setting, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* sys_timer_gettime stores the time left until the next expiry and the
 * interval. */
long sys_timer_gettime(timer_t timer_id, uptr setting)
{
	struct itimerspec cur;
	struct ptimer *t = timer_by_id(timer_id);
	long r;

	if (!t)
		return -EINVAL;
	if ((r = plat_timer_gettime(t->id, &cur)) < 0)
		return r;
	return copy_to_user(setting, &cur, sizeof cur);
}

/* sys_timer_getoverrun returns the overrun count of the timer's last
 * delivered signal. */
long sys_timer_getoverrun(timer_t timer_id)
{
	struct ptimer *t = timer_by_id(timer_id);

	return t ? t->overrun_last : -EINVAL;
}

static void timer_free(struct ptimer *t)
{
	plat_timer_delete(t->id);
	list_del(&t->link);
	kfree(t);
}

/* sys_timer_delete deletes a timer; its signal still queued is dropped. */
long sys_timer_delete(timer_t timer_id)
{
	struct ptimer *t = timer_by_id(timer_id);

	if (!t)
		return -EINVAL;
	timer_free(t);
	return 0;
}

void posix_timers_exec(void)
{
	while (timers.next != &timers)
		timer_free(list_entry(timers.next, struct ptimer, link));
}
