/* Tasks: each guest thread is a kernel task on a host thread of its own.
 *
 * The process (struct proc, proc.h) holds what its threads share; a task
 * holds what is per thread: its id, its signal mask and thread-directed
 * pending signals, its sigaltstack, its name, its futex registrations and
 * its wake word, the one thing it ever sleeps on (core/wait.c).
 *
 * `current` is found from the stack: every task runs kernel code on a
 * kernel stack of its own, a slot of one reserved area (KSTACK_SIZE apart),
 * so the slot of the stack pointer names the task. Code on any other stack
 * (the library platform's callers, abi-run's start-up) is the boot task.
 *
 * The big kernel lock serialises kernel code between threads (guest code
 * runs in parallel): a platform entry takes it (kernel_enter) and drops it
 * on the way back to the guest (kernel_leave), and every sleep (task_sleep,
 * a contended kmutex) drops it while asleep, as Linux's BKL was dropped by
 * schedule(). Everything below that says "locked" means this lock. */
#ifndef KERNEL_TASK_H
#define KERNEL_TASK_H

#include <abi/types.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/lock.h>
#include <kernel/prctl.h>

#define KSTACK_SIZE (256 * 1024) /* a task's kernel stack: a slot, guard page first */
#define TASK_MAX 4096            /* tasks at once (slots of the kernel-stack area) */
#define TASK_COMM_LEN 16

/* A queued signal: its siginfo as the guest will see it. */
struct sigqueue {
	struct list link;
	struct linux_siginfo info;
};

/* Signals pending for a task or for the whole process: one bit per signal,
 * and the siginfo of each in order (a standard signal has at most one
 * entry, coalescing; a real-time one queues every send). */
struct sigpending {
	u64 set;
	struct list queue; /* struct sigqueue.link, oldest first */
};

struct task {
	int tid;
	int slot;          /* kernel-stack slot, index in the task table */
	struct list link;  /* in proc's task list, oldest first */
	bool exiting;      /* past exit: no signal is delivered to it again */
	bool kick_pending; /* a kick was sent and not yet seen */

	/* Signals (core/signal.c). */
	u64 blocked;                   /* the mask */
	u64 saved_blocked;             /* restored after a sigsuspend-style wait */
	bool restore_blocked;          /* saved_blocked is live */
	u64 real_blocked;              /* the mask before a sigtimedwait, in it; else 0 */
	struct sigpending pending;     /* thread-directed */
	struct linux_stack_t altstack; /* sigaltstack; ss_flags 0 or SS_AUTODISARM */
	struct restart_block {         /* for restart_syscall (ERESTART_RESTARTBLOCK) */
		long (*fn)(struct restart_block *);
		s64 deadline; /* absolute, on clock */
		int clock;
		uptr rmtp; /* where nanosleep reports the remainder, or 0 */
		u64 arg[4];
	} restart;

	/* Futex registrations (core/exit.c, core/futex.c). */
	uptr set_child_tid, clear_child_tid;
	uptr robust_list;
	size_t robust_len;

	/* The one wait (core/wait.c): a sleeper sleeps while wake_seq is the
	 * value it read before it last looked at its condition. */
	u32 wake_seq;
	bool sleeping;     /* in task_sleep: a signal wakes it rather than kicks it */
	int host_wake_fd;  /* the host eventfd of plat_wait_host, + 1 (0: none yet) */
	bool host_waiting; /* in a host ppoll: a wake writes that eventfd */

	char comm[TASK_COMM_LEN]; /* prctl(PR_SET_NAME), /proc/self/task/N/comm */
	u64 timer_slack_ns;       /* prctl(PR_SET_TIMERSLACK); 0: the default, 50 us */
	struct task_ctl ctl;      /* the rest of prctl's per-thread state (prctl.h) */

	/* The platform's, for the entry in progress: the guest's stack
	 * pointer (sigaltstack's "on the stack" test) and its saved
	 * registers (the host signal frame on abi-run), and the host thread. */
	u64 user_sp;
	void *frame;
	bool frame_fast; /* the entry is the function-call one: frame is its own */
	void *fpu_buf;   /* where that entry saves the FPU state when asked */
	int host_tid;
	void *plat;
};

/* The boot task: the process's first thread (tid == pid). */
extern struct task boot_task;
/* For task_current: the kernel-stack area (0 until the first slot), the
 * task on each slot, and the service stack (service_task's). */
extern uintptr_t task_kstack_area, task_service_lo, task_service_hi;
extern struct task *task_slot[TASK_MAX];
extern struct task service_task; /* below */

/* The task running this kernel code (see above): inline, as every entry
 * asks it several times. */
static inline struct task *task_current(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0), off = sp - task_kstack_area;

	if (task_kstack_area && off < (uintptr_t)TASK_MAX * KSTACK_SIZE) {
		struct task *t = task_slot[off / KSTACK_SIZE];

		if (t)
			return t;
	}
	if (sp - task_service_lo < task_service_hi - task_service_lo)
		return &service_task;
	return &boot_task;
}
#define current (task_current())

/* Every live task, under the lock (struct task.link). */
extern struct list task_list;
#define for_each_task(t)                                                          \
	for (struct list *t##_l = task_list.next;                                 \
	     t##_l != &task_list && ((t) = list_entry(t##_l, struct task, link)); \
	     t##_l = t##_l->next)
/* The task with id tid, or NULL. */
struct task *task_find(int tid);
int task_count(void);

/* A new task for a thread about to start: a tid, a kernel stack, its
 * signal mask copied from the caller's, comm from the caller's. NULL and
 * *err = -EAGAIN when TASK_MAX are running, -ENOMEM. */
struct task *task_new(long *err);
/* The top of t's kernel stack (the platform starts the thread there). */
uptr task_kstack_top(const struct task *t);
uptr task_kstack_base(const struct task *t);
/* Takes t out of the list and frees it and its tid; its slot (and the
 * stack its host thread is still running on) is reused only once the word
 * task_slot_word gives is 0 again: the platform has the host set it when
 * the thread starts and clear it when the thread is gone. Locked. */
void task_release(struct task *t);
u32 *task_slot_word(const struct task *t);
/* Boot: the boot task is the process's first thread, tid pid. */
void task_boot(int pid);
/* A platform thread that is no guest thread (abi-run's signal thread) runs
 * kernel code on [lo, hi) as service_task: tid 0, in no list. */
extern struct task service_task;
void task_set_service_stack(uintptr_t lo, uintptr_t hi);

/* The big kernel lock (above). */
void kernel_enter(void);
void kernel_leave(void);
/* Whether the calling task holds the lock. */
bool kernel_locked(void);

#endif
