/* personality and membarrier: process-wide settings with nothing behind
 * them in a one-process kernel without threads of its own yet. */
#include <abi/syscalls.h>
#include <kernel/proc.h>

#define PERSONALITY_QUERY 0xffffffffu
#define MEMBARRIER_CMD_GET_REGISTRATIONS 512
/* The commands served: a full fence in the caller is a barrier on every
 * thread of the process while the process has one thread. The SYNC_CORE
 * and RSEQ variants are not offered. */
#define MEMBARRIER_SUPPORTED                                                           \
	(MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |                     \
	 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED | \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | MEMBARRIER_CMD_GET_REGISTRATIONS)

/* sys_personality sets the execution domain and returns the old one;
 * 0xffffffff only queries. The value is recorded; its flags change nothing. */
long sys_personality(unsigned int personality)
{
	u32 old = current_proc.personality;

	if (personality != PERSONALITY_QUERY)
		current_proc.personality = personality;
	return old;
}

/* sys_membarrier issues a memory barrier on the threads of the process (or
 * of every process); registration is per process, as Linux keeps it. */
long sys_membarrier(int cmd, unsigned int flags, int cpu_id)
{
	(void)cpu_id;
	if (cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ ? (flags & ~MEMBARRIER_CMD_FLAG_CPU) != 0
							 : flags != 0)
		return -EINVAL;
	switch (cmd) {
	case MEMBARRIER_CMD_QUERY:
		return MEMBARRIER_SUPPORTED;
	case MEMBARRIER_CMD_GLOBAL:
	case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return 0;
	case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
		current_proc.membarrier |= (u32)cmd;
		return 0;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
		if (!(current_proc.membarrier & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
			return -EPERM;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return 0;
	case MEMBARRIER_CMD_GET_REGISTRATIONS:
		return current_proc.membarrier;
	}
	return -EINVAL;
}
