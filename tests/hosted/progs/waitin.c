/* Waits for stdin with epoll, then with poll, and reads it: the writer
 * comes later (tests/hosted/test_inherited.py), so both must notice
 * readiness that arrives while they wait. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct pollfd p = { .fd = 0, .events = POLLIN };
	int e = epoll_create1(0);
	char buf[64];
	long n;

	if (epoll_ctl(e, EPOLL_CTL_ADD, 0, &ev) < 0)
		printf("epoll_ctl %s\n", strerror(errno));
	else
		printf("epoll_wait %d\n", epoll_wait(e, &ev, 1, 5000));
	printf("poll %d revents %x\n", poll(&p, 1, 5000), p.revents);
	n = read(0, buf, sizeof buf);
	printf("read %ld %.*s", n, n > 0 ? (int)n : 0, buf);
	return 0;
}
