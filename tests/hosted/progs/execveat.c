/* execve and execveat, compared with Linux: every error case returns to
 * this program with Linux's errno ("errors"), and the successful forms
 * print what the new program sees ("child"): argv, AT_EXECFN,
 * /proc/self/exe, comm. Run with an absolute path, in an empty directory.
 *   execveat errors       the error cases, one line each
 *   execveat fexecve      execveat(fd, "", AT_EMPTY_PATH) of itself
 *   execveat dirfd        execveat(dirfd, "name", 0) of itself
 *   execveat script       a "#!" script naming this program with an argument
 *   execveat nest N       N scripts, each the interpreter of the one before */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_ARG_STRLEN_TEST (131072 + 1) /* one byte over Linux's MAX_ARG_STRLEN */

#ifndef AT_EXECVE_CHECK
#define AT_EXECVE_CHECK 0x10000
#endif

static char *self;
static char *env[] = { "EXEC_TEST=1", NULL };

static long sys_execveat(int fd, const char *name, char *const *argv, char *const *envp, int flags)
{
	return syscall(SYS_execveat, fd, name, argv, envp, flags);
}

static void report(const char *what, long r)
{
	printf("%-28s %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "-");
	fflush(stdout);
	errno = 0;
}

static void put_file(const char *name, const char *text, mode_t mode)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0) {
		perror(name);
		exit(3);
	}
	chmod(name, mode);
}

static void show(const char *label, const char *path)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof buf - 1);

	printf("%s %s\n", label, n < 0 ? "?" : (buf[n] = 0, buf));
}

/* The new program: what exec gave it (comm from /proc/self/status's Name). */
static int child(int argc, char **argv)
{
	char line[256], comm[64] = "?";
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "Name: %63s", comm) == 1)
			break;
	if (f)
		fclose(f);
	printf("child argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] %s\n", i, argv[i]);
	printf("execfn %s\n", (const char *)getauxval(AT_EXECFN));
	show("exe", "/proc/self/exe");
	printf("comm %s\n", comm);
	printf("env %s\n", getenv("EXEC_TEST") ? getenv("EXEC_TEST") : "(unset)");
	return 0;
}

static void errors(void)
{
	char *argv[] = { "x", NULL };
	char *bad_argv[] = { "x", (char *)1, NULL };
	static char big[MAX_ARG_STRLEN_TEST];
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	int file = open("garbage", O_RDONLY);
	int cloexec_script = open("script.sh", O_RDONLY | O_CLOEXEC);
	int script = open("script.sh", O_RDONLY);
	char **many = calloc(80, sizeof *many);
	char longname[5000];

	memset(big, 'a', sizeof big - 1);
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	report("missing", execve("missing", argv, env));
	report("empty name", execve("", argv, env));
	report("directory", execve(".", argv, env));
	report("not executable", execve("noexec", argv, env));
	report("garbage", execve("garbage", argv, env));
	report("through a file", execve("garbage/x", argv, env));
	report("name too long", execve(longname, argv, env));
	report("bad name", execve((char *)1, argv, env));
	report("bad argv", execve("garbage", (char **)1, env));
	report("bad argv string", execve("garbage", bad_argv, env));
	report("bad envp", execve("garbage", argv, (char **)1));
	report("NULL argv envp", execve("garbage", NULL, NULL));
	{
		char *a[] = { "x", big, NULL };

		report("one string too long", execve("garbage", a, env));
	}
	for (int i = 0; i < 79; i++)
		many[i] = big + sizeof big - 1 - 100000; /* 100001 bytes each: 7.9 MB */
	report("strings too long", execve("garbage", many, env));
	report("no interpreter", execve("nointerp.sh", argv, env));
	report("empty #! line", execve("empty.sh", argv, env));
	report("interpreter is a dir", execve("dirinterp.sh", argv, env));
	report("interpreter garbage", execve("garbinterp.sh", argv, env));
	report("#! name truncated", execve("truncated.sh", argv, env));
	report("nest too deep", execve("n1.sh", argv, env));
	report("at: bad flags", sys_execveat(AT_FDCWD, "garbage", argv, env, 0x1));
	report("at: bad flags high", sys_execveat(AT_FDCWD, "garbage", argv, env, 0x40000000));
	report("at: nofollow symlink",
	       sys_execveat(AT_FDCWD, "link", argv, env, AT_SYMLINK_NOFOLLOW));
	report("at: symlink followed", sys_execveat(AT_FDCWD, "link", argv, env, 0));
	report("at: empty without flag", sys_execveat(file, "", argv, env, 0));
	report("at: empty of garbage", sys_execveat(file, "", argv, env, AT_EMPTY_PATH));
	report("at: empty of a dir", sys_execveat(dir, "", argv, env, AT_EMPTY_PATH));
	report("at: dirfd relative", sys_execveat(dir, "garbage", argv, env, 0));
	report("at: fd not a dir", sys_execveat(file, "x", argv, env, 0));
	report("at: bad fd", sys_execveat(999, "garbage", argv, env, 0));
	report("at: cloexec script", sys_execveat(cloexec_script, "", argv, env, AT_EMPTY_PATH));
	report("at: script fd",
	       sys_execveat(script, "", argv, env, AT_EMPTY_PATH | AT_EXECVE_CHECK));
	report("at: check garbage", sys_execveat(AT_FDCWD, "garbage", argv, env, AT_EXECVE_CHECK));
	report("at: check noexec", sys_execveat(AT_FDCWD, "noexec", argv, env, AT_EXECVE_CHECK));
	{
		int w = open("garbage", O_WRONLY);

		report("open for writing", execve("garbage", argv, env));
		close(w);
	}
	report("still here", 0);
}

