/* clone and clone3, fork-like, for tests/hosted/test_strace_format.py: run
 * natively under strace, it prints each call as abi-run's formatter takes
 * it ("call NR RET ARGS mem=HEX", an argument "@" standing for the bytes'
 * address: the clone_args with the tid words, or the parent's tid word, as
 * they are after the call, and where they were). */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The bytes, then where they are: HEX@ADDRESS. */
static void hex(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", ((const unsigned char *)p)[i]);
	printf("@%p\n", p);
}

int main(void)
{
	struct {
		struct clone_args ca;
		int ptid, ctid; /* in the same bytes, so that the formatter has them */
	} blob;
	struct clone_args *ca = &blob.ca;
	int ptid = 0, ctid = 0;
	long r;

	setvbuf(stdout, NULL, _IONBF, 0);
	memset(&blob, 0, sizeof blob);
	ca->flags = CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
	ca->parent_tid = (uintptr_t)&blob.ptid;
	ca->child_tid = (uintptr_t)&blob.ctid;
	ca->exit_signal = SIGCHLD;
	r = syscall(SYS_clone3, ca, sizeof *ca);
	if (r == 0)
		_exit(0);
	printf("call %d %ld @ %zu mem=", SYS_clone3, r, sizeof *ca);
	hex(&blob, sizeof blob);
	waitpid((pid_t)r, NULL, 0);

	r = syscall(SYS_clone, CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, 0, &ptid, &ctid,
		    0);
	if (r == 0)
		_exit(0);
	printf("call %d %ld %#lx 0 0 %p 0\n", SYS_clone, r,
	       (unsigned long)(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD), (void *)&ctid);
	waitpid((pid_t)r, NULL, 0);

	r = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, &ptid, &ctid, 0);
	if (r == 0)
		_exit(0);
	printf("call %d %ld %#lx 0 @ 0 0 mem=", SYS_clone, r,
	       (unsigned long)(CLONE_PARENT_SETTID | SIGCHLD));
	hex(&ptid, sizeof ptid);
	waitpid((pid_t)r, NULL, 0);
	return 0;
}
