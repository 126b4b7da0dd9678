/* --trace: one strace-format line per syscall, decoded with the generated
 * trace metadata (abi_sysmeta): names, flag sets, quoted strings truncated
 * at 32 bytes as strace does, errno names. Guest memory is read with the
 * kernel's user-access helpers, so a bad pointer prints as its address. */
#include <abi/syscalls.h>
#include <abi/trace_meta.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include "hosted.h"

#define STRSIZE 32    /* strace's default -s */
#define PATHSIZE 4096 /* PATH_MAX: paths are not truncated */
#define RET_COLUMN 39 /* strace pads the call to this width before " = " */
#define LINE_MAX_LEN 2048

struct line {
	char buf[LINE_MAX_LEN];
	size_t len;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
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
static void put_quoted(struct line *l, long addr, size_t len, bool nul_terminated, size_t max)
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
			else
				put(l, "\\%o", c);
		}
	}
	put(l, more ? "\"..." : "\"");
}

static bool flag_on_arch(const struct abi_flag *f)
{
	return f->arches & (1u << ABI_ARCH_X86_64);
}

static void put_flags(struct line *l, const struct abi_flagset *fs, unsigned long v)
{
	unsigned long rest = v;
	bool any = false;

	if (fs->is_enum) {
		for (unsigned i = 0; i < fs->count; i++)
			if (flag_on_arch(&fs->values[i]) &&
			    fs->values[i].value[ABI_ARCH_X86_64] == v) {
				put(l, "%s", fs->values[i].name);
				return;
			}
		put(l, "%ld", (long)v);
		return;
	}
	for (unsigned f = 0; f < fs->nfields; f++) {
		const struct abi_flag_field *fld = &fs->fields[f];

		for (unsigned i = 0; i < fld->count; i++) {
			const struct abi_flag *e = &fld->values[i];

			if (flag_on_arch(e) && (v & fld->mask) == e->value[ABI_ARCH_X86_64]) {
				put(l, "%s%s", any ? "|" : "", e->name);
				any = true;
				rest &= ~fld->mask;
				break;
			}
		}
	}
	for (unsigned i = 0; i < fs->count; i++) {
		const struct abi_flag *e = &fs->values[i];
		unsigned long bit = e->value[ABI_ARCH_X86_64];

		if (flag_on_arch(e) && bit && (rest & bit) == bit) {
			put(l, "%s%s", any ? "|" : "", e->name);
			any = true;
			rest &= ~bit;
		}
	}
	if (rest || !any)
		put(l, any ? "|0x%lx" : "0x%lx", rest);
}

