/* Signals from each kind of sender and the restart codes they leave, for
 * tests/hosted/test_strace_format.py: run natively under strace, it prints
 * on stdout, for each signal, the siginfo its SA_SIGINFO handler got
 * ("sig SIGNO CODE PID UID VALUE", or TIMERID OVERRUN VALUE for a timer),
 * for each call a signal interrupts, the raw call ("call NR RET ARGS"), and
 * each wait status ("wait STATUS"),
 * so that abi-run's formatter can be given the same values. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void handler(int sig, siginfo_t *si, void *uc)
{
	char line[128];
	int n;

	(void)uc;
	if (sig == SIGCHLD)
		n = snprintf(line, sizeof line, "sig %d %d %d %u %d %ld %ld\n", sig, si->si_code,
			     si->si_pid, si->si_uid, si->si_status, (long)si->si_utime,
			     (long)si->si_stime);
	else if (si->si_code == SI_TIMER)
		n = snprintf(line, sizeof line, "sig %d %d %d %d %ld\n", sig, si->si_code,
			     si->si_timerid, si->si_overrun, (long)si->si_value.sival_ptr);
	else
		n = snprintf(line, sizeof line, "sig %d %d %d %u %ld\n", sig, si->si_code,
			     si->si_pid, si->si_uid, (long)si->si_value.sival_ptr);
	write(1, line, (size_t)n);
}

int main(void)
{
	struct sigaction sa;
	struct sigevent ev;
	struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };
	struct itimerval itv = { { 0, 0 }, { 0, 20000 } };
	union sigval v = { .sival_int = 42 };
	timer_t t;
	int fds[2];
	char buf[10];
	pid_t child;
	sigset_t chld;
	int status;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: the read below ends in EINTR */
	sigaction(SIGUSR1, &sa, 0);
	sigaction(SIGUSR2, &sa, 0);
	sigaction(SIGALRM, &sa, 0);
	sigaction(SIGCHLD, &sa, 0);
	setvbuf(stdout, NULL, _IONBF, 0);

	kill(getpid(), SIGUSR1);                          /* SI_USER */
	syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR2); /* SI_TKILL */
	sigqueue(getpid(), SIGUSR1, v);                   /* SI_QUEUE */

	memset(&ev, 0, sizeof ev); /* SI_TIMER, while pause waits: ERESTARTNOHAND */
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGALRM;
	ev.sigev_value.sival_int = 7;
	timer_create(CLOCK_MONOTONIC, &ev, &t);
	timer_settime(t, 0, &its, 0);
	pause();
	printf("call %d %d\n", SYS_pause, -514);

	/* a child's exit and death by a signal: CLD_EXITED, CLD_KILLED; blocked
	 * while waiting, so that no wait is interrupted */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	child = fork();
	if (child == 0)
		_exit(3);
	wait4(child, &status, 0, NULL);
	printf("wait %d\n", status);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	kill(child, SIGTERM);
	wait4(child, &status, 0, NULL);
	printf("wait %d\n", status);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);

	pipe(fds); /* the itimer's SI_KERNEL, while read waits: ERESTARTSYS */
	setitimer(ITIMER_REAL, &itv, 0);
	read(fds[0], buf, sizeof buf);
	printf("call %d %d %d %#lx %zu\n", SYS_read, -512, fds[0], (unsigned long)buf, sizeof buf);
	return 0;
}
