/* The GNU strerror_r and basename, which glibc exports under the plain
 * names (the XSI strerror_r and the POSIX basename are __xpg_strerror_r and
 * __xpg_basename, musl's). musl's headers declare the plain names with the
 * POSIX types, so this file declares what it uses itself. */
#include <stddef.h>

char *strerror(int e);
char *strrchr(const char *s, int c);
char *strerror_r(int e, char *buf, size_t n);
char *basename(const char *path);

/* The GNU strerror_r (glibc's strerror_r symbol; the XSI one is
 * __xpg_strerror_r, musl's). */
char *strerror_r(int e, char *buf, size_t n)
{
	(void)buf;
	(void)n;
	return strerror(e);
}

/* The GNU basename of <string.h> (glibc's basename symbol; the POSIX one of
 * <libgen.h> is __xpg_basename, musl's): never writes, "" after a slash. */
char *basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return (char *)(s ? s + 1 : path);
}

/* rawmemchr: memchr without a bound (a GNU function musl lacks). */
void *rawmemchr(const void *s, int c)
{
	const unsigned char *p = s;

	while (*p != (unsigned char)c)
		p++;
	return (void *)p;
}
