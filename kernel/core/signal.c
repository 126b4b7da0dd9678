/* Signals (signal.h): actions, masks, sending and choosing the thread,
 * pending sets and queues, waiting for signals, and the kill family.
 * Delivery to a handler (the frame on the guest's stack, rt_sigreturn) is
 * the platform's; everything it decides (which signal, what to do with it,
 * which mask the handler runs with, what an interrupted call returns) is
 * here, as Linux's kernel/signal.c and arch/x86/kernel/signal.c decide it. */
#include <abi/syscalls.h>
#include <kernel/arch.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/signalfd.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <kernel/wait.h>
#include "../plat/plat.h"

#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define SIG_DFL_HANDLER 0
#define SIG_IGN_HANDLER 1
#define SYNCHRONOUS_MASK                                                                        \
	(SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | SIGBIT(SIGFPE) | \
	 SIGBIT(SIGSYS))
#define STOP_MASK (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))
#define IGNORE_MASK (SIGBIT(SIGCHLD) | SIGBIT(SIGCONT) | SIGBIT(SIGURG) | SIGBIT(SIGWINCH))
#define COREDUMP_MASK                                                                            \
	(SIGBIT(SIGQUIT) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | SIGBIT(SIGABRT) | SIGBIT(SIGFPE) | \
	 SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGSYS) | SIGBIT(SIGXCPU) | SIGBIT(SIGXFSZ))

void (*signal_trace_hook)(const struct linux_siginfo *info);

static bool valid_signal(int sig)
{
	return sig >= 1 && sig <= NSIG_MAX;
}

static struct k_sigaction *action(int sig)
{
	return &current_proc.sigactions[sig - 1];
}

/* Whether sig, handled by default, does nothing (Linux's sig_kernel_ignore;
 * the real-time signals terminate). */
static bool default_ignored(int sig)
{
	return sig <= 31 && (IGNORE_MASK & SIGBIT(sig));
}

/* Linux's sig_ignored: a blocked signal is never ignored (its action may
 * change before it is unblocked), nor one a sigtimedwait waits for. */
static bool sig_ignored(int sig, const struct task *t)
{
	u64 h = action(sig)->handler;

	if ((t->blocked | t->real_blocked) & SIGBIT(sig))
		return false; /* real_blocked: a sigtimedwait takes it */
	return h == SIG_IGN_HANDLER || (h == SIG_DFL_HANDLER && default_ignored(sig));
}

/* --- Pending sets ------------------------------------------------------ */

static void sigqueue_free(struct sigqueue *q)
{
	list_del(&q->link);
	kfree(q);
	current_proc.nr_queued--;
}

/* Drops every pending instance of the signals in mask from p. */
static void flush_pending(struct sigpending *p, u64 mask)
{
	struct list *l, *tmp;

	p->set &= ~mask;
	list_for_each_safe(l, tmp, &p->queue) {
		struct sigqueue *q = list_entry(l, struct sigqueue, link);

		if (mask & SIGBIT(q->info.si_signo))
			sigqueue_free(q);
	}
}

/* Takes sig off p, filling info from its oldest entry. */
static void collect_signal(int sig, struct sigpending *p, struct linux_siginfo *info)
{
	struct sigqueue *first = NULL;
	bool more = false;
	struct list *l;

	list_for_each(l, &p->queue) {
		struct sigqueue *q = list_entry(l, struct sigqueue, link);

		if (q->info.si_signo != sig)
			continue;
		if (first) {
			more = true;
			break;
		}
		first = q;
	}
	if (!more)
		p->set &= ~SIGBIT(sig);
	if (first) {
		*info = first->info;
		sigqueue_free(first);
	} else {
		/* queued with no room for its siginfo: Linux reports SI_USER, pid 0 */
		memset(info, 0, sizeof *info);
		info->si_signo = sig;
		info->si_code = SI_USER;
	}
}

/* Linux's next_signal: the synchronous signals first, then the lowest. */
static int next_signal(u64 set)
{
	u64 sync = set & SYNCHRONOUS_MASK;

	if (sync)
		set = sync;
	return set ? __builtin_ctzll(set) + 1 : 0;
}

