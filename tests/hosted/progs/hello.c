/* A static test program for abi-run: files, directories, memory, the FS
 * base (TLS), signal actions and masks, and its exit status. It prints only
 * what is the same natively and under abi-run (no pids, no addresses). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

static __thread int tls_counter = 41;

static void handler(int sig)
{
	(void)sig;
}

/* Prints a call's result and errno, evaluated in that order. */
#define SHOW(label, call)                                      \
	do {                                                   \
		long r_;                                       \
		errno = 0;                                     \
		r_ = (long)(call);                             \
		printf("%s %ld errno %d\n", label, r_, errno); \
	} while (0)

int main(int argc, char **argv)
{
	char path[256], buf[64];
	unsigned long fs = 0;
	struct sigaction sa, old;
	sigset_t set, oset;
	int fd, status = argc > 1 ? atoi(argv[1]) : 0;

	tls_counter++;
	printf("tls %d\n", tls_counter);
	SHOW("arch_prctl get", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	printf("fs is thread pointer %d\n", fs == (unsigned long)__builtin_thread_pointer());
	SHOW("arch_prctl bad", syscall(SYS_arch_prctl, 0x9999, 0));
	printf("tid == pid %d\n", (long)syscall(SYS_set_tid_address, NULL) == (long)getpid());
	SHOW("robust bad len", syscall(SYS_set_robust_list, NULL, 1));

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaddset(&sa.sa_mask, SIGUSR2);
	printf("sigaction %d\n", sigaction(SIGUSR1, &sa, NULL));
	SHOW("sigaction read", sigaction(SIGUSR1, NULL, &old));
	printf("same %d\n", old.sa_handler == handler && sigismember(&old.sa_mask, SIGUSR2));
	SHOW("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
	SHOW("sigaction 0", syscall(SYS_rt_sigaction, 0, NULL, &old, 8));
	SHOW("sigaction bad size", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGKILL);
	printf("block %d\n", sigprocmask(SIG_BLOCK, &set, NULL));
	sigprocmask(SIG_SETMASK, NULL, &oset);
	printf("blocked usr1 %d kill %d\n", sigismember(&oset, SIGUSR1),
	       sigismember(&oset, SIGKILL));
	SHOW("bad how", syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8));

	char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap ok %d\n", m != MAP_FAILED);
	memset(m, 'x', 1 << 20);
	char *heap = malloc(100000);
	printf("malloc ok %d\n", heap != NULL);
	free(heap);

	snprintf(path, sizeof path, "%s", argc > 2 ? argv[2] : "hello-out.txt");
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	printf("open %d\n", fd >= 0);
	printf("write %zd\n", write(fd, "hello file\n", 11));
	close(fd);
	fd = open(path, O_RDONLY);
	memset(buf, 0, sizeof buf);
	printf("read %zd %s", read(fd, buf, sizeof buf - 1), buf);
	close(fd);
	printf("unlink %d\n", unlink(path));
	SHOW("open missing", open("/nonexistent/x", O_RDONLY));
	fprintf(stderr, "to stderr\n");
	return status;
}