static void put_arg(struct line *l, const struct abi_sysmeta *m, int i, const long *a, long ret)
{
	const struct abi_argmeta *am = &m->args[i];
	long v = a[i];

	if (am->size == 4)
		v = am->is_signed ? (long)(int)v : (long)(u32)v;
	switch (am->fmt) {
	case ABI_FMT_PATH: /* strace prints whole paths */
		put_quoted(l, v, (size_t)-1, true, PATHSIZE);
		break;
	case ABI_FMT_STRING:
		put_quoted(l, v, (size_t)-1, true, STRSIZE);
		break;
	case ABI_FMT_BUFFER: {
		size_t len = am->size_arg >= 0 ? (size_t)a[am->size_arg] : STRSIZE;

		if (am->dir == ABI_DIR_OUT) {
			if (ret < 0) {
				put(l, "0x%lx", (unsigned long)v);
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
	case ABI_FMT_FLAGS:
	case ABI_FMT_ENUM:
		if (am->flags) {
			put_flags(l, am->flags,
				  am->size == 4 ? (unsigned long)(u32)v : (unsigned long)v);
			break;
		}
		put(l, "0x%lx", (unsigned long)v);
		break;
	case ABI_FMT_HEX:
		put(l, "0x%lx", (unsigned long)v);
		break;
	case ABI_FMT_PTR:
		if (v)
			put(l, "0x%lx", (unsigned long)v);
		else
			put(l, "NULL");
		break;
	case ABI_FMT_OCTAL:
		put(l, v ? "0%lo" : "0", (unsigned long)v);
		break;
	case ABI_FMT_UINT:
		put(l, "%lu", (unsigned long)v);
		break;
	default: /* INT, FD, PID, SIGNAL */
		put(l, "%ld", v);
	}
}

/* strace leaves out open's mode unless the call can create a file. */
static int shown_args(int id, const struct abi_sysmeta *m, const long a[6])
{
	int flags_at = id == ABI_SYS_openat ? 2 : id == ABI_SYS_open ? 1 : -1;

	if (flags_at >= 0 && !(a[flags_at] & (O_CREAT | O_TMPFILE)))
		return flags_at + 1;
	return m->nargs;
}

/* Pads the call to strace's return column. */
static void pad_call(struct line *l)
{
	while (l->len < RET_COLUMN)
		put(l, " ");
}

/* execve's argv as strace shows it: ["a", "b"]; envp as a count. */
static void put_strv(struct line *l, long addr, bool count_only)
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

static void put_call(struct line *l, long nr, const long a[6], long ret)
{
	int id = abi_sys_id(ABI_ARCH_X86_64, nr);
	const struct abi_sysmeta *m;

	if (id < 0) {
		put(l, "syscall_%ld(0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx)", nr,
		    (unsigned long)a[0], (unsigned long)a[1], (unsigned long)a[2],
		    (unsigned long)a[3], (unsigned long)a[4], (unsigned long)a[5]);
		return;
	}
	m = &abi_sysmeta[id];
	put(l, "%s(", m->name);
	for (int i = 0; i < shown_args(id, m, a); i++) {
		if (i)
			put(l, ", ");
		if (id == ABI_SYS_execve && i > 0)
			put_strv(l, a[i], i == 2);
		else if (id == ABI_SYS_execveat && (i == 2 || i == 3))
			put_strv(l, a[i], i == 3);
		else
			put_arg(l, m, i, a, ret);
	}
	put(l, ")");
}

static void emit(struct line *l)
{
	put(l, "\n");
	if (l->buf[l->len - 1] != '\n')
		l->buf[l->len - 1] = '\n';
	hosted_write(hosted_opts.trace_fd, l->buf, l->len);
}

/* strace's descriptions (glibc's strerror) of the errnos programs meet most;
 * the others print their name only. */
static const struct {
	int e;
	const char *msg;
} messages[] = {
	{ EPERM, "Operation not permitted" },
	{ ENOENT, "No such file or directory" },
	{ EINTR, "Interrupted system call" },
	{ EIO, "Input/output error" },
	{ EBADF, "Bad file descriptor" },
	{ EAGAIN, "Resource temporarily unavailable" },
	{ ENOMEM, "Cannot allocate memory" },
	{ EACCES, "Permission denied" },
	{ EFAULT, "Bad address" },
	{ EEXIST, "File exists" },
	{ ENOTDIR, "Not a directory" },
	{ EISDIR, "Is a directory" },
	{ EINVAL, "Invalid argument" },
	{ EMFILE, "Too many open files" },
	{ ENOTTY, "Inappropriate ioctl for device" },
	{ ENOSPC, "No space left on device" },
	{ ESPIPE, "Illegal seek" },
	{ EROFS, "Read-only file system" },
	{ EPIPE, "Broken pipe" },
	{ ERANGE, "Numerical result out of range" },
	{ ENAMETOOLONG, "File name too long" },
	{ ENOSYS, "Function not implemented" },
	{ ENOTEMPTY, "Directory not empty" },
	{ ELOOP, "Too many levels of symbolic links" },
	{ ENODEV, "No such device" },
	{ EXDEV, "Invalid cross-device link" },
	{ ENXIO, "No such device or address" },
	{ ECHILD, "No child processes" },
	{ ESRCH, "No such process" },
	{ EOPNOTSUPP, "Operation not supported" },
};

static const char *message(long e)
{
	for (size_t i = 0; i < ARRAY_SIZE(messages); i++)
		if (messages[i].e == e)
			return messages[i].msg;
	return NULL;
}

void hosted_trace(long nr, const long a[6], long ret)
{
	struct line l = { .len = 0 };
	int id = abi_sys_id(ABI_ARCH_X86_64, nr);

	put_call(&l, nr, a, ret);
	pad_call(&l);
	if (IS_ERR_VALUE(ret)) {
		const char *name = abi_errno_name(-ret), *msg = message(-ret);

		put(&l, " = -1 %s", name ? name : "E?");
		if (msg)
			put(&l, " (%s)", msg);
	} else if (id == ABI_SYS_brk || (id >= 0 && abi_sysmeta[id].ret_fmt == ABI_FMT_HEX) ||
		   (id >= 0 && abi_sysmeta[id].ret_fmt == ABI_FMT_PTR)) {
		put(&l, " = 0x%lx", (unsigned long)ret);
	} else {
		put(&l, " = %ld", ret);
	}
	emit(&l);
}

/* execve's and execveat's line: the call is formatted before (its arguments are gone
 * after a success), the result appended after. */
static struct line pending;

void hosted_trace_prepare(long nr, const long a[6])
{
	pending.len = 0;
	put_call(&pending, nr, a, 0);
	pad_call(&pending);
}

void hosted_trace_finish(long ret)
{
	if (IS_ERR_VALUE(ret)) {
		const char *name = abi_errno_name(-ret), *msg = message(-ret);

		put(&pending, " = -1 %s", name ? name : "E?");
		if (msg)
			put(&pending, " (%s)", msg);
	} else {
		put(&pending, " = %ld", ret);
	}
	emit(&pending);
}

void hosted_trace_noreturn(long nr, const long a[6])
{
	struct line l = { .len = 0 };

	put_call(&l, nr, a, 0);
	pad_call(&l);
	put(&l, " = ?");
	emit(&l);
}

void hosted_trace_signal(const struct linux_siginfo *info)
{
	hosted_printf(hosted_opts.trace_fd, "--- signal %d {si_signo=%d, si_code=%d} ---\n",
		      info->si_signo, info->si_signo, info->si_code);
}