int dequeue_signal(u64 mask, struct linux_siginfo *info)
{
	struct task *t = current;
	int sig;

again:
	sig = next_signal(t->pending.set & ~mask);
	if (sig) {
		collect_signal(sig, &t->pending, info);
	} else {
		sig = next_signal(current_proc.shared_pending.set & ~mask);
		if (sig)
			collect_signal(sig, &current_proc.shared_pending, info);
	}
	/* a POSIX timer's signal: its overrun, or dropped if the timer was
	 * deleted or re-armed since (posixtimer_deliver_signal) */
	if (sig && info->si_code == SI_TIMER && !posix_timer_deliver(info))
		goto again;
	return sig;
}

u64 signal_pending_set(void)
{
	return current->pending.set | current_proc.shared_pending.set;
}

static bool task_has_pending(const struct task *t)
{
	return ((t->pending.set | current_proc.shared_pending.set) & ~t->blocked) != 0;
}

bool signal_pending(void)
{
	struct task *t = current;

	/* the library platform delivers nothing, so nothing interrupts a wait
	 * there (its callers are Python threads, all of them the boot task) */
	return t->exiting || (plat_guest && task_has_pending(t));
}

/* Drops the signals in mask wherever they are pending: the process's set
 * and every thread's. */
static void flush_all_pending(u64 mask)
{
	struct task *i;

	flush_pending(&current_proc.shared_pending, mask);
	for_each_task(i)
		flush_pending(&i->pending, mask);
}

void signal_reset(void)
{
	flush_all_pending(~0ULL);
}

/* --- Sending ------------------------------------------------------------ */

/* Rouses t to look at its signals: a sleeper wakes, a task running guest
 * code is kicked by the platform (it delivers on its way back). */
void signal_wake_up(struct task *t)
{
	if (t->sleeping)
		task_wake(t);
	else if (t != current && plat_guest)
		plat_guest->kick(t);
}

/* Linux's wants_signal: the thread may take sig now. Linux asks whether
 * the thread was already roused for a signal (TIF_SIGPENDING); here that is
 * another signal pending for it, since sig itself is pending already when
 * this is asked (without the exclusion no sleeper is ever woken for a
 * process signal sent from another thread, e.g. the signal thread's
 * SIGALRM to a pause). */
static bool wants_signal(int sig, const struct task *t)
{
	u64 others = (t->pending.set | current_proc.shared_pending.set) & ~t->blocked;

	if (t->exiting || (t->blocked & SIGBIT(sig)))
		return false;
	return sig == SIGKILL || t == current || !(others & ~SIGBIT(sig));
}

/* Linux's complete_signal: who handles a signal now pending, and a fatal
 * one's end of the process. */
static void complete_signal(int sig, const struct linux_siginfo *info, struct task *target)
{
	struct task *t = NULL, *c = current;
	struct k_sigaction *ka = action(sig);

	if (target) {
		if (wants_signal(sig, target))
			t = target;
	} else if (c->tid && c->link.next && wants_signal(sig, c)) {
		t = c;
	} else {
		struct task *i;

		for_each_task(i) {
			if (wants_signal(sig, i)) {
				t = i;
				break;
			}
		}
	}
	if (!t)
		return; /* every thread blocks it: it waits for one that will not */
	/* A fatal signal ends the process now, whichever thread it is for,
	 * unless that thread takes it in a sigtimedwait (real_blocked). */
	if (sig == SIGKILL || (ka->handler == SIG_DFL_HANDLER && !default_ignored(sig) &&
			       !(STOP_MASK & SIGBIT(sig)) && !(t->real_blocked & SIGBIT(sig)))) {
		if (signal_trace_hook) {
			struct linux_siginfo si = { .si_signo = sig, .si_code = SI_KERNEL };

			signal_trace_hook(info ? info : &si);
		}
		do_group_exit_signal(sig);
	}
	signal_wake_up(t);
}

