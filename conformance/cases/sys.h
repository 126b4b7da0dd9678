/* sys.h: raw system calls and transcript printing for the conformance cases.
 *
 * Every case makes its system calls through SC(name, args...), which returns
 * the kernel's value or -errno (the kernel's own convention), never -1 plus
 * errno. Syscall numbers come from the libc's <sys/syscall.h> (SYS_<name>),
 * so one source builds against glibc, musl or a cross toolchain and no file
 * here spells a number.
 *
 * Build variants (chosen by the runner, abi/conform/build.py):
 *   default              the `syscall` instruction (svc 0 on aarch64), inline
 *   -DCONFORM_LIBC_CALL  libc's syscall(3): a plain function call, which is
 *                        how a musl-compat build reaches the kernel directly
 *
 * Output goes through a private buffer written with SC(write) to fd 1, so a
 * transcript never depends on stdio buffering. Call done() at the end of main.
 */
#ifndef CONFORM_SYS_H
#define CONFORM_SYS_H

#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#define UNUSED __attribute__((unused))

#ifdef CONFORM_LIBC_CALL
#include <unistd.h>
static inline long sc6(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r == -1 ? -(long)errno : r;
}
#elif defined(__x86_64__)
static inline long sc6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static inline long sc6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}
#else
#error "sys.h: no raw syscall sequence for this architecture"
#endif

#define SC_(nr, a, b, c, d, e, f, ...) \
    sc6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
/* SC(openat, AT_FDCWD, "f", O_RDONLY): the raw syscall SYS_openat. */
#define SC(name, ...) SC_(SYS_##name, ##__VA_ARGS__, 0, 0, 0, 0, 0, 0)
/* Legacy calls (open, dup2, mkdir ...) exist on x86_64 only: guard them with #ifdef SYS_<name>. */

/* ---- errno names ---------------------------------------------------------------------- */

/* One table of names, a row per line: not for clang-format. */
/* clang-format off */
UNUSED static const char *errname(long e)
{
#define E_(x) case x: return #x;
    switch (e) {
    E_(EPERM) E_(ENOENT) E_(ESRCH) E_(EINTR) E_(EIO) E_(ENXIO) E_(E2BIG) E_(ENOEXEC)
    E_(EBADF) E_(ECHILD) E_(EAGAIN) E_(ENOMEM) E_(EACCES) E_(EFAULT) E_(EBUSY) E_(EEXIST)
    E_(EXDEV) E_(ENODEV) E_(ENOTDIR) E_(EISDIR) E_(EINVAL) E_(ENFILE) E_(EMFILE) E_(ENOTTY)
    E_(ETXTBSY) E_(EFBIG) E_(ENOSPC) E_(ESPIPE) E_(EROFS) E_(EMLINK) E_(EPIPE) E_(EDOM)
    E_(ERANGE) E_(EDEADLK) E_(ENAMETOOLONG) E_(ENOLCK) E_(ENOSYS) E_(ENOTEMPTY) E_(ELOOP)
    E_(ENOMSG) E_(ENODATA) E_(EOVERFLOW) E_(EBADFD) E_(ENOTSOCK) E_(EOPNOTSUPP)
    E_(ETIMEDOUT) E_(EALREADY) E_(EINPROGRESS) E_(ECANCELED)
    default: return NULL;
    }
#undef E_
}
/* clang-format on */

/* ---- output ------------------------------------------------------------------------- */

static char out_buf[1 << 16];
static size_t out_len;

UNUSED static void flush(void)
{
    size_t off = 0;
    while (off < out_len) {
        long n = SC(write, 1, out_buf + off, out_len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    out_len = 0;
}

UNUSED __attribute__((format(printf, 1, 2))) static void out(const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    if (out_len + (size_t)n > sizeof out_buf)
        flush();
    memcpy(out_buf + out_len, line, (size_t)n);
    out_len += (size_t)n;
}

/* A return value as the transcript shows it: "3" or "-ENOENT". */
UNUSED static const char *rv(long r)
{
    static char bufs[4][48];
    static int which;
    char *b = bufs[which++ & 3];
    if (r < 0 && r > -4096) {
        const char *name = errname(-r);
        if (name)
            snprintf(b, sizeof bufs[0], "-%s", name);
        else
            snprintf(b, sizeof bufs[0], "-E%ld", -r);
    } else {
        snprintf(b, sizeof bufs[0], "%ld", r);
    }
    return b;
}

/* show("openat f", SC(openat, ...)): print "openat f = 3" and return the value. */
UNUSED static long show(const char *what, long r)
{
    out("%s = %s\n", what, rv(r));
    return r;
}

/* showaddr("mmap", r): like show, but an address prints as "<addr>" (addresses vary). */
UNUSED static long showaddr(const char *what, long r)
{
    if (r < 0 && r > -4096)
        return show(what, r);
    out("%s = <addr>\n", what);
    return r;
}

/* Print a yes/no fact: the transcript states properties, never raw addresses or times. */
UNUSED static void fact(const char *what, int yes)
{
    out("%s: %s\n", what, yes ? "yes" : "no");
}

/* Print bytes as text with non-printables escaped. */
UNUSED static void bytes(const char *what, const void *p, long n)
{
    const unsigned char *s = p;
    char b[1024];
    size_t k = 0;
    for (long i = 0; i < n && k + 5 < sizeof b; i++) {
        if (s[i] >= 32 && s[i] < 127 && s[i] != '\\')
            b[k++] = (char)s[i];
        else
            k += (size_t)snprintf(b + k, sizeof b - k, "\\x%02x", s[i]);
    }
    b[k] = 0;
    out("%s: \"%s\"\n", what, b);
}

UNUSED static void section(const char *name)
{
    out("-- %s\n", name);
}

UNUSED static int done(void)
{
    out("end\n");
    flush();
    return 0;
}

#endif
