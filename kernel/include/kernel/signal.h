/* Signals: sending, pending, choosing a thread, and what the platform needs
 * to deliver them (core/signal.c; the frame itself is the platform's).
 *
 * Linux's model, x86_64 numbering: 64 signals; the action table is the
 * process's (proc.sigactions), the mask and thread-directed pending set are
 * the task's, the process-directed pending set is the process's. Standard
 * signals coalesce, real-time ones (32..64) queue with their siginfo. */
#ifndef KERNEL_SIGNAL_H
#define KERNEL_SIGNAL_H

#include <abi/types.h>
#include <kernel/linux.h>
#include <kernel/task.h>

#define NSIG_MAX 64
#define SIGBIT(s) (1ULL << ((s)-1))

/* Sends sig with info (NULL: SI_KERNEL) to task t, or to the process when
 * t is NULL (Linux's send_signal_locked, then complete_signal: an ignored
 * signal is dropped, a fatal one ends the process, otherwise a thread that
 * does not block it is woken or kicked). 0, or -EAGAIN when a real-time
 * signal's queue is full (RLIMIT_SIGPENDING). Locked. */
long send_signal(int sig, const struct linux_siginfo *info, struct task *t);
/* A siginfo for a signal sent by a process (kill, tkill: SI_USER/SI_TKILL,
 * our pid and uid). */
void siginfo_from_user(struct linux_siginfo *info, int sig, int code);
/* A synchronous fault in guest code (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP): if the task blocks or ignores it, its action is reset to the
 * default first, as Linux's force_sig_info does, so it cannot be missed. */
void force_signal(int sig, const struct linux_siginfo *info);
/* Linux's force_sigsegv: a signal frame that cannot be built or read back
 * kills with SIGSEGV whatever the program's SIGSEGV action (sig, the signal
 * being delivered; SIGSEGV's own handler is dropped when it was SIGSEGV). */
void force_sigsegv(int sig);

/* Whether a signal the current task does not block is pending for it. */
bool signal_pending(void);
/* Takes the first pending signal of the current task outside mask (its
 * own queue first, then the process's) and fills info: the signal number,
 * or 0 for none. Locked. */
int dequeue_signal(u64 mask, struct linux_siginfo *info);
/* The signals pending for the current task (its own and the process's). */
u64 signal_pending_set(void);

/* What to do with a dequeued signal (get_signal): its action, after the
 * default actions that end or stop the process have been taken (they do
 * not return) and ignored ones dropped. 0 when there is nothing to deliver. */
struct k_sigaction;
int get_signal(struct linux_siginfo *info, struct k_sigaction *ka);
/* Called by get_signal with every signal it takes (abi-run's --trace line
 * "--- SIGSEGV {...} ---"); NULL for none. */
extern void (*signal_trace_hook)(const struct linux_siginfo *info);
/* After a handler frame was built: the mask the handler runs with (the
 * action's mask, plus sig unless SA_NODEFER), SA_RESETHAND. */
void signal_delivered(int sig, const struct k_sigaction *ka);
/* Sets the current task's mask (SIGKILL and SIGSTOP never blocked),
 * retargeting process signals it now blocks. */
void set_current_blocked(u64 mask);

/* rt_sigreturn's restore of the frame's uc_stack (Linux's
 * restore_altstack: a stack that is not valid changes nothing). */
long restore_altstack(const struct linux_stack_t *ss);
/* Where a handler's frame goes: the top of the sigaltstack when the action
 * has SA_ONSTACK and the stack is enabled and not in use at sp, else sp
 * (the caller takes the red zone off). */
u64 sigframe_stack(const struct k_sigaction *ka, u64 sp);
/* Whether sp is on the current task's sigaltstack. */
bool on_sig_stack(u64 sp);

/* How an architecture's saved registers take a delivery (signal_deliver);
 * ctx is the platform's: its frame, the call's number. */
struct signal_regs {
	/* the interrupted call's result into its register */
	void (*result)(void *ctx, long ret);
	/* the call made again with its arguments as they were: the same call,
	 * or (block) restart_syscall */
	void (*restart)(void *ctx, bool block);
	/* a handler's frame on the user stack, the registers set to run it;
	 * false when it cannot be built */
	bool (*frame)(void *ctx, int sig, const struct k_sigaction *ka,
		      const struct linux_siginfo *info, u64 mask, bool fault);
};
/* Linux's arch_do_signal_or_restart, for every platform and architecture:
 * each pending signal taken (a handler's frame built, or its default
 * action; a frame that cannot be built is force_sigsegv) and, in_syscall,
 * the interrupted call's result or restart settled as handle_signal and
 * the no-handler path settle it: ERESTARTSYS restarts under SA_RESTART
 * when a handler runs, else EINTR; ERESTARTNOINTR always restarts;
 * ERESTARTNOHAND and ERESTART_RESTARTBLOCK become EINTR for a handler; with
 * no handler the ERESTART codes restart, ERESTART_RESTARTBLOCK as
 * restart_syscall. */
void signal_deliver(const struct signal_regs *ops, void *ctx, bool in_syscall, long ret);

/* uc_stack of a handler's frame: the settings as sigaltstack stored them
 * (Linux's __save_altstack); SS_AUTODISARM then disarms the stack. */
void signal_altstack_save(struct linux_stack_t *out);
/* A kernel-raised signal for the calling thread (SIGPIPE): SI_USER. */
void proc_signal_pending(int sig);

/* Rouses t to look at its signals (a sleeper wakes, a running one is
 * kicked). Locked. */
void signal_wake_up(struct task *t);
/* Ends the calling thread (exit, or a zapped thread on its way back to the
 * guest). */
_Noreturn void do_thread_exit(int code);
/* The platform's last word on an exiting thread: it leaves the task list
 * (pidfds of it poll readable). */
void task_exit_release(void);
/* exec's de_thread: every other thread exits; returns when they are gone. */
void zap_other_threads(void);

/* Frees every pending signal (a kernel being reset). */
void signal_reset(void);

/* The process's exit-by-signal (default action terminate or core): ends
 * every thread; the host process dies of sig so a parent sees it. */
_Noreturn void do_group_exit_signal(int sig);

#endif
