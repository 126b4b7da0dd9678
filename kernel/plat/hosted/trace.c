/* --trace: one line per syscall exactly as strace 6.1 prints it (strace -f),
 * decoded with the generated trace metadata (abi_sysmeta): names, flag sets,
 * quoted strings truncated at 32 bytes, errno names and descriptions, the
 * structs strace decodes (a small table of decoders keyed by the table's
 * pointee type), plus strace's signal (`--- SIGSEGV {...} ---`) and exit
 * (`+++ exited with N +++`) lines. Guest memory is read with the kernel's
 * user-access helpers, so a bad pointer prints as its address, as strace
 * prints one it cannot read. */
#include <abi/syscalls.h>
#include <abi/trace_meta.h>
#include <kernel/arch.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/task.h>
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

#define STRSIZE 32    /* strace's default -s */
#define PATHSIZE 4096 /* PATH_MAX: paths are not truncated */
#define RET_COLUMN 39 /* strace pads the call to this width before " = " */

static void put(struct trace_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct trace_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof l->buf - 1)
		return;
	va_start(ap, fmt);
	n = kvsnprintf(l->buf + l->len, sizeof l->buf - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = MIN(l->len + (size_t)n, sizeof l->buf - 1);
}

/* A guest string or buffer, quoted with strace's escapes. */
static void put_quoted(struct trace_line *l, long addr, size_t len, bool nul_terminated, size_t max)
{
	u8 buf[PATHSIZE + 1];
	size_t want = MIN(len, max + (nul_terminated ? 1 : 0));
	size_t got, n;
	bool more;

	if (!addr) {
		put(l, "NULL");
		return;
	}
	got = copy_from_user_partial(buf, (uptr){ (uintptr_t)addr }, want);
	if (got == 0 && want) {
		put(l, "0x%lx", (unsigned long)addr);
		return;
	}
	n = got;
	if (nul_terminated) {
		n = strnlen((const char *)buf, got);
		more = n == got && got > max;
		n = MIN(n, max);
	} else {
		more = len > max;
		n = MIN(n, max);
	}
	put(l, "\"");
	for (size_t i = 0; i < n; i++) {
		u8 c = buf[i];

		switch (c) {
		case '"':
			put(l, "\\\"");
			break;
		case '\\':
			put(l, "\\\\");
			break;
		case '\n':
			put(l, "\\n");
			break;
		case '\t':
			put(l, "\\t");
			break;
		case '\r':
			put(l, "\\r");
			break;
		case '\v':
			put(l, "\\v");
			break;
		case '\f':
			put(l, "\\f");
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				put(l, "%c", c);
			else if (i + 1 < n && buf[i + 1] >= '0' && buf[i + 1] <= '7')
				put(l, "\\%03o", c); /* strace: \0012, not \12 before a digit */
			else
				put(l, "\\%o", c);
		}
	}
	put(l, more ? "\"..." : "\"");
}

static bool flag_on_arch(const struct abi_flag *f)
{
	return f->arches & (1u << arch_current());
}

/* The name of value v in an enumeration (or a bit set's zero name), or NULL. */
static const char *enum_name(const struct abi_flagset *fs, unsigned long v)
{
	for (unsigned i = 0; fs && i < fs->count; i++)
		if (flag_on_arch(&fs->values[i]) && fs->values[i].value[arch_current()] == v)
			return fs->values[i].name;
	return NULL;
}

/* strace's %#lx: "0" for zero, else 0x-prefixed hex. */
static void put_hex(struct trace_line *l, unsigned long v)
{
	put(l, v ? "0x%lx" : "0", v);
}

/* strace's printaddr: NULL for zero, else the address in hex. */
static void put_addr(struct trace_line *l, unsigned long v)
{
	put(l, v ? "0x%lx" : "NULL", v);
}

/* strace's unknown enumeration value: 0x7 followed by a SEEK_??? comment, the prefix
 * being the set's first name up to its first '_'. */
static void put_unknown(struct trace_line *l, const struct abi_flagset *fs, unsigned long v)
{
	const char *first = fs->count ? fs->values[0].name : "";
	size_t n = 0;

	put_hex(l, v);
	put(l, " /* ");
	while (first[n] && first[n] != '_')
		put(l, "%c", first[n++]);
	put(l, "_??? */");
}

static void put_signame(struct trace_line *l, int sig, bool prefix);

static void put_flags(struct trace_line *l, const struct abi_flagset *fs, unsigned long v)
{
	unsigned long rest = v;
	bool any = false;
	const char *name;

	if (fs->is_enum) {
		if (strcmp(fs->name, "signal") == 0)
			put_signame(l, (int)v, true); /* 0 and real-time ones too */
		else if ((name = enum_name(fs, v)))
			put(l, "%s", name);
		else
			put_unknown(l, fs, v);
		return;
	}
	for (unsigned f = 0; f < fs->nfields; f++) {
		const struct abi_flag_field *fld = &fs->fields[f];
		bool found = false;

		for (unsigned i = 0; i < fld->count && !found; i++) {
			const struct abi_flag *e = &fld->values[i];

			if (flag_on_arch(e) && (v & fld->mask) == e->value[arch_current()]) {
				put(l, "%s%s", any ? "|" : "", e->name);
				found = true;
			}
		}
		if (!found && fld->count) { /* strace names an unknown field value MAP_??? */
			const char *first = fld->values[0].name;

			put(l, "%s0x%lx /* ", any ? "|" : "", v & fld->mask);
			for (size_t n = 0; first[n] && first[n] != '_'; n++)
				put(l, "%c", first[n]);
			put(l, "_??? */");
		}
		any = true;
		rest &= ~fld->mask;
	}
	for (unsigned i = 0; i < fs->count; i++) {
		const struct abi_flag *e = &fs->values[i];
		unsigned long bit = e->value[arch_current()];

		if (flag_on_arch(e) && bit && (rest & bit) == bit) {
			put(l, "%s%s", any ? "|" : "", e->name);
			any = true;
			rest &= ~bit;
		}
	}
	if (!any && !rest && (name = enum_name(fs, 0))) {
		put(l, "%s", name); /* PROT_NONE */
		return;
	}
	if (rest || !any) {
		put(l, any ? "|" : "");
		put_hex(l, rest);
	}
}

/* A signal's name as strace prints it: SIGTERM, SIGRTMIN, SIGRT_3, or the
 * number. */
static void put_signame(struct trace_line *l, int sig, bool prefix)
{
	const char *name = enum_name(abi_flagset_find("signal"), (unsigned long)sig);

	if (name)
		put(l, "%s", prefix ? name : name + 3);
	else if (sig == 32)
		put(l, "%sRTMIN", prefix ? "SIG" : "");
	else if (sig > 32 && sig <= 64)
		put(l, "%sRT_%d", prefix ? "SIG" : "", sig - 32);
	else
		put(l, "%d", sig);
}

/* A sigset_t as strace prints it: [USR1 TERM], or ~[...] holding the
 * complement when more than half the signals are in it. */
static void put_sigset_value(struct trace_line *l, u64 set, size_t size)
{
	int count = 0;
	bool first = true;

	for (unsigned i = 0; i < size * 8; i++)
		count += (set >> i) & 1;
	if (count > (int)(size * 8) / 2) {
		set = ~set;
		if (size < 8)
			set &= (1ULL << (size * 8)) - 1;
		put(l, "~");
	}
	put(l, "[");
	for (int sig = 1; sig <= (int)size * 8; sig++)
		if (set & (1ULL << (sig - 1))) {
			put(l, first ? "" : " ");
			put_signame(l, sig, false);
			first = false;
		}
	put(l, "]");
}

static void put_sigset(struct trace_line *l, long addr, size_t size)
{
	u64 set = 0;

	if (size > 8)
		size = 8;
	if (!addr || copy_from_user(&set, (uptr){ (uintptr_t)addr }, size) != 0) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put_sigset_value(l, set, size);
}

/* st_mode as strace prints it: S_IFREG|S_ISUID|0755. */
static void put_mode(struct trace_line *l, unsigned mode)
{
	const char *type = enum_name(abi_flagset_find("file_type"), mode & S_IFMT);

	if (type)
		put(l, "%s|", type);
	else if (mode & S_IFMT)
		put(l, "0%o|", mode & S_IFMT);
	if (mode & S_ISUID)
		put(l, "S_ISUID|");
	if (mode & S_ISGID)
		put(l, "S_ISGID|");
	if (mode & S_ISVTX)
		put(l, "S_ISVTX|");
	put(l, "0%02o", mode & 0777); /* strace's %#03o */
}

/* makedev(0x88, 0x3): glibc's major/minor split of a dev_t. */
static void put_dev(struct trace_line *l, u64 dev)
{
	unsigned major = (unsigned)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffULL));
	unsigned minor = (unsigned)((dev & 0xff) | ((dev >> 12) & ~0xffULL));

	put(l, "makedev(");
	put_hex(l, major);
	put(l, ", ");
	put_hex(l, minor);
	put(l, ")");
}

static void put_stat(struct trace_line *l, const void *p)
{
	const struct linux_stat *st = p;

	put(l, "{st_mode=");
	put_mode(l, st->st_mode);
	if ((st->st_mode & S_IFMT) == S_IFCHR || (st->st_mode & S_IFMT) == S_IFBLK) {
		put(l, ", st_rdev=");
		put_dev(l, st->st_rdev);
	} else {
		put(l, ", st_size=%ld", (long)st->st_size);
	}
	put(l, ", ...}");
}

