/* Leaves the terminal raw and without echo, then dies: of SIGSEGV with
 * "segv", else by exit(3). abi-run must give the terminal back as it was. */
#include <stdlib.h>
#include <string.h>
#include <termios.h>

int main(int argc, char **argv)
{
	struct termios t;

	tcgetattr(0, &t);
	cfmakeraw(&t);
	t.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(0, TCSANOW, &t);
	if (argc > 1 && strcmp(argv[1], "segv") == 0)
		*(volatile int *)8 = 1;
	exit(3);
}
