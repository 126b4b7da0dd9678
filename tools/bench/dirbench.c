/* dirbench: costs that grow with the tree, timed inside the program so the
 * same static binary measures native Linux and abi-run alike.
 *
 *     dirbench DIR N PHASE...
 *
 * runs the phases in order in DIR, each over N entries or levels:
 *
 *     create   creates N empty files f0000000.. (open O_CREAT|O_EXCL + close)
 *     stat     stats each of them
 *     unlink   unlinks each of them
 *     nest     mkdir "d" + chdir "d", N levels deep
 *     unnest   walks down to the N-th level (untimed) unless nest just did,
 *              then back up with chdir("..") + rmdir("d")
 *
 * Under abi-run --sandbox the phases share one run (the ramfs goes with
 * it); on a disk they may be separate runs so that the caller orders them: on ext4,
 * creating files soon after many were deleted in the same block group costs
 * the host a scan past every recently deleted inode (recently_deleted in
 * ext4's inode allocator), whoever runs second would pay for the first's
 * unlinks. Prints "phase total_ms first_us last_us": the phase's wall time
 * and the mean cost of an operation over its first and its last tenth, so a
 * cost that grows with the directory's size or the depth shows as last_us
 * well above first_us. Exit status 1 on any failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void die(const char *what, long i)
{
	fprintf(stderr, "dirbench: %s (%ld): %s\n", what, i, strerror(errno));
	exit(1);
}

/* Times op(0..n-1), reporting the phase as described above. */
static void phase(const char *name, long n, void (*op)(long i))
{
	long tenth = n / 10 > 0 ? n / 10 : 1;
	double t0 = now_us(), first = 0, tlast = 0;

	for (long i = 0; i < n; i++) {
		if (i == n - tenth)
			tlast = now_us();
		op(i);
		if (i == tenth - 1)
			first = now_us() - t0;
	}
	double end = now_us();
	printf("%s %.3f %.3f %.3f\n", name, (end - t0) / 1e3, first / (double)tenth,
	       (end - tlast) / (double)tenth);
	fflush(stdout);
}

static char name[64];

static const char *fname(long i)
{
	snprintf(name, sizeof name, "f%07ld", i);
	return name;
}

static void do_create(long i)
{
	int fd = open(fname(i), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);

	if (fd < 0)
		die("open", i);
	close(fd);
}

static void do_stat(long i)
{
	struct stat st;

	if (stat(fname(i), &st) < 0)
		die("stat", i);
}

static void do_unlink(long i)
{
	if (unlink(fname(i)) < 0)
		die("unlink", i);
}

static long depth; /* levels below DIR */

static void do_nest(long i)
{
	if (mkdir("d", 0755) < 0)
		die("mkdir", i);
	if (chdir("d") < 0)
		die("chdir", i);
	depth++;
}

static void do_unnest(long i)
{
	if (chdir("..") < 0)
		die("chdir ..", i);
	if (rmdir("d") < 0)
		die("rmdir", i);
	depth--;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name, *phase;
		void (*op)(long i);
	} tests[] = {
		{ "create", "create", do_create },        { "stat", "stat", do_stat },
		{ "unlink", "unlink", do_unlink },        { "nest", "mkdir+chdir", do_nest },
		{ "unnest", "chdir..+rmdir", do_unnest },
	};
	long n;

	if (argc < 4 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: dirbench DIR N create|stat|unlink|nest|unnest...\n");
		return 2;
	}
	if (chdir(argv[1]) < 0)
		die("chdir DIR", 0);
	for (int a = 3; a < argc; a++) {
		size_t i = 0;

		while (i < sizeof tests / sizeof tests[0] && strcmp(argv[a], tests[i].name) != 0)
			i++;
		if (i == sizeof tests / sizeof tests[0]) {
			fprintf(stderr, "dirbench: unknown phase %s\n", argv[a]);
			return 2;
		}
		for (; tests[i].op == do_unnest && depth < n; depth++) {
			if (chdir("d") < 0)
				die("chdir", depth);
		}
		phase(tests[i].phase, n, tests[i].op);
	}
	return 0;
}
