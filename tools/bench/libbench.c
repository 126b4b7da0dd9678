/* libbench: the cost of one system call, native Linux against the kernel
 * library, measured in the same process and the same run.
 *
 * Native calls are raw `syscall` instructions on the host kernel (files on
 * tmpfs); kernel calls are plain function calls into build/kernel/libabik.so
 * (files on its ramfs, buffers in its guest memory). Each benchmark runs ITERS
 * operations, five times; the best time per operation is reported:
 *
 *     name native_ns abi_ns
 *
 * This is a host tool, not kernel code: it uses libc and dlopen. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ITERS 20000
#define ROUNDS 5

typedef long (*sysfn)(long, long, long, long, long, long);

static long native(long nr, long a, long b, long c, long d, long e, long f)
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

/* One side of a benchmark: a syscall function and where its data lives. */
struct side {
	const char *name;
	long (*call)(struct side *s, int nr, long a, long b, long c, long d, long e, long f);
	void *lib;
	char *path; /* a file three directories deep, 64 KiB long */
	char *buf;  /* 4 KiB */
	long fd;
	long nullfd; /* /dev/null */
};

static long call_native(struct side *s, int nr, long a, long b, long c, long d, long e, long f)
{
	(void)s;
	return native(nr, a, b, c, d, e, f);
}

static sysfn lookup(struct side *s, const char *name)
{
	sysfn fn = (sysfn)dlsym(s->lib, name);

	if (!fn) {
		fprintf(stderr, "libbench: %s: %s\n", name, dlerror());
		exit(2);
	}
	return fn;
}

static sysfn k_getpid, k_pread64, k_pwrite64, k_openat, k_close, k_newfstatat, k_mmap, k_munmap;
static sysfn k_clock_gettime, k_write, k_futex;

