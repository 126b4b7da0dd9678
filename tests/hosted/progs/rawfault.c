/* Leaves the terminal raw and without echo, then dies: of SIGSEGV with
 * "segv"; with "wait" it says "raw" and waits to be killed (a host signal
 * to abi-run); else exit(3). abi-run must give the terminal back as it was. */
#include <stdio.h>
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
	if (argc > 1 && strcmp(argv[1], "wait") == 0) {
		char c;

		printf("raw\r\n");
		fflush(stdout);
		while (fread(&c, 1, 1, stdin) == 1)
			;
	}
	exit(3);
}