static void put_statfs(struct trace_line *l, const void *p)
{
	const struct linux_statfs *f = p;
	const char *magic = enum_name(abi_flagset_find("fs_magic"), (unsigned long)f->f_type);

	put(l, "{f_type=");
	if (magic)
		put(l, "%s", magic);
	else
		put_hex(l, (unsigned long)f->f_type);
	put(l, ", f_bsize=%ld, f_blocks=%lu, f_bfree=%lu, f_bavail=%lu, f_files=%lu, f_ffree=%lu",
	    (long)f->f_bsize, (unsigned long)f->f_blocks, (unsigned long)f->f_bfree,
	    (unsigned long)f->f_bavail, (unsigned long)f->f_files, (unsigned long)f->f_ffree);
	put(l, ", f_fsid={val=[");
	put_hex(l, (u32)f->f_fsid[0]);
	put(l, ", ");
	put_hex(l, (u32)f->f_fsid[1]);
	put(l, "]}, f_namelen=%ld, f_frsize=%ld", (long)f->f_namelen, (long)f->f_frsize);
	if (f->f_flags) {
		put(l, ", f_flags=");
		put_flags(l, abi_flagset_find("statfs_flags"), (unsigned long)f->f_flags);
	}
	put(l, "}");
}

static void put_timespec(struct trace_line *l, const void *p)
{
	const struct linux_timespec *ts = p;

	put(l, "{tv_sec=%ld, tv_nsec=%ld}", (long)ts->tv_sec, (long)ts->tv_nsec);
}

static void put_itimerspec(struct trace_line *l, const void *p)
{
	const struct linux_timespec *ts = p;

	put(l, "{it_interval=");
	put_timespec(l, &ts[0]);
	put(l, ", it_value=");
	put_timespec(l, &ts[1]);
	put(l, "}");
}

static void put_stack_t(struct trace_line *l, const void *p)
{
	const struct linux_stack_t *ss = p;

	put(l, "{ss_sp=");
	put_addr(l, (unsigned long)ss->ss_sp);
	put(l, ", ss_flags=");
	put_flags(l, abi_flagset_find("sigaltstack_flags"), (u32)ss->ss_flags);
	put(l, ", ss_size=%lu}", (unsigned long)ss->ss_size);
}

static void put_utsname_field(struct trace_line *l, const char *name, const char *v)
{
	put(l, "%s=\"", name);
	for (size_t i = 0; i < 65 && v[i]; i++)
		put(l, "%c", v[i]);
	put(l, "\"");
}

/* strace's abbreviated form: the first two names, then "...". */
static void put_utsname(struct trace_line *l, const void *p)
{
	const char *u = p; /* six fields of 65 bytes */

	put(l, "{");
	put_utsname_field(l, "sysname", u);
	put(l, ", ");
	put_utsname_field(l, "nodename", u + 65);
	put(l, ", ...}");
}

/* statx's abbreviated form: the mask, attributes, mode and size. */
static void put_statx(struct trace_line *l, const void *p)
{
	const u8 *b = p;
	u32 mask;
	u64 attributes, size;
	u16 mode;

	memcpy(&mask, b, 4);
	memcpy(&attributes, b + 8, 8);
	memcpy(&mode, b + 28, 2);
	memcpy(&size, b + 40, 8);
	put(l, "{stx_mask=");
	put_flags(l, abi_flagset_find("statx_mask"), mask);
	put(l, ", stx_attributes=");
	put_hex(l, (unsigned long)attributes);
	put(l, ", stx_mode=");
	put_mode(l, mode);
	put(l, ", stx_size=%lu, ...}", (unsigned long)size);
}

/* A siginfo as strace prints it: {si_signo=SIGSEGV, si_code=SEGV_MAPERR,
 * si_addr=NULL}, with the fields of its kind of sender. */
static void put_siginfo(struct trace_line *l, const struct linux_siginfo *info)
{
	int sig = info->si_signo, code = info->si_code;
	bool fault = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
		     sig == SIGTRAP;
	static const char *const prefix[] = { [SIGSEGV] = "SEGV_",
					      [SIGBUS] = "BUS_",
					      [SIGILL] = "ILL_",
					      [SIGFPE] = "FPE_",
					      [SIGTRAP] = "TRAP_" };
	const char *name = NULL;

	put(l, "{si_signo=");
	put_signame(l, sig, true);
	put(l, ", si_code=");
	if (sig == SIGCHLD && code > 0) {
		name = enum_name(abi_flagset_find("si_code_chld"), (unsigned long)code);
	} else if (fault && code > 0 && code != SI_KERNEL) {
		const struct abi_flagset *fs = abi_flagset_find("si_code_fault");

		for (unsigned i = 0; fs && i < fs->count; i++)
			if ((long)fs->values[i].value[arch_current()] == code &&
			    strncmp(fs->values[i].name, prefix[sig], strlen(prefix[sig])) == 0)
				name = fs->values[i].name;
	} else {
		name = enum_name(abi_flagset_find("si_code"), (unsigned long)(long)code);
	}
	if (name)
		put(l, "%s", name);
	else
		put(l, "%d", code);
	if (sig == SIGCHLD && code > 0) {
		/* si_status (a signal but for CLD_EXITED), si_utime, si_stime */
		s32 status;
		s64 utime, stime;

		memcpy(&status, info->bytes + 8, 4);
		memcpy(&utime, info->bytes + 16, 8);
		memcpy(&stime, info->bytes + 24, 8);
		put(l, ", si_pid=%d, si_uid=%u, si_status=", info->kill.pid, info->kill.uid);
		if (code == CLD_EXITED)
			put(l, "%d", status);
		else
			put_signame(l, status, true);
		put(l, ", si_utime=%ld, si_stime=%ld}", (long)utime, (long)stime);
		return;
	}
	switch (code) {
	case SI_USER:
	case SI_TKILL:
		put(l, ", si_pid=%d, si_uid=%u", info->kill.pid, info->kill.uid);
		break;
	case SI_QUEUE:
	case SI_MESGQ:
		put(l, ", si_pid=%d, si_uid=%u, si_int=%d, si_ptr=", info->kill.pid, info->kill.uid,
		    (int)info->kill.value);
		put_addr(l, info->kill.value);
		break;
	case SI_TIMER:
		put(l, ", si_timerid=");
		put_hex(l, (u32)info->timer.tid);
		put(l, ", si_overrun=%d, si_int=%d, si_ptr=", info->timer.overrun,
		    (int)info->timer.value);
		put_addr(l, info->timer.value);
		break;
	default:
		if (fault) {
			put(l, ", si_addr=");
			put_addr(l, info->fault.addr);
		}
	}
	put(l, "}");
}

/* waitid's or rt_sigtimedwait's siginfo; {} when nothing was filled in. */
static void put_siginfo_struct(struct trace_line *l, const void *p)
{
	if (((const struct linux_siginfo *)p)->si_signo == 0)
		put(l, "{}");
	else
		put_siginfo(l, p);
}

/* wait4's status as strace spells it out:
 * [{WIFEXITED(s) && WEXITSTATUS(s) == 3}]. */
