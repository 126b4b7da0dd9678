/* What fds 0-2 are: fstat's kind, lseek, read, pread, fchdir and the opens
 * relative to fd 0, one line each (tests/hosted/test_inherited.py runs it
 * natively and under abi-run with each kind of stdin). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(long r)
{
	return r < 0 ? strerror(errno) : "ok";
}

int main(void)
{
	struct stat st;
	char b[8];
	long r;

	for (int fd = 0; fd < 3; fd++) {
		r = fstat(fd, &st);
		printf("fstat(%d) %s kind %o\n", fd, err(r), r < 0 ? 0 : st.st_mode & S_IFMT);
	}
	r = lseek(0, 0, SEEK_CUR);
	printf("lseek %ld %s\n", r, err(r));
	r = read(0, b, 4);
	printf("read %ld %s %.*s\n", r, err(r), r > 0 ? (int)r : 0, b);
	r = lseek(0, 0, SEEK_CUR);
	printf("lseek after read %ld %s\n", r, err(r));
	r = pread(0, b, 2, 1);
	printf("pread %ld %s %.*s\n", r, err(r), r > 0 ? (int)r : 0, b);
	r = openat(0, "..", O_RDONLY);
	printf("openat(0, ..) %s\n", err(r));
	r = fchdir(0);
	printf("fchdir %s\n", err(r));
	r = open("..", O_RDONLY);
	printf("open(..) %s\n", err(r));
	r = open("entry", O_RDONLY);
	printf("open(entry) %s\n", err(r));
	return 0;
}
