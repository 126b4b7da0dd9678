/* A hostile guest (tests/hosted/test_confine.py): it jumps to a
 * `syscall; ret` inside abi-run's text, which Syscall User Dispatch lets
 * through, and tries one raw host call from there.
 *
 *   escape ATTEMPT SECRET OUTDIR VICTIM_PID
 *
 * The gadget's address arrives on stdin as a hex number (the test reads it
 * from abi-run's ELF file and its host /proc/PID/maps, so this measures the
 * wall, not the hiding of addresses); 0 means "use my own syscall
 * instruction" (the native control). Prints "ATTEMPT RESULT" where RESULT
 * is the raw return (a -errno on failure); a seccomp kill ends the process
 * with SIGSYS before it prints. Build: gcc -static -O1 -mno-red-zone. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static unsigned long gadget;

static long raw(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	if (!gadget) {
		__asm__ volatile("syscall"
				 : "=a"(ret)
				 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
				 : "rcx", "r11", "memory");
		return ret;
	}
	/* abi-run's own `syscall; ret`: the call pushes our return address. */
	__asm__ volatile("call *%[g]"
			 : "=a"(ret)
			 : [g] "m"(gadget), "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define R0(n) raw((n), 0, 0, 0, 0, 0, 0)
#define R(n, a, b, c, d, e, f) \
	raw((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

int main(int argc, char **argv)
{
	char line[64] = { 0 }, buf[256], path[4096];
	const char *what, *secret, *outdir;
	long pid, r = -1;

	if (argc != 5) {
		fprintf(stderr, "usage: escape ATTEMPT SECRET OUTDIR VICTIM_PID\n");
		return 2;
	}
	what = argv[1];
	secret = argv[2];
	outdir = argv[3];
	pid = atol(argv[4]);
	if (read(0, line, sizeof line - 1) <= 0)
		return 2;
	gadget = strtoul(line, NULL, 16);

	if (!strcmp(what, "read")) {
		long fd = R(SYS_openat, AT_FDCWD, secret, O_RDONLY, 0, 0, 0);

		r = fd;
		if (fd >= 0) {
			r = R(SYS_read, fd, buf, sizeof buf - 1, 0, 0, 0);
			if (r > 0)
				fprintf(stderr, "escape: read %.*s\n", (int)r, buf);
		}
	} else if (!strcmp(what, "read-proc-root")) {
		snprintf(path, sizeof path, "/proc/self/root%s", secret);
		r = R(SYS_openat, AT_FDCWD, path, O_RDONLY, 0, 0, 0);
	} else if (!strcmp(what, "create")) {
		snprintf(path, sizeof path, "%s/created", outdir);
		r = R(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL, 0644, 0, 0);
	} else if (!strcmp(what, "mkdir")) {
		snprintf(path, sizeof path, "%s/made", outdir);
		r = R(SYS_mkdirat, AT_FDCWD, path, 0755, 0, 0, 0);
	} else if (!strcmp(what, "unlink")) {
		r = R(SYS_unlinkat, AT_FDCWD, secret, 0, 0, 0, 0);
	} else if (!strcmp(what, "rename")) {
		snprintf(path, sizeof path, "%s/renamed", outdir);
		r = R(SYS_renameat2, AT_FDCWD, secret, AT_FDCWD, path, 0, 0);
	} else if (!strcmp(what, "link-in")) {
		/* A hard link from the working directory (a tree under --root)
		 * to the outside file, then read through it. */
		r = R(SYS_linkat, AT_FDCWD, secret, AT_FDCWD, "stolen", 0, 0);
		if (r >= 0)
			r = R(SYS_openat, AT_FDCWD, "stolen", O_RDONLY, 0, 0, 0);
	} else if (!strcmp(what, "link-fd")) {
		/* The same through an O_PATH descriptor (Landlock does not check
		 * O_PATH opens) and AT_EMPTY_PATH. */
		long fd = R(SYS_openat, AT_FDCWD, secret, O_PATH, 0, 0, 0);

		r = fd < 0 ? fd : R(SYS_linkat, fd, "", AT_FDCWD, "stolen", AT_EMPTY_PATH, 0);
		if (r >= 0)
			r = R(SYS_openat, AT_FDCWD, "stolen", O_RDONLY, 0, 0, 0);
	} else if (!strcmp(what, "rename-in")) {
		r = R(SYS_renameat2, AT_FDCWD, secret, AT_FDCWD, "stolen", 0, 0);
	} else if (!strcmp(what, "truncate")) {
		r = R(SYS_truncate, secret, 0, 0, 0, 0, 0);
	} else if (!strcmp(what, "chmod")) {
		r = R(SYS_fchmodat, AT_FDCWD, secret, 0666, 0, 0, 0);
	} else if (!strcmp(what, "chmod-dotdot")) {
		/* From the cwd and from every descriptor abi-run may hold on a
		 * tree (the test's trees are siblings of "outside"). */
		r = R(SYS_fchmodat, AT_FDCWD, "../outside/secret", 0666, 0, 0, 0);
		for (long fd = 3; fd < 64 && r < 0; fd++)
			r = R(SYS_fchmodat, fd, "../outside/secret", 0666, 0, 0, 0);
	} else if (!strcmp(what, "read-dotdot")) {
		r = R(SYS_openat, AT_FDCWD, "../outside/secret", O_RDONLY, 0, 0, 0);
		for (long fd = 3; fd < 64 && r < 0; fd++)
			r = R(SYS_openat, fd, "../outside/secret", O_RDONLY, 0, 0, 0);
	} else if (!strcmp(what, "setxattr")) {
		r = R(SYS_setxattr, secret, "user.escape", "x", 1, 0, 0);
	} else if (!strcmp(what, "ptrace")) {
		r = R(SYS_ptrace, 16 /* PTRACE_ATTACH */, pid, 0, 0, 0, 0);
	} else if (!strcmp(what, "mount")) {
		r = R(SYS_mount, "none", outdir, "tmpfs", 0, 0, 0);
	} else if (!strcmp(what, "unshare")) {
		r = R(SYS_unshare, 0x10000000 /* CLONE_NEWUSER */, 0, 0, 0, 0, 0);
	} else if (!strcmp(what, "bpf")) {
		r = R(SYS_bpf, 0, buf, 0, 0, 0, 0);
	} else if (!strcmp(what, "io_uring_setup")) {
		memset(buf, 0, sizeof buf);
		r = R(SYS_io_uring_setup, 1, buf, 0, 0, 0, 0);
	} else if (!strcmp(what, "process_vm_readv")) {
		struct iovec l = { buf, 8 }, rm = { (void *)0x400000, 8 };

		r = R(SYS_process_vm_readv, pid, &l, 1, &rm, 1, 0);
	} else if (!strcmp(what, "personality")) {
		r = R(SYS_personality, 0x0400000 /* READ_IMPLIES_EXEC */, 0, 0, 0, 0, 0);
	} else if (!strcmp(what, "kill")) {
		r = R(SYS_kill, pid, SIGTERM, 0, 0, 0, 0);
	} else if (!strcmp(what, "tgkill")) {
		r = R(SYS_tgkill, pid, pid, SIGTERM, 0, 0, 0);
	} else if (!strcmp(what, "execve")) {
		char *av[] = { "/bin/sh", "-c", path, NULL };

		snprintf(path, sizeof path, "echo pwned > %s/exec", outdir);
		r = R(SYS_execve, "/bin/sh", av, 0, 0, 0, 0);
	} else if (!strcmp(what, "fork")) {
		r = R(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
		if (r == 0) { /* the child: leave a mark and go */
			snprintf(path, sizeof path, "%s/forked", outdir);
			R(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT, 0644, 0, 0);
			R(SYS_exit_group, 0, 0, 0, 0, 0, 0);
		}
	} else if (!strcmp(what, "socket")) {
		r = R(SYS_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0, 0, 0, 0);
	} else if (!strcmp(what, "seccomp-off")) {
		r = R(SYS_prctl, 22 /* PR_SET_SECCOMP */, 0, 0, 0, 0, 0);
	} else if (!strcmp(what, "x32")) {
		r = R(0x40000000 | SYS_getpid, 0, 0, 0, 0, 0, 0);
	} else if (!strcmp(what, "open_by_handle_at")) {
		r = R(SYS_open_by_handle_at, AT_FDCWD, buf, O_RDONLY, 0, 0, 0);
	} else if (!strcmp(what, "getpid")) { /* a control: allowed, harmless */
		r = R0(SYS_getpid);
	} else {
		fprintf(stderr, "escape: unknown attempt %s\n", what);
		return 2;
	}
	printf("%s %ld\n", what, r);
	return 0;
}
