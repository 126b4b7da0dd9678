/* The hosted platform (abi-run): the kernel as a static, libc-free
 * executable that loads a Linux program into its guest range and serves its
 * syscall instructions, trapped with Syscall User Dispatch. */
#ifndef ABI_PLAT_HOSTED_H
#define ABI_PLAT_HOSTED_H

#include <abi/types.h>
#include "../plat.h"
#include "../plat_hostfile.h" /* main.c loads the program from host files */

/* The address space (start.c; docs/DESIGN.md, "Address space"). The
 * guest has Linux's whole user range, [HOSTED_GUEST_BASE, HOSTED_GUEST_END)
 * (from the lowest page the host lets abi-run map: mmap_min_addr, or page 1
 * for root; up to TASK_SIZE), but abi-run's own region: 448 GiB at
 * 0x7e8000000000, just below the lowest mmap base Linux's randomisation can
 * pick, in what every sanitizer's layout calls the application's modules
 * and stack. abi-run's image is linked at the region's base (hosted.mk),
 * its stack follows it in the first HOSTED_IMAGE_WINDOW bytes, and every host mapping
 * abi-run makes later (the kernel heap, kernel stacks, the file-page pool's
 * view, thread stacks) lands below a random pad (at most HOSTED_PAD_MAX)
 * at the region's top: the rest of the space is the guest's, reserved
 * PROT_NONE. */
#define HOSTED_GUEST_BASE 0x1000UL /* or the host's mmap_min_addr, without CAP_SYS_RAWIO */
#define HOSTED_GUEST_END 0x7ffffffff000UL
#define HOSTED_REGION_BASE 0x7e8000000000UL
#define HOSTED_REGION_SIZE 0x7000000000UL /* 448 GiB: up to 0x7ef000000000 */
#define HOSTED_IMAGE_WINDOW (64UL << 30)
#define HOSTED_PAD_MAX (64UL << 30)
struct hosted_region {
	u64 image, image_size; /* where abi-run's image is */
	u64 stack, pad;        /* the start-up stack's bottom; the pad's size */
	u64 guest_base;        /* HOSTED_GUEST_BASE, or the host's mmap_min_addr */
	u64 mmap_min_addr;     /* the host's vm.mmap_min_addr (guest_base if unreadable) */
	bool in_region;        /* the image is in the region's image window */
	bool guest_ok;         /* the guest range is reserved */
};
extern struct hosted_region hosted_region;

