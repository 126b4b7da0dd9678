/* abi-run's --trace formatter (kernel/plat/hosted/trace.c) on its own, for
 * the lines no guest can produce yet (signals sent by a process or a timer,
 * the restart codes a signal leaves): tests/hosted/test_strace_format.py
 * runs it with the values a native run reported and compares its line with
 * strace's. Without arguments it checks what needs no native run.
 *
 *   test_trace signal SIGNO CODE PID UID VALUE   a --- SIG... --- line
 *   test_trace signal 17 CODE PID UID STATUS UTIME STIME    SIGCHLD's
 *   test_trace call NR RET A0 .. A5 [mem=HEX]     a syscall's line (an
 *                                                 argument "@" is HEX's address)
 *   test_trace exit STATUS | killed SIG CORE      the last line
 *   test_trace wait STATUS                        wait4's status
 *
 * The kernel is booted only for mem=: otherwise guest memory reads fail, so
 * pointers print as addresses. */
#include <abi/boot.h>
#include "../../../kernel/plat/hosted/trace.c"
#include "ktest.h"

struct hosted_opts hosted_opts = { .trace = true, .trace_fd = 1, .report_fd = -1 };
static char out[4096];
static size_t out_len;

void hosted_write(int fd, const char *s, size_t len)
{
	(void)fd;
	if (out_len + len < sizeof out) {
		memcpy(out + out_len, s, len);
		out_len += len;
		out[out_len] = 0;
	}
}

/* Whether s contains t (the kernel's lib has no strstr). */
static bool contains(const char *s, const char *t)
{
	size_t n = strlen(t);

	for (; *s; s++)
		if (strncmp(s, t, n) == 0)
			return true;
	return false;
}

static long num(const char *s)
{
	return strtol(s, NULL, 0);
}

/* mem=HEX[@BASE]: boots the kernel and puts the bytes in a guest page; its
 * address stands for each argument written "@". With BASE (where the bytes
 * were natively), every aligned word pointing into them is moved along.
 * 0 or the address. */
static unsigned long guest_bytes(const char *hex)
{
	const char *at = strchr(hex, '@');
	unsigned long base = at ? strtoul(at + 1, NULL, 0) : 0;
	size_t n = 0;
	long page;

	if (abi_boot(NULL) != 0)
		return 0;
	page = sys_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			(unsigned long)-1, 0);
	if (page < 0)
		return 0;
	for (; hex[2 * n] != '@' && hex[2 * n] && hex[2 * n + 1] && n < 4096; n++) {
		char byte[3] = { hex[2 * n], hex[2 * n + 1], 0 };

		((unsigned char *)page)[n] = (unsigned char)strtoul(byte, NULL, 16);
	}
	for (size_t i = 0; base && i + 8 <= n; i += 8) {
		u64 *w = (u64 *)(page + (long)i);

		if (*w >= base && *w < base + n)
			*w = (u64)page + (*w - base);
	}
	return (unsigned long)page;
}

static void test_restart_codes(void)
{
	long a[6] = { 0, 0x1000, 10, 0, 0, 0 };

	out_len = 0;
	hosted_trace(ABI_X86_64_NR_read, a, -ERESTART_RESTARTBLOCK);
	CHECK(contains(out, " = ? ERESTART_RESTARTBLOCK (Interrupted by signal)\n"));
	out_len = 0;
	hosted_trace(ABI_X86_64_NR_read, a, -ERESTARTNOINTR);
	CHECK(strncmp(out, "read(0, 0x1000, 10)", 19) == 0);
	CHECK(contains(out, " = ? ERESTARTNOINTR (To be restarted)\n"));
	out_len = 0;
	hosted_trace(ABI_X86_64_NR_read, a, -EINTR);
	CHECK(contains(out, " = -1 EINTR (Interrupted system call)\n"));
}