long send_signal(int sig, const struct linux_siginfo *info, struct task *t)
{
	struct sigpending *p = t ? &t->pending : &current_proc.shared_pending;
	struct sigqueue *q = NULL;

	if (!valid_signal(sig))
		return -EINVAL;
	/* Linux's prepare_signal: SIGCONT flushes pending stops and a stop
	 * flushes SIGCONT; SIGCONT itself resumes a stopped process (the
	 * host's SIGCONT does it for abi-run). */
	if (STOP_MASK & SIGBIT(sig))
		flush_all_pending(SIGBIT(SIGCONT));
	else if (sig == SIGCONT)
		flush_all_pending(STOP_MASK);
	if (sig != SIGKILL && sig_ignored(sig, t ? t : &boot_task))
		return 0;
	if (sig < SIGRTMIN && (p->set & SIGBIT(sig)))
		return 0; /* a standard signal already pending: they coalesce */
	/* Real-time signals sent by a process (si_code < 0) count against
	 * RLIMIT_SIGPENDING; the kernel's own (timers excepted) and standard
	 * signals get their entry if memory allows, and stay pending without
	 * one otherwise. */
	if (current_proc.nr_queued < current_proc.rlim[RLIMIT_SIGPENDING].rlim_cur ||
	    sig < SIGRTMIN || !info || info->si_code >= 0)
		q = kzalloc(sizeof *q);
	if (!q && sig >= SIGRTMIN && info && info->si_code < 0 && info->si_code != SI_TIMER)
		return -EAGAIN;
	if (q) {
		if (info) {
			q->info = *info;
		} else {
			q->info.si_code = SI_KERNEL;
		}
		q->info.si_signo = sig;
		list_add_tail(&q->link, &p->queue);
		current_proc.nr_queued++;
	}
	p->set |= SIGBIT(sig);
	signalfd_notify();
	complete_signal(sig, q ? &q->info : info, t);
	return 0;
}

void siginfo_from_user(struct linux_siginfo *info, int sig, int code)
{
	memset(info, 0, sizeof *info);
	info->si_signo = sig;
	info->si_code = code;
	info->kill.pid = current_proc.pid;
	info->kill.uid = current_proc.cred.uid;
}

void force_signal(int sig, const struct linux_siginfo *info)
{
	struct k_sigaction *ka = action(sig);
	struct task *t = current;

	/* Linux's force_sig_info_to_task: a blocked or ignored fault cannot be
	 * taken, so it becomes the default action (the process dies of it). */
	if (ka->handler == SIG_IGN_HANDLER || (t->blocked & SIGBIT(sig))) {
		t->blocked &= ~SIGBIT(sig);
		if (ka->handler == SIG_IGN_HANDLER || (t->blocked & SIGBIT(sig)) == 0)
			ka->handler = SIG_DFL_HANDLER;
	}
	send_signal(sig, info, t);
}

void force_sigsegv(int sig)
{
	struct linux_siginfo info = { .si_signo = SIGSEGV, .si_code = SI_KERNEL };

	if (sig == SIGSEGV)
		action(SIGSEGV)->handler = SIG_DFL_HANDLER;
	force_signal(SIGSEGV, &info);
}

/* --- Taking a signal ------------------------------------------------------ */

_Noreturn void do_group_exit_signal(int sig)
{
	plat_kill_self(sig);
}

int get_signal(struct linux_siginfo *info, struct k_sigaction *ka)
{
	struct task *t = current;

	for (;;) {
		int sig = dequeue_signal(t->blocked, info);

		if (!sig)
			return 0;
		if (signal_trace_hook)
			signal_trace_hook(info);
		*ka = *action(sig);
		if (ka->handler == SIG_IGN_HANDLER)
			continue;
		if (ka->handler != SIG_DFL_HANDLER) {
			if (ka->flags & SA_RESETHAND)
				action(sig)->handler = SIG_DFL_HANDLER;
			return sig;
		}
		if (sig != SIGKILL && default_ignored(sig))
			continue;
		if (STOP_MASK & SIGBIT(sig)) {
			plat_stop_self(); /* the host stops every thread; SIGCONT resumes */
			continue;
		}
		do_group_exit_signal(sig);
	}
}

void signal_delivered(int sig, const struct k_sigaction *ka)
{
	struct task *t = current;
	u64 mask = t->blocked | ka->mask;

	if (!(ka->flags & SA_NODEFER))
		mask |= SIGBIT(sig);
	t->restore_blocked = false;
	set_current_blocked(mask);
}

/* Linux's retarget_shared_pending: process signals the caller now blocks
 * go to a thread that can take them. */