/* n.sh for n = 1..count: each names the next as its interpreter, the last
 * this program with the argument "child". */
static void chain(int count)
{
	char name[32], text[4200];

	for (int i = 1; i <= count; i++) {
		snprintf(name, sizeof name, "n%d.sh", i);
		if (i < count)
			snprintf(text, sizeof text, "#!./n%d.sh\n", i + 1);
		else
			snprintf(text, sizeof text, "#!%s child\n", self);
		put_file(name, text, 0755);
	}
}

int main(int argc, char **argv)
{
	char *args[] = { "zero", "child", "one", NULL };
	char text[4200];

	/* "child", or "child ..." as a script's one interpreter argument */
	if (argc > 1 && strncmp(argv[1], "child", 5) == 0)
		return child(argc, argv);
	if (argc < 2)
		return 2;
	self = argv[0];
	put_file("garbage", "hello, not a program\n", 0755);
	put_file("noexec", "#!/bin/sh\n", 0644);
	put_file("nointerp.sh", "#!/nonexistent/interpreter\n", 0755);
	put_file("empty.sh", "#!   \n", 0755);
	put_file("dirinterp.sh", "#!/tmp\n", 0755);
	put_file("garbinterp.sh", "#!./garbage\n", 0755);
	memset(text, 0, sizeof text);
	memcpy(text, "#!/", 3);
	memset(text + 3, 'a', 300);
	put_file("truncated.sh", text, 0755);
	snprintf(text, sizeof text, "#!%s   child   an argument  \n", self);
	put_file("script.sh", text, 0755);
	symlink("garbage", "link");
	if (strcmp(argv[1], "errors") == 0) {
		chain(7);
		errors();
		return 0;
	}
	if (strcmp(argv[1], "fexecve") == 0) {
		int fd = open(self, O_RDONLY);

		sys_execveat(fd, "", args, env, AT_EMPTY_PATH);
	} else if (strcmp(argv[1], "dirfd") == 0) {
		char *slash = strrchr(self, '/');
		int fd;

		*slash = 0;
		fd = open(self, O_RDONLY | O_DIRECTORY);
		sys_execveat(fd, slash + 1, args, env, 0);
	} else if (strcmp(argv[1], "script") == 0) {
		char *sargs[] = { "script.sh", "one", "two", NULL };

		execve("./script.sh", sargs, env);
	} else if (strcmp(argv[1], "nest") == 0 && argc > 2) {
		char *sargs[] = { "n1.sh", "one", NULL };

		chain(atoi(argv[2]));
		execve("n1.sh", sargs, env);
	}
	perror("exec");
	return 1;
}
