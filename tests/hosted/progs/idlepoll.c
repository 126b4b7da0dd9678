/* Blocks for ever in one call on fd 0 (the console), named by argv[1]:
 * poll, select, epoll, read. Says "waiting" first. With "write": fills
 * stdout (a pipe nobody reads yet) without blocking, says on stderr how
 * much went in and the error that stopped it, then blocks in a write. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "poll";
	static char chunk[4096];
	long total = 0;
	ssize_t r;
	char c;

	if (strcmp(how, "write") == 0) {
		fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
		while ((r = write(1, chunk, sizeof chunk)) > 0)
			total += r;
		fprintf(stderr, "filled %ld %s\n", total, strerror(errno));
		fcntl(1, F_SETFL, fcntl(1, F_GETFL) & ~O_NONBLOCK);
		r = write(1, chunk, sizeof chunk);
		fprintf(stderr, "wrote %zd\n", r);
		return 0;
	}
	printf("waiting\n");
	fflush(stdout);
	if (strcmp(how, "poll") == 0) {
		struct pollfd p = { 0, POLLIN, 0 };

		printf("poll %d\n", poll(&p, 1, -1));
	} else if (strcmp(how, "select") == 0) {
		fd_set in;

		FD_ZERO(&in);
		FD_SET(0, &in);
		printf("select %d\n", select(1, &in, NULL, NULL, NULL));
	} else if (strcmp(how, "epoll") == 0) {
		struct epoll_event ev = { EPOLLIN, { 0 } };
		int ep = epoll_create1(0);

		epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
		printf("epoll %d\n", epoll_wait(ep, &ev, 1, -1));
	} else {
		printf("read %zd\n", read(0, &c, 1));
	}
	return 0;
}
