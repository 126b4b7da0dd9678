/* TEMPORARY, for the h-prctl branch only: weak stand-ins for the signal.h
 * functions signalfd and pidfd use, until core/signal.c's rewrite (the
 * lead's) defines them; its strong definitions replace these at link time,
 * and this file goes at that merge. They work on what the kernel has today:
 * the process's recorded pending set (current_proc.sigpending) and mask. */
#include <abi/syscalls.h>
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/signalfd.h>
#include "../plat/plat.h"

__attribute__((weak)) void siginfo_from_user(struct linux_siginfo *info, int sig, int code)
{
	memset(info, 0, sizeof *info);
	info->si_signo = sig;
	info->si_code = code;
	info->kill.pid = current_proc.pid;
	info->kill.uid = current_proc.cred.uid;
}

__attribute__((weak)) u64 signal_pending_set(void)
{
	return current_proc.sigpending;
}

/* The siginfo send_signal was given for a pending signal (kill's own path
 * records none: SI_USER then). */
static struct linux_siginfo infos[NSIG_MAX];
static u64 have_info;

__attribute__((weak)) int dequeue_signal(u64 mask, struct linux_siginfo *info)
{
	u64 set = current_proc.sigpending & ~mask;
	int sig;

	if (!set)
		return 0;
	sig = __builtin_ctzll(set) + 1;
	current_proc.sigpending &= ~SIGBIT(sig);
	if (have_info & SIGBIT(sig))
		*info = infos[sig - 1];
	else
		siginfo_from_user(info, sig, SI_USER);
	have_info &= ~SIGBIT(sig);
	return sig;
}

/* Only what today's kill does: a blocked or handled signal stays pending,
 * any other is sent through kill itself. */
__attribute__((weak)) long send_signal(int sig, const struct linux_siginfo *info, struct task *t)
{
	(void)t;
	if (current_proc.sigmask & SIGBIT(sig)) {
		if (!(current_proc.sigpending & SIGBIT(sig)) && info) {
			infos[sig - 1] = *info;
			have_info |= SIGBIT(sig);
		}
		proc_signal_pending(sig);
		signalfd_notify();
		return 0;
	}
	return sys_kill(current_proc.pid, sig);
}