static void test_end_lines(void)
{
	out_len = 0;
	hosted_trace_exit(3);
	CHECK(strcmp(out, "+++ exited with 3 +++\n") == 0);
	out_len = 0;
	hosted_trace_killed(SIGSEGV, true);
	CHECK(strcmp(out, "+++ killed by SIGSEGV (core dumped) +++\n") == 0);
	out_len = 0;
	hosted_trace_killed(34, false);
	CHECK(strcmp(out, "+++ killed by SIGRT_2 +++\n") == 0);
}

/* With a second task, every line starts with strace -f's "[pid %5u] ",
 * keyed on the calling task (here the boot task). */
static void test_pid_prefix(void)
{
	char want[64];
	struct task *t;
	long err = 0;

	CHECK_EQ(abi_boot(NULL), 0);
	out_len = 0;
	hosted_trace_exit(0);
	CHECK(strcmp(out, "+++ exited with 0 +++\n") == 0);
	t = task_new(&err);
	CHECK(t != NULL);
	if (!t)
		return;
	out_len = 0;
	hosted_trace_exit(0);
	snprintf(want, sizeof want, "[pid %5d] +++ exited with 0 +++\n", current->tid);
	CHECK(strcmp(out, want) == 0);
	CHECK(current->tid >= 1 && current->tid < 10000); /* padded: "[pid   100] " */
	task_release(t);
	abi_reset();
}

int main(int argc, char **argv)
{
	long a[6] = { 0 };

	if (argc == 9 && strcmp(argv[1], "signal") == 0) { /* SIGCHLD: + utime stime */
		struct linux_siginfo si = { .si_signo = (s32)num(argv[2]),
					    .si_code = (s32)num(argv[3]) };
		s32 status = (s32)num(argv[6]);
		s64 utime = num(argv[7]), stime = num(argv[8]);

		si.kill.pid = (s32)num(argv[4]);
		si.kill.uid = (u32)num(argv[5]);
		memcpy(si.bytes + 8, &status, 4);
		memcpy(si.bytes + 16, &utime, 8);
		memcpy(si.bytes + 24, &stime, 8);
		hosted_trace_signal(&si);
	} else if (argc == 7 && strcmp(argv[1], "signal") == 0) {
		struct linux_siginfo si = { .si_signo = (s32)num(argv[2]),
					    .si_code = (s32)num(argv[3]) };

		if (si.si_code == SI_TIMER) {
			si.timer.tid = (s32)num(argv[4]);
			si.timer.overrun = (s32)num(argv[5]);
			si.timer.value = (u64)num(argv[6]);
		} else {
			si.kill.pid = (s32)num(argv[4]);
			si.kill.uid = (u32)num(argv[5]);
			si.kill.value = (u64)num(argv[6]);
		}
		hosted_trace_signal(&si);
	} else if (argc >= 4 && strcmp(argv[1], "call") == 0) {
		unsigned long mem = 0;

		if (strncmp(argv[argc - 1], "mem=", 4) == 0)
			mem = guest_bytes(argv[--argc] + 4);
		for (int i = 0; i < 6 && i + 4 < argc; i++)
			a[i] = strcmp(argv[i + 4], "@") == 0 ? (long)mem : num(argv[i + 4]);
		hosted_trace(num(argv[2]), a, num(argv[3]));
	} else if (argc == 3 && strcmp(argv[1], "wait") == 0) {
		struct trace_line l = { .len = 0 };

		put_wait_status(&l, (int)num(argv[2]));
		l.buf[l.len] = 0;
		printf("%s\n", l.buf);
	} else if (argc == 3 && strcmp(argv[1], "exit") == 0) {
		hosted_trace_exit((int)num(argv[2]));
	} else if (argc == 4 && strcmp(argv[1], "killed") == 0) {
		hosted_trace_killed((int)num(argv[2]), num(argv[3]) != 0);
	} else if (argc == 1) {
		RUN(test_restart_codes);
		RUN(test_end_lines);
		RUN(test_pid_prefix);
		KTEST_DONE();
	} else {
		fprintf(stderr, "usage: see the comment at the top of test_trace.c\n");
		return 2;
	}
	fputs(out, stdout);
	return 0;
}
