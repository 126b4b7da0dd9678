/* abi-run's own output on host descriptors: diagnostics, trace lines, the
 * usage text, and dying with status 2 for abi-run's own errors. */
#include <abi/trace_meta.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

void hosted_write(int fd, const char *s, size_t len)
{
	while (len) {
		long r = host_syscall3(HOST_NR(write), fd, s, len);

		if (r == -EINTR)
			continue;
		if (r <= 0)
			return;
		s += r;
		len -= (size_t)r;
	}
}

void hosted_printf(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	hosted_write(fd, buf, MIN((size_t)n, sizeof buf - 1));
}

_Noreturn void hosted_die(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	hosted_write(2, "abi-run: ", 9);
	hosted_write(2, buf, MIN((size_t)n, sizeof buf - 1));
	hosted_write(2, "\n", 1);
	plat_exit(HOSTED_EXIT_USAGE);
}

const char *hosted_errname(long r)
{
	const char *n = abi_errno_name(-r);

	return n ? n : "error";
}
