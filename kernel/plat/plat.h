/* The platform interface: the only way kernel code reaches the host.
 *
 * Every platform (library, hosted, emulated, later a VM) implements these
 * functions; nothing outside kernel/plat/ makes a host call. Errors are
 * negative errno values in the kernel's (x86_64) numbering. A platform
 * with host files implements plat_hostfile.h as well (hostfs and the
 * hosted start-up use it); one without them leaves hostfs out. */
#ifndef ABI_PLAT_H
#define ABI_PLAT_H

#include <abi/types.h>

/* Protection bits use the kernel's PROT_* values (flags.h). */

/* --- Memory ---------------------------------------------------------- */

/* Reserves len bytes of address space, inaccessible and uncommitted, at hint
 * if that range is free (hint 0: anywhere). *out gets the address. */
long plat_mem_reserve(uintptr_t hint, size_t len, uintptr_t *out);
/* Gives a reserved range back to the host. */
long plat_mem_release(uintptr_t addr, size_t len);
/* Replaces [addr, addr+len) (inside a reservation) with fresh zero-filled
 * memory of protection prot; shared memory stays shared across mremap. */
long plat_mem_commit(uintptr_t addr, size_t len, int prot, bool shared);
/* The same without reserving swap for it (the guest's MAP_NORESERVE), so a
 * huge sparse mapping (a sanitizer's shadow) is not refused by the host's
 * overcommit accounting. */
long plat_mem_commit_noreserve(uintptr_t addr, size_t len, int prot, bool shared);
/* Drops the contents of [addr, addr+len) and makes it reserved again. */
long plat_mem_decommit(uintptr_t addr, size_t len);
long plat_mem_protect(uintptr_t addr, size_t len, int prot);
/* Moves the committed pages of [from, from+len) to [to, to+len) (both inside
 * the reservation); from is left reserved and empty. */
long plat_mem_move(uintptr_t from, size_t len, uintptr_t to);
/* Zero-fills private pages (their next touch reads zeros). */
long plat_mem_discard(uintptr_t addr, size_t len);
/* One byte per page: bit 0 set when the page is resident. */
long plat_mem_residency(uintptr_t addr, size_t len, u8 *vec);
/* One byte per page of a private file mapping: 1 when the page is a private
 * copy (the guest wrote it), 0 while it still shows the file's page. */
long plat_mem_copied(uintptr_t addr, size_t len, u8 *vec);
long plat_mem_sync(uintptr_t addr, size_t len, int flags);

/* The host's RAM in bytes (its sysinfo totalram), read once (the first
 * call is abi_boot's, before abi-run confines itself); 0 if unknown. */
u64 plat_ram_total(void);

/* Kernel memory (never guest-visible): whole pages, zero-filled. */
void *plat_kmem_map(size_t len);
void plat_kmem_unmap(void *p, size_t len);

/* Shared memory for file pages (mm/filemap.c): a host object whose pages the
 * kernel sees through one view and maps into the guest with
 * plat_host_mmap_file, so that both are the same memory. plat_shm_create
 * makes an empty object and a view of max bytes (usable up to the object's
 * size) and returns the object's host fd; plat_shm_resize sets that size. */
long plat_shm_create(size_t max, void **view);
long plat_shm_resize(int fd, size_t size);
void plat_shm_destroy(int fd, void *view, size_t max);
/* Maps len bytes of the host object fd (a plat_shm_create object, or a
 * host file of plat_hostfile.h) at off to addr (inside the guest
 * reservation, which it replaces) with MAP_FIXED; shared or private. */
long plat_host_mmap_file(uintptr_t addr, size_t len, int prot, bool shared, int fd, s64 off);

/* --- Blocking: the only primitive ------------------------------------ */

/* Sleeps while *word == expected, until woken or until the monotonic clock
 * passes deadline_ns (-1: no deadline). 0 when woken, -EAGAIN when *word
 * differed, -ETIMEDOUT, or -EINTR (callers re-check and retry). */
long plat_wait(const u32 *word, u32 expected, s64 deadline_ns);
/* Wakes up to n waiters on word; returns how many were woken. */
long plat_wake(const u32 *word, int n);
/* The one wait's two halves (core/wait.c): plat_wait on a task's wake
 * word, or, when the wait set holds host files, plat_wait_host: one host
 * ppoll over them plus the task's own host eventfd (made on its first such
 * wait), which ends when the word moves from expected, one of them is ready
 * (revents set), a host signal arrives, or the deadline passes: 0, or
 * -ETIMEDOUT. plat_wake_task rouses t sleeping either way, after the word
 * has moved: the eventfd when t sleeps in a host ppoll, else the futex.
 * plat_task_release closes t's eventfd (a task going away). */
