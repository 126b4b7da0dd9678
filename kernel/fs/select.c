/* poll, ppoll, select, pselect6: one pass over the descriptors under
 * vfs_lock, then a sleep on poll_seq until something changes or the
 * earliest deadline (the caller's timeout or a timerfd's expiry) passes.
 * There are no signals yet, so a signal mask is checked and copied, and
 * has nothing to block. */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/time.h>

#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET (POLLPRI)

struct kpollfd {
	s32 fd;
	u16 events, revents;
};

/* The time left to deadline, clamped at zero (what Linux writes back). */
static s64 time_left(s64 deadline)
{
	s64 left = deadline - poll_now();

	return left > 0 ? left : 0;
}

/* check_sigmask: see poll.h. */
long check_sigmask(uptr mask, size_t size)
{
	u64 set;

	if (uptr_is_null(mask))
		return 0;
	if (size != sizeof set)
		return -EINVAL;
	return copy_from_user(&set, mask, sizeof set);
}

/* True when the wait is over: deadline 0 is one pass, NO_DEADLINE never. */
static bool expired(s64 deadline)
{
	return deadline == 0 || (deadline != NO_DEADLINE && poll_now() >= deadline);
}

static s64 earliest(s64 a, s64 b)
{
	if (a == NO_DEADLINE)
		return b;
	if (b == NO_DEADLINE)
		return a;
	return MIN(a, b);
}

/* One pass of poll over fds; returns how many have events. vfs_lock held. */
static long poll_pass(struct kpollfd *fds, unsigned int nfds, s64 *deadline)
{
	long count = 0;

	for (unsigned int i = 0; i < nfds; i++) {
		struct poll_table pt = { NULL, NO_DEADLINE };
		struct file *f;
		unsigned int mask;

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		f = fd_peek(fds[i].fd);
		if (!f || (f->flags & O_PATH)) {
			mask = POLLNVAL;
		} else {
			mask = file_poll(f, &pt);
			mask &= fds[i].events | POLLERR | POLLHUP;
			*deadline = earliest(*deadline, pt.deadline);
		}
		fds[i].revents = (u16)mask;
		if (mask)
			count++;
	}
	return count;
}

static long do_poll(uptr ufds, unsigned int nfds, s64 deadline)
{
	struct kpollfd *fds = NULL;
	long ret;

	if (nfds > current_proc.rlim[RLIMIT_NOFILE].rlim_cur)
		return -EINVAL;
	if (nfds) {
		fds = kmalloc(nfds * sizeof *fds);
		if (!fds)
			return -ENOMEM;
		if (copy_from_user(fds, ufds, nfds * sizeof *fds) < 0) {
			kfree(fds);
			return -EFAULT;
		}
	}
	kmutex_lock(&vfs_lock);
	for (;;) {
		u32 seq = __atomic_load_n(&poll_seq, __ATOMIC_ACQUIRE);
		s64 wake = NO_DEADLINE;

		ret = poll_pass(fds, nfds, &wake);
		if (ret || expired(deadline))
			break;
		poll_sleep(seq, earliest(deadline, wake));
	}
	kmutex_unlock(&vfs_lock);
	/* only revents is written back, entry by entry */
	for (unsigned int i = 0; i < nfds; i++) {
		uptr at = uptr_add(ufds, i * sizeof *fds + offsetof(struct kpollfd, revents));

		if (copy_to_user(at, &fds[i].revents, sizeof fds[i].revents) < 0) {
			ret = -EFAULT;
			break;
		}
	}
	kfree(fds);
	return ret;
}

/* sys_poll waits up to timeout_msecs (negative: forever) for events on ufds. */
long sys_poll(uptr ufds, unsigned int nfds, int timeout_msecs)
{
	return do_poll(ufds, nfds, poll_ms_deadline(timeout_msecs));
}

/* sys_ppoll is poll with a timespec timeout (the time left is written
 * back) and a signal mask. */
long sys_ppoll(uptr ufds, unsigned int nfds, uptr tsp, uptr sigmask, size_t sigsetsize)
{
	struct linux_timespec ts;
	s64 deadline = NO_DEADLINE;
	long ret;

	if (!uptr_is_null(tsp)) {
		if (copy_from_user(&ts, tsp, sizeof ts) < 0)
			return -EFAULT;
		if ((ret = poll_timeout_deadline(&ts, &deadline)) < 0)
			return ret;
	}
	if ((ret = check_sigmask(sigmask, sigsetsize)) < 0)
		return ret;
	ret = do_poll(ufds, nfds, deadline);
	if (!uptr_is_null(tsp) && deadline != 0) {
		ts = ns_to_timespec(time_left(deadline));
		copy_to_user(tsp, &ts, sizeof ts); /* a read-only timespec is not an error */
	}
	return ret;
}

/* select's sets, n bits each (rounded up to longs). */
struct fdsets {
	u64 *in, *out, *ex, *rin, *rout, *rex;
};

static long get_fd_set(uptr u, u64 *k, size_t bytes)
{
	if (uptr_is_null(u)) {
		memset(k, 0, bytes);
		return 0;
	}
	return copy_from_user(k, u, bytes);
}

static bool bit(const u64 *set, unsigned int fd)
{
	return set[fd / 64] >> (fd % 64) & 1;
}

/* One pass of select; returns the number of bits set, or -EBADF when a
 * requested descriptor is not open. vfs_lock held. */
