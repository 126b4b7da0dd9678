/* A running program's file refuses writers: open(O_WRONLY | O_TRUNC) and
 * truncate(2) of argv[0] give ETXTBSY (Linux's deny_write_access), and a
 * copy of it may be written and truncated. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd = open(argv[0], O_WRONLY | O_TRUNC);

	(void)argc;
	printf("open for writing: %s\n", fd < 0 ? strerror(errno) : "ok");
	printf("truncate: %s\n", truncate(argv[0], 0) < 0 ? strerror(errno) : "ok");
	printf("open for reading: %s\n", open(argv[0], O_RDONLY) < 0 ? strerror(errno) : "ok");
	return 0;
}