struct host_wait;
struct task;
long plat_wait_host(struct task *t, u32 expected, s64 deadline_ns, struct host_wait *hw, int nhw);
void plat_wake_task(struct task *t);
void plat_task_release(struct task *t);

/* --- Time and entropy ------------------------------------------------- */

#define PLAT_CLOCK_REALTIME 0
#define PLAT_CLOCK_MONOTONIC 1
#define PLAT_CLOCK_BOOTTIME 2 /* monotonic, counting suspend */
#define PLAT_CLOCK_TAI 3
#define PLAT_CLOCK_PROCESS_CPU 4 /* CPU time of the whole kernel process */
#define PLAT_CLOCK_THREAD_CPU 5  /* CPU time of the calling host thread */
#define PLAT_CLOCK_MONOTONIC_RAW 6
#define PLAT_CLOCK_REALTIME_COARSE 7
#define PLAT_CLOCK_MONOTONIC_COARSE 8
#define PLAT_CLOCK_PROCESS_PROF 9  /* user + system CPU time, tick-accounted */
#define PLAT_CLOCK_PROCESS_VIRT 10 /* user CPU time, tick-accounted */
#define PLAT_CLOCK_THREAD_PROF 11
#define PLAT_CLOCK_THREAD_VIRT 12
s64 plat_clock_ns(int clock);
/* The clock's resolution in nanoseconds. */
s64 plat_clock_res_ns(int clock);
long plat_entropy(void *buf, size_t len);
/* Makes plat_entropy a reproducible stream from seed (abi-run --seed). */
void plat_entropy_seed(u64 seed);

/* --- Timers (kernel/plat/linux/timer.c) ------------------------------- */

/* The host keeps the time. The guest's interval timers (alarm, setitimer,
 * getitimer) are the host process's own: their SIGALRM, SIGVTALRM and
 * SIGPROF reach the host thread that takes abi-run's signals, which sends
 * them to the guest; their CPU time is the host process's (the guest's and
 * the kernel's). A guest POSIX timer is a host POSIX timer whose signal,
 * PLAT_SIG_TIMER with SI_TIMER and sigev_value the cookie, goes to that
 * same thread (plat_timer_tid), which calls posix_timer_fire(cookie,
 * overrun). plat_timer_tid is 0 where nothing takes them (the library
 * platform): then there are no timers and these return -ENOSYS (-EINVAL for
 * a timer id, since none exists, and for a PLAT_TIMER_INVALID event). The value and ovalue arguments are the
 * host's structs (itimerval, itimerspec), which are the guest's; ids are
 * the host's timer ids, which Linux allocates as it would for the guest. */
#define PLAT_SIG_TIMER 35
#define PLAT_TIMER_SIGNAL 0  /* the signal above */
#define PLAT_TIMER_NONE 1    /* SIGEV_NONE */
#define PLAT_TIMER_INVALID 2 /* an event the host refuses (EINVAL after the id) */
extern int plat_timer_tid;
long plat_alarm(unsigned int seconds);
long plat_setitimer(int which, const void *value, void *ovalue);
long plat_getitimer(int which, void *value);
/* The host clock id of a CPU clock (which: 0 PROF, 1 VIRT, 2 SCHED): of
 * thread t (thread), of the process (!thread), or, t NULL, of no task (the
 * host's timer_create refuses it with EINVAL). */
struct task;
s32 plat_cpu_clock(const struct task *t, bool thread, int which);
long plat_timer_create(s32 clock, int kind, u64 cookie, int *id);
long plat_timer_settime(int id, int flags, const void *value, void *ovalue);
long plat_timer_gettime(int id, void *value);
long plat_timer_delete(int id);

/* --- Diagnostics ------------------------------------------------------ */

void plat_log(const char *msg, size_t len);
_Noreturn void plat_abort(const char *msg);

/* --- Host identity ---------------------------------------------------- */

u32 plat_host_uid(void);
u32 plat_host_gid(void);
/* The number of CPUs the host lets this process run on (at least 1). */
int plat_cpu_count(void);
/* The bytes of a CPU mask the host's sched_getaffinity copies when given
 * room (its cpumask_size(): nr_cpu_ids' longs on a CPUMASK_OFFSTACK kernel,
 * NR_CPUS bits on others); a multiple of 8, at most 1024. */
