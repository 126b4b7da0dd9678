/* spawnbench: the start-up cost of a command, for make bench. Runs
 * `ARGV...` N times (fork, execve, wait; stdout to /dev/null) and prints
 * the median and the best wall time of one run in microseconds, so that a
 * native exec and abi-run are timed by the same loop, without a Python
 * process in between.
 *   usage: spawnbench N PROGRAM [ARG...] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0;
	double *t;

	if (n <= 0) {
		fprintf(stderr, "usage: spawnbench N PROGRAM [ARG...]\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof *t);
	if (!t)
		return 1;
	for (int i = 0; i < n; i++) {
		double t0 = now_us();
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);

			dup2(fd, 1);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "spawnbench: %s failed\n", argv[2]);
			return 1;
		}
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof *t, cmp);
	printf("%.1f %.1f\n", t[n / 2], t[0]);
	free(t);
	return 0;
}