static long select_pass(const struct fdsets *s, unsigned int n, size_t bytes, s64 *deadline)
{
	long count = 0;

	memset(s->rin, 0, bytes);
	memset(s->rout, 0, bytes);
	memset(s->rex, 0, bytes);
	for (unsigned int fd = 0; fd < n; fd++) {
		bool in = bit(s->in, fd), out = bit(s->out, fd), ex = bit(s->ex, fd);
		struct poll_table pt = { NULL, NO_DEADLINE };
		struct file *f;
		unsigned int mask;

		if (!in && !out && !ex)
			continue;
		f = fd_peek((int)fd);
		if (!f)
			return -EBADF;
		if (f->flags & O_PATH)
			continue; /* POLLNVAL, which is in no set */
		mask = file_poll(f, &pt);
		*deadline = earliest(*deadline, pt.deadline);
		if (in && (mask & POLLIN_SET)) {
			s->rin[fd / 64] |= 1ULL << (fd % 64);
			count++;
		}
		if (out && (mask & POLLOUT_SET)) {
			s->rout[fd / 64] |= 1ULL << (fd % 64);
			count++;
		}
		if (ex && (mask & POLLEX_SET)) {
			s->rex[fd / 64] |= 1ULL << (fd % 64);
			count++;
		}
	}
	return count;
}

static long do_select(int n, uptr inp, uptr outp, uptr exp, s64 deadline)
{
	unsigned int max_fds = MAX(fd_table_size(), 64u);
	struct fdsets s;
	size_t bytes;
	u64 *mem;
	long ret;

	if (n < 0)
		return -EINVAL;
	if ((unsigned int)n > max_fds)
		n = (int)max_fds;
	bytes = ((size_t)n + 63) / 64 * 8;
	mem = kzalloc(6 * bytes + 8);
	if (!mem)
		return -ENOMEM;
	s = (struct fdsets){ mem,
			     mem + bytes / 8,
			     mem + 2 * bytes / 8,
			     mem + 3 * bytes / 8,
			     mem + 4 * bytes / 8,
			     mem + 5 * bytes / 8 };
	if (get_fd_set(inp, s.in, bytes) < 0 || get_fd_set(outp, s.out, bytes) < 0 ||
	    get_fd_set(exp, s.ex, bytes) < 0) {
		ret = -EFAULT;
		goto out;
	}
	kmutex_lock(&vfs_lock);
	for (;;) {
		u32 seq = __atomic_load_n(&poll_seq, __ATOMIC_ACQUIRE);
		s64 wake = NO_DEADLINE;

		ret = select_pass(&s, (unsigned int)n, bytes, &wake);
		if (ret || expired(deadline))
			break;
		poll_sleep(seq, earliest(deadline, wake));
	}
	kmutex_unlock(&vfs_lock);
	if (ret < 0)
		goto out;
	if ((!uptr_is_null(inp) && copy_to_user(inp, s.rin, bytes) < 0) ||
	    (!uptr_is_null(outp) && copy_to_user(outp, s.rout, bytes) < 0) ||
	    (!uptr_is_null(exp) && copy_to_user(exp, s.rex, bytes) < 0))
		ret = -EFAULT;
out:
	kfree(mem);
	return ret;
}

/* sys_select waits for the descriptors of three sets to be ready; the time
 * left is written back to tvp. */
long sys_select(int n, uptr inp, uptr outp, uptr exp, uptr tvp)
{
	struct linux_timeval tv;
	struct linux_timespec ts;
	s64 deadline = NO_DEADLINE;
	long ret;

	if (!uptr_is_null(tvp)) {
		if (copy_from_user(&tv, tvp, sizeof tv) < 0)
			return -EFAULT;
		/* Linux carries whole seconds out of tv_usec before checking */
		ts = (struct linux_timespec){ tv.tv_sec + tv.tv_usec / USEC_PER_SEC,
					      tv.tv_usec % USEC_PER_SEC * NSEC_PER_USEC };
		if ((ret = poll_timeout_deadline(&ts, &deadline)) < 0)
			return ret;
	}
	ret = do_select(n, inp, outp, exp, deadline);
	if (!uptr_is_null(tvp) && deadline != 0) {
		tv = ns_to_timeval(time_left(deadline));
		copy_to_user(tvp, &tv, sizeof tv);
	}
	return ret;
}

/* sys_pselect6 is select with a timespec and a {sigmask, size} pair. */
long sys_pselect6(int n, uptr inp, uptr outp, uptr exp, uptr tsp, uptr sig)
{
	struct linux_timespec ts;
	struct {
		u64 mask, size;
	} pack = { 0, 0 };
	s64 deadline = NO_DEADLINE;
	long ret;

	if (!uptr_is_null(sig) && copy_from_user(&pack, sig, sizeof pack) < 0)
		return -EFAULT;
	if (!uptr_is_null(tsp)) {
		if (copy_from_user(&ts, tsp, sizeof ts) < 0)
			return -EFAULT;
		if ((ret = poll_timeout_deadline(&ts, &deadline)) < 0)
			return ret;
	}
	if ((ret = check_sigmask((uptr){ pack.mask }, pack.size)) < 0)
		return ret;
	ret = do_select(n, inp, outp, exp, deadline);
	if (!uptr_is_null(tsp) && deadline != 0) {
		ts = ns_to_timespec(time_left(deadline));
		copy_to_user(tsp, &ts, sizeof ts);
	}
	return ret;
}
