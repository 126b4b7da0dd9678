/* futex: FUTEX_WAIT, FUTEX_WAKE and their BITSET forms, on the platform's
 * one blocking primitive (plat_wait/plat_wake on the word itself: a guest
 * address is a host address on every platform). The bitset is checked, not
 * matched (any wake wakes every waiter it reaches); requeue, wake-op and the
 * PI operations are ENOSYS. */
#include <abi/syscalls.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/futex.h>
#include <kernel/proc.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include "../plat/plat.h"

/* The absolute monotonic deadline of a futex timeout (-1: none). WAIT's is
 * relative; WAIT_BITSET's is absolute, on CLOCK_REALTIME when asked. */
static long futex_deadline(uptr utime, bool absolute, bool realtime, s64 *deadline)
{
	struct linux_timespec ts;
	s64 ns;

	*deadline = -1;
	if (!utime.addr)
		return 0;
	if (copy_from_user(&ts, utime, sizeof ts) < 0)
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	ns = timespec_to_ns(&ts);
	if (!absolute)
		*deadline = ktime_add_safe(plat_clock_ns(PLAT_CLOCK_MONOTONIC), ns);
	else if (realtime)
		*deadline = ktime_add_safe(plat_clock_ns(PLAT_CLOCK_MONOTONIC),
					   ns - plat_clock_ns(PLAT_CLOCK_REALTIME));
	else
		*deadline = ns;
	return 0;
}

/* Linux's get_futex_key: a private futex is only an address; a shared one
 * needs its page, and a read-only anonymous page is EFAULT ("will never
 * change"); all of this kernel's memory is anonymous to the host. */
static long futex_key(uptr uaddr, bool shared)
{
	size_t ok;

	if (uaddr.addr % sizeof(u32))
		return -EINVAL;
	if (!shared)
		return 0;
	kmutex_lock(&kernel_mm.lock);
	ok = vma_accessible(&kernel_mm, uaddr.addr, sizeof(u32), PROT_WRITE);
	kmutex_unlock(&kernel_mm.lock);
	return ok == sizeof(u32) ? 0 : -EFAULT;
}

static long futex_wait(uptr uaddr, u32 val, uptr utime, bool absolute, bool realtime)
{
	s64 deadline;
	u32 cur;
	long r;

	if ((r = futex_deadline(utime, absolute, realtime, &deadline)) < 0)
		return r;
	for (;;) {
		if (copy_from_user(&cur, uaddr, sizeof cur) < 0)
			return -EFAULT;
		if (cur != val)
			return -EAGAIN;
		r = wait_word((const u32 *)uaddr.addr, val, deadline);
		if (r == -EINTR)
			continue; /* no signal delivery: a host interruption is spurious */
		return r == -EAGAIN ? -EAGAIN : r;
	}
}

/* sys_futex waits on or wakes the futex word at uaddr (WAIT, WAKE and the
 * BITSET forms). */
long sys_futex(uptr uaddr, int op, u32 val, uptr utime, uptr uaddr2, u32 val3)
{
	int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	bool realtime = op & FUTEX_CLOCK_REALTIME, shared = !(op & FUTEX_PRIVATE_FLAG);
	long r;

	(void)uaddr2;
	/* Linux: CLOCK_REALTIME only with the absolute-time waits */
	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
	    cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && !val3)
			return -EINVAL;
		if ((r = futex_key(uaddr, shared)) < 0)
			return r;
		return futex_wait(uaddr, val, utime, cmd == FUTEX_WAIT_BITSET, realtime);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && !val3)
			return -EINVAL;
		if ((r = futex_key(uaddr, shared)) < 0)
			return r;
		if (!val)
			return 0;
		return plat_wake((const u32 *)uaddr.addr, (int)MIN(val, (u32)0x7fffffff));
	default:
		return -ENOSYS;
	}
}

void futex_exit_release(struct task *t)
{
	u32 zero = 0;

	if (t->clear_child_tid.addr && copy_to_user(t->clear_child_tid, &zero, sizeof zero) == 0)
		plat_wake((const u32 *)t->clear_child_tid.addr, 1);
}
