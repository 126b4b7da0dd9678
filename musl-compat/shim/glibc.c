/* glibc entry points a glibc-built object calls that musl lacks, or has
 * with another ABI or message: the start of a program, atfork, the stack
 * protector's and assert's messages, error(3), the pre-2.33 stat entry
 * points and the checked longjmp (gnu.c has the GNU strerror_r and
 * basename).
 * Everything else a covered object calls is musl's own (README.md). */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shim.h"

_Noreturn void shim_fatal(const char *msg)
{
	ssize_t r = write(2, msg, strlen(msg));

	(void)r;
	abort();
}

/* glibc's __libc_start_main (2.34's signature). A glibc program's start
 * code calls it with init and fini NULL (the dynamic linker runs the
 * constructors) and the dynamic linker's fini in rtld_fini. The first call
 * is the launcher's own: musl's (found next, RTLD_NEXT) does the rest, init
 * and fini passed on as musl's start code passes them (musl ignores both). */
typedef int (*main_fn)(int, char **, char **);
int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
		      void (*rtld_fini)(void), void *stack_end)
{
	static int started;
	int (*next)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void));

	(void)stack_end;
	if (rtld_fini)
		atexit(rtld_fini);
	/* The second start is a glibc PIE's, which the launcher loaded: libc
	 * is up and the dynamic linker ran the PIE's constructors (a pre-2.34
	 * PIE's init would run them again). */
	if (started)
		exit(main(argc, argv, argv + argc + 1));
	started = 1;
	*(void **)&next = dlsym(RTLD_NEXT, "__libc_start_main");
	if (!next)
		shim_fatal("abi glibc shim: musl's __libc_start_main is missing\n");
	return next(main, argc, argv, init, fini, 0);
}

/* pthread_atfork, as glibc's libc_nonshared.a calls it (with the caller's
 * DSO handle, used by glibc to drop the handlers at dlclose; musl keeps
 * them). */
int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void), void *dso)
{
	(void)dso;
	return pthread_atfork(prepare, parent, child);
}

/* glibc's message and SIGABRT, where musl's own crashes (SIGSEGV). */
_Noreturn void __stack_chk_fail(void)
{
	shim_fatal("*** stack smashing detected ***: terminated\n");
}

/* glibc's assertion message: "prog: file:line: function: Assertion `x' failed." */
_Noreturn void __assert_fail(const char *expr, const char *file, unsigned line,
			     const char *function)
{
	fprintf(stderr, "%s%s%s:%u: %s%sAssertion `%s' failed.\n", program_invocation_short_name,
		*program_invocation_short_name ? ": " : "", file, line, function ? function : "",
		function ? ": " : "", expr);
	fflush(stderr);
	abort();
}

/* error(3) and error_at_line(3), as glibc prints them. */
unsigned int error_message_count;
int error_one_per_line;
void (*error_print_progname)(void);

static void verror_at(int status, int errnum, const char *file, unsigned line, const char *fmt,
		      va_list ap)
{
	fflush(stdout);
	if (error_print_progname)
		error_print_progname();
	else
		fprintf(stderr, "%s: ", program_invocation_name);
	if (file)
		fprintf(stderr, "%s:%u: ", file, line);
	vfprintf(stderr, fmt, ap);
	if (errnum)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
	fflush(stderr);
	error_message_count++;
	if (status)
		exit(status);
}

void error(int status, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(status, errnum, NULL, 0, fmt, ap);
	va_end(ap);
}

void error_at_line(int status, int errnum, const char *file, unsigned line, const char *fmt, ...)
{
	static const char *last_file;
	static unsigned last_line;
	va_list ap;

	if (error_one_per_line && last_file && file && line == last_line &&
	    strcmp(file, last_file) == 0)
		return;
	last_file = file;
	last_line = line;
	va_start(ap, fmt);
	verror_at(status, errnum, file, line, fmt, ap);
	va_end(ap);
}

/* The stat entry points of objects built against glibc before 2.33
 * (version 1 is x86_64's struct stat, the kernel's, as musl's). */
#define STAT_VER 1
#define VER_CHECK(v)                    \
	do {                            \
		if ((v) != STAT_VER) {  \
			errno = EINVAL; \
			return -1;      \
		}                       \
	} while (0)

int __xstat(int ver, const char *path, struct stat *st)
{
	VER_CHECK(ver);
	return stat(path, st);
}

int __lxstat(int ver, const char *path, struct stat *st)
{
	VER_CHECK(ver);
	return lstat(path, st);
}

int __fxstat(int ver, int fd, struct stat *st)
{
	VER_CHECK(ver);
	return fstat(fd, st);
}

int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	VER_CHECK(ver);
	return fstatat(dirfd, path, st, flags);
}

int __xstat64(int ver, const char *path, struct stat *st) __attribute__((alias("__xstat")));
int __lxstat64(int ver, const char *path, struct stat *st) __attribute__((alias("__lxstat")));
int __fxstat64(int ver, int fd, struct stat *st) __attribute__((alias("__fxstat")));
int __fxstatat64(int ver, int dirfd, const char *path, struct stat *st, int flags)
	__attribute__((alias("__fxstatat")));

/* The fortified longjmp, without glibc's check that it does not jump down
 * the stack: a tail jump to musl's longjmp (no frame of its own). */
__asm__(".text\n"
	".globl __longjmp_chk\n"
	".type __longjmp_chk,@function\n"
	"__longjmp_chk:\n"
	"\tjmp longjmp@PLT\n"
	".size __longjmp_chk, .-__longjmp_chk\n");
