/* The two sides of tests/hosted/test_hostfs_race.py.
 *
 *   hostrace swap DIR A B SECONDS
 *       swaps the names DIR/A and DIR/B (renameat2 RENAME_EXCHANGE) in a loop
 *       for SECONDS: run natively (a racing host) or under abi-run (a second
 *       guest on the same --mount).
 *   hostrace OP SECONDS
 *       does OP on the fixed guest paths below /mnt in a loop for SECONDS,
 *       ignoring every error (the names come and go). /mnt/wo is a file
 *       swapped with a symlink to a file outside the mount; /mnt/d is a
 *       directory swapped with a symlink to a directory outside it.
 *
 * Prints the number of rounds done, so a test can see that both sides ran. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void op(const char *what)
{
	static const struct timespec zero[2] = { { 0, 0 }, { 0, 0 } };

	if (!strcmp(what, "chmod")) {
		chmod("/mnt/wo", 0266);
	} else if (!strcmp(what, "chown")) {
		chown("/mnt/wo", 1234, 1234);
	} else if (!strcmp(what, "utimens")) {
		utimensat(AT_FDCWD, "/mnt/wo", zero, 0);
	} else if (!strcmp(what, "truncate")) {
		truncate("/mnt/wo", 0);
	} else if (!strcmp(what, "open")) {
		int fd = open("/mnt/wo", O_WRONLY | O_TRUNC);

		if (fd >= 0) {
			write(fd, "guest", 5);
			close(fd);
		}
	} else if (!strcmp(what, "xattr")) {
		setxattr("/mnt/wo", "user.race", "guest", 5, 0);
		removexattr("/mnt/wo", "user.keep");
	} else if (!strcmp(what, "mkdir")) {
		mkdir("/mnt/d/new", 0777);
		rmdir("/mnt/d/new");
	} else if (!strcmp(what, "unlink")) {
		unlink("/mnt/d/victim");
		rmdir("/mnt/d/sub");
	} else if (!strcmp(what, "rename")) {
		rename("/mnt/d/victim", "/mnt/d/moved");
		rename("/mnt/d/moved", "/mnt/d/victim");
	} else if (!strcmp(what, "link")) {
		link("/mnt/d/victim", "/mnt/d/hard");
		unlink("/mnt/d/hard");
		symlink("x", "/mnt/d/sym");
		unlink("/mnt/d/sym");
	} else if (!strcmp(what, "create")) {
		int fd = open("/mnt/d/victim", O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (fd >= 0) {
			write(fd, "guest", 5);
			close(fd);
		}
		mknod("/mnt/d/fifo", S_IFIFO | 0666, 0);
		unlink("/mnt/d/fifo");
	} else {
		fprintf(stderr, "hostrace: unknown op %s\n", what);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	long rounds = 0;
	double end;

	if (argc == 6 && !strcmp(argv[1], "swap")) {
		int dfd = open(argv[2], O_PATH | O_DIRECTORY);

		if (dfd < 0) {
			perror(argv[2]);
			return 1;
		}
		end = now() + atof(argv[5]);
		while (now() < end) {
			for (int i = 0; i < 64; i++)
				syscall(SYS_renameat2, dfd, argv[3], dfd, argv[4],
					2 /* EXCHANGE */);
			rounds += 64;
		}
		printf("%ld\n", rounds);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: hostrace swap DIR A B SECONDS | hostrace OP SECONDS\n");
		return 2;
	}
	end = now() + atof(argv[2]);
	while (now() < end) {
		for (int i = 0; i < 16; i++)
			op(argv[1]);
		rounds += 16;
	}
	printf("%ld\n", rounds);
	return 0;
}
