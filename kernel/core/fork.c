/* clone and clone3: new threads. A thread is a task on a host thread of
 * its own, started by the platform in the caller's register state with rax
 * 0, the new stack and TLS. What would need a second address space (fork,
 * vfork, CLONE_VM without CLONE_THREAD) or a second descriptor table or
 * file-system context (a thread without CLONE_FILES or CLONE_FS) is ENOSYS:
 * processes come later; --stats counts the refusals as it counts every
 * error. fork and vfork themselves are the table's enosys stubs. */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include "../plat/plat.h"

/* struct clone_args (linux/sched.h): VER0 is 64 bytes, VER1 (set_tid) 80,
 * VER2 (cgroup) 88. */
struct clone_args {
	u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	u64 set_tid, set_tid_size, cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64
#define CSIGNAL 0xff
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
/* What a thread may add to THREAD_FLAGS and still be one we run. */
#define THREAD_EXTRA                                                                      \
	(CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |      \
	 CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_IO | CLONE_PTRACE | \
	 CLONE_PARENT)

/* Linux's copy_process checks, in its order, then ours. */
static long check_flags(u64 flags, int exit_signal)
{
	if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) ||
	    (flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && (flags & CLONE_PIDFD))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && (flags & CLONE_CLEAR_SIGHAND))
		return -EINVAL;
	(void)exit_signal; /* a thread's exit signal is ignored, as on Linux */
	return 0;
}

static long do_clone(u64 flags, u64 sp, uptr parent_tid, uptr child_tid, u64 tls)
{
	struct task *t;
	long r;
	u32 tid;

	if ((r = check_flags(flags, (int)(flags & CSIGNAL))) < 0)
		return r;
	if ((flags & THREAD_FLAGS) != THREAD_FLAGS ||
	    (flags & ~(u64)(CSIGNAL | THREAD_FLAGS | THREAD_EXTRA)))
		return -ENOSYS;
	if (!plat_guest)
		return -ENOSYS; /* the library platform runs no guest threads */
	if (!(t = task_new(&r)))
		return r;
	tid = (u32)t->tid;
	if (flags & CLONE_CHILD_SETTID)
		t->set_child_tid = child_tid;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = child_tid;
	/* Linux stores the tid for the parent, and the child for itself, and
	 * ignores a fault in either (kernel_clone, schedule_tail): the thread
	 * runs all the same. The memory is shared, so both are stored here,
	 * before the thread runs. */
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(parent_tid, &tid, sizeof tid);
	if (flags & CLONE_CHILD_SETTID)
		copy_to_user(child_tid, &tid, sizeof tid);
	if ((r = plat_guest->thread_start(t, sp, (flags & CLONE_SETTLS) != 0, tls)) < 0) {
		task_release(t);
		return r;
	}
	return tid;
}

/* sys_clone starts a thread (see above); newsp 0 keeps the caller's stack. */
long sys_clone(unsigned long clone_flags, unsigned long newsp, uptr parent_tidptr,
	       uptr child_tidptr, unsigned long tls)
{
	return do_clone(clone_flags & 0xffffffffUL, newsp, parent_tidptr, child_tidptr, tls);
}

/* sys_clone3 is clone with its arguments in a struct of size bytes. */
long sys_clone3(uptr uargs, size_t size)
{
	struct clone_args a = { 0 };
	u8 tail[64];

	if (size < CLONE_ARGS_SIZE_VER0 || size > 4096)
		return size < CLONE_ARGS_SIZE_VER0 ? -EINVAL : -E2BIG;
	if (copy_from_user(&a, uargs, MIN(size, sizeof a)) < 0)
		return -EFAULT;
	/* a larger struct than ours must be zero past what we know */
	for (size_t off = sizeof a; off < size; off += sizeof tail) {
		size_t n = MIN(sizeof tail, size - off);

		if (copy_from_user(tail, (uptr){ uargs.addr + off }, n) < 0)
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (tail[i])
				return -E2BIG;
	}
	/* Linux's copy_clone_args_from_user and clone3_args_valid */
	if (a.exit_signal & ~(u64)CSIGNAL)
		return -EINVAL;
	if (a.set_tid_size > 32 || (!a.set_tid && a.set_tid_size) || (a.set_tid && !a.set_tid_size))
		return -EINVAL;
	if (a.flags & ~(0xffffffffULL | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP))
		return -EINVAL;
	if (a.flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME)))
		return -EINVAL;
	if ((a.flags & (CLONE_THREAD | CLONE_PARENT)) && a.exit_signal)
		return -EINVAL;
	if ((a.stack == 0) != (a.stack_size == 0))
		return -EINVAL;
	if (a.set_tid)
		return -EPERM; /* choosing the tid needs CAP_SYS_ADMIN over the pid namespace */
	return do_clone(a.flags, a.stack ? a.stack + a.stack_size : 0, (uptr){ a.parent_tid },
			(uptr){ a.child_tid }, a.tls);
}
