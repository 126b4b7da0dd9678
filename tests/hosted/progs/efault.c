/* Pointers that are mapped but fault, passed to every family of calls that
 * copies from or to the user. Each line is a call, its result and what it
 * left behind; the test compares the lines of a native run with abi-run's.
 *
 *   efault trunc   a MAP_SHARED mapping of a file the program truncated to
 *                  one page: the second page raises SIGBUS when touched
 *   efault prot    an anonymous mapping whose second page is PROT_NONE
 *   efault ext     like trunc, but the file is truncated by another process
 *                  (the test, after "mapped" and before the line on stdin)
 *   efault repro   issue 13's reproducer alone
 *
 * In each mode, bad is the faulting page and bad - 4096 a good one. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static char *bad;

static const char *ename(int e)
{
	switch (e) {
	case EFAULT:
		return "EFAULT";
	case EAGAIN:
		return "EAGAIN";
	case EINVAL:
		return "EINVAL";
	case ENOENT:
		return "ENOENT";
	case EBADF:
		return "EBADF";
	case ENAMETOOLONG:
		return "ENAMETOOLONG";
	default:
		return "other";
	}
}

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%-44s -1 %s\n", what, ename(errno));
	else
		printf("%-44s %ld\n", what, r);
}

#define R(call) show(#call, (long)(call))

static void die(const char *what)
{
	printf("setup failed: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The data file's size and offset after a call. */
static void where(int fd)
{
	struct stat st;

	fstat(fd, &st);
	printf("  size %ld offset %ld\n", (long)st.st_size, (long)lseek(fd, 0, SEEK_CUR));
}