static void put_wait_status(struct trace_line *l, int s)
{
	if ((s & 0x7f) == 0) {
		put(l, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", (s >> 8) & 0xff);
	} else if (s == 0xffff) {
		put(l, "[{WIFCONTINUED(s)}]");
	} else if ((s & 0xff) == 0x7f) {
		put(l, "[{WIFSTOPPED(s) && WSTOPSIG(s) == ");
		put_signame(l, (s >> 8) & 0xff, true);
		put(l, "}]");
	} else {
		put(l, "[{WIFSIGNALED(s) && WTERMSIG(s) == ");
		put_signame(l, s & 0x7f, true);
		put(l, s & 0x80 ? " && WCOREDUMP(s)}]" : "}]");
	}
}

/* x86_64's struct kernel_sigaction (rt_sigaction's). */
struct trace_sigaction {
	u64 handler, flags, restorer, mask;
};

static void put_sigaction(struct trace_line *l, const void *p)
{
	const struct trace_sigaction *sa = p;

	put(l, "{sa_handler=");
	if (sa->handler == 0)
		put(l, "SIG_DFL");
	else if (sa->handler == 1)
		put(l, "SIG_IGN");
	else
		put(l, "0x%lx", (unsigned long)sa->handler);
	put(l, ", sa_mask=");
	put_sigset_value(l, sa->mask, 8);
	put(l, ", sa_flags=");
	put_flags(l, abi_flagset_find("sa_flags"), (unsigned long)sa->flags);
	if (sa->flags & SA_RESTORER) {
		put(l, ", sa_restorer=");
		put_addr(l, (unsigned long)sa->restorer);
	}
	put(l, "}");
}

/* An rlimit value: RLIM64_INFINITY, 8192*1024, or the number. */
static void put_rlim(struct trace_line *l, u64 v)
{
	if (v == ~0ULL)
		put(l, "RLIM64_INFINITY");
	else if (v && v % 1024 == 0)
		put(l, "%lu*1024", (unsigned long)(v / 1024));
	else
		put(l, "%lu", (unsigned long)v);
}

static void put_rlimit(struct trace_line *l, const void *p)
{
	const u64 *r = p;

	put(l, "{rlim_cur=");
	put_rlim(l, r[0]);
	put(l, ", rlim_max=");
	put_rlim(l, r[1]);
	put(l, "}");
}

static void put_timeval(struct trace_line *l, const void *p)
{
	const struct linux_timeval *tv = p;

	put(l, "{tv_sec=%ld, tv_usec=%ld}", (long)tv->tv_sec, (long)tv->tv_usec);
}

static void put_itimerval(struct trace_line *l, const void *p)
{
	const struct linux_timeval *tv = p;

	put(l, "{it_interval=");
	put_timeval(l, &tv[0]);
	put(l, ", it_value=");
	put_timeval(l, &tv[1]);
	put(l, "}");
}

static void put_rusage(struct trace_line *l, const void *p)
{
	const struct linux_timeval *tv = p; /* ru_utime, ru_stime first */

	put(l, "{ru_utime=");
	put_timeval(l, &tv[0]);
	put(l, ", ru_stime=");
	put_timeval(l, &tv[1]);
	put(l, ", ...}");
}

static void put_tms(struct trace_line *l, const void *p)
{
	const s64 *t = p;

	put(l, "{tms_utime=%ld, tms_stime=%ld, tms_cutime=%ld, tms_cstime=%ld}", (long)t[0],
	    (long)t[1], (long)t[2], (long)t[3]);
}

/* x86_64's struct sysinfo. */
struct k_sysinfo {
	s64 uptime;
	u64 loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	u16 procs, pad;
	u32 pad2;
	u64 totalhigh, freehigh;
	u32 mem_unit;
};

static void put_sysinfo(struct trace_line *l, const void *p)
{
	const struct k_sysinfo *si = p;

	put(l, "{uptime=%ld, loads=[%lu, %lu, %lu], totalram=%lu, freeram=%lu, sharedram=%lu, ",
	    (long)si->uptime, (unsigned long)si->loads[0], (unsigned long)si->loads[1],
	    (unsigned long)si->loads[2], (unsigned long)si->totalram, (unsigned long)si->freeram,
	    (unsigned long)si->sharedram);
	put(l,
	    "bufferram=%lu, totalswap=%lu, freeswap=%lu, procs=%u, totalhigh=%lu, freehigh=%lu, "
	    "mem_unit=%u}",
	    (unsigned long)si->bufferram, (unsigned long)si->totalswap, (unsigned long)si->freeswap,
	    si->procs, (unsigned long)si->totalhigh, (unsigned long)si->freehigh, si->mem_unit);
}

/* struct epoll_event, read in the process's layout (core/arch.c). */
static void put_epoll_event(struct trace_line *l, const void *p)
{
	const struct arch_epoll_event *ev = p;

	put(l, "{events=");
	put_flags(l, abi_flagset_find("epoll_events"), ev->events);
	put(l, ", data={u32=%u, u64=%lu}}", (u32)ev->data, (unsigned long)ev->data);
}

static long get_epoll_event(void *buf, uptr src)
{
	return arch_get_epoll_event(buf, src);
}

static long get_stat(void *buf, uptr src)
{
	return arch_get_stat(buf, src);
}

/* The structs decoded as strace decodes them, by the table's pointee. */
static const struct decoder {
	const char *type;
	size_t size;
	void (*print)(struct trace_line *l, const void *p);
	/* reads it when its layout is the process's arch's (not size bytes) */
	long (*get)(void *buf, uptr src);
} decoders[] = {
	{ "struct stat", sizeof(struct linux_stat), put_stat, get_stat },
	{ "struct statfs", sizeof(struct linux_statfs), put_statfs, NULL },
	{ "struct __kernel_timespec", sizeof(struct linux_timespec), put_timespec, NULL },
	{ "struct new_utsname", 6 * 65, put_utsname, NULL },
	{ "struct sigaction", sizeof(struct trace_sigaction), put_sigaction, NULL },
	{ "struct statx", 48, put_statx, NULL },
	{ "struct __kernel_itimerspec", 2 * sizeof(struct linux_timespec), put_itimerspec, NULL },
	{ "struct sigaltstack", sizeof(struct linux_stack_t), put_stack_t, NULL },
	{ "struct siginfo", sizeof(struct linux_siginfo), put_siginfo_struct, NULL },
	{ "struct rlimit", 16, put_rlimit, NULL },
	{ "struct rlimit64", 16, put_rlimit, NULL },
	{ "struct __kernel_old_timeval", sizeof(struct linux_timeval), put_timeval, NULL },
	{ "struct __kernel_old_itimerval", 2 * sizeof(struct linux_timeval), put_itimerval, NULL },
	{ "struct rusage", 2 * sizeof(struct linux_timeval), put_rusage, NULL },
	{ "struct tms", 4 * 8, put_tms, NULL },
	{ "struct sysinfo", sizeof(struct k_sysinfo), put_sysinfo, NULL },
	{ "struct epoll_event", sizeof(struct arch_epoll_event), put_epoll_event, get_epoll_event },
};

static const struct decoder *find_decoder(const char *type)
{
	for (size_t i = 0; type && i < ARRAY_SIZE(decoders); i++)
		if (strcmp(decoders[i].type, type) == 0)
			return &decoders[i];
	return NULL;
}

/* A struct argument: decoded when readable (an out struct only after a
 * success, as strace), else its address. */
static bool put_struct(struct trace_line *l, const struct abi_argmeta *am, long v, long ret)
{
	const struct decoder *d = find_decoder(am->type);
	u8 buf[512];

	if (!d)
		return false;
	if (!v || (am->dir != ABI_DIR_IN && IS_ERR_VALUE(ret)) ||
	    (d->get ? d->get(buf, (uptr){ (uintptr_t)v })
		    : copy_from_user(buf, (uptr){ (uintptr_t)v }, d->size)) != 0) {
		put_addr(l, (unsigned long)v);
		return true;
	}
	d->print(l, buf);
	return true;
}

/* readv's and writev's iovec array: [{iov_base="ab", iov_len=2}, ...];
 * what was read is shown only after a success, and only as many bytes as
 * the call moved. */
static void put_iovec(struct trace_line *l, long addr, long cnt, bool read, long ret)
{
	size_t left = read ? (size_t)ret : (size_t)-1;
	struct linux_iovec iov;

	if (cnt < 0 || copy_from_user(&iov, (uptr){ (uintptr_t)addr }, sizeof iov) != 0) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put(l, "[");
	for (long i = 0; i < cnt; i++) {
		if (i == STRSIZE) {
			put(l, ", ...");
			break;
		}
		if (copy_from_user(&iov, (uptr){ (uintptr_t)addr + (uintptr_t)i * sizeof iov },
				   sizeof iov) != 0) {
			put(l, ", ...");
			break;
		}
		put(l, i ? ", {iov_base=" : "{iov_base=");
		if (read && IS_ERR_VALUE(ret)) {
			put_addr(l, (unsigned long)iov.iov_base);
		} else {
			size_t n = MIN((size_t)iov.iov_len, left);

			put_quoted(l, (long)iov.iov_base, n, false, STRSIZE);
			if (read)
				left -= n;
		}
		put(l, ", iov_len=%lu}", (unsigned long)iov.iov_len);
	}
	put(l, "]");
}

/* poll's array: [{fd=3, events=POLLIN}, {fd=-1}] (revents are the
 * result's, put_poll_result). */
static void put_pollfds(struct trace_line *l, long addr, long n)
{
	struct {
		s32 fd;
		short events, revents;
	} p;

	if (n < 0 || n > 1024 || (n && copy_from_user(&p, (uptr){ (uintptr_t)addr }, 8) != 0)) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put(l, "[");
	for (long i = 0; i < n; i++) {
		if (copy_from_user(&p, (uptr){ (uintptr_t)addr + (uintptr_t)i * 8 }, 8) != 0)
			break;
		put(l, i ? ", {fd=%d" : "{fd=%d", p.fd);
		if (p.fd >= 0) {
			put(l, ", events=");
			put_flags(l, abi_flagset_find("poll_events"), (u16)p.events);
		}
		put(l, "}");
	}
	put(l, "]");
}

/* poll's result: = 2 ([{fd=3, revents=POLLIN}]), = 0 (Timeout). */
static void put_poll_result(struct trace_line *l, long addr, long n, long ret)
{
	struct {
		s32 fd;
		short events, revents;
	} p;
	bool first = true;

	put(l, " = %ld", ret);
	if (ret == 0) {
		put(l, " (Timeout)");
		return;
	}
	put(l, " ([");
	for (long i = 0; i < n && i < 1024; i++) {
		if (copy_from_user(&p, (uptr){ (uintptr_t)addr + (uintptr_t)i * 8 }, 8) != 0)
			break;
		if (!p.revents)
			continue;
		put(l, first ? "{fd=%d, revents=" : ", {fd=%d, revents=", p.fd);
		put_flags(l, abi_flagset_find("poll_events"), (u16)p.revents);
		put(l, "}");
		first = false;
	}
	put(l, "])");
}

/* epoll_wait's events: the ret filled in. */
static void put_epoll_events(struct trace_line *l, long addr, long ret)
{
	struct arch_epoll_event ev;

	if (IS_ERR_VALUE(ret)) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put(l, "[");
	for (long i = 0; i < ret; i++) {
		if (arch_get_epoll_event(&ev, (uptr){ (uintptr_t)addr +
						      (uintptr_t)i * arch_epoll_event_size() }) !=
		    0)
			break;
		put(l, i ? ", " : "");
		put_epoll_event(l, &ev);
	}
	put(l, "]");
}

/* A CPU mask of len bytes as strace prints it: [0 1]. */
static void put_cpumask(struct trace_line *l, long addr, long len)
{
	u64 w;
	bool first = true;

	if (len <= 0 || copy_from_user(&w, (uptr){ (uintptr_t)addr }, 8) != 0) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put(l, "[");
	for (long i = 0; i * 8 < len; i++) {
		if (copy_from_user(&w, (uptr){ (uintptr_t)addr + (uintptr_t)i * 8 }, 8) != 0)
			break;
		for (int b = 0; b < 64; b++)
			if (w & (1ULL << b)) {
				put(l, first ? "%ld" : " %ld", i * 64 + b);
				first = false;
			}
	}
	put(l, "]");
}

/* getdents64's buffer: its address and how many entries the call gave. */
static void put_dirents(struct trace_line *l, long addr, long ret)
{
	struct linux_dirent64 d;
	long off = 0, n = 0;

	put_addr(l, (unsigned long)addr);
	if (IS_ERR_VALUE(ret))
		return;
	while (off < ret &&
	       copy_from_user(&d, (uptr){ (uintptr_t)addr + (uintptr_t)off }, sizeof d) == 0 &&
	       d.d_reclen) {
		off += d.d_reclen;
		n++;
	}
	put(l, " /* %ld entries */", n);
}

/* getrandom's buffer: strace forces hex escapes for it. */
static void put_hexbuf(struct trace_line *l, long addr, long ret)
{
	u8 b[STRSIZE];
	size_t n;

	if (IS_ERR_VALUE(ret)) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	n = MIN((size_t)ret, sizeof b);
	if (copy_from_user(b, (uptr){ (uintptr_t)addr }, n) != 0) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put(l, "\"");
	for (size_t i = 0; i < n; i++)
		put(l, "\\x%02x", b[i]);
	put(l, (size_t)ret > n ? "\"..." : "\"");
}

/* A UTC calendar date from seconds since the epoch (days to civil date, the
 * proleptic Gregorian calendar), as strace's comment after a timestamp:
 * 2023-11-14T22:13:20.000000500+0000. strace uses the local time zone;
 * abi-run has none and says UTC. */
static void put_date(struct trace_line *l, s64 sec, long nsec)
{
	s64 days = sec / 86400, rem = sec % 86400, era, doe, yoe, doy, mp, y;
	unsigned m, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	days += 719468; /* from 0000-03-01 */
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (m <= 2);
	put(l, " /* %ld-%02u-%02uT%02ld:%02ld:%02ld", (long)y, m, d, (long)(rem / 3600),
	    (long)(rem / 60 % 60), (long)(rem % 60));
	if (nsec)
		put(l, ".%09ld", nsec);
	put(l, "+0000 */");
}

/* utimensat's times: [UTIME_NOW, {tv_sec=1, tv_nsec=0} and its date]. */
static void put_utimens(struct trace_line *l, long addr)
{
	struct linux_timespec ts[2];

	if (!addr || copy_from_user(ts, (uptr){ (uintptr_t)addr }, sizeof ts) != 0) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put(l, "[");
	for (int i = 0; i < 2; i++) {
		put(l, i ? ", " : "");
		if (ts[i].tv_nsec == UTIME_NOW) {
			put(l, "UTIME_NOW");
		} else if (ts[i].tv_nsec == UTIME_OMIT) {
			put(l, "UTIME_OMIT");
		} else {
			put_timespec(l, &ts[i]);
			put_date(l, ts[i].tv_sec, (long)ts[i].tv_nsec);
		}
	}
	put(l, "]");
}

/* uid_t/gid_t arrays (getgroups' n filled in, setgroups' n given). */
static void put_ids(struct trace_line *l, long addr, long n)
{
	u32 id;

	if (n < 0 || (n && copy_from_user(&id, (uptr){ (uintptr_t)addr }, 4) != 0)) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put(l, "[");
	for (long i = 0; i < n; i++) {
		if (i == STRSIZE) {
			put(l, ", ...");
			break;
		}
		if (copy_from_user(&id, (uptr){ (uintptr_t)addr + (uintptr_t)i * 4 }, 4) != 0)
			break;
		put(l, i ? ", %u" : "%u", id);
	}
	put(l, "]");
}

/* A value behind a pointer, [N], or the address when it cannot be read
 * (or the call failed and it is an out value). */
static void put_ref(struct trace_line *l, long addr, size_t size, bool out, long ret,
		    bool is_signed)
{
	u64 v = 0;

	if (!addr || (out && IS_ERR_VALUE(ret)) ||
	    copy_from_user(&v, (uptr){ (uintptr_t)addr }, size) != 0) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	if (size == 4 && is_signed)
		put(l, "[%d]", (int)(u32)v);
	else if (size == 4)
		put(l, "[%u]", (u32)v);
	else
		put(l, is_signed ? "[%ld]" : "[%lu]", (long)v);
}

/* An IPv6 address as glibc's inet_ntop writes it: the longest run of two
 * or more zero groups as "::", an embedded IPv4 address dotted. */
static void put_in6(struct trace_line *l, const u8 b[16])
{
	unsigned w[8];
	int best = -1, best_len = 0, run = -1, run_len = 0;

	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
		if (w[i] == 0) {
			if (run < 0)
				run = i, run_len = 0;
			if (++run_len > best_len)
				best = run, best_len = run_len;
		} else {
			run = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				put(l, "::");
			continue;
		}
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 7 && w[7] != 1) ||
		     (best_len == 5 && w[5] == 0xffff))) {
			put(l, best_len == 6 ? "%u.%u.%u.%u" : ":%u.%u.%u.%u", b[12], b[13], b[14],
			    b[15]); /* "::1.2.3.4", "::ffff:1.2.3.4" */
			break;
		}
		put(l, i && !(best >= 0 && i == best + best_len) ? ":%x" : "%x", w[i]);
	}
}