unsigned int plat_cpumask_size(void);
/* Gives the host CPU to another host thread (host sched_yield). */
void plat_yield(void);
/* The host CPU the calling thread runs on, or -1. */
int plat_getcpu(void);
/* The first 64 CPUs of the host's affinity mask for this process, as it
 * was when the kernel first asked (at boot); 0 if the host would not say. */
u64 plat_cpu_mask(void);
/* What x86's cpuid instruction reports for leaf (subleaf 0) on the host
 * CPU, as r[] = { eax, ebx, ecx, edx }; false when the platform has no such
 * instruction or will not tell (/proc/cpuinfo then says "unknown"). */
bool plat_cpuid(u32 leaf, u32 r[4]);
/* The host's struct rusage (two timevals, then 14 longs) for who
 * (RUSAGE_SELF: the host process, RUSAGE_THREAD: the calling thread). */
long plat_rusage(int who, s64 ru[18]);
/* The time slice the host's fair scheduler gives the calling thread (what
 * its sched_getattr reports as sched_runtime; 0 when it reports none). */
s64 plat_sched_slice_ns(void);

/* The host process's effective capabilities and bounding set (bit n:
 * capability n), for a kernel that takes the host's credentials. The
 * bounding set takes a host call per capability, so the kernel asks for it
 * only when a program does (prctl.c). */
u64 plat_host_caps(void);
u64 plat_host_bset(void);
/* The calling host thread's speculation controls: prctl's
 * PR_GET_SPECULATION_CTRL (set false) or PR_SET_SPECULATION_CTRL, answered
 * by the host (the guest thread runs on this host thread). */
long plat_spec_ctrl(bool set, unsigned long which, unsigned long ctrl);

/* The host's auxv entry type (AT_HWCAP, AT_HWCAP2, AT_CLKTCK,
 * AT_MINSIGSTKSZ) for the auxv exec gives a new program; 0 when absent. */
u64 plat_cpu_aux(u64 type);
/* The function-call entry the platform offers programs built for it (exec
 * passes it as AT_ABI_ENTRY to an image with the ABI note), or 0. */
extern u64 plat_fast_entry;

/* --- Host files (for hostfs) ------------------------------------------ */

/* Not part of this contract: plat_hostfile.h has them, for the platforms
 * that have host files. */

/* --- Process and CPU state (kernel/plat/linux/task.c) ------------------ */

/* Ends the whole host process with status (exit_group). On the library
 * platform this ends the Python process too, as exit_group would. */
_Noreturn void plat_exit(int status);
/* Called once, just before plat_exit or plat_kill_self ends the process
 * (abi-run writes --stats and --report there); NULL for nothing. */
extern void (*plat_exit_hook)(void);
/* How the process is ending, for plat_exit_hook: the status plat_exit was
 * given, or the signal plat_kill_self kills it with (0 when exiting). */
extern int plat_exit_status, plat_exit_signal;
/* Ends the whole host process by signal sig's default action (its parent
 * sees it killed by sig), or with status 128 + sig if that fails. */
_Noreturn void plat_kill_self(int sig);
/* Stops the whole host process (a stop signal's default action); it goes
 * on when the host's SIGCONT arrives. */
void plat_stop_self(void);
/* The half of a platform that runs guest code (abi-run sets it before the
 * program's first instruction; NULL on the library platform, which runs
 * none: there clone is ENOSYS and nothing is delivered to a handler). */
struct task;
struct plat_guest {
	/* Starts t on a host thread of its own, in the calling thread's guest
	 * register state with rax 0, at stack sp (0: the caller's) and with
	 * FS base tls when settls. Locked. */
	long (*thread_start)(struct task *t, u64 sp, bool settls, u64 tls);
	/* rt_sigreturn: the registers, FPU state, mask and sigaltstack of the
	 * frame at the guest's stack; the result is the restored rax. */
	long (*sigreturn)(void);
	/* Makes t, running guest code, enter the kernel to take its signals. */
	void (*kick)(struct task *t);
	/* Ends the calling host thread (its exit status code, for traces):
	 * releases its task with task_exit_release; called locked, does not
	 * return. */
	void (*thread_exit)(int code);
};
extern const struct plat_guest *plat_guest;
/* Installs the host SIGSEGV/SIGBUS handler that resumes a fault in a user
 * copy at its fixup (mm/copy_user.c) and hands every other fault back to the
 * action it found (kernel/plat/linux/fault.c). Called by abi_boot; stays
 * installed, and a later boot reinstalls it if someone replaced it. */
