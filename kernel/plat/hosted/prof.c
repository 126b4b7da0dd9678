/* Start-up probes, built only with `make hosted HOSTED_PROF=1`: each
 * PROF("phase") records the TSC; the exit hook prints the time between
 * probes in µs on stderr (the TSC's rate from CLOCK_MONOTONIC over the
 * same span). Not in the default build: a probe costs nothing there. */
#include <kernel/lib.h>
#include <kernel/linux.h>
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

#ifdef HOSTED_PROF
#define PROF_MAX 64

static struct {
	const char *what;
	u64 tsc;
} probes[PROF_MAX];
static unsigned nprobes;
static struct linux_timespec ts0;
static u64 tsc0;

static u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

void hosted_prof(const char *what)
{
	if (!nprobes) {
		host_syscall2(HOST_NR(clock_gettime), CLOCK_MONOTONIC, &ts0);
		tsc0 = rdtsc();
	}
	if (nprobes < PROF_MAX) {
		probes[nprobes].what = what;
		probes[nprobes].tsc = rdtsc();
		nprobes++;
	}
}

void hosted_prof_print(void)
{
	struct linux_timespec ts1;
	u64 tsc1, ns;

	host_syscall2(HOST_NR(clock_gettime), CLOCK_MONOTONIC, &ts1);
	tsc1 = rdtsc();
	ns = (u64)(ts1.tv_sec - ts0.tv_sec) * 1000000000u + (u64)(ts1.tv_nsec - ts0.tv_nsec);
	if (!nprobes || tsc1 == tsc0)
		return;
	for (unsigned i = 1; i < nprobes; i++)
		hosted_printf(
			2, "prof %-24s %6lu ns\n", probes[i].what,
			(unsigned long)((probes[i].tsc - probes[i - 1].tsc) * ns / (tsc1 - tsc0)));
	hosted_printf(
		2, "prof %-24s %6lu ns\n", "total",
		(unsigned long)((probes[nprobes - 1].tsc - probes[0].tsc) * ns / (tsc1 - tsc0)));
}
#endif
