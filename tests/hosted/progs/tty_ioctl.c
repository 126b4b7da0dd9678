/* The terminal's job-control ioctls on fd 0, printed as facts that hold the
 * same natively and under abi-run (no pids: the guest's are its own). Run
 * in a terminal (tests/hosted/test_terminal.py drives it in tmux). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static const char *err(int r)
{
	return r == 0 ? "0" : strerror(errno);
}

int main(void)
{
	int v = -1, r;
	struct winsize ws = { 0, 0, 0, 0 };

	r = ioctl(0, TIOCGPGRP, &v);
	printf("TIOCGPGRP %s fg=%d\n", err(r), r == 0 && v == getpgrp());
	r = ioctl(0, TIOCGSID, &v);
	printf("TIOCGSID %s same=%d\n", err(r), r == 0 && v == getsid(0));
	v = getpgrp();
	printf("TIOCSPGRP self %s\n", err(ioctl(0, TIOCSPGRP, &v)));
	v = -1;
	printf("TIOCSPGRP -1 %s\n", err(ioctl(0, TIOCSPGRP, &v)));
	v = 0x3ffffff;
	printf("TIOCSPGRP none %s\n", err(ioctl(0, TIOCSPGRP, &v)));
	printf("TIOCSPGRP fault %s\n", err(ioctl(0, TIOCSPGRP, (void *)8)));
	printf("TCFLSH in %s\n", err(ioctl(0, TCFLSH, TCIFLUSH)));
	printf("TCFLSH bad %s\n", err(ioctl(0, TCFLSH, 7)));
	printf("TCXONC on %s\n", err(ioctl(0, TCXONC, TCOON)));
	printf("TCXONC bad %s\n", err(ioctl(0, TCXONC, 9)));
	v = -1;
	r = ioctl(0, TIOCINQ, &v);
	/* on a pipe the count races with the writer: only on a terminal */
	printf("TIOCINQ %s %d\n", err(r), isatty(0) ? v : 0);
	v = -1;
	r = ioctl(0, TIOCOUTQ, &v);
	printf("TIOCOUTQ %s %d\n", err(r), v);
	printf("TIOCGPGRP fault %s\n", err(ioctl(0, TIOCGPGRP, (void *)8)));
	printf("tcdrain %s\n", err(tcdrain(1)));
	r = ioctl(1, TIOCGWINSZ, &ws);
	printf("TIOCGWINSZ %s %dx%d\n", err(r), ws.ws_row, ws.ws_col);
	printf("isatty %d ttyname %s\n", isatty(0), ttyname(0) ? "yes" : "no");
	if (isatty(0)) {
		const char *name = ttyname(0);

		printf("reopen /proc/self/fd/0 %s\n", err(open("/proc/self/fd/0", O_RDWR)));
		printf("open ttyname %s\n", err(name ? open(name, O_RDWR) : -1));
		printf("open /dev/tty %s\n", err(open("/dev/tty", O_RDWR)));
	}
	printf("TIOCGPTN on a slave %s\n", err(ioctl(0, TIOCGPTN, &v)));
	printf("TIOCGSID bad fd %s\n", err(ioctl(-1, TIOCGSID, &v)));
	/* on a terminal the answer depends on being a session leader, which
	 * the guest is and a program under a shell is not */
	if (!isatty(0))
		printf("TIOCSCTTY %s\n", err(ioctl(0, TIOCSCTTY, 0)));
	return 0;
}