long plat_fault_install(void);
/* The FS base of the calling host thread (the guest's TLS pointer): the
 * hosted platform runs the guest on this very thread, so setting it from
 * the SIGSYS handler persists after sigreturn. */
long plat_set_fs(u64 base);
long plat_get_fs(u64 *base);

/* --- Engines (the emulated platform, kernel/plat/emu) ---------------- */

/* A platform that runs guest code in an engine with a memory map of its
 * own (unicorn) sets plat_mem_hook; the functions above call it after
 * every change they make to the guest range (plat_mem_commit and _noreserve,
 * _decommit, _protect, _move, _release, plat_host_mmap_file), so the
 * engines' maps follow the kernel's without polling. op: PLAT_MEM_MAP
 * ([addr, addr+len) is now memory of protection prot), PLAT_MEM_UNMAP (it
 * is not: reserved or released), PLAT_MEM_PROTECT (prot), PLAT_MEM_MOVE
 * (its pages moved to `to`, keeping their protection; addr is left
 * unmapped). NULL elsewhere. Called with the kernel's locks held. */
#define PLAT_MEM_MAP 0
#define PLAT_MEM_UNMAP 1
#define PLAT_MEM_PROTECT 2
#define PLAT_MEM_MOVE 3
/* plat_host_mmap_file's: like PLAT_MEM_MAP, but only the first `to` bytes
 * (page-rounded) are backed by the host object when it is mapped; a touch
 * of a page past its end is a host SIGBUS. */
#define PLAT_MEM_MAP_FILE 4
extern void (*plat_mem_hook)(int op, uintptr_t addr, size_t len, int prot, uintptr_t to);
/* The same platform keeps the guest's TLS register (FS base, TPIDR_EL0) in
 * the engine, not in the host thread: plat_set_fs and plat_get_fs go
 * through plat_tls_hook when it is set (set: *base is the new value). */
extern long (*plat_tls_hook)(bool set, u64 *base);

/* --- Console (the host's fds 0, 1, 2; kernel/plat/linux/console.c) ----- */

/* Blocking read/write on a host descriptor the console forwards to: at the
 * host's file position when pos < 0 (shared with the host's other users of
 * that open file), else pread/pwrite at pos. */
long plat_console_read(int hostfd, void *buf, size_t len, s64 pos);
long plat_console_write(int hostfd, const void *buf, size_t len, s64 pos);
/* lseek on the host descriptor: the host's answer (ESPIPE for a pipe). */
long plat_console_lseek(int hostfd, s64 off, int whence);
/* ioctl on the host descriptor; arg points to kernel memory of the size the
 * command uses (TCGETS: struct termios, TIOCGWINSZ: struct winsize). */
long plat_console_ioctl(int hostfd, unsigned int cmd, void *arg);
/* The host's poll(2) revents for events, without waiting. */
int plat_console_poll(int hostfd, int events);
/* Host terminals the guest opens (kernel/dev/console.c): the host's
 * controlling terminal (/dev/tty: ENXIO without one), a new pty master
 * (/dev/ptmx), the slave of host pty n; each a host fd of the caller's, to
 * close with plat_console_close. */
long plat_console_open_tty(void);
long plat_console_open_ptmx(void);
long plat_console_open_pts(unsigned int n);
void plat_console_close(int hostfd);
/* The host process group and session of abi-run itself: the console
 * shows them to the guest as its own (its pid). */
void plat_console_host_ids(int *pgrp, int *sid);
/* Edges of a host descriptor, for the guest's EPOLLET items on it: a host
 * epoll fd watching hostfd edge-triggered (readable while an edge is
 * pending; close it with plat_console_close), and the events of the edges
 * pending on it, taken (0: none). */
long plat_console_edge_open(int hostfd);
unsigned int plat_console_edges(int epfd);
/* The host's view of a file, in the kernel's types (the console's and,
 * where the platform has host files, plat_host_fstatat's). */
struct plat_stat {
	u64 dev, ino, nlink, rdev;
	u32 mode, uid, gid; /* mode: S_IFCHR for a tty, S_IFIFO, S_IFREG ... */
	s64 size, blksize, blocks;
	s64 atime_sec, atime_nsec, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};
/* What fstat says of the host descriptor; -errno when it is not open. */
long plat_console_stat(int hostfd, struct plat_stat *st);

#endif