/* A struct sockaddr of len bytes as strace prints it: AF_UNIX's sun_path
 * (@"..." when abstract), AF_INET's and AF_INET6's port and address,
 * sa_data for the others. */
static void put_sockaddr(struct trace_line *l, long addr, long len)
{
	u8 b[128];
	u16 family;
	const char *name;

	if (len < 2 || len > (long)sizeof b ||
	    copy_from_user(b, (uptr){ (uintptr_t)addr }, (size_t)len) != 0) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	memcpy(&family, b, 2);
	name = enum_name(abi_flagset_find("address_family"), family);
	put(l, "{sa_family=");
	if (name)
		put(l, "%s", name);
	else
		put(l, "%u", family);
	if (family == AF_UNIX) {
		if (len > 2 && b[2] == 0) {
			put(l, ", sun_path=@");
			put_quoted(l, addr + 3, (size_t)(len - 3), false, PATHSIZE);
		} else if (len > 2) {
			put(l, ", sun_path=");
			put_quoted(l, addr + 2,
				   (size_t)strnlen((const char *)b + 2, (size_t)len - 2), false,
				   PATHSIZE);
		}
	} else if (family == AF_INET && len >= 16) {
		put(l, ", sin_port=htons(%u), sin_addr=inet_addr(\"%u.%u.%u.%u\")",
		    (unsigned)b[2] << 8 | b[3], b[4], b[5], b[6], b[7]);
	} else if (family == AF_INET6 && len >= 24) {
		u32 scope = 0;

		if (len >= 28)
			memcpy(&scope, b + 24, 4);
		put(l, ", sin6_port=htons(%u), sin6_flowinfo=htonl(%u), inet_pton(AF_INET6, \"",
		    (unsigned)b[2] << 8 | b[3],
		    (unsigned)b[4] << 24 | (unsigned)b[5] << 16 | (unsigned)b[6] << 8 | b[7]);
		put_in6(l, b + 8);
		put(l, "\", &sin6_addr)");
		if (len >= 28)
			put(l, ", sin6_scope_id=%u", scope);
	} else {
		put(l, ", sa_data=");
		put_quoted(l, addr + 2, (size_t)(len - 2), false, STRSIZE);
	}
	put(l, "}");
}

/* Arguments decoded by their syscall rather than by their type; false for
 * the others. */
