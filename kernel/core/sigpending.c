/* Pending signals. There is no signal delivery yet: a signal the kernel
 * raises (SIGPIPE on a write to a pipe with no reader) is recorded in the
 * process's pending set, which tests read through abi_sigpending_mask. */
#include <kernel/poll.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/signalfd.h>

void proc_signal_pending(int sig)
{
	if (sig >= 1 && sig <= 64) {
		current_proc.sigpending |= 1ULL << (sig - 1);
		signalfd_notify(); /* until send_signal does it (fs/signalfd.c) */
	}
}

/* The pending set (bit sig-1), for tests; libabik.so exports it. */
u64 abi_sigpending_mask(void)
{
	return current_proc.sigpending;
}

/* Delivery comes with core/signal.c's rewrite: until then no sleep is
 * interrupted. */
bool signal_pending(void)
{
	return false;
}
