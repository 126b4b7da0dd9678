/* lazysig: the signal thread's late start (kernel/plat/hosted/thread.c).
 *   lazysig read            blocks reading stdin (a signal from outside
 *                           ends it, or not, as natively)
 *   lazysig unblock [h]     sleeps 300 ms with the SIGUSR1 its parent
 *                           blocked, then unblocks it (with a handler
 *                           first under "h"): it is delivered then. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got = sig;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	sigset_t set;
	char c;

	if (argc > 1 && strcmp(argv[1], "read") == 0)
		return (int)read(0, &c, 1);
	nanosleep(&ts, NULL);
	if (argc > 2)
		signal(SIGUSR1, on_usr1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("after the unblock: handler %d\n", (int)got);
	return 0;
}