static bool put_special(struct trace_line *l, int id, int i, const long a[6], long ret)
{
	switch (id) {
	case ABI_SYS_readv:
	case ABI_SYS_preadv:
	case ABI_SYS_preadv2:
	case ABI_SYS_writev:
	case ABI_SYS_pwritev:
	case ABI_SYS_pwritev2:
		if (i != 1)
			return false;
		put_iovec(l, a[1], a[2],
			  id == ABI_SYS_readv || id == ABI_SYS_preadv || id == ABI_SYS_preadv2,
			  ret);
		return true;
	case ABI_SYS_poll:
	case ABI_SYS_ppoll:
		if (i != 0)
			return false;
		put_pollfds(l, a[0], a[1]);
		return true;
	case ABI_SYS_epoll_wait:
	case ABI_SYS_epoll_pwait:
	case ABI_SYS_epoll_pwait2:
		if (i != 1)
			return false;
		put_epoll_events(l, a[1], ret);
		return true;
	case ABI_SYS_sched_getaffinity:
	case ABI_SYS_sched_setaffinity:
		if (i != 2)
			return false;
		if (id == ABI_SYS_sched_getaffinity && IS_ERR_VALUE(ret))
			put_addr(l, (unsigned long)a[2]);
		else
			put_cpumask(l, a[2], id == ABI_SYS_sched_getaffinity ? ret : a[1]);
		return true;
	case ABI_SYS_getdents64:
	case ABI_SYS_getdents:
		if (i != 1)
			return false;
		put_dirents(l, a[1], ret);
		return true;
	case ABI_SYS_getrandom:
		if (i != 0)
			return false;
		put_hexbuf(l, a[0], ret);
		return true;
	case ABI_SYS_connect:
	case ABI_SYS_bind:
		if (i != 1)
			return false;
		put_sockaddr(l, a[1], (int)a[2]);
		return true;
	case ABI_SYS_sendto:
		if (i != 4)
			return false;
		if (a[4])
			put_sockaddr(l, a[4], (int)a[5]);
		else
			put(l, "NULL");
		return true;
	case ABI_SYS_wait4:
		if (i != 1)
			return false;
		if (a[1] && ret > 0) {
			int st;

			if (copy_from_user(&st, (uptr){ (uintptr_t)a[1] }, 4) == 0) {
				put_wait_status(l, st);
				return true;
			}
		}
		put_addr(l, (unsigned long)a[1]);
		return true;
	case ABI_SYS_utimensat:
		if (i != 2)
			return false;
		put_utimens(l, a[2]);
		return true;
	case ABI_SYS_getresuid:
	case ABI_SYS_getresgid:
		put_ref(l, a[i], 4, true, ret, false);
		return true;
	case ABI_SYS_getgroups:
	case ABI_SYS_setgroups:
		if (i != 1)
			return false;
		if (id == ABI_SYS_getgroups && (IS_ERR_VALUE(ret) || a[0] == 0))
			put_addr(l, (unsigned long)a[1]);
		else
			put_ids(l, a[1], id == ABI_SYS_getgroups ? ret : a[0]);
		return true;
	case ABI_SYS_sendfile:
		/* the offset before and after: it moved by what was sent */
		if (i != 2)
			return false;
		if (a[2] && !IS_ERR_VALUE(ret)) {
			s64 end;

			if (copy_from_user(&end, (uptr){ (uintptr_t)a[2] }, 8) == 0) {
				put(l, "[%ld] => [%ld]", (long)(end - ret), (long)end);
				return true;
			}
		}
		put_ref(l, a[2], 8, false, ret, true);
		return true;
	case ABI_SYS_mknod:
	case ABI_SYS_mknodat:
		if (i == (id == ABI_SYS_mknod ? 1 : 2)) {
			put_mode(l, (u32)a[i]);
			return true;
		}
		if (i == (id == ABI_SYS_mknod ? 2 : 3)) {
			put_dev(l, (u32)a[i]);
			return true;
		}
		return false;
	case ABI_SYS_arch_prctl:
		if (i != 1 || (a[0] != ARCH_GET_FS && a[0] != ARCH_GET_GS))
			return false;
		if (IS_ERR_VALUE(ret)) {
			put_addr(l, (unsigned long)a[1]);
		} else {
			u64 v;

			if (copy_from_user(&v, (uptr){ (uintptr_t)a[1] }, 8) == 0)
				put(l, "[0x%lx]", (unsigned long)v);
			else
				put_addr(l, (unsigned long)a[1]);
		}
		return true;
	default:
		return false;
	}
}

/* pipe's and socketpair's [rfd, wfd]. */
static void put_fdpair(struct trace_line *l, long addr, long ret)
{
	int fds[2];

	if (IS_ERR_VALUE(ret) || copy_from_user(fds, (uptr){ (uintptr_t)addr }, sizeof fds)) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put(l, "[%d, %d]", fds[0], fds[1]);
}

static void put_arg(struct trace_line *l, const struct abi_sysmeta *m, int i, const long *a,
		    long ret)
{
	const struct abi_argmeta *am = &m->args[i];
	long v = a[i];

	if (am->size == 4)
		v = am->is_signed ? (long)(int)v : (long)(u32)v;
	switch (am->fmt) {
	case ABI_FMT_PATH: /* strace prints whole paths */
		if (am->dir == ABI_DIR_OUT && IS_ERR_VALUE(ret))
			put_addr(l, (unsigned long)v);
		else
			put_quoted(l, v, (size_t)-1, true, PATHSIZE);
		break;
	case ABI_FMT_STRING:
		put_quoted(l, v, (size_t)-1, true, STRSIZE);
		break;
	case ABI_FMT_BUFFER: {
		size_t len = am->size_arg >= 0 ? (size_t)a[am->size_arg] : STRSIZE;

		if (am->dir == ABI_DIR_OUT) {
			if (IS_ERR_VALUE(ret)) {
				put_addr(l, (unsigned long)v);
				break;
			}
			len = (size_t)ret;
		}
		put_quoted(l, v, len, false, STRSIZE);
		break;
	}
	case ABI_FMT_DIRFD:
		if ((int)v == AT_FDCWD)
			put(l, "AT_FDCWD");
		else
			put(l, "%d", (int)v);
		break;
	case ABI_FMT_FD: /* mmap's unsigned long fd is still -1 */
		put(l, "%d", (int)v);
		break;
	case ABI_FMT_SIGNAL:
		put_signame(l, (int)v, true);
		break;
	case ABI_FMT_FLAGS:
	case ABI_FMT_ENUM:
		if (am->flags) {
			put_flags(l, am->flags,
				  am->size == 4 ? (unsigned long)(u32)v : (unsigned long)v);
			break;
		}
		put_hex(l, (unsigned long)v);
		break;
	case ABI_FMT_HEX:
		put_hex(l, (unsigned long)v);
		break;
	case ABI_FMT_ADDR:
		put_addr(l, (unsigned long)v);
		break;
	case ABI_FMT_PTR:
		if (!put_struct(l, am, v, ret))
			put_addr(l, (unsigned long)v);
		break;
	case ABI_FMT_SIGSET:
		if (am->dir == ABI_DIR_OUT && IS_ERR_VALUE(ret))
			put_addr(l, (unsigned long)v);
		else
			put_sigset(l, v, 8);
		break;
	case ABI_FMT_FDPAIR:
		put_fdpair(l, v, ret);
		break;
	case ABI_FMT_OCTAL: /* strace's %#03o: 000, 022, 0644 */
		put(l, "0%02lo", (unsigned long)v);
		break;
	case ABI_FMT_UINT:
		if (am->size == 4 && (u32)v == 0xffffffffu && am->type &&
		    (strcmp(am->type, "uid_t") == 0 || strcmp(am->type, "gid_t") == 0))
			put(l, "-1"); /* strace: "leave unchanged" */
		else
			put(l, "%lu", (unsigned long)v);
		break;
	default: /* INT, PID */
		put(l, "%ld", v);
	}
}

/* strace leaves out open's mode unless the call can create a file. */
static int shown_args(int id, const struct abi_sysmeta *m, const long a[6])
{
	int flags_at = id == ABI_SYS_openat ? 2 : id == ABI_SYS_open ? 1 : -1;

	if (flags_at >= 0 && !(a[flags_at] & O_CREAT) &&
	    (a[flags_at] & O_TMPFILE) != O_TMPFILE) /* O_TMPFILE holds O_DIRECTORY's bit */
		return flags_at + 1;
	/* mremap's new_address only with MREMAP_FIXED */
	if (id == ABI_SYS_mremap && !(a[3] & MREMAP_FIXED))
		return 4;
	/* mknod's dev only for a device */
	if ((id == ABI_SYS_mknod || id == ABI_SYS_mknodat) &&
	    ((a[id == ABI_SYS_mknod ? 1 : 2] & S_IFMT) != S_IFCHR &&
	     (a[id == ABI_SYS_mknod ? 1 : 2] & S_IFMT) != S_IFBLK))
		return m->nargs - 1;
	/* preadv's pos_h is 0 on a 64-bit arch: strace shows one offset */
	if (id == ABI_SYS_preadv || id == ABI_SYS_pwritev)
		return 4;
	return m->nargs;
}

/* Pads the call to strace's return column. */
static void pad_call(struct trace_line *l)
{
	while (l->len < RET_COLUMN)
		put(l, " ");
}

/* execve's argv as strace shows it: ["a", "b"]; envp as a count. */
static void put_strv(struct trace_line *l, long addr, bool count_only)
{
	size_t n = 0;
	u64 p;

	if (!addr) {
		put(l, "NULL");
		return;
	}
	if (count_only) {
		while (n < 100000 &&
		       copy_from_user(&p, (uptr){ (uintptr_t)addr + n * 8 }, 8) == 0 && p)
			n++;
		put(l, "0x%lx /* %lu vars */", (unsigned long)addr, (unsigned long)n);
		return;
	}
	put(l, "[");
	for (; copy_from_user(&p, (uptr){ (uintptr_t)addr + n * 8 }, 8) == 0 && p; n++) {
		if (n == STRSIZE) {
			put(l, ", ...");
			break;
		}
		put(l, n ? ", " : "");
		put_quoted(l, (long)p, (size_t)-1, true, STRSIZE);
	}
	put(l, "]");
}

/* fcntl as strace decodes it: the argument by command, absent when the
 * command takes none. */
static void put_fcntl(struct trace_line *l, const struct abi_sysmeta *m, const long a[6], long ret)
{
	unsigned cmd = (unsigned)a[1];

	put(l, "%d, ", (int)a[0]);
	put_flags(l, m->args[1].flags, cmd);
	switch (cmd) {
	case F_GETFD:
	case F_GETFL:
	case F_GETOWN:
	case F_GETSIG:
	case F_GETLEASE:
	case F_GET_SEALS:
	case F_GETPIPE_SZ:
		break;
	case F_SETFD:
		put(l, ", ");
		put_flags(l, abi_flagset_find("fd_flags"), (unsigned long)a[2]);
		break;
	case F_SETFL:
		put(l, ", ");
		put_flags(l, abi_flagset_find("open_flags"), (unsigned long)a[2]);
		break;
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
	case F_SETOWN:
	case F_SETPIPE_SZ:
		put(l, ", %d", (int)a[2]);
		break;
	default:
		put(l, ", ");
		put_arg(l, m, 2, a, ret);
	}
}

