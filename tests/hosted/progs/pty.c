/* A pty as programs use one: posix_openpt, grantpt, unlockpt, ptsname, the
 * slave by path and by TIOCGPTPEER, data both ways, poll on the master, and
 * the errors of pty ioctls on the wrong end. Prints facts that hold the same
 * natively and under abi-run (no pty numbers). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static const char *err(int r)
{
	return r >= 0 ? "ok" : strerror(errno);
}

int main(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s, p, n = -1;
	struct pollfd pfd;
	struct termios t;
	struct stat st;
	char buf[64], *name;
	ssize_t r;

	printf("posix_openpt %s\n", err(m));
	if (m < 0)
		return 1;
	printf("grantpt %s unlockpt %s\n", err(grantpt(m)), err(unlockpt(m)));
	printf("TIOCGPTN %s\n", err(ioctl(m, TIOCGPTN, &n)));
	name = ptsname(m);
	printf("ptsname %s\n", name && strncmp(name, "/dev/pts/", 9) == 0 ? "/dev/pts/N" : "bad");
	r = stat(name, &st);
	printf("stat slave %s chr=%d\n", err((int)r), r == 0 && S_ISCHR(st.st_mode));
	s = open(name, O_RDWR | O_NOCTTY);
	printf("open slave %s isatty=%d\n", err(s), isatty(s));
	tcgetattr(s, &t);
	cfmakeraw(&t);
	printf("tcsetattr raw %s\n", err(tcsetattr(s, TCSANOW, &t)));
	pfd = (struct pollfd){ m, POLLIN, 0 };
	printf("poll master empty %d\n", poll(&pfd, 1, 0));
	write(s, "ping", 4);
	pfd.revents = 0;
	r = poll(&pfd, 1, 1000);
	printf("poll master %zd revents %#x\n", r, pfd.revents);
	r = read(m, buf, sizeof buf);
	printf("master read %zd %.*s\n", r, (int)(r > 0 ? r : 0), buf);
	write(m, "pong", 4);
	r = read(s, buf, sizeof buf);
	printf("slave read %zd %.*s\n", r, (int)(r > 0 ? r : 0), buf);
	p = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	printf("TIOCGPTPEER %s isatty=%d\n", err(p), isatty(p));
	write(p, "peer", 4);
	r = read(m, buf, sizeof buf);
	printf("master read %zd %.*s\n", r, (int)(r > 0 ? r : 0), buf);
	printf("TIOCGPTN on slave %s\n", err(ioctl(s, TIOCGPTN, &n)));
	printf("TIOCGPTPEER on slave %s\n", err(ioctl(s, TIOCGPTPEER, O_RDWR)));
	printf("TIOCGPTPEER bad flags %s\n", err(ioctl(m, TIOCGPTPEER, 0x40000000)));
	fcntl(m, F_SETFL, O_NONBLOCK);
	r = read(m, buf, sizeof buf);
	printf("nonblocking master read %s\n", err((int)r));
	close(s);
	close(p);
	pfd.revents = 0;
	r = poll(&pfd, 1, 1000);
	printf("poll master after close %zd revents %#x\n", r, pfd.revents);
	return 0;
}
