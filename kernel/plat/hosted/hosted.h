/* The hosted platform (abi-run): the kernel as a static, libc-free
 * executable that loads a Linux program into its guest range and serves its
 * syscall instructions, trapped with Syscall User Dispatch. */
#ifndef ABI_PLAT_HOSTED_H
#define ABI_PLAT_HOSTED_H

#include <abi/types.h>
#include "../plat_hostfile.h" /* main.c loads the program from host files */

/* Options that reach the trap path. */
struct hosted_opts {
	bool trace, stats, verbose;
	int trace_fd;  /* host fd for --trace lines (2 unless --trace-file) */
	int report_fd; /* host fd for --report's JSON, or -1 */
	const char *program; /* the program's path, for --report */
};
extern struct hosted_opts hosted_opts;

/* Output on a host descriptor (diagnostics, trace lines). */
void hosted_write(int fd, const char *s, size_t len);
void hosted_printf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* trap.c: Syscall User Dispatch. hosted_sud_probe is 0 when the host has
 * it (ABI_HOSTED_NO_SUD=1 in the environment forces "no", for tests). */
long hosted_sud_probe(bool force_fail);
long hosted_trap_install(void);
long hosted_sud_enable(void);
/* Counts and times per syscall id for --stats; printed at exit. */
void hosted_stats_print(void);
/* --report: the run report (docs/porting/README.md, abi-run-report/1). */
void hosted_report_write(void);

/* main.c: execve, served here (the loader and the start-up live here):
 * 0 with where to resume, or -errno for the old program. */
long hosted_execve(const long a[6], u64 *entry, u64 *sp);

/* trace.c: one strace-format line for a completed call. */
void hosted_trace(long nr, const long args[6], long ret);
/* execve's line, formatted before the call and finished after it. */
void hosted_trace_prepare(long nr, const long a[6]);
void hosted_trace_finish(long ret);
/* The line of a call that does not return (exit, exit_group). */
void hosted_trace_noreturn(long nr, const long args[6]);

#endif
