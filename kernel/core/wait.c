/* The one wait (wait.h): a task sleeps on its own wake word. */
#include <kernel/signal.h>
#include <kernel/wait.h>
#include "../plat/plat.h"

u32 wait_prepare(void)
{
	return __atomic_load_n(&current->wake_seq, __ATOMIC_ACQUIRE);
}

static long sleep(struct task *t, u32 seq, s64 deadline, struct host_wait *hw, int nhw)
{
	bool held = kernel_locked();
	long r;

	t->sleeping = true;
	if (held)
		kernel_leave();
	if (nhw)
		r = plat_wait_host(t, seq, deadline, hw, nhw);
	else
		r = plat_wait(&t->wake_seq, seq, deadline);
	if (held)
		kernel_enter();
	t->sleeping = false;
	/* Woken, the word moved before the sleep, or a host interruption: the
	 * caller looks at its condition again either way. */
	return r == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

long task_sleep(u32 seq, s64 deadline, struct host_wait *hw, int nhw)
{
	struct task *t = current;
	long r;

	if (signal_pending())
		return -EINTR;
	r = sleep(t, seq, deadline, hw, nhw);
	if (signal_pending())
		return -EINTR;
	return r;
}

long task_sleep_uninterruptible(u32 seq, s64 deadline)
{
	return sleep(current, seq, deadline, NULL, 0);
}

void task_wake(struct task *t)
{
	__atomic_add_fetch(&t->wake_seq, 1, __ATOMIC_RELEASE);
	plat_wake_task(t);
}

void waitq_add(struct waitq *q, struct wait_entry *e)
{
	list_add_tail(&e->link, &q->entries);
}

void waitq_del(struct wait_entry *e)
{
	list_del(&e->link);
}

void waitq_wake_all(struct waitq *q)
{
	struct list *l;

	list_for_each(l, &q->entries)
		task_wake(list_entry(l, struct wait_entry, link)->task);
}