/* A termios flag word as strace 6.1 prints it: each field's name followed
 * by "|" (even when nothing follows), then the bits, nothing for none. */
static void put_termios_flags(struct trace_line *l, const char *set, u32 v)
{
	const struct abi_flagset *fs = abi_flagset_find(set);
	u32 rest = v;
	bool any = false;

	for (unsigned f = 0; f < fs->nfields; f++) {
		const struct abi_flag_field *fld = &fs->fields[f];

		for (unsigned i = 0; i < fld->count; i++)
			if ((v & fld->mask) == fld->values[i].value[arch_current()]) {
				put(l, "%s|", fld->values[i].name);
				break;
			}
		rest &= ~(u32)fld->mask;
	}
	for (unsigned i = 0; i < fs->count; i++) {
		u32 bit = (u32)fs->values[i].value[arch_current()];

		if (bit && (rest & bit) == bit) {
			put(l, "%s%s", any ? "|" : "", fs->values[i].name);
			any = true;
			rest &= ~bit;
		}
	}
	if (rest)
		put(l, any ? "|0x%x" : "0x%x", rest);
}

/* struct termios (the kernel's, TCGETS's) abbreviated as strace does. */
static void put_termios(struct trace_line *l, const void *p)
{
	const u32 *t = p;

	put(l, "{c_iflag=");
	put_termios_flags(l, "termios_iflag", t[0]);
	put(l, ", c_oflag=");
	put_termios_flags(l, "termios_oflag", t[1]);
	put(l, ", c_cflag=");
	put_termios_flags(l, "termios_cflag", t[2]);
	put(l, ", c_lflag=");
	put_termios_flags(l, "termios_lflag", t[3]);
	put(l, ", ...}");
}

static void put_winsize(struct trace_line *l, const void *p)
{
	const u16 *w = p;

	put(l, "{ws_row=%u, ws_col=%u, ws_xpixel=%u, ws_ypixel=%u}", w[0], w[1], w[2], w[3]);
}

/* An int behind a pointer: [N]. */
static void put_int_ref(struct trace_line *l, const void *p)
{
	int v;

	memcpy(&v, p, sizeof v);
	put(l, "[%d]", v);
}

/* ioctl as strace decodes the requests the table knows: strace's name
 * (the terminal ones it shares with the OSS timer are "X or Y"), then the
 * argument as the request uses it. */
static void put_ioctl(struct trace_line *l, const struct abi_sysmeta *m, const long a[6], long ret)
{
	static const struct {
		u32 req;
		const char *name;
		bool out;
		void (*print)(struct trace_line *l, const void *p);
		size_t size;
	} reqs[] = {
		{ TCGETS, NULL, true, put_termios, 36 },
		{ TCSETS, "SNDCTL_TMR_START or TCSETS", false, put_termios, 36 },
		{ TCSETSW, "SNDCTL_TMR_STOP or TCSETSW", false, put_termios, 36 },
		{ TCSETSF, "SNDCTL_TMR_CONTINUE or TCSETSF", false, put_termios, 36 },
		{ TIOCGWINSZ, NULL, true, put_winsize, 8 },
		{ TIOCSWINSZ, NULL, false, put_winsize, 8 },
		{ FIONREAD, NULL, true, put_int_ref, 4 },
		{ TIOCOUTQ, NULL, true, put_int_ref, 4 },
		{ TIOCGPGRP, NULL, true, put_int_ref, 4 },
		{ TIOCGSID, NULL, true, put_int_ref, 4 },
		{ TIOCGPTN, NULL, true, put_int_ref, 4 },
		{ TIOCSPGRP, NULL, false, put_int_ref, 4 },
		{ FIONBIO, NULL, false, put_int_ref, 4 },
		{ FIOASYNC, NULL, false, put_int_ref, 4 },
		{ TIOCSPTLCK, NULL, false, put_int_ref, 4 },
	};
	u32 req = (u32)a[1];
	u8 buf[64];

	put(l, "%d, ", (int)a[0]);
	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++) {
		if (reqs[i].req != req)
			continue;
		if (reqs[i].name)
			put(l, "%s, ", reqs[i].name);
		else
			put(l, "%s, ", enum_name(m->args[1].flags, req));
		if (!a[2] || (reqs[i].out && IS_ERR_VALUE(ret)) ||
		    copy_from_user(buf, (uptr){ (uintptr_t)a[2] }, reqs[i].size) != 0)
			put_addr(l, (unsigned long)a[2]);
		else
			reqs[i].print(l, buf);
		return;
	}
	put_flags(l, m->args[1].flags, req);
	switch (req) {
	case TIOCNOTTY:
	case FIOCLEX:
	case FIONCLEX:
		return;
	case TCFLSH:
		put(l, ", ");
		put_flags(l, abi_flagset_find("tcflsh_queue"), (unsigned long)a[2]);
		return;
	case TCXONC:
		put(l, ", ");
		put_flags(l, abi_flagset_find("tcxonc_action"), (unsigned long)a[2]);
		return;
	case TCSBRK:
	case TIOCSCTTY:
	case TIOCGPTPEER:
		put(l, ", %d", (int)a[2]);
		return;
	default:
		put(l, ", ");
		put_hex(l, (unsigned long)a[2]);
	}
}

static const char *const suid_dump[] = { "SUID_DUMP_DISABLE", "SUID_DUMP_USER", "SUID_DUMP_ROOT" };

/* prctl by option, as strace: only the arguments the option takes, all
 * four in hex for an option it does not know. */
static void put_prctl(struct trace_line *l, const struct abi_sysmeta *m, const long a[6], long ret)
{
	unsigned long o = (unsigned long)a[0];
	int v;

	put_flags(l, m->args[0].flags, (u32)o);
	switch (o) {
	case PR_GET_DUMPABLE:
	case PR_GET_TIMERSLACK:
	case PR_GET_KEEPCAPS:
	case PR_GET_SECCOMP:
	case PR_GET_THP_DISABLE:
		return;
	case PR_SET_NAME:
		put(l, ", ");
		put_quoted(l, a[1], (size_t)-1, true, STRSIZE);
		return;
	case PR_GET_NAME:
		put(l, ", ");
		if (IS_ERR_VALUE(ret))
			put_addr(l, (unsigned long)a[1]);
		else
			put_quoted(l, a[1], (size_t)-1, true, STRSIZE);
		return;
	case PR_SET_DUMPABLE:
		if ((unsigned long)a[1] < ARRAY_SIZE(suid_dump))
			put(l, ", %s", suid_dump[a[1]]);
		else
			put(l, ", %lu", (unsigned long)a[1]);
		return;
	case PR_SET_PDEATHSIG:
		put(l, ", ");
		put_signame(l, (int)a[1], true);
		return;
	case PR_GET_PDEATHSIG:
		put(l, ", ");
		if (IS_ERR_VALUE(ret) || copy_from_user(&v, (uptr){ (uintptr_t)a[1] }, 4) != 0) {
			put_addr(l, (unsigned long)a[1]);
		} else if (v) {
			put(l, "[");
			put_signame(l, v, true);
			put(l, "]");
		} else {
			put(l, "[0]");
		}
		return;
	case PR_GET_CHILD_SUBREAPER:
		put(l, ", ");
		put_ref(l, a[1], 4, true, ret, true);
		return;
	case PR_SET_TIMERSLACK:
	case PR_SET_CHILD_SUBREAPER:
	case PR_SET_KEEPCAPS:
	case PR_CAPBSET_READ:
		put(l, ", %lu", (unsigned long)a[1]);
		return;
	case PR_SET_NO_NEW_PRIVS:
	case PR_GET_NO_NEW_PRIVS:
	case PR_SET_THP_DISABLE:
		put(l, ", %lu, %lu, %lu, %lu", (unsigned long)a[1], (unsigned long)a[2],
		    (unsigned long)a[3], (unsigned long)a[4]);
		return;
	default:
		for (int i = 1; i <= 4; i++) {
			put(l, ", ");
			put_hex(l, (unsigned long)a[i]);
		}
	}
}

/* personality's persona: 0xffffffff (the query) stays a number. */
static void put_persona(struct trace_line *l, const struct abi_sysmeta *m, unsigned long v)
{
	if ((u32)v == 0xffffffffu)
		put(l, "0xffffffff");
	else
		put_flags(l, m->args[0].flags, (u32)v);
}

/* clone's flags as strace prints them: the CLONE_* names (CLONE_DETACHED,
 * gone from the headers, stays a number) and then, for clone, the exit
 * signal in the low byte. */
static void put_clone_flags(struct trace_line *l, const struct abi_flagset *fs, u64 flags,
			    bool signal_byte)
{
	u64 rest = signal_byte ? flags & ~0xffULL : flags;
	bool any = false;

	for (unsigned i = 0; i < fs->count; i++) {
		u64 bit = fs->values[i].value[arch_current()];

		if (bit == CLONE_DETACHED || (signal_byte && bit <= 0xff) || !(rest & bit))
			continue;
		put(l, "%s%s", any ? "|" : "", fs->values[i].name);
		any = true;
		rest &= ~bit;
	}
	if (rest || (!any && !(signal_byte && (flags & 0xff)))) {
		put(l, any ? "|" : "");
		put_hex(l, (unsigned long)rest);
		any = true;
	}
	if (signal_byte && (flags & 0xff)) {
		put(l, any ? "|" : "");
		put_signame(l, (int)(flags & 0xff), true);
	}
}