static long call_abi(struct side *s, int nr, long a, long b, long c, long d, long e, long f)
{
	(void)s;
	switch (nr) {
	case SYS_getpid:
		return k_getpid(a, b, c, d, e, f);
	case SYS_pread64:
		return k_pread64(a, b, c, d, e, f);
	case SYS_pwrite64:
		return k_pwrite64(a, b, c, d, e, f);
	case SYS_openat:
		return k_openat(a, b, c, d, e, f);
	case SYS_close:
		return k_close(a, b, c, d, e, f);
	case SYS_newfstatat:
		return k_newfstatat(a, b, c, d, e, f);
	case SYS_mmap:
		return k_mmap(a, b, c, d, e, f);
	case SYS_munmap:
		return k_munmap(a, b, c, d, e, f);
	case SYS_clock_gettime:
		return k_clock_gettime(a, b, c, d, e, f);
	case SYS_write:
		return k_write(a, b, c, d, e, f);
	case SYS_futex:
		return k_futex(a, b, c, d, e, f);
	}
	abort();
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define SC(s, nr, a, b, c, d, e, f) \
	(s)->call((s), (nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static void must(long r, const char *what)
{
	if (r < 0) {
		fprintf(stderr, "libbench: %s: error %ld\n", what, -r);
		exit(2);
	}
}

static void op_getpid(struct side *s)
{
	SC(s, SYS_getpid, 0, 0, 0, 0, 0, 0);
}
static void op_pread(struct side *s)
{
	SC(s, SYS_pread64, s->fd, s->buf, 4096, 8192, 0, 0);
}
static void op_pwrite(struct side *s)
{
	SC(s, SYS_pwrite64, s->fd, s->buf, 4096, 16384, 0, 0);
}
static void op_open_close(struct side *s)
{
	long fd = SC(s, SYS_openat, AT_FDCWD, s->path, O_RDONLY, 0, 0, 0);
	SC(s, SYS_close, fd, 0, 0, 0, 0, 0);
}
static void op_stat(struct side *s)
{
	SC(s, SYS_newfstatat, AT_FDCWD, s->path, s->buf, 0, 0, 0);
}
static void op_mmap(struct side *s)
{
	long p = SC(s, SYS_mmap, 0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	((volatile char *)p)[0] = 1;
	SC(s, SYS_munmap, p, 65536, 0, 0, 0, 0);
}
static void op_mmap_file(struct side *s)
{
	long p = SC(s, SYS_mmap, 0, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	((volatile char *)p)[0] = 1;
	SC(s, SYS_munmap, p, 65536, 0, 0, 0, 0);
}

static void op_clock_gettime(struct side *s)
{
	SC(s, SYS_clock_gettime, CLOCK_MONOTONIC, s->buf, 0, 0, 0, 0);
}
static void op_write_null(struct side *s)
{
	SC(s, SYS_write, s->nullfd, s->buf, 1, 0, 0, 0);
}
/* a wake with no waiter, on a word in the side's own memory */
static void op_futex_wake(struct side *s)
{
	SC(s, SYS_futex, s->buf + 2048, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0);
}

static double best(struct side *s, void (*op)(struct side *))
{
	double b = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();
		for (int i = 0; i < ITERS; i++)
			op(s);
		double t = (now_ns() - t0) / ITERS;
		if (t < b)
			b = t;
	}
	return b;
}

int main(int argc, char **argv)
{
	static sysfn k_mkdirat;
	struct side nat = { .name = "native", .call = call_native };
	struct side abi = { .name = "abi", .call = call_abi };
	static const struct {
		const char *name;
		void (*op)(struct side *);
	} benches[] = {
		{ "getpid", op_getpid },
		{ "pread64-4k", op_pread },
		{ "pwrite64-4k", op_pwrite },
		{ "openat+close", op_open_close },
		{ "newfstatat", op_stat },
		{ "mmap+touch+munmap-64k", op_mmap },
		{ "mmap-shared-file+touch+munmap-64k", op_mmap_file },
		{ "clock_gettime-monotonic", op_clock_gettime },
		{ "write-1-dev-null", op_write_null },
		{ "futex-wake-no-waiter", op_futex_wake },
	};
	char tmpl[] = "/dev/shm/abi-bench-XXXXXX";

	if (argc != 2) {
		fprintf(stderr, "usage: libbench build/kernel/libabik.so\n");
		return 2;
	}
	abi.lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!abi.lib) {
		fprintf(stderr, "libbench: %s\n", dlerror());
		return 2;
	}
	k_getpid = lookup(&abi, "sys_getpid");
	k_pread64 = lookup(&abi, "sys_pread64");
	k_pwrite64 = lookup(&abi, "sys_pwrite64");
	k_openat = lookup(&abi, "sys_openat");
	k_close = lookup(&abi, "sys_close");
	k_newfstatat = lookup(&abi, "sys_newfstatat");
	k_mmap = lookup(&abi, "sys_mmap");
	k_munmap = lookup(&abi, "sys_munmap");
	k_mkdirat = lookup(&abi, "sys_mkdirat");
	k_clock_gettime = lookup(&abi, "sys_clock_gettime");
	k_write = lookup(&abi, "sys_write");
	k_futex = lookup(&abi, "sys_futex");
	must(((int (*)(void *))dlsym(abi.lib, "abi_boot"))(NULL), "abi_boot");

	/* the kernel's buffers live in its guest memory */
	abi.buf = (char *)SC(&abi, SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	abi.path = abi.buf + 4096 + 1024;
	nat.buf = malloc(8192);
	nat.path = nat.buf + 4096 + 1024;
	if (!mkdtemp(tmpl))
		tmpl[0] = 0;
	for (struct side *s = &nat; s; s = s == &nat ? &abi : NULL) {
		const char *dir = s == &nat ? tmpl : "/tmp";
		char p[256];
		for (int i = 0; i < 3; i++) {
			snprintf(p, sizeof p, "%s%s", dir,
				 i == 0   ? "/a"
				 : i == 1 ? "/a/b"
					  : "/a/b/c");
			strcpy(s->path, p);
			if (s == &nat)
				mkdir(p, 0755);
			else
				k_mkdirat(AT_FDCWD, (long)s->path, 0755, 0, 0, 0);
		}
		snprintf(p, sizeof p, "%s/a/b/c/file", dir);
		strcpy(s->path, p);
		s->fd = SC(s, SYS_openat, AT_FDCWD, s->path, O_CREAT | O_RDWR, 0644, 0, 0);
		must(s->fd, "open");
		for (int i = 0; i < 16; i++)
			must(SC(s, SYS_pwrite64, s->fd, s->buf, 4096, i * 4096, 0, 0), "fill");
		strcpy(s->path, "/dev/null");
		s->nullfd = SC(s, SYS_openat, AT_FDCWD, s->path, O_WRONLY, 0, 0, 0);
		must(s->nullfd, "open /dev/null");
		strcpy(s->path, p);
	}
	for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
		printf("%s %.1f %.1f\n", benches[i].name, best(&nat, benches[i].op),
		       best(&abi, benches[i].op));
	if (tmpl[0]) {
		static const char *const made[] = { "/a/b/c/file", "/a/b/c", "/a/b", "/a", "" };
		char p[256];
		for (int i = 0; i < 5; i++) {
			snprintf(p, sizeof p, "%s%s", tmpl, made[i]);
			(i ? rmdir : unlink)(p);
		}
	}
	return 0;
}
