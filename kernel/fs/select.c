/* poll, ppoll, select, pselect6: one pass over the descriptors under
 * vfs_lock that puts the task on each file's wait head (and gathers the
 * host fds of host-backed files), then one sleep of the one wait until
 * something changes, a host fd is ready, a signal comes, or the earliest
 * deadline (the caller's timeout or a timerfd's expiry) passes. A signal
 * ends them with Linux's -ERESTARTNOHAND (poll with a timeout:
 * -ERESTART_RESTARTBLOCK, restarted with the time left). ppoll and pselect6
 * apply their signal mask while they wait. */
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
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

/* One pass of poll over fds; returns how many have events. With pw, the
 * task goes on each file's wait head, until the first ready one (Linux
 * stops queueing there too: nobody sleeps after). vfs_lock held. */
static long poll_pass(struct kpollfd *fds, unsigned int nfds, s64 *deadline,
		      struct poll_wqueues *pw)
{
	long count = 0;

	for (unsigned int i = 0; i < nfds; i++) {
		struct poll_table pt = POLL_TABLE(fds[i].events, pw ? &pw->host : NULL);
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
			if (pw && !count && !mask)
				poll_wqueues_add(pw, pt.head);
		}
		fds[i].revents = (u16)mask;
		if (mask)
			count++;
	}
	return count;
}

/* One sleep of poll or select: -EINTR for a signal (the caller gives
 * Linux's code), else 0 to look again. */
static long poll_select_sleep(struct poll_wqueues *pw, u32 seq, s64 deadline)
{
	long r = poll_sleep(seq, deadline, &pw->host);

	poll_wqueues_clear(pw);
	return r == -EINTR ? -EINTR : 0;
}

static long do_poll(uptr ufds, unsigned int nfds, s64 deadline)
{
	struct kpollfd *fds = NULL;
	struct poll_wqueues pw;
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
	if (poll_wqueues_init(&pw, deadline == 0 ? 0 : nfds) < 0) {
		kfree(fds);
		return -ENOMEM;
	}
	kmutex_lock(&vfs_lock);
	for (;;) {
		u32 seq = wait_prepare();
		s64 wake = NO_DEADLINE;

		ret = poll_pass(fds, nfds, &wake, deadline == 0 ? NULL : &pw);
		if (ret || expired(deadline))
			break;
		if (poll_select_sleep(&pw, seq, earliest(deadline, wake)) < 0) {
			ret = -ERESTARTNOHAND;
			break;
		}
	}
	poll_wqueues_free(&pw);
	kmutex_unlock(&vfs_lock);
	if (ret == -ERESTARTNOHAND) {
		kfree(fds);
		return ret;
	}
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

/* restart_syscall of an interrupted poll: the same call, the same deadline. */
static long poll_restart(struct restart_block *rb)
{
	long ret = do_poll((uptr){ rb->arg[0] }, (unsigned int)rb->arg[1], rb->deadline);

	return ret == -ERESTARTNOHAND ? -ERESTART_RESTARTBLOCK : ret;
}

/* sys_poll waits up to timeout_msecs (negative: forever) for events on
 * ufds. Interrupted with a timeout, it is -ERESTART_RESTARTBLOCK, as on
 * Linux: EINTR if a handler runs, else restart_syscall goes on to the
 * deadline it had. */
long sys_poll(uptr ufds, unsigned int nfds, int timeout_msecs)
{
	s64 deadline = poll_ms_deadline(timeout_msecs);
	long ret = do_poll(ufds, nfds, deadline);

	if (ret == -ERESTARTNOHAND && timeout_msecs >= 0) {
		struct restart_block *rb = &current->restart;

		rb->fn = poll_restart;
		rb->deadline = deadline;
		rb->clock = CLOCK_MONOTONIC;
		rb->arg[0] = ufds.addr;
		rb->arg[1] = nfds;
		ret = -ERESTART_RESTARTBLOCK;
	}
	return ret;
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
	if ((ret = set_user_sigmask(sigmask, sigsetsize)) < 0)
		return ret;
	ret = do_poll(ufds, nfds, deadline);
	restore_saved_sigmask_unless(ret == -ERESTARTNOHAND);
	if (!uptr_is_null(tsp) && deadline != 0) {
		ts = ns_to_timespec(time_left(deadline));
		/* Linux's poll_select_finish: a timespec it cannot update makes
		 * the timeout sticky, and an interrupted call then is EINTR */
		if (copy_to_user(tsp, &ts, sizeof ts) < 0 && ret == -ERESTARTNOHAND)
			ret = -EINTR;
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
static long select_pass(const struct fdsets *s, unsigned int n, size_t bytes, s64 *deadline,
			struct poll_wqueues *pw)
{
	long count = 0;

	memset(s->rin, 0, bytes);
	memset(s->rout, 0, bytes);
	memset(s->rex, 0, bytes);
	for (unsigned int fd = 0; fd < n; fd++) {
		bool in = bit(s->in, fd), out = bit(s->out, fd), ex = bit(s->ex, fd);
		struct poll_table pt = POLL_TABLE((in ? POLLIN_SET : 0) | (out ? POLLOUT_SET : 0) |
							  (ex ? POLLEX_SET : 0),
						  pw ? &pw->host : NULL);
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
		if (pw && !count && !(mask & pt.want))
			poll_wqueues_add(pw, pt.head);
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
	struct poll_wqueues pw;
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
	if (poll_wqueues_init(&pw, deadline == 0 ? 0 : (unsigned int)n) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	kmutex_lock(&vfs_lock);
	for (;;) {
		u32 seq = wait_prepare();
		s64 wake = NO_DEADLINE;

		ret = select_pass(&s, (unsigned int)n, bytes, &wake, deadline == 0 ? NULL : &pw);
		if (ret || expired(deadline))
			break;
		if (poll_select_sleep(&pw, seq, earliest(deadline, wake)) < 0) {
			ret = -ERESTARTNOHAND;
			break;
		}
	}
	poll_wqueues_free(&pw);
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
		if (copy_to_user(tvp, &tv, sizeof tv) < 0 && ret == -ERESTARTNOHAND)
			ret = -EINTR; /* sticky timeout (poll_select_finish) */
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
	if ((ret = set_user_sigmask((uptr){ pack.mask }, pack.size)) < 0)
		return ret;
	ret = do_select(n, inp, outp, exp, deadline);
	restore_saved_sigmask_unless(ret == -ERESTARTNOHAND);
	if (!uptr_is_null(tsp) && deadline != 0) {
		ts = ns_to_timespec(time_left(deadline));
		if (copy_to_user(tsp, &ts, sizeof ts) < 0 && ret == -ERESTARTNOHAND)
			ret = -EINTR; /* sticky timeout (poll_select_finish) */
	}
	return ret;
}