/* clone(child_stack=..., flags=..., parent_tid=[N], tls=..., child_tidptr=...):
 * each pointer only when a flag makes the kernel use it (x86_64's order:
 * flags, newsp, parent_tidptr, child_tidptr, tls). */
static void put_clone(struct trace_line *l, const struct abi_sysmeta *m, const long a[6], long ret)
{
	u64 flags = (u64)a[0];

	put(l, "child_stack=");
	put_addr(l, (unsigned long)a[1]);
	put(l, ", flags=");
	put_clone_flags(l, m->args[0].flags, flags, true);
	if (flags & CLONE_PARENT_SETTID) {
		put(l, ", parent_tid=");
		put_ref(l, a[2], 4, true, ret, true);
	}
	if (flags & CLONE_SETTLS) {
		put(l, ", tls=");
		put_addr(l, (unsigned long)a[4]);
	}
	if (flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) {
		put(l, ", child_tidptr=");
		put_addr(l, (unsigned long)a[3]);
	}
}

/* clone3({flags=..., child_tid=..., parent_tid=..., exit_signal=SIGCHLD,
 * stack=..., stack_size=..., tls=...} => {parent_tid=[N]}, 88). */
static void put_clone3(struct trace_line *l, const long a[6], long ret)
{
	struct {
		u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} ca;
	int v;

	if ((size_t)a[1] < sizeof ca || copy_from_user(&ca, (uptr){ (uintptr_t)a[0] }, sizeof ca)) {
		put_addr(l, (unsigned long)a[0]);
		put(l, ", %lu", (unsigned long)a[1]);
		return;
	}
	put(l, "{flags=");
	put_clone_flags(l, abi_flagset_find("clone_flags"), ca.flags, false);
	if (ca.flags & CLONE_PIDFD)
		put(l, ", pidfd=0x%lx", (unsigned long)ca.pidfd);
	if (ca.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) {
		put(l, ", child_tid=");
		put_addr(l, (unsigned long)ca.child_tid);
	}
	if (ca.flags & CLONE_PARENT_SETTID) {
		put(l, ", parent_tid=");
		put_addr(l, (unsigned long)ca.parent_tid);
	}
	put(l, ", exit_signal=");
	put_signame(l, (int)ca.exit_signal, true);
	put(l, ", stack=");
	put_addr(l, (unsigned long)ca.stack);
	put(l, ", stack_size=");
	put_hex(l, (unsigned long)ca.stack_size);
	if (ca.flags & CLONE_SETTLS) {
		put(l, ", tls=");
		put_addr(l, (unsigned long)ca.tls);
	}
	put(l, "}");
	if (!IS_ERR_VALUE(ret) && (ca.flags & CLONE_PARENT_SETTID) &&
	    copy_from_user(&v, (uptr){ (uintptr_t)ca.parent_tid }, 4) == 0)
		put(l, " => {parent_tid=[%d]}", v);
	put(l, ", %lu", (unsigned long)a[1]);
}

/* futex as strace decodes it: the command with _PRIVATE and
 * |FUTEX_CLOCK_REALTIME, then only the arguments the command uses. */
static void put_futex(struct trace_line *l, const struct abi_sysmeta *m, const long a[6], long ret)
{
	int op = (int)a[1], cmd = op & 0x7f;
	const char *name = NULL;
	const struct abi_flag_field *f = &m->args[1].flags->fields[0];
	const struct abi_argmeta ts = { .fmt = ABI_FMT_PTR, .type = "struct __kernel_timespec" };

	for (unsigned i = 0; i < f->count; i++)
		if ((long)f->values[i].value[arch_current()] == cmd)
			name = f->values[i].name;
	put_addr(l, (unsigned long)a[0]);
	if (!name || (op & ~(0x7f | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))) {
		put(l, ", ");
		put_unknown(l, m->args[1].flags, (unsigned long)(u32)op);
		put(l, ", %u, ", (u32)a[2]);
		put_hex(l, (unsigned long)a[3]);
		put(l, ", ");
		put_addr(l, (unsigned long)a[4]);
		put(l, ", ");
		put_hex(l, (u32)a[5]);
		return;
	}
	put(l, ", %s%s%s, %u", name, op & FUTEX_PRIVATE_FLAG ? "_PRIVATE" : "",
	    op & FUTEX_CLOCK_REALTIME ? "|FUTEX_CLOCK_REALTIME" : "", (u32)a[2]);
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		put(l, ", ");
		if (!put_struct(l, &ts, a[3], ret))
			put_addr(l, (unsigned long)a[3]);
		break;
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAIT_BITSET) {
			put(l, ", ");
			put_struct(l, &ts, a[3], ret);
		}
		if ((u32)a[5] == 0xffffffffu)
			put(l, ", FUTEX_BITSET_MATCH_ANY");
		else {
			put(l, ", ");
			put_hex(l, (u32)a[5]);
		}
		break;
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_CMP_REQUEUE_PI:
		put(l, ", %u, ", (u32)a[3]);
		put_addr(l, (unsigned long)a[4]);
		if (cmd != FUTEX_REQUEUE)
			put(l, ", %u", (u32)a[5]);
		break;
	case FUTEX_WAIT_REQUEUE_PI:
		put(l, ", ");
		put_struct(l, &ts, a[3], ret);
		put(l, ", ");
		put_addr(l, (unsigned long)a[4]);
		break;
	default: /* WAKE, UNLOCK_PI, TRYLOCK_PI, FD, WAKE_OP: what they take first */
		break;
	}
}

static void put_call(struct trace_line *l, long nr, const long a[6], long ret)
{
	int id = abi_sys_id(arch_current(), nr);
	const struct abi_sysmeta *m;

	if (id < 0) {
		put(l, "syscall_0x%lx(0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx)", (unsigned long)nr,
		    (unsigned long)a[0], (unsigned long)a[1], (unsigned long)a[2],
		    (unsigned long)a[3], (unsigned long)a[4], (unsigned long)a[5]);
		return;
	}
	m = &abi_sysmeta[id];
	put(l, "%s(", m->name);
	if (id == ABI_SYS_clone || id == ABI_SYS_clone3) {
		if (id == ABI_SYS_clone)
			put_clone(l, m, a, ret);
		else
			put_clone3(l, a, ret);
		put(l, ")");
		return;
	}
	if (id == ABI_SYS_personality) {
		put_persona(l, m, (unsigned long)a[0]);
		put(l, ")");
		return;
	}
	if (id == ABI_SYS_prctl) {
		put_prctl(l, m, a, ret);
		put(l, ")");
		return;
	}
	if (id == ABI_SYS_fcntl || id == ABI_SYS_futex || id == ABI_SYS_ioctl) {
		(id == ABI_SYS_fcntl   ? put_fcntl
		 : id == ABI_SYS_futex ? put_futex
				       : put_ioctl)(l, m, a, ret);
		put(l, ")");
		return;
	}
	for (int i = 0; i < shown_args(id, m, a); i++) {
		if (i == 4 && (id == ABI_SYS_preadv2 || id == ABI_SYS_pwritev2))
			continue; /* pos_h, as above */
		if (i)
			put(l, ", ");
		if (id == ABI_SYS_execve && i > 0)
			put_strv(l, a[i], i == 2);
		else if (id == ABI_SYS_execveat && (i == 2 || i == 3))
			put_strv(l, a[i], i == 3);
		else if (put_special(l, id, i, a, ret))
			;
		else if (id == ABI_SYS_rt_sigprocmask && i >= 1 && i <= 2 &&
			 !(i == 2 && IS_ERR_VALUE(ret)))
			put_sigset(l, a[i], (size_t)a[3]); /* at the size the call gives */
		else
			put_arg(l, m, i, a, ret);
	}
	put(l, ")");
}

/* strace -f's "[pid N] " before every line once there is more than one
 * task, keyed on the calling thread. */
static void put_prefix(struct trace_line *l)
{
	if (task_count() > 1)
		put(l, "[pid %5d] ", current->tid); /* strace: [pid %5u] */
}

static void emit(struct trace_line *l)
{
	put(l, "\n");
	if (l->buf[l->len - 1] != '\n')
		l->buf[l->len - 1] = '\n';
	hosted_write(hosted_opts.trace_fd, l->buf, l->len);
}

/* The kernel-internal restart codes: strace shows them as "= ?". */
static bool is_restart(long e)
{
	return e == ERESTARTSYS || e == ERESTARTNOINTR || e == ERESTARTNOHAND ||
	       e == ERESTART_RESTARTBLOCK;
}

static void put_result(struct trace_line *l, int id, long ret)
{
	if (IS_ERR_VALUE(ret)) {
		const char *name = abi_errno_name(-ret), *msg = abi_errno_message(-ret);

		put(l, is_restart(-ret) ? " = ? %s" : " = -1 %s", name ? name : "E???");
		if (msg)
			put(l, " (%s)", msg);
		else
			put(l, " (Unknown error %ld)", -ret);
		return;
	}
	if (id >= 0 && abi_sysmeta[id].ret_fmt == ABI_FMT_HEX) {
		put(l, " = 0x%lx", (unsigned long)ret);
	} else if (id >= 0 && abi_sysmeta[id].ret_fmt == ABI_FMT_OCTAL) {
		put(l, ret ? " = 0%lo" : " = 0", (unsigned long)ret);
	} else {
		put(l, " = %ld", ret);
	}
}

