/* A glibc-built shared-object application for `abi-run --libc=musl-compat`
 * (tests/hosted/test_soapps.py): built by gcc against glibc's headers with
 * -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong, once as a program (run
 * natively) and once as -shared -fPIC (run on musl-compat through the glibc
 * shim). It calls what such objects call: the fortified functions, ctype's
 * tables, stdio, the GNU strerror_r and basename, error(3), setjmp, atexit,
 * pthread_atfork and a thread. argv[1] picks a mode; the default prints a
 * transcript, the others end the way glibc ends a program (overflow, smash,
 * assert, error). */
#define _GNU_SOURCE 1
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <error.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* POSIX basename (<libgen.h> would rename basename itself to it). */
char *__xpg_basename(char *path);

static jmp_buf jb;
static int forked_handlers;

static void bye(void)
{
	printf("atexit handler ran\n");
}

static void prepare(void)
{
	forked_handlers++;
}

static void *thread_main(void *arg)
{
	return (void *)((long)arg * 2);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void jump(int v)
{
	longjmp(jb, v);
}

/* Copies through a size the compiler cannot see, so the _chk forms run. */
static void copy_into(char *dst, size_t dstlen, const char *src)
{
	char tmp[16];

	strcpy(tmp, "ab");
	strcat(tmp, src);
	memcpy(dst, tmp, strlen(tmp) + 1 < dstlen ? strlen(tmp) + 1 : dstlen);
}

static void smash(const char *s)
{
	char buf[8];
	volatile size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		((volatile char *)buf)[i] = s[i];
	printf("%s\n", buf);
}

static int transcript(int argc, char **argv)
{
	int nums[] = { 5, 3, 9, 1, 7 };
	char buf[64], small[16], line[128], *gnu, name[] = "/a/b/c.txt";
	pthread_t t;
	void *ret;
	volatile int jumped = 0;
	int ok;

	atexit(bye);
	printf("argc %d, argv[0] %s\n", argc, basename(argv[0]));
	snprintf(buf, sizeof buf, "%d-%s-%x", 42, "x", 255);
	printf("snprintf %s\n", buf);
	sprintf(small, "%05d", argc);
	printf("sprintf %s\n", small);
	copy_into(small, sizeof small, argc > 5 ? argv[5] : "cd");
	printf("copy %s\n", small);
	printf("ctype %d %d %d %c %c\n", !!isalpha('q'), !!isdigit('q'), !!isspace('\t'),
	       toupper('q'), tolower('Q'));
	qsort(nums, 5, sizeof *nums, cmp_int);
	printf("qsort %d %d %d %d %d\n", nums[0], nums[1], nums[2], nums[3], nums[4]);
	printf("strtol %ld %lu\n", strtol("-0x1f", NULL, 16), strtoul("777", NULL, 8));
	errno = 0;
	ok = access("/nonexistent/x", F_OK);
	printf("access missing %d, errno %d\n", ok, errno);
	gnu = strerror_r(ENOENT, buf, sizeof buf);
	printf("strerror_r GNU %s\n", gnu);
	printf("basename GNU %s, POSIX %s\n", basename("/a/b/"), __xpg_basename(name));
	if (setjmp(jb) == 0)
		jump(7);
	else
		jumped = 1;
	printf("longjmp %d\n", jumped);
	pthread_atfork(prepare, NULL, NULL);
	printf("atfork registered, %d run\n", forked_handlers);
	if (pthread_create(&t, NULL, thread_main, (void *)21L) == 0 && pthread_join(t, &ret) == 0)
		printf("thread returned %ld\n", (long)ret);
	while (fgets(line, sizeof line, stdin))
		printf("stdin: %s", line);
	if (read(0, buf, sizeof buf) == 0)
		printf("read at EOF 0\n");
	fprintf(stderr, "to stderr %d\n", 3);
	fflush(stdout);
	return 5;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "overflow") == 0) {
		char dst[4];

		strcpy(dst, argv[2]); /* argv[2] longer than 3: __strcpy_chk fails */
		printf("%s\n", dst);
	} else if (strcmp(mode, "smash") == 0) {
		smash(argv[2]);
	} else if (strcmp(mode, "assert") == 0) {
		assert(argc == 1);
	} else if (strcmp(mode, "error") == 0) {
		errno = EACCES;
		error(0, errno, "a warning %d", 1);
		error(3, ENOENT, "then fatal");
	}
	return transcript(argc, argv);
}
