/* tour: the main job's example, a small static program that touches each part
 * of the kernel it runs on: identity, time, files, directories, memory, pipes,
 * /proc. `make run` runs it under abi-run; it runs natively too, and says the
 * same things (but for the pid and the times).
 *
 * Built at build time (static glibc): build/examples/tour. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok)
{
	printf("  %-44s %s\n", what, ok ? "ok" : strerror(errno));
	failures += !ok;
}

int main(int argc, char **argv)
{
	struct utsname u;
	struct timespec ts;
	char path[] = "/tmp/abi-tour-XXXXXX", file[64], buf[64];
	int fd, p[2];

	printf("tour: %s, %d argument(s)\n", argv[0], argc - 1);
	check("uname", uname(&u) == 0);
	printf("  system %s, machine %s\n", u.sysname, u.machine);
	check("clock_gettime(CLOCK_MONOTONIC)", clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
	check("getpid > 0", getpid() > 0);

	check("mkdtemp in /tmp", mkdtemp(path) != NULL);
	snprintf(file, sizeof file, "%s/hello.txt", path);
	fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0644);
	check("open(O_CREAT)", fd >= 0);
	check("write", write(fd, "hello, kernel\n", 14) == 14);
	check("pread back", pread(fd, buf, sizeof buf, 0) == 14 && !memcmp(buf, "hello", 5));
	close(fd);
	check("open(O_CREAT|O_EXCL) again fails with EEXIST",
	      open(file, O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 && errno == EEXIST);
	errno = 0;

	DIR *d = opendir(path);
	struct dirent *e;
	int seen = 0;
	while (d && (e = readdir(d)))
		seen += !strcmp(e->d_name, "hello.txt");
	if (d)
		closedir(d);
	check("readdir finds hello.txt", seen == 1);

	char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("mmap 1 MiB", m != MAP_FAILED);
	if (m != MAP_FAILED) {
		memset(m, 0x5a, 1 << 20);
		check("munmap", munmap(m, 1 << 20) == 0);
	}

	check("pipe", pipe(p) == 0);
	check("write and read through the pipe",
	      write(p[1], "x", 1) == 1 && read(p[0], buf, 1) == 1 && buf[0] == 'x');

	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	check("readlink /proc/self/exe", n > 0);

	check("unlink", unlink(file) == 0);
	check("rmdir", rmdir(path) == 0);
	printf("tour: %s\n", failures ? "something failed" : "all ok");
	return failures ? 1 : 0;
}