static void retarget_shared(u64 newly_blocked)
{
	u64 set = current_proc.shared_pending.set & newly_blocked;
	struct task *i;

	for_each_task(i) {
		u64 take;

		if (!set)
			return;
		if (i == current || i->exiting)
			continue;
		take = set & ~i->blocked;
		if (!take)
			continue;
		set &= ~take;
		signal_wake_up(i);
	}
}

void set_current_blocked(u64 mask)
{
	struct task *t = current;
	u64 newly;

	mask &= ~UNBLOCKABLE;
	newly = mask & ~t->blocked;
	t->blocked = mask;
	if (newly)
		retarget_shared(newly);
}

/* Linux's handle_signal on a call's result, a handler about to run;
 * *restart: the call is made again. */
static long signal_fix_result(long ret, const struct k_sigaction *ka, bool *restart)
{
	*restart = false;
	switch (ret) {
	case -ERESTART_RESTARTBLOCK:
	case -ERESTARTNOHAND:
		return -EINTR;
	case -ERESTARTSYS:
		if (!(ka->flags & SA_RESTART))
			return -EINTR;
		*restart = true;
		return ret;
	case -ERESTARTNOINTR:
		*restart = true;
		return ret;
	default:
		return ret;
	}
}

/* No handler runs: the ERESTART codes restart the call, and
 * ERESTART_RESTARTBLOCK restarts it as restart_syscall (*nr_restart). */
static long syscall_restart(long ret, bool *restart, bool *nr_restart)
{
	*restart = *nr_restart = false;
	switch (ret) {
	case -ERESTARTNOHAND:
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
		*restart = true;
		break;
	case -ERESTART_RESTARTBLOCK:
		*nr_restart = true;
		break;
	}
	/* the mask a sigsuspend-style wait replaced comes back now that no
	 * handler's frame will carry it */
	if (current->restore_blocked) {
		current->restore_blocked = false;
		set_current_blocked(current->saved_blocked);
	}
	return ret;
}

void signal_deliver(const struct signal_regs *ops, void *ctx, bool in_syscall, long ret)
{
	struct task *t = current;
	bool handled = false, restart, nr_restart;
	struct linux_siginfo info;
	struct k_sigaction ka;
	int sig;

	for (;;) {
		if (t->exiting)
			do_thread_exit(0);
		if (!(sig = get_signal(&info, &ka)))
			break;
		if (in_syscall && !handled) {
			/* the interrupted call's result, or its restart, is
			 * what the frame saves */
			ret = signal_fix_result(ret, &ka, &restart);
			if (restart)
				ops->restart(ctx, false);
			else
				ops->result(ctx, ret);
		}
		if (!ops->frame(ctx, sig, &ka, &info,
				t->restore_blocked ? t->saved_blocked : t->blocked,
				!in_syscall && info.si_code > 0)) {
			force_sigsegv(sig);
			continue;
		}
		signal_delivered(sig, &ka);
		handled = true;
	}
	if (in_syscall && !handled) {
		ret = syscall_restart(ret, &restart, &nr_restart);
		if (restart || nr_restart)
			ops->restart(ctx, !restart);
		else
			ops->result(ctx, ret);
	}
}

/* --- The alternate stack ------------------------------------------------- */

bool on_sig_stack(u64 sp)
{
	const struct linux_stack_t *ss = &current->altstack;

	/* Linux's __on_sig_stack (the stack grows down: sp == top is off it) */
	return ss->ss_size && sp > ss->ss_sp && sp - ss->ss_sp <= ss->ss_size;
}

/* Linux's sas_ss_flags. */
static int sas_flags(u64 sp)
{
	if (!current->altstack.ss_size)
		return SS_DISABLE;
	return on_sig_stack(sp) ? SS_ONSTACK : 0;
}

u64 sigframe_stack(const struct k_sigaction *ka, u64 sp)
{
	struct linux_stack_t *ss = &current->altstack;

	if (!(ka->flags & SA_ONSTACK) || sas_flags(sp) != 0)
		return sp;
	return ss->ss_sp + ss->ss_size;
}

/* uc_stack holds the stored settings, flags as sigaltstack was given them
 * (Linux's __save_altstack); SS_AUTODISARM then disarms the stack. */
