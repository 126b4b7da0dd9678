/* Ending threads and the process, and the thread's registrations with the
 * kernel: exit, exit_group, arch_prctl (the FS base), set_tid_address,
 * set_robust_list, get_robust_list. */
#include <abi/syscalls.h>
#include <kernel/futex.h>
#include <kernel/mm.h>
#include <kernel/pidfd.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/wait.h>
#include "../plat/plat.h"

/* Woken by each thread's exit: exec waits there for the others to go. */
static struct waitq exits = WAITQ_INIT(exits);

/* Linux's sizeof(struct robust_list_head) on x86_64. */
#define ROBUST_LIST_HEAD_SIZE 24

/* Ends the calling thread (Linux's do_exit for one thread): its futex
 * clean-up (robust list, CHILD_CLEARTID), its pending signals; the last
 * thread ends the process, with the leader's status if the leader left
 * first (what a parent's wait reports on Linux). */
_Noreturn void do_thread_exit(int code)
{
	struct task *t = current;

	t->exiting = true;
	futex_exit_release(t);
	if (task_count() == 1)
		plat_exit(current_proc.leader_gone ? current_proc.exit_code : code);
	if (t == &boot_task) {
		current_proc.leader_gone = true;
		current_proc.exit_code = code;
	}
	waitq_wake_all(&exits);
	plat_guest->thread_exit(code);
	__builtin_unreachable();
}

void task_exit_release(void)
{
	task_release(current);
	pidfd_notify_exit();
}

void zap_other_threads(void)
{
	struct wait_entry e = { .task = current };
	struct task *i;

	for_each_task(i) {
		if (i != current) {
			i->exiting = true;
			signal_wake_up(i);
		}
	}
	waitq_add(&exits, &e);
	for (;;) {
		u32 seq = wait_prepare();

		if (task_count() == 1)
			break;
		task_sleep_uninterruptible(seq, NO_DEADLINE);
	}
	waitq_del(&e);
}

/* sys_exit ends the calling thread. */
long sys_exit(int error_code)
{
	if (!plat_guest || task_count() == 1)
		plat_exit(error_code & 0xff);
	do_thread_exit(error_code & 0xff);
}

/* sys_exit_group ends every thread of the process with error_code & 0xff:
 * the host ends every host thread at once. */
long sys_exit_group(int error_code)
{
	plat_exit(error_code & 0xff);
}

/* sys_arch_prctl sets or reads the FS base (the TLS pointer of libc); the GS
 * base and the CPUID commands are not offered (EINVAL, as for an unknown
 * code). */
long sys_arch_prctl(int code, unsigned long addr)
{
	u64 base;
	long r;

	switch (code) {
	case ARCH_SET_FS:
		/* Linux refuses a non-canonical base (>= TASK_SIZE) with EPERM */
		if (addr >= (1UL << 47))
			return -EPERM;
		return plat_set_fs(addr);
	case ARCH_GET_FS:
		if ((r = plat_get_fs(&base)) < 0)
			return r;
		return copy_to_user((uptr){ addr }, &base, sizeof base);
	default:
		return -EINVAL;
	}
}

/* sys_set_tid_address records clear_child_tid and returns the tid. */
long sys_set_tid_address(uptr tidptr)
{
	current->clear_child_tid = tidptr;
	return current->tid;
}

/* sys_set_robust_list records the thread's robust futex list head; len must
 * be the size of struct robust_list_head. */
long sys_set_robust_list(uptr head, size_t len)
{
	if (len != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	current->robust_list = head;
	current->robust_len = len;
	return 0;
}

/* sys_get_robust_list stores the robust list head of thread pid (0: the
 * caller; NULL if none) and its size; an unknown pid is ESRCH. The size is
 * written first, as Linux does. */
long sys_get_robust_list(int pid, uptr head_ptr, uptr len_ptr)
{
	struct task *t = pid ? task_find(pid) : current;
	u64 head, len = ROBUST_LIST_HEAD_SIZE;

	if (!t)
		return -ESRCH;
	head = t->robust_list.addr;
	if (copy_to_user(len_ptr, &len, sizeof len) < 0 ||
	    copy_to_user(head_ptr, &head, sizeof head) < 0)
		return -EFAULT;
	return 0;
}