static int data_file(const char *name)
{
	char buf[300];
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (int i = 0; i < (int)sizeof buf; i++)
		buf[i] = (char)('a' + i % 26);
	if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
		die("data file");
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* A two-page MAP_SHARED mapping of a file of two pages of 'x'. */
static char *map_file(const char *name, int *fdp)
{
	char buf[2 * PAGE];
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *p;

	memset(buf, 'x', sizeof buf);
	if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
		die("mapped file");
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	*fdp = fd;
	return p;
}

static void repro(void)
{
	int fd, fd2;
	char *p = map_file("m", &fd);

	if (ftruncate(fd, 0))
		die("ftruncate");
	fd2 = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	R(write(fd2, p + 4096, 10));
	where(fd2);
}

static void rw_family(void)
{
	int fd = data_file("d");
	int p[2];
	char good[64];
	struct iovec iov[2];

	printf("-- read/write\n");
	R(write(fd, bad, 10));
	where(fd);
	R(write(fd, bad - 100, 200));
	where(fd);
	lseek(fd, 0, SEEK_SET);
	R(read(fd, bad, 10));
	where(fd);
	R(read(fd, bad - 100, 200));
	where(fd);
	R(pwrite(fd, bad, 10, 0));
	R(pwrite(fd, bad - 50, 100, 250));
	where(fd);
	R(pread(fd, bad, 10, 0));
	R(pread(fd, bad - 30, 100, 0));
	where(fd);

	printf("-- readv/writev: the second iovec faults\n");
	iov[0] = (struct iovec){ bad - PAGE, 40 };
	iov[1] = (struct iovec){ bad, 40 };
	lseek(fd, 0, SEEK_SET);
	R(readv(fd, iov, 2));
	where(fd);
	R(writev(fd, iov, 2));
	where(fd);
	R(preadv(fd, iov, 2, 0));
	R(pwritev(fd, iov, 2, 0));
	where(fd);
	iov[0] = (struct iovec){ bad - 20, 40 }; /* straddles the edge */
	R(readv(fd, iov, 1));
	where(fd);
	R(writev(fd, iov, 1));
	where(fd);
	iov[0] = (struct iovec){ bad, 40 }; /* the first faults: nothing moves */
	iov[1] = (struct iovec){ good, 40 };
	R(readv(fd, iov, 2));
	R(writev(fd, iov, 2));
	where(fd);
	/* the iovec array itself on the faulting page */
	R(readv(fd, (struct iovec *)bad, 1));
	R(writev(fd, (struct iovec *)(bad - 8), 1));
	close(fd);

	printf("-- pipes\n");
	if (pipe2(p, O_NONBLOCK))
		die("pipe");
	R(write(p[1], bad, 10));
	R(write(p[1], bad - 10, 20));
	R(write(p[1], "hello", 5));
	R(read(p[0], bad, 5));
	R(read(p[0], bad - 2, 5));
	R(read(p[0], good, sizeof good));
	close(p[0]);
	close(p[1]);
}

static void stat_family(void)
{
	struct stat *edge = (struct stat *)(bad - 64);

	printf("-- stat\n");
	int fd = data_file("s");
	R(fstat(fd, (struct stat *)bad));
	R(fstat(fd, edge));
	R(stat("s", (struct stat *)bad));
	R(stat("s", edge));
	R(fstatat(AT_FDCWD, "s", (struct stat *)bad, 0));
	R(fstatat(fd, "", edge, AT_EMPTY_PATH));
	R(lstat("s", edge));
	R(syscall(SYS_statx, AT_FDCWD, "s", 0, 0x7ff, bad - 16));
	close(fd);
}

static void dents_family(void)
{
	int dfd;

	printf("-- getdents64\n");
	if (mkdir("dd", 0755) || close(open("dd/a", O_CREAT | O_WRONLY, 0644)) ||
	    close(open("dd/b", O_CREAT | O_WRONLY, 0644)))
		die("dd");
	dfd = open("dd", O_RDONLY | O_DIRECTORY);
	R(syscall(SYS_getdents64, dfd, bad, 4096));
	/* every entry here is 24 bytes: two fit before the edge */
	R(syscall(SYS_getdents64, dfd, bad - 48, 4096));
	R(syscall(SYS_getdents64, dfd, bad - 10, 4096));
	close(dfd);
}

static void path_family(void)
{
	char *edge = bad - 2;

	printf("-- paths\n");
	edge[0] = 's';
	edge[1] = 's'; /* "ss" runs into the faulting page: no NUL */
	R(open(bad, O_RDONLY));
	R(open(edge, O_RDONLY));
	R(open(edge, O_WRONLY | O_CREAT, 0644));
	R(stat(bad, (struct stat *)(bad - PAGE)));
	R(stat(edge, (struct stat *)(bad - PAGE)));
	R(mkdir(edge, 0755));
	R(unlink(bad));
	R(rename("s", bad));
	R(access(edge, F_OK));
	R(chdir(bad));
	R(readlink(bad, bad - PAGE, 10));
	R(symlink("s", bad));
	R(symlink(bad, "sl"));
	R(readlink("sl", bad, 10));
}

/* Raw calls: libc's wrappers read timeouts themselves. */
static void poll_family(void)
{
	struct pollfd *edge = (struct pollfd *)(bad - 8);
	char *set = bad - 8;
	struct timeval tv = { 0, 0 };
	struct timespec ts = { 0, 0 };

	printf("-- poll/select\n");
	edge[0] = (struct pollfd){ 0, POLLIN, 0 };
	R(syscall(SYS_poll, bad, 1, 0));
	R(syscall(SYS_poll, edge, 1, 0));
	R(syscall(SYS_poll, edge, 2, 0));
	R(syscall(SYS_ppoll, edge, 2, &ts, NULL, 8));
	R(syscall(SYS_ppoll, edge, 1, bad, NULL, 8));
	R(syscall(SYS_ppoll, edge, 1, &ts, bad, 8));
	memset(set, 0, 8);
	R(syscall(SYS_select, 1, bad, NULL, NULL, &tv));
	R(syscall(SYS_select, 1, NULL, bad, NULL, &tv));
	R(syscall(SYS_select, 1, NULL, NULL, bad, &tv));
	/* 64 fds, 8 bytes, 4 of them on the faulting page (Linux reads no more
	 * than its descriptor table's size, at least 64, in bits) */
	R(syscall(SYS_select, 64, bad - 4, NULL, NULL, &tv));
	R(syscall(SYS_select, 1, NULL, NULL, NULL, bad));
	R(syscall(SYS_pselect6, 1, set, NULL, NULL, bad, NULL));
	R(syscall(SYS_pselect6, 1, set, NULL, NULL, &ts, bad));
}

static void out_family(void)
{
	printf("-- other copies out and in\n");
	R(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad));
	R(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad - 8));
	R(syscall(SYS_uname, bad - 100));
	R(syscall(SYS_getcwd, bad - 1, 100));
	R(syscall(SYS_pipe2, bad - 4, 0));
	R(syscall(SYS_getrandom, bad - 16, 32, 0));
	R(syscall(SYS_nanosleep, bad, NULL));
	{
		struct timespec one = { 0, 1000 };

		R(syscall(SYS_nanosleep, &one, bad)); /* not interrupted: rmtp untouched */
	}
	/* futex words: read, and changed by the fault-safe cmpxchg (WAKE_OP's
	 * FUTEX_OP_SET 1, LOCK_PI) */
	R(syscall(SYS_futex, bad, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
	R(syscall(SYS_futex, bad - 4, FUTEX_WAKE_OP_PRIVATE, 1, 1, bad,
		  FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)));
	R(syscall(SYS_futex, bad, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
	R(syscall(SYS_futex, bad, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
	R(syscall(SYS_futex, bad, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
	R(syscall(SYS_sched_getaffinity, 0, 8, bad - 4));
	R(syscall(SYS_gettimeofday, bad, NULL));

	int in = data_file("ci"), out = open("co", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	R(syscall(SYS_sendfile, out, in, bad, 10));
	R(syscall(SYS_sendfile, out, in, bad - 4, 10));
	R(syscall(SYS_copy_file_range, in, bad, out, NULL, 10, 0));
	R(syscall(SYS_copy_file_range, in, NULL, out, bad - 4, 10, 0));
	where(out);
	close(in);
	close(out);
}

static void run_all(void)
{
	rw_family();
	stat_family();
	dents_family();
	path_family();
	poll_family();
	out_family();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "repro";
	int fd;
	char *p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "repro")) {
		repro();
		return 0;
	}
	if (!strcmp(mode, "prot")) {
		p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0);
		if (p == MAP_FAILED || mprotect(p + PAGE, PAGE, PROT_NONE))
			die("prot");
	} else if (!strcmp(mode, "trunc") || !strcmp(mode, "ext")) {
		p = map_file("m", &fd);
		if (!strcmp(mode, "trunc")) {
			if (ftruncate(fd, PAGE))
				die("ftruncate");
		} else {
			char c;

			printf("mapped\n");
			if (read(0, &c, 1) != 1)
				die("stdin");
		}
	} else {
		fprintf(stderr, "usage: efault repro|trunc|prot|ext\n");
		return 2;
	}
	bad = p + PAGE;
	run_all();
	printf("done\n");
	return 0;
}