void signal_altstack_save(struct linux_stack_t *out)
{
	struct linux_stack_t *ss = &current->altstack;

	*out = *ss;
	out->pad = 0;
	if (ss->ss_flags & SS_AUTODISARM)
		*ss = (struct linux_stack_t){ 0, SS_DISABLE, 0, 0 };
}

/* Linux's do_sigaltstack. */
static long do_sigaltstack(const struct linux_stack_t *ss, struct linux_stack_t *oss, u64 sp)
{
	if (oss) {
		*oss = current->altstack;
		oss->ss_flags = sas_flags(sp) | (current->altstack.ss_flags & SS_AUTODISARM);
		oss->pad = 0;
	}
	if (ss) {
		int mode = ss->ss_flags & ~SS_AUTODISARM;

		if (on_sig_stack(sp))
			return -EPERM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			current->altstack = (struct linux_stack_t){ 0, 0, 0, 0 };
			return 0;
		}
		if (ss->ss_size < arch_minsigstksz())
			return -ENOMEM;
		current->altstack = (struct linux_stack_t){ ss->ss_sp, ss->ss_flags & SS_AUTODISARM,
							    0, ss->ss_size };
	}
	return 0;
}

long restore_altstack(const struct linux_stack_t *ss)
{
	/* rt_sigreturn runs on the interrupted stack, never on the alt one
	 * being restored: Linux passes the current sp; an error is a bad
	 * frame only for a malformed one */
	/* Linux squashes every error here: a frame's uc_stack that does not
	 * describe a valid stack leaves the settings as they are */
	do_sigaltstack(ss, NULL, current->user_sp);
	return 0;
}

/* sys_sigaltstack sets and reports the calling thread's alternate signal
 * stack, as Linux's do_sigaltstack. */
long sys_sigaltstack(uptr uss, uptr uoss)
{
	struct linux_stack_t ss, oss;
	long r;

	if (uss.addr && copy_from_user(&ss, uss, sizeof ss) < 0)
		return -EFAULT;
	if ((r = do_sigaltstack(uss.addr ? &ss : NULL, &oss, current->user_sp)) < 0)
		return r;
	if (uoss.addr && copy_to_user(uoss, &oss, sizeof oss) < 0)
		return -EFAULT;
	return 0;
}

/* --- Actions and masks ---------------------------------------------------- */

/* sys_rt_sigaction sets or reports the action of sig; SIGKILL and SIGSTOP
 * cannot be changed (EINVAL). Setting SIG_IGN, or SIG_DFL on a signal
 * ignored by default, discards what is pending of it (POSIX 3.3.1.3). */
