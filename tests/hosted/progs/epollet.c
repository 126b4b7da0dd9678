/* Edge-triggered epoll on stdin (a pipe or a terminal fed by the test):
 * an edge is reported when input arrives, not again while it sits unread;
 * a level-triggered item on the same file reports it every time. The test
 * writes "a", then, when told by "next", "b". */
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

static int wait1(int ep, int ms)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, ms);

	return n == 1 ? (int)(ev.events & EPOLLIN) : n;
}

int main(void)
{
	struct epoll_event ev = { EPOLLIN | EPOLLET, { 0 } };
	int et = epoll_create1(0), lt = epoll_create1(0);
	char c;

	epoll_ctl(et, EPOLL_CTL_ADD, 0, &ev);
	ev.events = EPOLLIN;
	epoll_ctl(lt, EPOLL_CTL_ADD, 0, &ev);
	printf("ready\n");
	fflush(stdout);
	printf("et first %d\n", wait1(et, 5000));
	printf("et again %d\n", wait1(et, 200));
	printf("lt %d\n", wait1(lt, 0));
	printf("lt again %d\n", wait1(lt, 0));
	printf("next\n");
	fflush(stdout);
	printf("et new input %d\n", wait1(et, 5000));
	printf("et after %d\n", wait1(et, 200));
	printf("read %zd", read(0, &c, 1));
	printf(" et after a read %d\n", wait1(et, 200));
	return 0;
}
