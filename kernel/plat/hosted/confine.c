/* The second wall (docs/SECURITY.md): abi-run confines itself just before
 * the program's first instruction, so that a guest that jumps to a
 * `syscall` instruction inside abi-run's text (Syscall User Dispatch lets
 * those through) gains nothing:
 *   - no_new_privs;
 *   - Landlock: host files only beneath --root and each --mount (read-only
 *     where :ro), /proc/self for reading (the platform's pagemap, auxv and
 *     fd paths), nothing at all under a plain --sandbox, no file rule when a
 *     read-write tree is the whole host (whole_host_rw); no execute right
 *     anywhere (exec is the kernel's: abi-run never host-execs), no device
 *     nodes, no TCP, and signals and abstract sockets scoped to abi-run;
 *   - a seccomp filter allowing only the host calls kernel/plat makes
 *     (allowed_calls and arg_rules below; tests/hosted/test_confine.py
 *     checks that every HOST_NR( in kernel/ is in it), with argument checks
 *     where they fit.
 * The guest's own syscalls never reach the filter: dispatch turns them into
 * SIGSYS first, so the filter constrains abi-run alone.
 *
 * A call outside the list kills the process (SECCOMP_RET_KILL_PROCESS):
 * the list is exhaustive by construction, and an attacker learns nothing
 * from a retry. A listed call whose arguments fail the check returns EPERM
 * (ENOTTY for an ioctl request), so a rare legitimate path degrades into an
 * error instead of a dead guest. */
#include <kernel/hostfs.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/prctl.h>
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

#ifndef ABI_X86_64_NR_fchmodat2
#define ABI_X86_64_NR_fchmodat2 452
#endif

#define PR_CAPBSET_READ 23
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define PR_GET_SECCOMP 21
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_GET_SPECULATION_CTRL 52
#define PR_SET_SPECULATION_CTRL 53

/* Landlock (include/uapi/linux/landlock.h). */
#define LANDLOCK_RULE_PATH_BENEATH 1
#define LL_EXECUTE (1ULL << 0)
#define LL_WRITE_FILE (1ULL << 1)
#define LL_READ_FILE (1ULL << 2)
#define LL_READ_DIR (1ULL << 3)
#define LL_REMOVE_DIR (1ULL << 4)
#define LL_REMOVE_FILE (1ULL << 5)
#define LL_MAKE_CHAR (1ULL << 6)
#define LL_MAKE_DIR (1ULL << 7)
#define LL_MAKE_REG (1ULL << 8)
#define LL_MAKE_SOCK (1ULL << 9)
#define LL_MAKE_FIFO (1ULL << 10)
#define LL_MAKE_BLOCK (1ULL << 11)
#define LL_MAKE_SYM (1ULL << 12)
#define LL_REFER (1ULL << 13)       /* ABI 2 */
#define LL_TRUNCATE (1ULL << 14)    /* ABI 3 */
#define LL_IOCTL_DEV (1ULL << 15)   /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset_attr {
	u64 handled_access_fs, handled_access_net, scoped;
};

struct __attribute__((packed)) ll_path_beneath {
	u64 allowed_access;
	s32 parent_fd;
};

/* seccomp and classic BPF (linux/seccomp.h, linux/filter.h, linux/audit.h). */
#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_GET_ACTION_AVAIL 2
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#define SECCOMP_RET_ERRNO 0x00050000U
#define SECCOMP_RET_ALLOW 0x7fff0000U
#define AUDIT_ARCH_X86_64 0xc000003eU
#define X32_SYSCALL_BIT 0x40000000U
#define BPF_LD_W_ABS 0x20 /* BPF_LD | BPF_W | BPF_ABS */
#define BPF_JEQ_K 0x15    /* BPF_JMP | BPF_JEQ | BPF_K */
#define BPF_JGE_K 0x35    /* BPF_JMP | BPF_JGE | BPF_K */
#define BPF_JGT_K 0x25    /* BPF_JMP | BPF_JGT | BPF_K */
#define BPF_RET_K 0x06
#define BPF_JA 0x05 /* BPF_JMP | BPF_JA: pc += k */
#define SD_NR 0     /* struct seccomp_data offsets */
#define SD_ARCH 4
#define SD_IP 8                  /* the low half; the high half at 12 */
#define SD_ARG(i) (16 + 8 * (i)) /* the low half (little-endian) */

struct sock_filter {
	u16 code;
	u8 jt, jf;
	u32 k;
};

struct sock_fprog {
	unsigned short len;
	struct sock_filter *filter;
};

