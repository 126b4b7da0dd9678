/* Signal actions and the blocked mask, recorded and reported as Linux does
 * (kernel/signal.c's validation), and signals sent to the process itself;
 * nothing is delivered to a handler yet (it stays pending), but a default
 * action that terminates ends the host process with that very signal. */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include "../plat/plat.h"

#define SIG_KILL 9
#define SIG_STOP 19
#define NSIG_MAX 64
#define SIGBIT(s) (1ULL << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIG_KILL) | SIGBIT(SIG_STOP))

/* sys_rt_sigaction records the action of sig and returns the old one;
 * SIGKILL and SIGSTOP cannot be changed (EINVAL). */
long sys_rt_sigaction(int sig, uptr act, uptr oact, size_t sigsetsize)
{
	struct k_sigaction new, old;

	if (sigsetsize != sizeof(u64))
		return -EINVAL;
	/* Linux copies the action in before it looks at sig */
	if (act.addr && copy_from_user(&new, act, sizeof new) < 0)
		return -EFAULT;
	/* SIGKILL/SIGSTOP are EINVAL only when an action is given */
	if (sig < 1 || sig > NSIG_MAX || (act.addr && (sig == SIG_KILL || sig == SIG_STOP)))
		return -EINVAL;
	old = current_proc.sigactions[sig - 1];
	if (act.addr) {
		new.mask &= ~UNBLOCKABLE;
		current_proc.sigactions[sig - 1] = new;
	}
	if (oact.addr && copy_to_user(oact, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* sys_rt_sigprocmask changes the blocked mask (SIGKILL and SIGSTOP stay
 * unblocked) and returns the old one. */
long sys_rt_sigprocmask(int how, uptr nset, uptr oset, size_t sigsetsize)
{
	u64 old = current_proc.sigmask, set;

	if (sigsetsize != sizeof(u64))
		return -EINVAL;
	if (nset.addr) {
		if (copy_from_user(&set, nset, sizeof set) < 0)
			return -EFAULT;
		set &= ~UNBLOCKABLE;
		switch (how) {
		case SIG_BLOCK:
			current_proc.sigmask |= set;
			break;
		case SIG_UNBLOCK:
			current_proc.sigmask &= ~set;
			break;
		case SIG_SETMASK:
			current_proc.sigmask = set;
			break;
		default:
			return -EINVAL;
		}
	}
	if (oset.addr && copy_to_user(oset, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* sys_rt_sigpending reports the pending signals that are blocked (an
 * unblocked one would have been delivered); sigsetsize may be short. */
long sys_rt_sigpending(uptr uset, size_t sigsetsize)
{
	u64 set = current_proc.sigpending & current_proc.sigmask;

	if (sigsetsize > sizeof set)
		return -EINVAL;
	return copy_to_user(uset, &set, sigsetsize);
}

#define SIG_DFL_HANDLER 0
#define SIG_IGN_HANDLER 1
#define SIGCHLD_ 17
#define SIGCONT_ 18
#define SIGTSTP_ 20
#define SIGTTOU_ 22
#define SIGURG_ 23
#define SIGWINCH_ 28

/* Sends sig to the process itself, the only one there is: a terminating
 * default action ends the host process with that signal (so its parent sees
 * what Linux would show), an ignored one is dropped; a blocked or handled
 * one stays pending, since nothing delivers to a handler yet. */
static long send_self(int sig)
{
	u64 handler;

	if (sig == 0)
		return 0;
	if (sig < 1 || sig > NSIG_MAX)
		return -EINVAL;
	handler = current_proc.sigactions[sig - 1].handler;
	if (sig != SIG_KILL && sig != SIG_STOP) {
		if (handler == SIG_IGN_HANDLER)
			return 0;
		if (handler != SIG_DFL_HANDLER || (current_proc.sigmask & SIGBIT(sig))) {
			proc_signal_pending(sig);
			return 0;
		}
	}
	switch (sig) {
	case SIGCHLD_:
	case SIGCONT_:
	case SIGURG_:
	case SIGWINCH_:
		return 0; /* ignored by default */
	case SIG_STOP:
	case SIGTSTP_:
	case SIGTSTP_ + 1: /* SIGTTIN */
	case SIGTTOU_:
		proc_signal_pending(sig); /* no job control: the stop stays pending */
		return 0;
	default:
		plat_kill_self(sig);
	}
}

/* sys_kill signals a process or group; ours is the only one (pid,
 * 0 and -pgid reach it; -1 reaches every process but the caller: none). */
long sys_kill(pid_t pid, int sig)
{
	if (pid == current_proc.pid || pid == 0 || pid == -current_proc.pid)
		return send_self(sig);
	/* Linux looks the target up before it checks sig */
	return -ESRCH;
}

/* sys_tgkill signals thread pid of thread group tgid. */
long sys_tgkill(pid_t tgid, pid_t pid, int sig)
{
	if (pid <= 0 || tgid <= 0)
		return -EINVAL;
	if (tgid != current_proc.pid || pid != current_proc.pid)
		return -ESRCH;
	return send_self(sig);
}

/* sys_tkill signals thread pid. */
long sys_tkill(pid_t pid, int sig)
{
	if (pid <= 0)
		return -EINVAL;
	if (pid != current_proc.pid)
		return -ESRCH;
	return send_self(sig);
}