/* Options that reach the trap path. */
struct hosted_opts {
	bool trace, stats, verbose;
	bool no_confine, require_confinement; /* confine.c */
	bool no_fastcall;                     /* --no-fastcall: every call traps */
	bool no_rewrite;                      /* --no-rewrite: no site is rewritten */
	bool musl_compat;                     /* --libc=musl-compat: .so apps on musl */
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
/* What a child of abi-run would inherit, for the kernel's boot: the umask,
 * the soft RLIMIT_NOFILE and the personality. */
struct abi_boot_args;
void hosted_boot_inherit(struct abi_boot_args *b);
/* The host's environment with --env and --clear-env applied. */
void hosted_build_env(char **envp);
const char *hosted_env_get(const char *key);
/* The host's path of a program named without a slash, as execvp finds it. */
bool hosted_search_path(const char *name, char *out, size_t size);
/* abi-run's command line, for abi-run and --emu alike: the options parsed,
 * the environment built, the seed set; the program's arguments into
 * guest_argv (NULL-terminated, *nargs of them), and its host path returned
 * (searched in PATH when it has no slash; a program not found is fatal). */
const char *hosted_command(int argc, char **argv, char **envp, const char **guest_argv, int *nargs);
/* The first program's exec, r from kernel_execve with its why and interp:
 * a failure is fatal, with the exec's reason; else where it starts. */
void hosted_started(const char *name, long r, const char *why, bool interp, u64 *entry, u64 *sp);

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

/* --- The trap path and the guest's signals (trap.c, signal.c, thread.c) */

/* ucontext_t's general registers (x86_64 <sys/ucontext.h> REG_*). */
enum {
	REG_R8,
	REG_R9,
	REG_R10,
	REG_R11,
	REG_R12,
	REG_R13,
	REG_R14,
	REG_R15,
	REG_RDI,
	REG_RSI,
	REG_RBP,
	REG_RBX,
	REG_RDX,
	REG_RAX,
	REG_RCX,
	REG_RSP,
	REG_RIP,
	REG_EFL
};

/* The kernel's struct ucontext (not glibc's ucontext_t, whose sigset is
 * 128 bytes): a host signal frame's, and the guest's frame's layout too. */
struct host_ucontext {
	u64 uc_flags;
	u64 uc_link;
	u64 ss_sp;
	u32 ss_flags, pad;
	u64 ss_size;
	u64 gregs[23]; /* struct sigcontext up to cr2: REG_*, then csgsfs,
			* err, trapno, oldmask, cr2 */
	u8 *fpregs;    /* the FPU state in the frame, or NULL */
	u64 reserved1[8];
	u64 sigmask;
};
_Static_assert(sizeof(struct host_ucontext) == 304, "struct ucontext is 304 bytes");
#define REG_CSGSFS 18
#define REG_ERR 19
#define REG_TRAPNO 20
#define REG_OLDMASK 21
#define REG_CR2 22

struct host_sigaction {
	void *handler;
	u64 flags;
	void *restorer;
	u64 mask;
};

struct host_stack {
	void *sp;
	int flags;
	size_t size;
};

/* abi-run's own text: a fault there, outside the user-copy routines, is a
 * kernel bug. */
bool hosted_in_text(u64 rip);
/* The host signal that makes a thread running guest code enter the kernel
 * for its signals (thread.c sends it, trap.c handles it). */
#define HOST_SIG_KICK 34

/* signal.c: delivery on the way back to the guest. in_syscall: the entry
 * was the syscall nr, whose result ret goes in rax or is restarted. */
void hosted_signals(struct host_ucontext *uc, bool in_syscall, long nr, long ret);
/* rt_sigreturn from the guest's frame into uc; the restored rax. */
long hosted_sigreturn(void);
/* The kernel's entry with the guest's registers in uc: the kernel lock,
 * and current's frame (fpu: the function-call entry's FPU save area, NULL
 * for a host signal frame). */
struct task;
void hosted_enter(struct host_ucontext *uc, void *fpu);
/* One syscall, nr, from either entry: served, traced, counted, signals
 * delivered into uc; takes and drops the kernel lock. site: the entry was
 * reached from a rewritten site's stub. */
void hosted_serve(struct host_ucontext *uc, long nr, void *fpu, bool site);
/* The top of t's kernel stack (the host signal stack ends FAST_AREA below). */
u64 hosted_kstack_top(const struct task *t);
/* A host signal the signal thread took (abi-run's and --emu's): a guest
 * POSIX timer's expiry, or the same signal sent to the guest process. */
void hosted_host_signal(int sig, struct linux_siginfo *info);
/* A fault in guest code becomes the guest's signal. */
void hosted_guest_fault(int sig, const void *info, struct host_ucontext *uc);
/* The FPU state of a frame put in its initial state (exec, a handler). */
void hosted_fpstate_init(u8 *fp);
/* The bytes of a frame's FPU state (the XSAVE area with its magic, or
 * FXSAVE's 512). */
u32 hosted_fpstate_size(const u8 *fp);

/* fast.c: the function-call entry. The top FAST_AREA bytes of every
 * kernel stack are the entry's (its frame of FAST_FRAME_SIZE, and %gs
 * words); FAST_FPU_MAX bounds the XSAVE area it saves on demand. */
#define FAST_AREA 1024
#define FAST_FRAME_SIZE 320
#define FAST_FPU_MAX (16 * 1024)
void hosted_fast_entry(void);
/* A host frame (the first kick's, or an exec's SIGSYS), to model the entry's on. */
void hosted_fast_template(const struct host_ucontext *uc);
/* Offers the entry (plat_fast_entry) if the host can and allowed. */
void hosted_fast_setup(bool allowed);
/* Takes the template before a program that takes the entry first runs:
 * from uc (a host frame), or from a kick to this thread when uc is NULL. */
void hosted_fast_prepare(const struct host_ucontext *uc);
/* The calling thread's GS base for the running program (the kernel stack
 * of top's when it takes the entry, else 0). */
void hosted_fast_thread(u64 top);
/* The calling thread takes the entry: its GS base is top, its kernel stack's. */
void hosted_fast_gs(u64 top);
/* uc's FPU state, saved into the entry's area first if the entry made uc
 * (a host frame has it already). */
u8 *hosted_frame_fpu(struct host_ucontext *uc);
/* A kick that interrupted the entry's exit: true if it was rerouted. */
bool hosted_fast_kick(struct host_ucontext *uc);
/* uc, an interrupted call made through the entry, makes it again. */
void hosted_fast_restart(struct host_ucontext *uc);

/* rewrite.c: syscall sites rewritten into calls of the entry. */
extern bool hosted_rewrite; /* sites are rewritten (hosted_rewrite_setup) */
void hosted_rewrite_setup(bool allowed);
/* The trap at uc's site: counted, and the site rewritten on the trap that
 * makes it worth it. */
void hosted_rewrite_site(const struct host_ucontext *uc);
void hosted_rewrite_exec(void);
u64 hosted_rewrite_count(void);

/* thread.c: threads, kicks, the signal thread. Every host thread abi-run
 * makes is cloned with these flags (the seccomp filter allows no other). */
#define HOST_THREAD_CLONE_FLAGS                                                             \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)
extern const struct plat_guest hosted_guest;
/* The mask every host thread runs the guest with (the host's signals that
 * the signal thread takes are blocked), and the handlers' mask. */
extern u64 hosted_guest_hostmask, hosted_handler_mask;
/* Starts the host thread that turns host signals into the guest's. */
/* Starts the signal thread (thread.c), from a handler with uc its frame,
 * or with uc NULL outside one; nothing if it runs already. */
long hosted_sigthread_start(struct host_ucontext *uc);
/* Starts it before guest call id (args, frame uc) unless the call needs
 * none. */
void hosted_sigthread_before(int id, const long *args, struct host_ucontext *uc);

/* Start-up probes (prof.c): compiled in only by `make hosted HOSTED_PROF=1`. */
#ifdef HOSTED_PROF
void hosted_prof(const char *what);
void hosted_prof_print(void);
#define PROF(what) hosted_prof(what)
#else
#define PROF(what) ((void)0)
#endif

#endif