struct open_how {
	u64 flags, mode, resolve;
};

#define N(name) HOST_NR(name)

/* The mount-namespace wall's state, for --verbose. */
static const char *ns_state = "not used";
static bool ns_entered; /* past unshare: a failure now is fatal */

/* Every host call kernel/plat makes after the program starts (the filter
 * tests them as a sorted tree, build_filter). tests/hosted/
 * test_confine.py reads this list: one N(name) per call. openat2,
 * fchmodat2, mknodat and statx are for hostfs's race-free walk. The timer
 * calls are the guest's timers (kernel/plat/linux/timer.c); timer_create's
 * sigevent is behind a pointer, which a seccomp filter cannot read, so
 * that its only event is SIGEV_THREAD_ID to abi-run's signal thread (or
 * SIGEV_NONE) is timer.c's promise, not the filter's: a timer of another
 * kind could only signal abi-run itself. restart_syscall: a host futex
 * wait with a timeout that a kick interrupts while the function-call entry
 * runs kernel code comes back through it (the kick handler has SA_RESTART;
 * fast.c). */
static const u32 allowed_calls[] = {
	N(read),
	N(write),
	N(pread64),
	N(pwrite64),
	N(lseek),
	N(close),
	N(fstat),
	N(newfstatat),
	N(openat),
	N(openat2),
	N(getdents64),
	N(readlinkat),
	N(mmap),
	N(munmap),
	N(mprotect),
	N(mremap),
	N(madvise),
	N(mincore),
	N(msync),
	N(memfd_create),
	N(rt_sigaction),
	N(rt_sigprocmask),
	N(rt_sigreturn),
	N(sigaltstack),
	N(clock_gettime),
	N(clock_getres),
	N(getrandom),
	N(getpid),
	N(gettid),
	N(getuid),
	N(getgid),
	N(getrusage),
	N(poll),
	N(ftruncate),
	N(fallocate),
	N(fsync),
	N(fdatasync),
	N(fchmod),
	N(fchmodat),
	N(fchmodat2),
	N(fchownat),
	N(utimensat),
	N(mkdirat),
	N(mknodat),
	N(unlinkat),
	N(renameat2),
	N(linkat),
	N(symlinkat),
	N(getxattr),
	N(setxattr),
	N(listxattr),
	N(removexattr),
	N(fgetxattr),
	N(fsetxattr),
	N(flistxattr),
	N(fremovexattr),
	N(statx),
	N(exit_group),
	N(exit),
	N(ppoll),
	N(eventfd2),
	N(getsid),
	N(getpgid),
	N(epoll_create1),
	N(epoll_ctl),
	N(epoll_wait),
	N(rt_sigtimedwait),
	N(sched_yield),
	N(getcpu),
	N(alarm),
	N(setitimer),
	N(getitimer),
	N(timer_create),
	N(timer_settime),
	N(timer_gettime),
	N(timer_delete),
	N(fstatfs),
	N(restart_syscall),
};

/* Calls allowed with some values of one argument (the low 32 bits: every
 * checked argument is an int, which is all the host kernel reads). */
struct arg_rule {
	u32 nr;
	u8 arg;
	u32 deny_errno;
	u32 values[24];
	u8 nvalues;
};

#define FUTEX_WAKE_PRIVATE 129        /* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */
#define FUTEX_WAIT_BITSET_PRIVATE 137 /* FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG */

