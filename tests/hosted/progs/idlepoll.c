/* Blocks for ever in one call on fd 0 (the console), named by argv[1]:
 * poll, select, epoll, read. Says "waiting" first. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "poll";
	char c;

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
