/* The fortify functions (_FORTIFY_SOURCE) a glibc-built object calls when
 * the compiler knows the size of a destination but cannot prove the call
 * safe: each checks the size as glibc's does and fails with glibc's message
 * (__chk_fail), else does the plain call, which is musl's. The printf-family
 * flag (>0: refuse %n in writable formats) is not checked. */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>
#include <wchar.h>
#include "shim.h"

#define CHECK(cond)                   \
	do {                          \
		if (!(cond))          \
			__chk_fail(); \
	} while (0)

_Noreturn void __chk_fail(void)
{
	shim_fatal("*** buffer overflow detected ***: terminated\n");
}

/* ---- memory and strings ---- */

void *__memcpy_chk(void *dst, const void *src, size_t len, size_t dstlen)
{
	CHECK(len <= dstlen);
	return memcpy(dst, src, len);
}

void *__memmove_chk(void *dst, const void *src, size_t len, size_t dstlen)
{
	CHECK(len <= dstlen);
	return memmove(dst, src, len);
}

void *__mempcpy_chk(void *dst, const void *src, size_t len, size_t dstlen)
{
	CHECK(len <= dstlen);
	return (char *)memcpy(dst, src, len) + len;
}

void *__memset_chk(void *dst, int c, size_t len, size_t dstlen)
{
	CHECK(len <= dstlen);
	return memset(dst, c, len);
}

void __explicit_bzero_chk(void *dst, size_t len, size_t dstlen)
{
	CHECK(len <= dstlen);
	explicit_bzero(dst, len);
}

char *__strcpy_chk(char *dst, const char *src, size_t dstlen)
{
	size_t n = strlen(src);

	CHECK(n < dstlen);
	return memcpy(dst, src, n + 1);
}

char *__stpcpy_chk(char *dst, const char *src, size_t dstlen)
{
	size_t n = strlen(src);

	CHECK(n < dstlen);
	memcpy(dst, src, n + 1);
	return dst + n;
}

char *__strncpy_chk(char *dst, const char *src, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return strncpy(dst, src, n);
}

char *__stpncpy_chk(char *dst, const char *src, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return stpncpy(dst, src, n);
}

char *__strcat_chk(char *dst, const char *src, size_t dstlen)
{
	size_t d = strlen(dst), s = strlen(src);

	CHECK(d < dstlen && s < dstlen - d);
	memcpy(dst + d, src, s + 1);
	return dst;
}

char *__strncat_chk(char *dst, const char *src, size_t n, size_t dstlen)
{
	size_t d = strlen(dst), s = strnlen(src, n);

	CHECK(d < dstlen && s < dstlen - d);
	memcpy(dst + d, src, s);
	dst[d + s] = 0;
	return dst;
}

wchar_t *__wmemcpy_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return wmemcpy(dst, src, n);
}

wchar_t *__wmemmove_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return wmemmove(dst, src, n);
}

wchar_t *__wmempcpy_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return wmemcpy(dst, src, n) + n;
}

wchar_t *__wmemset_chk(wchar_t *dst, wchar_t c, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return wmemset(dst, c, n);
}

wchar_t *__wcscpy_chk(wchar_t *dst, const wchar_t *src, size_t dstlen)
{
	CHECK(wcslen(src) < dstlen);
	return wcscpy(dst, src);
}

wchar_t *__wcpcpy_chk(wchar_t *dst, const wchar_t *src, size_t dstlen)
{
	CHECK(wcslen(src) < dstlen);
	return wcpcpy(dst, src);
}

wchar_t *__wcsncpy_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return wcsncpy(dst, src, n);
}

wchar_t *__wcpncpy_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return wcpncpy(dst, src, n);
}

wchar_t *__wcscat_chk(wchar_t *dst, const wchar_t *src, size_t dstlen)
{
	CHECK(wcslen(dst) + wcslen(src) < dstlen);
	return wcscat(dst, src);
}

wchar_t *__wcsncat_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t dstlen)
{
	size_t s = wcslen(src);

	CHECK(wcslen(dst) + (s < n ? s : n) < dstlen);
	return wcsncat(dst, src, n);
}

/* ---- formatted output ---- */

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	return vfprintf(f, fmt, ap);
}

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vfprintf_chk(f, flag, fmt, ap);
	va_end(ap);
	return r;
}

int __vprintf_chk(int flag, const char *fmt, va_list ap)
{
	return __vfprintf_chk(stdout, flag, fmt, ap);
}

int __printf_chk(int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vfprintf_chk(stdout, flag, fmt, ap);
	va_end(ap);
	return r;
}

int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	return vdprintf(fd, fmt, ap);
}

int __dprintf_chk(int fd, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vdprintf_chk(fd, flag, fmt, ap);
	va_end(ap);
	return r;
}

int __vasprintf_chk(char **s, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	return vasprintf(s, fmt, ap);
}

int __asprintf_chk(char **s, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vasprintf_chk(s, flag, fmt, ap);
	va_end(ap);
	return r;
}

/* glibc's vsnprintf bounded by the object's size: maxlen > slen fails. */
int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap)
{
	(void)flag;
	CHECK(maxlen <= slen);
	return vsnprintf(s, maxlen, fmt, ap);
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
	va_end(ap);
	return r;
}

/* sprintf into an object of slen bytes: writing more fails. musl's
 * vsnprintf refuses a size above INT_MAX, so an unknown size (SIZE_MAX) is
 * a plain vsprintf. */