static struct arg_rule arg_rules[] = {
	{ N(futex), 1, EPERM, { FUTEX_WAIT_BITSET_PRIVATE, FUTEX_WAKE_PRIVATE }, 2 },
	/* The console's requests: TCGETS, TCSETS, TCSETSW, TCSETSF,
	 * TIOCGWINSZ, TIOCSWINSZ, FIONREAD, TIOCGPGRP, TIOCSPGRP, TIOCGSID,
	 * TIOCOUTQ, TCFLSH, TCXONC, TCSBRK, TCSBRKP, and a pty master's
	 * TIOCGPTN, TIOCSPTLCK, TIOCGPTPEER; never TIOCSTI. */
	{ N(ioctl),
	  1,
	  ENOTTY,
	  { 0x5401, 0x5402, 0x5403, 0x5404, 0x5413, 0x5414, 0x541b, 0x540f, 0x5410, 0x5429, 0x5411,
	    0x540b, 0x540a, 0x5409, 0x5425, 0x80045430, 0x40045431, 0x5441 },
	  18 },
	/* F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK,
	 * F_SETLKW, the OFD locks, F_DUPFD_CLOEXEC; never F_SETOWN/F_SETSIG
	 * (signals to other processes), leases or notify. */
	{ N(fcntl), 1, EPERM, { 0, 1, 2, 3, 4, 5, 6, 7, 36, 37, 38, 1030 }, 12 },
	/* The guest's speculation controls are its host thread's (plat_spec_ctrl);
	 * the kernel reads the host's bounding set when a program first asks
	 * (plat_host_bset), a read of abi-run's own. */
	{ N(prctl),
	  0,
	  EPERM,
	  { PR_SET_SYSCALL_USER_DISPATCH, PR_GET_SPECULATION_CTRL, PR_SET_SPECULATION_CTRL,
	    PR_CAPBSET_READ },
	  4 },
	/* ARCH_SET_GS: exec clears the GS base the old program may have set. */
	{ N(arch_prctl),
	  0,
	  EPERM,
	  { 0x1001 /* ARCH_SET_GS */, 0x1002 /* ARCH_SET_FS */, 0x1003 /* ARCH_GET_FS */ },
	  3 },
	{ N(sched_getaffinity), 0, EPERM, { 0 }, 1 },
	{ N(sched_getattr), 0, EPERM, { 0 }, 1 },
	/* tgkill and kill: this process only (values[0] is set at install). */
	{ N(tgkill), 0, EPERM, { 0 }, 1 },
	{ N(kill), 0, EPERM, { 0 }, 1 },
	/* clone: threads of this process only (kernel/plat/hosted/thread.c). */
	{ N(clone), 0, EPERM, { HOST_THREAD_CLONE_FLAGS }, 1 },
};

#define FILTER_MAX 512
static struct sock_filter filter[FILTER_MAX];
static unsigned filter_len;

static void emit(u16 code, u8 jt, u8 jf, u32 k)
{
	if (filter_len < FILTER_MAX)
		filter[filter_len++] = (struct sock_filter){ code, jt, jf, k };
}

/* The filter tests the call number against a bitmap of the allowed calls,
 * not a list or a tree of comparisons: the host's cost to install a filter
 * (checking, converting and compiling it) grows with its length, and it is
 * paid at every start (a linear list of some 80 tests cost ~115 µs, a
 * balanced tree of 280 instructions ~60). In classic BPF the bit is found
 * with shifts: the mask 1 << (nr & 31) goes to X, nr >> 5 picks the word
 * (a test per word), and JSET tests the word's bits against X. The calls
 * with an argument rule are tested first, each jumping to its rule's
 * block. Every jump is forward and must fit the 8-bit offsets. */
#define BPF_LD_IMM 0x00 /* BPF_LD | BPF_W | BPF_IMM */
#define BPF_AND_K 0x54  /* BPF_ALU | BPF_AND | BPF_K */
#define BPF_RSH_K 0x74  /* BPF_ALU | BPF_RSH | BPF_K */
#define BPF_LSH_X 0x6c  /* BPF_ALU | BPF_LSH | BPF_X */
#define BPF_TAX 0x07    /* BPF_MISC | BPF_TAX */
#define BPF_TXA 0x87    /* BPF_MISC | BPF_TXA */
#define BPF_JSET_X 0x4d /* BPF_JMP | BPF_JSET | BPF_X */
#define NR_WORDS 16     /* numbers below 512: kernel/plat's are below 460 */

/* Forward jumps to be set once their target is known: the instruction and
 * whether its true (or false) branch goes there. */
struct fixup {
	u16 at;
	bool jt;
};

static bool filter_ok;

static void jump_to(struct fixup f, unsigned target)
{
	unsigned off = target - f.at - 1;

	if (target <= f.at || off > 255) {
		filter_ok = false; /* too far for a conditional jump: refused */
		return;
	}
	if (f.jt)
		filter[f.at].jt = (u8)off;
	else
		filter[f.at].jf = (u8)off;
}

extern const char __executable_start[] __attribute__((visibility("hidden")));
extern const char __etext[] __attribute__((visibility("hidden")));

