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
	bool no_confine, require_confinement; /* confine.c */
	int trace_fd;        /* host fd for --trace lines (2 unless --trace-file) */
	int report_fd;       /* host fd for --report's JSON, or -1 */
	const char *program; /* the program's path, for --report */
};
extern struct hosted_opts hosted_opts;

#define HOSTED_MAX_ARGS 4096
#define HOSTED_MAX_MOUNTS 32
#define HOSTED_EXIT_USAGE 2 /* abi-run's own errors */

/* options.c: what the command line asks of the start-up. */
struct hosted_mount {
	char *host, *guest;
	bool ro;
};
struct hosted_setup {
	u64 seed;
	bool seeded, sandbox, clear_env;
	const char *cwd, *root;
	bool root_ro;
	struct hosted_mount mounts[HOSTED_MAX_MOUNTS];
	int nmounts;
	const char *env_set[HOSTED_MAX_ARGS];
	int nenv_set;
};
extern struct hosted_setup hosted_setup;
/* The program's environment (hosted_build_env), NULL-terminated. */
extern const char *hosted_guest_env[HOSTED_MAX_ARGS + 1];
/* Parses the options; returns the index of the program's argv[0]. */
int hosted_parse_options(int argc, char **argv);
/* The host's environment with --env and --clear-env applied. */
void hosted_build_env(char **envp);
const char *hosted_env_get(const char *key);
/* The host's path of a program named without a slash, as execvp finds it. */
bool hosted_search_path(const char *name, char *out, size_t size);

/* fs.c: the guest's root, mounts and cwd (--sandbox copies the program in
 * and gives its guest path in prog_path), and its descriptors 0, 1, 2. */
void hosted_setup_fs(const char *prog, char *prog_path, size_t size);
void hosted_setup_console(void);

/* output.c: output on a host descriptor (diagnostics, trace lines), and
 * abi-run's own errors ("abi-run: ..." and exit status 2). */
void hosted_write(int fd, const char *s, size_t len);
void hosted_printf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void hosted_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *hosted_errname(long r);

/* confine.c: the second wall (docs/SECURITY.md). hosted_confine runs
 * just before the program's first instruction; a wall this host lacks is a
 * warning, or an error under --require-confinement. */
void hosted_confine(void);
/* The mount-namespace wall, before hosted_setup_fs: rewrites the trees'
 * host paths (and *prog under --sandbox) to canonical ones in the new root. */
void hosted_confine_mounts(const char **prog);
/* --sandbox-info: which walls this host has; exits 0. */
_Noreturn void hosted_sandbox_info(void);

/* trap.c: Syscall User Dispatch. hosted_sud_probe is 0 when the host has
 * it (ABI_HOSTED_NO_SUD=1 in the environment forces "no", for tests). */
long hosted_sud_probe(bool force_fail);
long hosted_trap_install(void);
long hosted_sud_enable(void);
/* Counts and times per syscall id for --stats; printed at exit. */
void hosted_stats_print(void);
/* --report: the run report (docs/porting/README.md, abi-run-report/1). */
void hosted_report_write(void);

/* trace.c: one strace-format line for a completed call. */
void hosted_trace(long nr, const long args[6], long ret);
/* The line of a call that is made in two steps (execve: its arguments
 * are gone after a success; select: the kernel rewrites them): the caller
 * keeps it, on its own stack, between hosted_trace_prepare (false for the
 * calls traced in one step by hosted_trace) and hosted_trace_finish. */
struct trace_line {
	char buf[2048];
	size_t len;
};
struct hosted_trace_pending {
	struct trace_line line;
	int id;
	long a[6];
};
bool hosted_trace_prepare(struct hosted_trace_pending *p, long nr, const long a[6]);
void hosted_trace_finish(struct hosted_trace_pending *p, long ret);
/* The line of a call that does not return (exit, exit_group). */
void hosted_trace_noreturn(long nr, const long args[6]);
/* strace's other lines: a signal's `--- SIGSEGV {si_signo=...} ---` as it
 * is delivered, and the end, `+++ exited with N +++` or `+++ killed by
 * SIGSEGV (core dumped) +++` (printed by plat_exit_hook once
 * hosted_trace_start has run, just before confinement and the guest's first
 * instruction). */
struct linux_siginfo;
void hosted_trace_signal(const struct linux_siginfo *info);
void hosted_trace_exit(int status);
void hosted_trace_killed(int sig, bool core);
void hosted_trace_start(void);

#endif
