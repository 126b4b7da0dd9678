/* restart_syscall: resumes the sleep a signal interrupted (restart.h). */
#include <abi/syscalls.h>
#include <kernel/restart.h>

long do_no_restart_syscall(struct restart_block *rb)
{
	(void)rb;
	return -EINTR;
}

/* sys_restart_syscall calls the restart block of the calling thread: a
 * thread with none (nothing interrupted, or already resumed) gets EINTR. */
long sys_restart_syscall(void)
{
	struct restart_block *rb = &current->restart;

	return rb->fn ? rb->fn(rb) : do_no_restart_syscall(rb);
}