void hosted_trace(long nr, const long a[6], long ret)
{
	struct trace_line l = { .len = 0 };
	int id = abi_sys_id(arch_current(), nr);

	put_prefix(&l);
	put_call(&l, nr, a, ret);
	pad_call(&l);
	if (id == ABI_SYS_fcntl && !IS_ERR_VALUE(ret) &&
	    ((unsigned)a[1] == F_GETFD || (unsigned)a[1] == F_GETFL) && ret > 0) {
		put(&l, " = 0x%lx (flags ", (unsigned long)ret);
		put_flags(&l,
			  abi_flagset_find((unsigned)a[1] == F_GETFD ? "fd_flags" : "open_flags"),
			  (unsigned long)ret);
		put(&l, ")");
	} else if (id == ABI_SYS_personality && !IS_ERR_VALUE(ret)) {
		put(&l, ret ? " = 0x%lx (" : " = %ld (", ret);
		put_flags(&l, abi_sysmeta[id].args[0].flags, (unsigned long)ret);
		put(&l, ")");
	} else if (id == ABI_SYS_prctl && (unsigned long)a[0] == PR_GET_DUMPABLE && ret >= 0 &&
		   ret < (long)ARRAY_SIZE(suid_dump)) {
		put(&l, " = %ld (%s)", ret, suid_dump[ret]);
	} else if ((id == ABI_SYS_poll || id == ABI_SYS_ppoll) && !IS_ERR_VALUE(ret)) {
		put_poll_result(&l, a[0], a[1], ret);
	} else {
		put_result(&l, id, ret);
	}
	emit(&l);
}

/* select's fd sets: [0 3] for the fds below n that are set. */
static void put_fdset(struct trace_line *l, long addr, long n)
{
	u64 w;
	bool first = true;

	if (!addr) {
		put(l, "NULL");
		return;
	}
	if (n < 0 || n > 1024 || copy_from_user(&w, (uptr){ (uintptr_t)addr }, 8) != 0) {
		put_addr(l, (unsigned long)addr);
		return;
	}
	put(l, "[");
	for (long i = 0; i * 64 < n; i++) {
		if (copy_from_user(&w, (uptr){ (uintptr_t)addr + (uintptr_t)i * 8 }, 8) != 0)
			break;
		for (int b = 0; b < 64 && i * 64 + b < n; b++)
			if (w & (1ULL << b)) {
				put(l, first ? "%ld" : " %ld", i * 64 + b);
				first = false;
			}
	}
	put(l, "]");
}

/* select's and pselect6's arguments, read before the call: the kernel
 * rewrites the sets and the timeout. */
static void put_select(struct trace_line *l, int id, const long a[6])
{
	const struct abi_argmeta ts = { .fmt = ABI_FMT_PTR,
					.type = id == ABI_SYS_select ? "struct __kernel_old_timeval"
								     : "struct __kernel_timespec" };
	struct {
		u64 set, size;
	} sig;

	put(l, "%s(%d, ", abi_sysmeta[id].name, (int)a[0]);
	for (int i = 1; i <= 3; i++) {
		put_fdset(l, a[i], (int)a[0]);
		put(l, ", ");
	}
	put_struct(l, &ts, a[4], 0);
	if (id == ABI_SYS_pselect6) {
		put(l, ", ");
		if (!a[5] || copy_from_user(&sig, (uptr){ (uintptr_t)a[5] }, sizeof sig) != 0) {
			put_addr(l, (unsigned long)a[5]);
		} else {
			put(l, "{sigmask=");
			put_sigset(l, (long)sig.set, (size_t)sig.size);
			put(l, ", sigsetsize=%lu}", (unsigned long)sig.size);
		}
	}
	put(l, ")");
}

/* select's result: = 2 (in [0], out [4], left {tv_sec=0, tv_usec=997}),
 * = 0 (Timeout). */
static void put_select_result(struct trace_line *l, int id, const long a[6], long ret)
{
	static const char *const names[] = { "in", "out", "except" };
	const struct abi_argmeta ts = { .fmt = ABI_FMT_PTR,
					.type = id == ABI_SYS_select ? "struct __kernel_old_timeval"
								     : "struct __kernel_timespec" };
	bool first = true;

	if (IS_ERR_VALUE(ret) || ret < 0) {
		put_result(l, id, ret);
		return;
	}
	put(l, " = %ld", ret);
	if (ret == 0) {
		put(l, " (Timeout)");
		return;
	}
	put(l, " (");
	for (int i = 1; i <= 3; i++) {
		u64 w = 0;
		bool any = false;

		for (long k = 0; a[i] && k * 64 < (int)a[0]; k++)
			if (copy_from_user(&w, (uptr){ (uintptr_t)a[i] + (uintptr_t)k * 8 }, 8) ==
				    0 &&
			    w)
				any = true;
		if (!any)
			continue;
		put(l, first ? "%s " : ", %s ", names[i - 1]);
		put_fdset(l, a[i], (int)a[0]);
		first = false;
	}
	if (a[4]) {
		put(l, first ? "left " : ", left ");
		put_struct(l, &ts, a[4], 0);
	}
	put(l, ")");
}

/* The calls whose line is made in two steps, the call before it runs and
 * the result after: execve (its arguments are gone after a success),
 * select and pselect6 (the kernel rewrites their arguments). */
bool hosted_trace_prepare(struct hosted_trace_pending *p, long nr, const long a[6])
{
	int id = abi_sys_id(arch_current(), nr);

	if (id != ABI_SYS_execve && id != ABI_SYS_execveat && id != ABI_SYS_select &&
	    id != ABI_SYS_pselect6)
		return false;
	p->id = id;
	memcpy(p->a, a, sizeof p->a);
	p->line.len = 0;
	put_prefix(&p->line);
	if (id == ABI_SYS_select || id == ABI_SYS_pselect6)
		put_select(&p->line, id, a);
	else
		put_call(&p->line, nr, a, 0);
	pad_call(&p->line);
	return true;
}

void hosted_trace_finish(struct hosted_trace_pending *p, long ret)
{
	if (p->id == ABI_SYS_select || p->id == ABI_SYS_pselect6)
		put_select_result(&p->line, p->id, p->a, ret);
	else
		put_result(&p->line, p->id, ret);
	emit(&p->line);
}

void hosted_trace_noreturn(long nr, const long a[6])
{
	struct trace_line l = { .len = 0 };

	put_prefix(&l);
	put_call(&l, nr, a, 0);
	pad_call(&l);
	put(&l, " = ?");
	emit(&l);
}

/* --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---,
 * with strace's fields for each kind of sender. */
void hosted_trace_signal(const struct linux_siginfo *info)
{
	struct trace_line l = { .len = 0 };

	put_prefix(&l);
	put(&l, "--- ");
	put_signame(&l, info->si_signo, true);
	put(&l, " ");
	put_siginfo(&l, info);
	put(&l, " ---");
	emit(&l);
}

void hosted_trace_exit(int status)
{
	struct trace_line l = { .len = 0 };

	put_prefix(&l);
	put(&l, "+++ exited with %d +++", status);
	emit(&l);
}

void hosted_trace_killed(int sig, bool core)
{
	struct trace_line l = { .len = 0 };

	put_prefix(&l);
	put(&l, "+++ killed by ");
	put_signame(&l, sig, true);
	put(&l, core ? " (core dumped) +++" : " +++");
	emit(&l);
}

/* Whether the host will dump core when abi-run dies of a core signal:
 * abi-run's own RLIMIT_CORE is not 0, or core_pattern pipes the core to a
 * program (which Linux does whatever the limit). Read before confinement;
 * the guest's setrlimit does not reach the host. */
static bool host_may_dump;

static bool read_host_may_dump(void)
{
	struct linux_rlimit rl = { 0, 0 };
	char c = 0;
	long fd;

	if (host_syscall4(HOST_NR(prlimit64), 0, RLIMIT_CORE, 0, &rl) == 0 && rl.rlim_cur)
		return true;
	fd = host_syscall4(HOST_NR(openat), AT_FDCWD, "/proc/sys/kernel/core_pattern",
			   O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	host_syscall3(HOST_NR(read), fd, &c, 1);
	host_syscall1(HOST_NR(close), fd);
	return c == '|';
}

/* Whether sig is a core signal (signal(7)) that the host dumps core for. */
static bool dumps_core(int sig)
{
	static const u64 core = (1ULL << (SIGQUIT - 1)) | (1ULL << (SIGILL - 1)) |
				(1ULL << (SIGTRAP - 1)) | (1ULL << (SIGABRT - 1)) |
				(1ULL << (SIGBUS - 1)) | (1ULL << (SIGFPE - 1)) |
				(1ULL << (SIGSEGV - 1)) | (1ULL << (SIGXCPU - 1)) |
				(1ULL << (SIGXFSZ - 1)) | (1ULL << (SIGSYS - 1));

	return sig >= 1 && sig <= 64 && (core & (1ULL << (sig - 1))) && host_may_dump;
}

/* plat_exit_hook, chained in front of the one abi-run had: the last line of
 * a traced run, once the guest has started (abi-run's own errors end
 * without one). */
static void (*next_exit_hook)(void);
static bool guest_started;

static void at_exit(void)
{
	if (hosted_opts.trace && guest_started) {
		if (plat_exit_signal > 0)
			hosted_trace_killed(plat_exit_signal, dumps_core(plat_exit_signal));
		else
			hosted_trace_exit(plat_exit_status);
	}
	if (next_exit_hook)
		next_exit_hook();
}

void hosted_trace_start(void)
{
	if (!hosted_opts.trace)
		return;
	host_may_dump = read_host_may_dump();
	guest_started = true;
	if (plat_exit_hook != at_exit) {
		next_exit_hook = plat_exit_hook;
		plat_exit_hook = at_exit;
	}
}
