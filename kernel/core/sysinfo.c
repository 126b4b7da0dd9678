/* sysinfo: uptime, memory and process counts as this kernel sees them. */
#include <abi/syscalls.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/time.h>
#include "../plat/plat.h"

/* The x86_64 (and aarch64) struct sysinfo: 112 bytes. */
struct linux_sysinfo {
	s64 uptime;
	u64 loads[3];
	u64 totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	u16 procs, pad;
	u64 totalhigh, freehigh;
	u32 mem_unit;
	char _f[4];
};
_Static_assert(sizeof(struct linux_sysinfo) == 112, "struct sysinfo is 112 bytes");

/* sys_sysinfo reports the boot-time clock's seconds, the guest range as
 * RAM (what is not mapped as free, as /proc/meminfo) and one process. */
long sys_sysinfo(uptr info)
{
	struct linux_sysinfo si;
	unsigned long total, free;

	memset(&si, 0, sizeof si);
	/* Linux rounds the boot-time clock up to the next second */
	si.uptime = (plat_clock_ns(PLAT_CLOCK_BOOTTIME) + NSEC_PER_SEC - 1) / NSEC_PER_SEC;
	proc_mem_totals(&total, &free);
	si.totalram = total;
	si.freeram = free;
	si.procs = 1;
	si.mem_unit = 1;
	return copy_to_user(info, &si, sizeof si);
}
