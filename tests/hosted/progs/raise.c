/* Dies of a signal it sends itself (abort() without an argument), or, with
 * a blocked or ignored signal, survives it: the exit status says which. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	printf("before\n");
	fflush(stdout);
	if (argc < 2)
		abort();
	int sig = atoi(argv[1]);
	if (argc > 2 && strcmp(argv[2], "ignore") == 0)
		signal(sig, SIG_IGN);
	if (argc > 2 && strcmp(argv[2], "block") == 0) {
		sigset_t set, pending;

		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(sig);
		sigpending(&pending);
		printf("pending %d\n", sigismember(&pending, sig));
		return 3;
	}
	raise(sig);
	printf("survived\n");
	return 0;
}
