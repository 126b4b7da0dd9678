/* The host's CPUs (plat_cpu_mask, plat_getcpu, plat_yield), its capability sets, for a kernel booted
 * with the host's credentials (plat_host_caps), and its speculation controls
 * (plat_spec_ctrl): a guest thread runs on a host thread of its own, so its
 * PR_GET/SET_SPECULATION_CTRL are that host thread's, asked of the host. */
#include "../plat.h"
#include "syscall.h"

#define PR_GET_SPECULATION_CTRL 52
#define PR_SET_SPECULATION_CTRL 53
#define PR_CAPBSET_READ 23
#define LINUX_CAPABILITY_VERSION_3 0x20080522

void plat_yield(void)
{
	host_syscall0(HOST_NR(sched_yield));
}

int plat_getcpu(void)
{
	unsigned int cpu = 0;

	return host_syscall3(HOST_NR(getcpu), &cpu, 0, 0) < 0 ? -1 : (int)cpu;
}

u64 plat_cpu_mask(void)
{
	static u64 mask;
	static bool asked;

	if (!asked) {
		u64 m[16] = { 0 };

		asked = true;
		if (host_syscall3(HOST_NR(sched_getaffinity), 0, sizeof m, m) > 0)
			mask = m[0];
	}
	return mask;
}

u64 plat_host_caps(void)
{
	struct {
		u32 version;
		int pid;
	} hdr = { LINUX_CAPABILITY_VERSION_3, 0 };
	struct {
		u32 effective, permitted, inheritable;
	} data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };

	if (host_syscall2(HOST_NR(capget), &hdr, data) == 0)
		return data[0].effective | (u64)data[1].effective << 32;
	return 0;
}

/* Up to the host's last capability, which the first EINVAL marks. */
u64 plat_host_bset(void)
{
	u64 bset = 0;

	for (int cap = 0; cap < 64; cap++) {
		long r = host_syscall2(HOST_NR(prctl), PR_CAPBSET_READ, cap);

		if (r < 0)
			break;
		if (r == 1)
			bset |= 1ULL << cap;
	}
	return bset;
}

long plat_spec_ctrl(bool set, unsigned long which, unsigned long ctrl)
{
	if (set)
		return host_syscall5(HOST_NR(prctl), PR_SET_SPECULATION_CTRL, which, ctrl, 0, 0);
	return host_syscall5(HOST_NR(prctl), PR_GET_SPECULATION_CTRL, which, 0, 0, 0);
}
