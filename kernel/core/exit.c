/* Ending the process and the thread's registrations with the kernel: exit,
 * exit_group, arch_prctl (the FS base), set_tid_address, set_robust_list,
 * get_robust_list.
 * There is one process with one thread, so exit and exit_group both end the
 * host process through the platform. */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include "../plat/plat.h"

/* Linux's sizeof(struct robust_list_head) on x86_64. */
#define ROBUST_LIST_HEAD_SIZE 24

/* sys_exit ends the calling thread; the only thread, so the process. */
long sys_exit(int error_code)
{
	plat_exit(error_code & 0xff);
}

/* sys_exit_group ends every thread of the process with error_code & 0xff. */
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
	current_proc.clear_child_tid = tidptr;
	return sys_gettid();
}

/* sys_set_robust_list records the thread's robust futex list head; len must
 * be the size of struct robust_list_head. */
long sys_set_robust_list(uptr head, size_t len)
{
	if (len != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	current_proc.robust_list = head;
	current_proc.robust_len = len;
	return 0;
}

/* sys_get_robust_list stores the robust list head pid registered (NULL if
 * none) and its size; pid 0 or our own, any other is ESRCH. The size is
 * written first, as Linux does. */
long sys_get_robust_list(int pid, uptr head_ptr, uptr len_ptr)
{
	u64 head = current_proc.robust_list.addr, len = ROBUST_LIST_HEAD_SIZE;

	if (pid != 0 && pid != current_proc.pid)
		return -ESRCH;
	if (copy_to_user(len_ptr, &len, sizeof len) < 0 ||
	    copy_to_user(head_ptr, &head, sizeof head) < 0)
		return -EFAULT;
	return 0;
}
