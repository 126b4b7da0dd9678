/* What the host's auxiliary vector says about this CPU, for the auxv exec
 * builds (plat_cpu_aux): read once from the host's /proc/self/auxv, unless
 * the platform's start gave it from its own initial stack (abi-run: no
 * open, read and close of a host /proc file at every start). */
#include <kernel/linux.h>
#include "../plat.h"
#include "syscall.h"

#define AUXV_WORDS 128

static u64 auxv[AUXV_WORDS];
static bool auxv_read;
u64 plat_fast_entry; /* the hosted platform's (kernel/plat/hosted/fast.c), when it has one */

void plat_linux_host_auxv(const u64 *v)
{
	for (int i = 0; i + 3 < AUXV_WORDS && v[i]; i += 2) {
		auxv[i] = v[i];
		auxv[i + 1] = v[i + 1];
	}
	auxv_read = true;
}

u64 plat_cpu_aux(u64 type)
{
	if (!auxv_read) {
		long fd = host_syscall4(HOST_NR(openat), AT_FDCWD, "/proc/self/auxv",
					O_RDONLY | O_CLOEXEC, 0);

		auxv_read = true;
		if (fd >= 0) {
			/* The last pair stays AT_NULL (0, 0) whatever the host has. */
			host_syscall4(HOST_NR(pread64), fd, auxv, sizeof auxv - 16, 0);
			host_syscall1(HOST_NR(close), fd);
		}
	}
	for (int i = 0; i + 1 < AUXV_WORDS && auxv[i]; i += 2)
		if (auxv[i] == type)
			return auxv[i + 1];
	return 0;
}
