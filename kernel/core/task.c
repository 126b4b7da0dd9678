/* Tasks, `current`, and the big kernel lock (task.h). */
#include <kernel/kmalloc.h>
#include <kernel/prctl.h>
#include <kernel/proc.h>
#include <kernel/task.h>
#include "../plat/plat.h"

struct task boot_task;
struct list task_list = LIST_INIT(task_list);

/* The kernel-stack area: TASK_MAX slots of KSTACK_SIZE, reserved when the
 * first task needs a stack (the library platform never does). A slot's
 * first page stays inaccessible: a kernel stack overflow faults there. */
uintptr_t task_kstack_area;
struct task *task_slot[TASK_MAX];
/* Non-zero while a host thread may run on the slot's stack (the platform
 * has the host set it at the thread's start and clear it at its end). */
static u32 slot_word[TASK_MAX];
/* A stack of the platform's own that is not a task's (abi-run's signal
 * thread): code on it is service_task. */
uintptr_t task_service_lo, task_service_hi;
struct task service_task;
#define PID_MAX 4194304 /* /proc/sys/kernel/pid_max on 64-bit Linux */
static int next_tid;

uptr task_kstack_base(const struct task *t)
{
	return (uptr){ task_kstack_area + (uintptr_t)t->slot * KSTACK_SIZE };
}

uptr task_kstack_top(const struct task *t)
{
	return (uptr){ task_kstack_base(t).addr + KSTACK_SIZE };
}

/* A free slot with its stack committed, or -1. */
static int slot_alloc(struct task *t)
{
	if (!task_kstack_area &&
	    plat_mem_reserve(0, (size_t)TASK_MAX * KSTACK_SIZE, &task_kstack_area) < 0)
		return -1;
	for (int i = 0; i < TASK_MAX; i++) {
		if (task_slot[i] || __atomic_load_n(&slot_word[i], __ATOMIC_ACQUIRE))
			continue;
		if (plat_mem_commit(task_kstack_area + (uintptr_t)i * KSTACK_SIZE + 4096,
				    KSTACK_SIZE - 4096, PROT_READ | PROT_WRITE, false) < 0)
			return -1;
		task_slot[i] = t;
		return i;
	}
	return -1;
}

u32 *task_slot_word(const struct task *t)
{
	return &slot_word[t->slot];
}

void task_set_service_stack(uintptr_t lo, uintptr_t hi)
{
	task_service_lo = lo;
	task_service_hi = hi;
}

void task_boot(int pid)
{
	int host_tid = boot_task.host_tid; /* the platform's, set once */

	memset(&boot_task, 0, sizeof boot_task);
	boot_task.host_tid = host_tid;
	boot_task.tid = pid;
	next_tid = pid + 1;
	list_init(&task_list);
	list_init(&boot_task.pending.queue);
	list_add_tail(&boot_task.link, &task_list);
}

struct task *task_find(int tid)
{
	struct task *t;

	for_each_task(t) {
		if (t->tid == tid)
			return t;
	}
	return NULL;
}

int task_count(void)
{
	struct task *t;
	int n = 0;

	for_each_task(t)
		n++;
	return n;
}

/* Linux's alloc_pid: the next id, skipping those in use, wrapping at
 * pid_max to 300. */
static int tid_alloc(void)
{
	for (;;) {
		int tid = next_tid++;

		if (next_tid > PID_MAX)
			next_tid = 300;
		if (tid != current_proc.pid && !task_find(tid))
			return tid;
	}
}

struct task *task_new(long *err)
{
	struct task *t = kzalloc(sizeof *t), *cur = current;

	if (!t) {
		*err = -ENOMEM;
		return NULL;
	}
	if ((t->slot = slot_alloc(t)) < 0) {
		kfree(t);
		*err = -EAGAIN;
		return NULL;
	}
	t->tid = tid_alloc();
	t->blocked = cur->blocked;
	t->altstack.ss_flags = SS_DISABLE; /* a thread starts without one (sas_ss_reset) */
	memcpy(t->comm, cur->comm, sizeof t->comm);
	prctl_task_fork(t, cur);
	list_init(&t->pending.queue);
	list_add_tail(&t->link, &task_list);
	return t;
}

void task_release(struct task *t)
{
	list_del(&t->link);
	plat_task_release(t);
	if (t == &boot_task)
		return;
	task_slot[t->slot] = NULL;
	kfree(t);
}

/* --- The big kernel lock ---------------------------------------------- */

static struct kmutex big_lock = KMUTEX_INIT;
static struct task *big_owner;

void kernel_enter(void)
{
	kmutex_lock_raw(&big_lock);
	big_owner = current;
}

void kernel_leave(void)
{
	big_owner = NULL;
	kmutex_unlock(&big_lock);
}

bool kernel_locked(void)
{
	return big_owner && big_owner == current;
}