long sys_rt_sigaction(int sig, uptr act, uptr oact, size_t sigsetsize)
{
	struct k_sigaction new, old;

	if (sigsetsize != sizeof(u64))
		return -EINVAL;
	/* Linux copies the action in before it looks at sig */
	if (act.addr && copy_from_user(&new, act, sizeof new) < 0)
		return -EFAULT;
	/* SIGKILL/SIGSTOP are EINVAL only when an action is given */
	if (!valid_signal(sig) || (act.addr && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	old = *action(sig);
	if (act.addr) {
		new.mask &= ~UNBLOCKABLE;
		*action(sig) = new;
		if (new.handler == SIG_IGN_HANDLER ||
		    (new.handler == SIG_DFL_HANDLER &&default_ignored(sig)))
			flush_all_pending(SIGBIT(sig));
	}
	if (oact.addr && copy_to_user(oact, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* sys_rt_sigprocmask changes the calling thread's blocked mask (SIGKILL
 * and SIGSTOP stay unblocked) and returns the old one. */
long sys_rt_sigprocmask(int how, uptr nset, uptr oset, size_t sigsetsize)
{
	u64 old = current->blocked, set;

	if (sigsetsize != sizeof(u64))
		return -EINVAL;
	if (nset.addr) {
		if (copy_from_user(&set, nset, sizeof set) < 0)
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK:
			set |= old;
			break;
		case SIG_UNBLOCK:
			set = old & ~set;
			break;
		case SIG_SETMASK:
			break;
		default:
			return -EINVAL;
		}
		set_current_blocked(set);
	}
	if (oset.addr && copy_to_user(oset, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* sys_rt_sigpending reports the pending signals that are blocked (an
 * unblocked one would have been delivered); sigsetsize may be short. */
long sys_rt_sigpending(uptr uset, size_t sigsetsize)
{
	u64 set = signal_pending_set() & current->blocked;

	if (sigsetsize > sizeof set)
		return -EINVAL;
	return copy_to_user(uset, &set, sigsetsize) < 0 ? -EFAULT : 0;
}

/* --- Waiting for signals ------------------------------------------------- */

/* Sleeps until a signal the caller does not block is pending (pause,
 * sigsuspend): the wake is the interruption. */
static void sleep_for_signal(void)
{
	while (!signal_pending())
		task_sleep(wait_prepare(), NO_DEADLINE, NULL, 0);
}

/* sys_pause sleeps until a signal is delivered; it then fails with EINTR. */
long sys_pause(void)
{
	sleep_for_signal();
	return -ERESTARTNOHAND;
}

/* sys_rt_sigsuspend replaces the mask with unewset until a signal is
 * delivered; the handler runs with the new mask, the old one comes back
 * after it. */
long sys_rt_sigsuspend(uptr unewset, size_t sigsetsize)
{
	struct task *t = current;
	u64 set;

	if (sigsetsize != sizeof(u64))
		return -EINVAL;
	if (copy_from_user(&set, unewset, sizeof set) < 0)
		return -EFAULT;
	t->saved_blocked = t->blocked;
	t->restore_blocked = true;
	set_current_blocked(set);
	sleep_for_signal();
	return -ERESTARTNOHAND;
}

/* Copies info out as Linux's copy_siginfo_to_user: all 128 bytes. */
static long put_siginfo(uptr u, const struct linux_siginfo *info)
{
	return copy_to_user(u, info, sizeof *info) < 0 ? -EFAULT : 0;
}

/* sys_rt_sigtimedwait takes a pending signal of uthese, waiting for one up
 * to uts (NULL: forever); EAGAIN on timeout, EINTR when another signal
 * interrupts the wait. */
long sys_rt_sigtimedwait(uptr uthese, uptr uinfo, uptr uts, size_t sigsetsize)
{
	struct task *t = current;
	struct linux_siginfo info;
	struct linux_timespec ts;
	s64 deadline = NO_DEADLINE;
	u64 these;
	int sig;

	if (sigsetsize != sizeof(u64))
		return -EINVAL;
	if (copy_from_user(&these, uthese, sizeof these) < 0)
		return -EFAULT;
	these &= ~UNBLOCKABLE;
	if (uts.addr) {
		if (copy_from_user(&ts, uts, sizeof ts) < 0)
			return -EFAULT;
		if (!timespec_valid(&ts))
			return -EINVAL;
		deadline = deadline_after(timespec_to_ns(&ts));
	}
	sig = dequeue_signal(~these, &info);
	if (!sig && deadline != NO_DEADLINE && deadline <= poll_now())
		return -EAGAIN;
	if (!sig) {
		/* Linux unblocks these for the wait (real_blocked), so that their
		 * arrival wakes it, and blocks them again after. */
		u64 saved = t->blocked;
		long r = 0;

		t->real_blocked = saved;
		t->blocked &= ~these;
		while (!(sig = dequeue_signal(~these, &info))) {
			if (task_has_pending(t) || r == -ETIMEDOUT)
				break;
			r = task_sleep(wait_prepare(), deadline, NULL, 0);
		}
		t->blocked = saved;
		t->real_blocked = 0;
		if (!sig)
			return r == -ETIMEDOUT ? -EAGAIN : -EINTR;
	}
	if (uinfo.addr && put_siginfo(uinfo, &info) < 0)
		return -EFAULT;
	return sig;
}

/* --- Sending from a program ------------------------------------------------ */

/* sys_kill signals a process or group; ours is the only one (pid,
 * 0 and -pgid reach it; -1 reaches every process but the caller: none). */
long sys_kill(pid_t pid, int sig)
{
	struct linux_siginfo info;

	if (pid != current_proc.pid && pid != 0 && pid != -current_proc.pid)
		return -ESRCH; /* Linux looks the target up before it checks sig */
	if (sig == 0)
		return 0;
	if (!valid_signal(sig))
		return -EINVAL;
	siginfo_from_user(&info, sig, SI_USER);
	return send_signal(sig, &info, NULL);
}

/* The thread tid of thread group tgid (tgid <= 0: any), or NULL. */
static struct task *find_thread(pid_t tgid, pid_t tid)
{
	if (tgid > 0 && tgid != current_proc.pid)
		return NULL;
	return task_find(tid);
}

static long do_tkill(pid_t tgid, pid_t tid, int sig)
{
	struct linux_siginfo info;
	struct task *t;

	if (tid <= 0 || (tgid <= 0 && tgid != -1))
		return -EINVAL;
	if (!(t = find_thread(tgid, tid)))
		return -ESRCH;
	if (sig == 0)
		return 0;
	if (!valid_signal(sig))
		return -EINVAL;
	siginfo_from_user(&info, sig, SI_TKILL);
	return send_signal(sig, &info, t);
}

/* sys_tgkill signals thread pid of thread group tgid. */
long sys_tgkill(pid_t tgid, pid_t pid, int sig)
{
	if (tgid <= 0)
		return -EINVAL;
	return do_tkill(tgid, pid, sig);
}

/* sys_tkill signals thread pid. */
long sys_tkill(pid_t pid, int sig)
{
	return do_tkill(-1, pid, sig);
}

/* A siginfo a program supplies (rt_sigqueueinfo): Linux refuses codes that
 * would impersonate the kernel or kill/tkill, except to itself. */
static long user_siginfo(uptr uinfo, int sig, bool self, struct linux_siginfo *info)
{
	if (copy_from_user(info, uinfo, sizeof *info) < 0)
		return -EFAULT;
	if ((info->si_code >= 0 || info->si_code == SI_TKILL) && !self)
		return -EPERM;
	info->si_signo = sig;
	return 0;
}

/* sys_rt_sigqueueinfo sends sig with a siginfo of the caller's to a
 * process: ours (pid) is the only one. */
long sys_rt_sigqueueinfo(pid_t pid, int sig, uptr uinfo)
{
	struct linux_siginfo info;
	long r;

	if ((r = user_siginfo(uinfo, sig, pid == current_proc.pid, &info)) < 0)
		return r;
	if (pid != current_proc.pid)
		return -ESRCH;
	if (sig == 0)
		return 0;
	if (!valid_signal(sig))
		return -EINVAL;
	return send_signal(sig, &info, NULL);
}

/* sys_rt_tgsigqueueinfo sends sig with a siginfo to thread pid of tgid. */
long sys_rt_tgsigqueueinfo(pid_t tgid, pid_t pid, int sig, uptr uinfo)
{
	struct linux_siginfo info;
	struct task *t;
	long r;

	/* Linux copies the siginfo in before it looks at the ids */
	if (copy_from_user(&info, uinfo, sizeof info) < 0)
		return -EFAULT;
	if (pid <= 0 || tgid <= 0)
		return -EINVAL;
	if ((r = user_siginfo(uinfo, sig, tgid == current_proc.pid && pid == current->tid, &info)) <
	    0)
		return r;
	if (!(t = find_thread(tgid, pid)))
		return -ESRCH;
	if (sig == 0)
		return 0;
	if (!valid_signal(sig))
		return -EINVAL;
	return send_signal(sig, &info, t);
}

/* A signal the kernel raises for the calling thread (SIGPIPE, SIGIO,
 * SIGURG...): Linux's send_sig(sig, current, 0), SI_USER from ourselves. */
void proc_signal_pending(int sig)
{
	struct linux_siginfo info;

	if (!plat_guest) {
		/* the library platform runs no guest code and its process is
		 * its caller's: the signal is recorded, never acted on */
		current->pending.set |= SIGBIT(sig);
		signalfd_notify();
		return;
	}
	siginfo_from_user(&info, sig, SI_USER);
	send_signal(sig, &info, current);
}

/* The pending set (bit sig-1) of the calling thread and the process, for
 * tests; libabik.so exports it. */
u64 abi_sigpending_mask(void)
{
	return signal_pending_set();
}

/* sys_rt_sigreturn: the platform's, which built the frame. */
long sys_rt_sigreturn(void)
{
	return plat_guest ? plat_guest->sigreturn() : -ENOSYS;
}