int __vsprintf_chk(char *s, int flag, size_t slen, const char *fmt, va_list ap)
{
	int r;

	(void)flag;
	CHECK(slen != 0);
	if (slen > INT_MAX)
		return vsprintf(s, fmt, ap);
	r = vsnprintf(s, slen, fmt, ap);
	CHECK(r < 0 || (size_t)r < slen);
	return r;
}

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vsprintf_chk(s, flag, slen, fmt, ap);
	va_end(ap);
	return r;
}

void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(pri, fmt, ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
	(void)flag;
}

/* ---- input into sized buffers ---- */

char *__fgets_chk(char *buf, size_t size, int n, FILE *f)
{
	if (n <= 0)
		return NULL;
	CHECK((size_t)n <= size);
	return fgets(buf, n, f);
}

char *__fgets_unlocked_chk(char *buf, size_t size, int n, FILE *f)
{
	if (n <= 0)
		return NULL;
	CHECK((size_t)n <= size);
	return fgets_unlocked(buf, n, f);
}

size_t __fread_chk(void *buf, size_t buflen, size_t size, size_t n, FILE *f)
{
	size_t total;

	CHECK(!__builtin_mul_overflow(size, n, &total) && total <= buflen);
	return fread(buf, size, n, f);
}

size_t __fread_unlocked_chk(void *buf, size_t buflen, size_t size, size_t n, FILE *f)
{
	size_t total;

	CHECK(!__builtin_mul_overflow(size, n, &total) && total <= buflen);
	return fread_unlocked(buf, size, n, f);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	CHECK(n <= buflen);
	return read(fd, buf, n);
}

ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	CHECK(n <= buflen);
	return pread(fd, buf, n, off);
}

ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	return __pread_chk(fd, buf, n, off, buflen);
}

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	CHECK(n <= buflen);
	return recv(fd, buf, n, flags);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
		       socklen_t *addrlen)
{
	CHECK(n <= buflen);
	return recvfrom(fd, buf, n, flags, addr, addrlen);
}

ssize_t __readlink_chk(const char *path, char *buf, size_t n, size_t buflen)
{
	CHECK(n <= buflen);
	return readlink(path, buf, n);
}

ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t n, size_t buflen)
{
	CHECK(n <= buflen);
	return readlinkat(dirfd, path, buf, n);
}

char *__getcwd_chk(char *buf, size_t size, size_t buflen)
{
	CHECK(size <= buflen);
	return getcwd(buf, size);
}

char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	CHECK(resolvedlen >= PATH_MAX);
	return realpath(path, resolved);
}

int __getgroups_chk(int size, gid_t *list, size_t listlen)
{
	CHECK(size >= 0 && (size_t)size <= listlen / sizeof *list);
	return getgroups(size, list);
}

int __gethostname_chk(char *buf, size_t n, size_t buflen)
{
	CHECK(n <= buflen);
	return gethostname(buf, n);
}

int __getlogin_r_chk(char *buf, size_t n, size_t buflen)
{
	CHECK(n <= buflen);
	return getlogin_r(buf, n);
}

int __ttyname_r_chk(int fd, char *buf, size_t n, size_t buflen)
{
	CHECK(n <= buflen);
	return ttyname_r(fd, buf, n);
}

size_t __confstr_chk(int name, char *buf, size_t n, size_t buflen)
{
	CHECK(n <= buflen);
	return confstr(name, buf, n);
}

/* ---- descriptors and wide characters ---- */

/* open without a mode, where the flags need one, is glibc's fatal error. */
static void check_open_flags(int flags)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		shim_fatal("*** invalid open call: O_CREAT or O_TMPFILE without mode ***: "
			   "terminated\n");
}

int __open_2(const char *path, int flags)
{
	check_open_flags(flags);
	return open(path, flags);
}

int __open64_2(const char *path, int flags)
{
	return __open_2(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	check_open_flags(flags);
	return openat(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	return __openat_2(dirfd, path, flags);
}

long __fdelt_chk(long fd)
{
	CHECK(fd >= 0 && fd < FD_SETSIZE);
	return fd / (8 * (long)sizeof(long));
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	CHECK(n <= fdslen / sizeof *fds);
	return poll(fds, n, timeout);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask,
		size_t fdslen)
{
	CHECK(n <= fdslen / sizeof *fds);
	return ppoll(fds, n, ts, mask);
}

int __wctomb_chk(char *s, wchar_t wc, size_t buflen)
{
	CHECK(buflen >= MB_CUR_MAX);
	return wctomb(s, wc);
}

size_t __wcrtomb_chk(char *s, wchar_t wc, mbstate_t *ps, size_t buflen)
{
	CHECK(buflen >= MB_CUR_MAX);
	return wcrtomb(s, wc, ps);
}

size_t __mbstowcs_chk(wchar_t *dst, const char *src, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return mbstowcs(dst, src, n);
}

size_t __wcstombs_chk(char *dst, const wchar_t *src, size_t n, size_t dstlen)
{
	CHECK(n <= dstlen);
	return wcstombs(dst, src, n);
}

size_t __mbsrtowcs_chk(wchar_t *dst, const char **src, size_t n, mbstate_t *ps, size_t dstlen)
{
	CHECK(n <= dstlen);
	return mbsrtowcs(dst, src, n, ps);
}

size_t __wcsrtombs_chk(char *dst, const wchar_t **src, size_t n, mbstate_t *ps, size_t dstlen)
{
	CHECK(n <= dstlen);
	return wcsrtombs(dst, src, n, ps);
}
