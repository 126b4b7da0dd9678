/* execve under abi-run: the new program gets its argv and envp, descriptors
 * without FD_CLOEXEC survive, the others are closed, the cwd and the signal
 * mask survive, handled signals go back to SIG_DFL, and a failed execve
 * returns to the old program. Prints only what is the same natively. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void handler(int sig)
{
	(void)sig;
}

int main(int argc, char **argv, char **envp)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		struct sigaction sa;
		sigset_t set;
		char cwd[256];

		printf("child argc %d argv2 %s env %s\n", argc, argc > 2 ? argv[2] : "-",
		       getenv("EXEC_TEST") ? getenv("EXEC_TEST") : "(unset)");
		printf("fd 5 open %d, fd 6 open %d\n", fcntl(5, F_GETFD) >= 0,
		       fcntl(6, F_GETFD) >= 0);
		sigaction(SIGUSR1, NULL, &sa);
		printf("usr1 default %d\n", sa.sa_handler == SIG_DFL);
		sigaction(SIGUSR2, NULL, &sa);
		printf("usr2 ignored %d\n", sa.sa_handler == SIG_IGN);
		sigprocmask(SIG_SETMASK, NULL, &set);
		printf("hup blocked %d\n", sigismember(&set, SIGHUP));
		printf("cwd ends in sub %d\n",
		       getcwd(cwd, sizeof cwd) && strstr(cwd, "/sub") != NULL);
		(void)envp;
		return 7;
	}
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	dup2(fd, 5);
	fcntl(fd, F_DUPFD_CLOEXEC, 6);
	close(fd);
	signal(SIGUSR1, handler);
	signal(SIGUSR2, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (mkdir("sub", 0755) < 0 || chdir("sub") < 0)
		return 99;
	char *bad[] = { "nope", NULL };
	errno = 0;
	int r = execve("/nonexistent/prog", bad, envp);
	printf("failed execve %d errno %d\n", r, errno);
	errno = 0;
	r = execve("..", bad, envp);
	printf("directory execve %d errno %d\n", r, errno);
	fflush(stdout);
	char *args[] = { argv[0], "child", "second", NULL };
	char *env[] = { "EXEC_TEST=passed", NULL };
	execve(argv[0], args, env);
	perror("execve");
	return 1;
}
