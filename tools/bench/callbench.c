/* callbench: the cost of one system call as a program makes it through its
 * libc, for the function-call rows of make bench (issue 17). The same
 * source is built with abi-cc (musl-compat: the kernel's entry under
 * abi-run, `syscall` natively) and with musl-gcc (always `syscall`, so
 * trapped under abi-run); tools/bench.py runs both natively and under
 * abi-run.
 *
 *     callbench OP N      N operations, five rounds: prints the median
 *                         round's ns per operation
 *     callbench copy SRC DST   copies SRC to DST in 4 KiB reads and writes
 *
 * OP: getpid, clock_gettime, write-null (1 byte to /dev/null), read-4k
 * (pread of 4 KiB from a file in /dev/shm: tmpfs natively, the kernel's
 * ramfs under abi-run), open-close, stat, mmap-munmap (64 KiB, anonymous,
 * one byte touched, as libbench does), futex-wake (no waiter). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 5

static char path[64];
static int fd;
static char buf[4096];
static int futex_word;
/* callbench_futex_wake, from the table (callbench_flags.c) */
extern const int callbench_futex_wake;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void op_getpid(void)
{
	if (getpid() <= 0)
		die("getpid");
}

static void op_clock(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime");
}

static void op_write(void)
{
	if (write(fd, "x", 1) != 1)
		die("write");
}

static void op_read(void)
{
	if (pread(fd, buf, sizeof buf, 0) != (ssize_t)sizeof buf)
		die("pread");
}

static void op_open_close(void)
{
	int f = open(path, O_RDONLY);

	if (f < 0 || close(f))
		die("open+close");
}

static void op_stat(void)
{
	struct stat st;

	if (stat(path, &st))
		die("stat");
}

static void op_mmap(void)
{
	void *p = mmap(0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	*(volatile char *)p = 1;
	if (munmap(p, 65536))
		die("munmap");
}

static void op_futex(void)
{
	if (syscall(SYS_futex, &futex_word, callbench_futex_wake, 1, 0, 0, 0) != 0)
		die("futex");
}

static const struct {
	const char *name;
	void (*op)(void);
} ops[] = {
	{ "getpid", op_getpid },    { "clock_gettime", op_clock },   { "write-null", op_write },
	{ "read-4k", op_read },     { "open-close", op_open_close }, { "stat", op_stat },
	{ "mmap-munmap", op_mmap }, { "futex-wake", op_futex },
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void setup(const char *name)
{
	if (!strcmp(name, "write-null") && (fd = open("/dev/null", O_WRONLY)) < 0)
		die("/dev/null");
	if (!strcmp(name, "read-4k") || !strcmp(name, "open-close") || !strcmp(name, "stat")) {
		snprintf(path, sizeof path, "/dev/shm/callbench-%d", (int)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
			die(path);
	}
}

static int copy(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	if (in < 0 || out < 0)
		die("copy: open");
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			die("copy: write");
	if (n < 0)
		die("copy: read");
	return close(out) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "copy"))
		return copy(argv[2], argv[3]);
	if (argc != 3) {
		fprintf(stderr, "usage: callbench OP N | callbench copy SRC DST\n");
		return 2;
	}
	long n = atol(argv[2]);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (strcmp(ops[i].name, argv[1]))
			continue;
		double per[ROUNDS];

		setup(argv[1]);
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = now_ns();

			for (long k = 0; k < n; k++)
				ops[i].op();
			per[r] = (now_ns() - t0) / n;
		}
		if (path[0])
			unlink(path);
		qsort(per, ROUNDS, sizeof per[0], cmp);
		printf("%.1f\n", per[ROUNDS / 2]);
		return 0;
	}
	fprintf(stderr, "callbench: unknown op %s\n", argv[1]);
	return 2;
}