static void build_filter(void)
{
	u64 text_start = (u64)(uintptr_t)__executable_start, text_end = (u64)(uintptr_t)__etext;
	u32 words[NR_WORDS] = { 0 };
	u16 rule_test[ARRAY_SIZE(arg_rules)], word_test[NR_WORDS];
	struct fixup to_allow[64], to_kill[NR_WORDS + 8];
	unsigned nallow = 0, nkill = 0, allow, kill;

	filter_ok = true;
	for (size_t i = 0; i < ARRAY_SIZE(allowed_calls); i++) {
		if (allowed_calls[i] >= NR_WORDS * 32)
			filter_ok = false;
		else
			words[allowed_calls[i] / 32] |= 1u << (allowed_calls[i] % 32);
	}
	filter_len = 0;
	emit(BPF_LD_W_ABS, 0, 0, SD_ARCH);
	emit(BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64);
	emit(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	/* Only abi-run's text makes host calls (a guest's syscall instruction
	 * elsewhere is trapped by SUD before the filter runs). The test comes
	 * before any on the number, and it reads the instruction pointer, which
	 * the host cannot know in advance: its per-number cache of calls always
	 * allowed gives up at once instead of running the filter for each of
	 * some 900 numbers, which was most of the filter's install (~50 µs of
	 * every start). Every allowed call runs the filter instead: a few ns. */
	emit(BPF_LD_W_ABS, 0, 0, SD_IP + 4);
	emit(BPF_JEQ_K, 1, 0, (u32)(text_start >> 32));
	emit(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	if (text_start >> 32 == text_end >> 32) { /* always, at abi-run's link address */
		emit(BPF_LD_W_ABS, 0, 0, SD_IP);
		emit(BPF_JGE_K, 1, 0, (u32)text_start);
		emit(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
		emit(BPF_JGT_K, 0, 1, (u32)text_end);
		emit(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	}
	emit(BPF_LD_W_ABS, 0, 0, SD_NR);
	/* beyond the bitmap (x32 numbers too) */
	to_kill[nkill++] = (struct fixup){ (u16)filter_len, true };
	emit(BPF_JGE_K, 0, 0, NR_WORDS * 32);
	for (size_t i = 0; i < ARRAY_SIZE(arg_rules); i++) {
		rule_test[i] = (u16)filter_len;
		emit(BPF_JEQ_K, 0, 0, arg_rules[i].nr);
	}
	emit(BPF_AND_K, 0, 0, 31);
	emit(BPF_TAX, 0, 0, 0);
	emit(BPF_LD_IMM, 0, 0, 1);
	emit(BPF_LSH_X, 0, 0, 0);
	emit(BPF_TAX, 0, 0, 0); /* X: 1 << (nr & 31) */
	emit(BPF_LD_W_ABS, 0, 0, SD_NR);
	emit(BPF_RSH_K, 0, 0, 5); /* A: the word */
	for (unsigned w = 0; w < NR_WORDS; w++)
		if (words[w]) {
			word_test[w] = (u16)filter_len;
			emit(BPF_JEQ_K, 0, 0, w);
		}
	to_kill[nkill++] = (struct fixup){ (u16)filter_len, false };
	emit(BPF_JA, 0, 0, 0); /* a word with no allowed call: patched below */
	for (unsigned w = 0; w < NR_WORDS; w++)
		if (words[w]) {
			jump_to((struct fixup){ word_test[w], true }, filter_len);
			emit(BPF_LD_IMM, 0, 0, words[w]);
			to_allow[nallow++] = (struct fixup){ (u16)filter_len, true };
			to_kill[nkill++] = (struct fixup){ (u16)filter_len, false };
			emit(BPF_JSET_X, 0, 0, 0);
		}
	for (size_t i = 0; i < ARRAY_SIZE(arg_rules) && filter_ok; i++) {
		const struct arg_rule *r = &arg_rules[i];

		jump_to((struct fixup){ rule_test[i], true }, filter_len);
		emit(BPF_LD_W_ABS, 0, 0, SD_ARG(r->arg));
		for (u8 v = 0; v < r->nvalues && nallow < ARRAY_SIZE(to_allow); v++) {
			to_allow[nallow++] = (struct fixup){ (u16)filter_len, true };
			emit(BPF_JEQ_K, 0, 0, r->values[v]);
		}
		emit(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | r->deny_errno);
	}
	allow = filter_len;
	emit(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW);
	kill = filter_len;
	emit(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	if (filter_len >= FILTER_MAX || nallow >= ARRAY_SIZE(to_allow))
		filter_ok = false;
	if (!filter_ok)
		return;
	for (unsigned i = 0; i < nallow; i++)
		jump_to(to_allow[i], allow);
	for (unsigned i = 0; i < nkill; i++) {
		if (filter[to_kill[i].at].code == BPF_JA)
			filter[to_kill[i].at].k = kill - to_kill[i].at - 1;
		else
			jump_to(to_kill[i], kill);
	}
}

static unsigned allowed_count(void)
{
	return (unsigned)(ARRAY_SIZE(allowed_calls) + ARRAY_SIZE(arg_rules));
}

static long landlock_abi(void)
{
	return host_syscall3(HOST_NR(landlock_create_ruleset), 0, 0,
			     LANDLOCK_CREATE_RULESET_VERSION);
}

static u64 fs_rights(long abi)
{
	u64 all = (LL_MAKE_SYM << 1) - 1;

	if (abi >= 2)
		all |= LL_REFER;
	if (abi >= 3)
		all |= LL_TRUNCATE;
	if (abi >= 5)
		all |= LL_IOCTL_DEV;
	return all;
}

/* Adds a rule for host path `path` (a directory). */
static long add_path_rule(int ruleset, const char *path, u64 rights)
{
	long fd = plat_host_openat(AT_FDCWD, path, O_PATH | O_CLOEXEC, 0), r;
	struct ll_path_beneath pb;

	if (fd < 0)
		return fd;
	pb.allowed_access = rights;
	pb.parent_fd = (s32)fd;
	r = host_syscall4(HOST_NR(landlock_add_rule), ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	plat_host_close((int)fd);
	return r;
}

static long tree_rights(long abi, bool ro)
{
	u64 read = LL_READ_FILE | LL_READ_DIR;

	/* Everything the guest's file calls need; no execute (the kernel
	 * reads programs, the host never execs), no device nodes. */
	if (ro)
		return (long)read;
	return (long)(fs_rights(abi) & ~(LL_EXECUTE | LL_MAKE_CHAR | LL_MAKE_BLOCK | LL_IOCTL_DEV));
}

/* A read-write tree is the host's whole /: beneath it a file rule grants
 * every right but execute (which the seccomp filter refuses anyway: no
 * execve) and device nodes (a guest given the whole host opens existing
 * ones all the same). The file rules would add little but their cost:
 * Landlock walks every access up to the rule's directory, so each hostfs
 * call would cost in proportion to its depth. */
static bool whole_host_rw(void)
{
	struct plat_stat root, tree;

	if (hosted_setup.sandbox || hosted_setup.root_ro)
		return false;
	if (!hosted_setup.root)
		return true;
	return plat_host_fstatat(AT_FDCWD, "/", &root, 0) == 0 &&
	       plat_host_fstatat(AT_FDCWD, hosted_setup.root, &tree, 0) == 0 &&
	       root.dev == tree.dev && root.ino == tree.ino;
}

static long landlock_confine(long abi)
{
	struct ll_ruleset_attr attr = { 0, 0, 0 };
	size_t size = 8;
	bool files = !whole_host_rw();
	long rs, r = 0;

	if (files)
		attr.handled_access_fs = fs_rights(abi);
	else if (abi < 4)
		return 0; /* nothing left for Landlock to handle */
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = 16;
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		size = 24;
	}
	rs = host_syscall3(HOST_NR(landlock_create_ruleset), &attr, size, 0);
	if (rs < 0)
		return rs;
	/* The platform reads its own /proc/self (pagemap, auxv) and reaches
	 * O_PATH descriptors through /proc/self/fd/N; the magic links there
	 * lead to files that Landlock checks where they are. */
	if (files)
		r = add_path_rule((int)rs, "/proc/self", LL_READ_FILE);
	if (r == 0 && files && !hosted_setup.sandbox)
		r = add_path_rule((int)rs, hosted_setup.root ? hosted_setup.root : "/",
				  (u64)tree_rights(abi, hosted_setup.root_ro));
	for (int i = 0; r == 0 && files && i < hosted_setup.nmounts; i++)
		r = add_path_rule((int)rs, hosted_setup.mounts[i].host,
				  (u64)tree_rights(abi, hosted_setup.mounts[i].ro));
	if (r == 0)
		r = host_syscall2(HOST_NR(landlock_restrict_self), rs, 0);
	plat_host_close((int)rs);
	return r;
}

static long seccomp_confine(void)
{
	struct sock_fprog prog;
	u32 pid = (u32)host_syscall0(HOST_NR(getpid));

	for (unsigned i = 0; i < ARRAY_SIZE(arg_rules); i++)
		if (arg_rules[i].nr == N(tgkill) || arg_rules[i].nr == N(kill))
			arg_rules[i].values[0] = pid;
	build_filter();
	PROF("confine: build filter");
	if (!filter_ok)
		return -E2BIG;
	prog.len = (unsigned short)filter_len;
	prog.filter = filter;
	return host_syscall3(HOST_NR(seccomp), SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static void missing(const char *wall, long r)
{
	if (hosted_opts.require_confinement)
		hosted_die("--require-confinement: %s is not available on this host (%s)", wall,
			   hosted_errname(r));
	hosted_printf(
		2,
		"abi-run: warning: no %s on this host (%s): the sandbox is weaker (abi-run --sandbox-info)\n",
		wall, hosted_errname(r));
}

void hosted_confine(void)
{
	long r, abi;

	if (hosted_opts.no_confine)
		return;
	PROF("confine: start");
	if ((r = host_syscall5(HOST_NR(prctl), PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) < 0)
		missing("no_new_privs", r);
	/* ABI_HOSTED_NO_LANDLOCK=1 in the environment plays a host without
	 * Landlock, so the warning path is testable here. */
	abi = hosted_env_get("ABI_HOSTED_NO_LANDLOCK") ? -ENOSYS : landlock_abi();
	if (abi < 0)
		missing("Landlock", abi);
	else if ((r = landlock_confine(abi)) == -EPERM)
		missing("Landlock (no no_new_privs)", r);
	else if (r < 0)
		hosted_die("Landlock: %s", hosted_errname(r));
	PROF("confine: nnp+landlock");
	if ((r = seccomp_confine()) < 0)
		missing("seccomp filter", r);
	if (hosted_opts.verbose)
		hosted_printf(2,
			      "abi-run: confined: Landlock ABI %ld, seccomp filter of %u calls "
			      "(%u instructions), mount namespace %s\n",
			      abi < 0 ? 0 : abi, allowed_count(), filter_len, ns_state);
}

/* The mount namespace: as root, or in a user namespace under a plain
 * --sandbox (with a tree, a one-user map would show every file not the
 * user's as nobody's). The new root is a
 * read-only tmpfs holding, at their own host paths, bind mounts of the
 * trees (read-only where :ro), of /proc/self and, under --sandbox, of the
 * program to copy in; so an absolute path, or ".." from a tree's root,
 * reaches nothing else, which closes what Landlock leaves open (chmod,
 * chown, utimes and xattrs by path). The default root, the host's /, has
 * nothing to hide: no namespace. */
#define NS_MAX (HOSTED_MAX_MOUNTS + 3)
static struct ns_bind {
	long fd; /* only while ns_add makes the path canonical */
	char path[4096];
	bool ro, file;
} binds[NS_MAX];
static int nbinds;
static char ns_prog[4096];

#define NEWROOT "/tmp" /* overmounted in the private namespace only */

/* Opens host path p (O_PATH) and records its canonical path. */
static char *ns_add(const char *p, bool ro, bool file)
{
	struct ns_bind *b = &binds[nbinds];
	char link[PLAT_FD_PATH_MAX];
	long n;

	if (nbinds == NS_MAX)
		return NULL;
	b->fd = plat_host_openat(AT_FDCWD, p, O_PATH | O_CLOEXEC | (file ? 0 : O_DIRECTORY), 0);
	if (b->fd < 0)
		return NULL;
	n = plat_host_readlinkat(AT_FDCWD, plat_host_fd_path((int)b->fd, link), b->path,
				 sizeof b->path - 1);
	if (n <= 0 || b->path[0] != '/') {
		plat_host_close((int)b->fd);
		return NULL;
	}
	b->path[n] = 0;
	plat_host_close((int)b->fd);
	b->ro = ro;
	b->file = file;
	return binds[nbinds++].path;
}

/* mkdir -p path in the new root (the last component a file when file):
 * inside a tree bound earlier every component exists already. */
static long ns_mkpath(const char *path, bool file)
{
	char buf[4096];
	size_t n = strlcpy(buf, path, sizeof buf);
	long r = 0;

	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == 0) {
			char c = buf[i];

			buf[i] = 0;
			if (c == 0 && file) {
				r = plat_host_openat(AT_FDCWD, buf, O_RDONLY | O_CREAT | O_CLOEXEC,
						     0444);
				if (r >= 0)
					r = plat_host_close((int)r);
			} else {
				r = host_syscall3(HOST_NR(mkdirat), AT_FDCWD, buf, 0755);
				if (r == -EEXIST)
					r = 0;
			}
			buf[i] = c;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static long ns_mount(const char *src, const char *dst, const char *type, unsigned long fl)
{
	return host_syscall5(HOST_NR(mount), src, dst, type, fl, 0);
}

/* Binds the old root's path (following no symlink: one swapped in since
 * the path was made canonical fails) at the same path in the new root. */
static long ns_bind(const struct ns_bind *b)
{
	char src[4200], link[PLAT_FD_PATH_MAX + 8];
	struct open_how how = { O_PATH | O_CLOEXEC | (b->file ? 0 : O_DIRECTORY), 0,
				RESOLVE_NO_SYMLINKS };
	long fd, r;

	ksnprintf(src, sizeof src, "/.old%s", b->path);
	if ((fd = host_syscall4(HOST_NR(openat2), AT_FDCWD, src, &how, sizeof how)) < 0)
		return fd;
	ksnprintf(link, sizeof link, "/.old/proc/self/fd/%ld", fd);
	r = ns_mkpath(b->path, b->file);
	if (r == 0)
		r = ns_mount(link, b->path, 0, MS_BIND | MS_REC);
	if (r == 0 && b->ro)
		r = ns_mount(0, b->path, 0, MS_REMOUNT | MS_BIND | MS_RDONLY);
	plat_host_close((int)fd);
	return r;
}

/* Writes s to /proc/self/NAME (the user namespace's maps). */
static long ns_write_proc(const char *name, const char *s)
{
	char path[64];
	long fd, r;

	ksnprintf(path, sizeof path, "/proc/self/%s", name);
	if ((fd = plat_host_openat(AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0)) < 0)
		return fd;
	r = host_syscall3(HOST_NR(write), fd, s, strlen(s));
	plat_host_close((int)fd);
	return r < 0 ? r : 0;
}

/* A user namespace mapping only the invoking user and group to
 * themselves: getuid and the ramfs see the same ids. */
static long ns_enter_user(void)
{
	long uid = host_syscall0(HOST_NR(getuid)), gid = host_syscall0(HOST_NR(getgid)), r;
	char map[64];

	proc_cap_bset(); /* read before: a new user namespace has every capability */
	if ((r = host_syscall1(HOST_NR(unshare), CLONE_NEWUSER | CLONE_NEWNS)) < 0)
		return r;
	ksnprintf(map, sizeof map, "%ld %ld 1\n", uid, uid);
	if ((r = ns_write_proc("uid_map", map)) < 0 || (r = ns_write_proc("setgroups", "deny")) < 0)
		return r;
	ksnprintf(map, sizeof map, "%ld %ld 1\n", gid, gid);
	return ns_write_proc("gid_map", map);
}

static long ns_build(bool user)
{
	static char cwd[4096];
	char pid[16];
	int order[NS_MAX];
	long r, have_cwd = host_syscall2(HOST_NR(getcwd), cwd, sizeof cwd);

	if ((r = user ? ns_enter_user() : host_syscall1(HOST_NR(unshare), CLONE_NEWNS)) < 0)
		return r;
	ns_entered = true;
	if ((r = ns_mount(0, "/", 0, MS_REC | MS_PRIVATE)) < 0 ||
	    (r = ns_mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV)) < 0 ||
	    (r = host_syscall3(HOST_NR(mkdirat), AT_FDCWD, NEWROOT "/.old", 0700)) < 0 ||
	    (r = host_syscall2(HOST_NR(pivot_root), NEWROOT, NEWROOT "/.old")) < 0 ||
	    (r = host_syscall1(HOST_NR(chdir), "/")) < 0)
		return r;
	/* Parents before the trees nested in them: shorter paths first (an
	 * order of indices: the options point into binds). */
	for (int i = 0; i < nbinds; i++)
		order[i] = i;
	for (int i = 1; i < nbinds; i++)
		for (int j = i;
		     j > 0 && strlen(binds[order[j]].path) < strlen(binds[order[j - 1]].path);
		     j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < nbinds; i++)
		if ((r = ns_bind(&binds[order[i]])) < 0)
			return r;
	/* /proc/self, the platform's name for its own /proc/PID. */
	ksnprintf(pid, sizeof pid, "%ld", host_syscall0(HOST_NR(getpid)));
	host_syscall3(HOST_NR(symlinkat), pid, AT_FDCWD, "/proc/self");
	if ((r = host_syscall2(HOST_NR(umount2), "/.old", MNT_DETACH)) < 0)
		return r;
	host_syscall3(HOST_NR(unlinkat), AT_FDCWD, "/.old", AT_REMOVEDIR);
	if ((r = ns_mount(0, "/", 0, MS_REMOUNT | MS_BIND | MS_RDONLY)) < 0)
		return r;
	/* The same working directory when it lies in a tree, else /. */
	if (have_cwd > 0)
		host_syscall1(HOST_NR(chdir), cwd);
	return 0;
}

static bool streq_root(const char *p)
{
	return p[0] == '/' && p[1] == 0;
}

void hosted_confine_mounts(const char **prog)
{
	bool user;
	long r;
	char *p;

	if (hosted_opts.no_confine || (!hosted_setup.sandbox && !hosted_setup.root))
		return;
	nbinds = 0;
	ns_state = "unavailable";
	if (!ns_add("/proc/self", false, false))
		return;
	if (hosted_setup.sandbox) {
		if (!(p = ns_add(*prog, true, true)))
			return;
		strlcpy(ns_prog, p, sizeof ns_prog);
	} else if ((p = ns_add(hosted_setup.root, hosted_setup.root_ro, false))) {
		hosted_setup.root = p;
	} else {
		return; /* setup_fs reports the bad --root */
	}
	for (int i = 0; i < hosted_setup.nmounts; i++) {
		struct hosted_mount *m = &hosted_setup.mounts[i];

		if (!(p = ns_add(m->host, m->ro, false)))
			return;
		m->host = p;
	}
	/* A tree that is the host's / leaves nothing to hide. */
	for (int i = 0; i < nbinds; i++)
		if (streq_root(binds[i].path)) {
			ns_state = "not used (a tree is the host's /)";
			return;
		}
	/* Not root: a user namespace too, under a plain --sandbox only (with
	 * a tree, every file not the user's would show as nobody's). */
	user = host_syscall0(HOST_NR(getuid)) != 0;
	if (user && (hosted_setup.nmounts || hosted_setup.root)) {
		ns_state = "not used (a tree without root)";
		return;
	}
	if ((r = plat_host_openat(AT_FDCWD, NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC, 0)) < 0) {
		ns_state = "unavailable (no /tmp to build the new root on)";
		return;
	}
	plat_host_close((int)r);
	if ((r = ns_build(user)) < 0) {
		/* Half built (trees shadowed, the root pivoted): no way back. */
		if (ns_entered)
			hosted_die("mount namespace: %s (abi-run --no-confine runs without it)",
				   hosted_errname(r));
		ns_state = user ? "unavailable (no unprivileged user namespaces)" : "unavailable";
		return;
	}
	if (hosted_setup.sandbox)
		*prog = ns_prog;
	ns_state = "used";
}

_Noreturn void hosted_sandbox_info(void)
{
	long abi = landlock_abi(), sud = hosted_sud_probe(false), r;
	u32 action = SECCOMP_RET_KILL_PROCESS;
	long seccomp = host_syscall1(HOST_NR(prctl), PR_GET_SECCOMP);
	long kill_ok = host_syscall3(HOST_NR(seccomp), SECCOMP_GET_ACTION_AVAIL, 0, &action);
	long nnp = host_syscall1(HOST_NR(prctl), PR_GET_NO_NEW_PRIVS);

	build_filter();
	hosted_printf(1, "abi-run sandbox walls on this host:\n");
	hosted_printf(1, "  syscall user dispatch: %s\n", sud == 0 ? "yes" : hosted_errname(sud));
	hosted_printf(1, "  no_new_privs: %s (set at start unless --no-confine)\n",
		      nnp >= 0 ? "available" : hosted_errname(nnp));
	if (abi > 0)
		hosted_printf(1, "  landlock: ABI %ld (files%s%s)\n", abi, abi >= 4 ? ", tcp" : "",
			      abi >= 6 ? ", signal and socket scopes" : "");
	else
		hosted_printf(1, "  landlock: no (%s)\n", hosted_errname(abi));
	r = seccomp >= 0 && kill_ok == 0;
	hosted_printf(
		1,
		"  seccomp filter: %s (mode filter, kill-process; %u calls allowed, %u instructions)\n",
		r ? "yes" : "no", allowed_count(), filter_len);
	hosted_printf(1, "  hostfs race-free paths (openat2 RESOLVE_BENEATH, fchmodat2): %s\n",
		      hostfs_race_free() ? "yes" : "no (a walk one name at a time)");
	if (host_syscall0(HOST_NR(getuid)) == 0)
		hosted_printf(1, "  mount namespace: yes (with --sandbox or --root)\n");
	else if ((r = host_syscall1(HOST_NR(unshare), CLONE_NEWUSER)) == 0)
		hosted_printf(1, "  mount namespace: yes, in a user namespace (plain --sandbox "
				 "only; not with --root or --mount)\n");
	else
		hosted_printf(1, "  mount namespace: no (not root; user namespaces: %s)\n",
			      hosted_errname(r));
	hosted_printf(1, "  confinement: %s\n",
		      hosted_opts.no_confine ? "off (--no-confine)" : "on");
	plat_exit(0);
}
