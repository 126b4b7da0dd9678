/* abi-run's command line: the options (abi-run --help), the program's
 * environment, and finding the program on PATH as execvp would. */
#include <abi/boot.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

struct hosted_opts hosted_opts = { .trace_fd = 2, .report_fd = -1 };
struct hosted_setup hosted_setup;
const char *hosted_guest_env[HOSTED_MAX_ARGS + 1];

static const char usage_text[] =
	"usage: abi-run [OPTIONS] PROGRAM [ARG...]\n"
	"Runs an x86_64 Linux program (static, dynamic, or a .so with a main) on the\n"
	"abi kernel, its syscalls trapped with Syscall User Dispatch, or called\n"
	"directly by a program built with abi-cc (musl-compat).\n"
	"Example: abi-run --trace /bin/busybox echo hi\n"
	"\n"
	"  --trace             one strace-format line per syscall on stderr\n"
	"  --trace-file F      the trace lines go to host file F\n"
	"  --stats             per-syscall counts and times at exit (stderr)\n"
	"  --report FILE       a JSON run report at exit (abi inspect --merge-run)\n"
	"  --verbose           say what abi-run sets up\n"
	"  --seed N            reproducible AT_RANDOM, getrandom and address layout\n"
	"  --cwd D             the program's working directory\n"
	"  --env K=V           set a variable (repeatable); --clear-env starts empty\n"
	"  --root DIR[:ro]     host DIR is the root (default: host /, read-write)\n"
	"  --sandbox           a bare ramfs root with the program, /dev, /proc, /tmp\n"
	"  --mount H:G[:ro]    mount host dir H at guest dir G (repeatable)\n"
	"  --libc=musl-compat  run a glibc-built .so application or PIE on musl-compat\n"
	"  --sandbox-info      print which confinement walls this host has, and exit\n"
	"  --require-confinement  fail (exit 2) when a wall is missing, not just warn\n"
	"  --no-confine        skip all of it: Landlock, seccomp, namespace (debugging)\n"
	"  --no-fastcall       no function-call entry: a musl-compat program traps too\n"
	"  --no-rewrite        rewrite no syscall site: every `syscall` instruction traps\n"
	"abi-run confines itself before the program starts: docs/SECURITY.md.\n"
	"Exit status: the program's; 2 for abi-run's own errors.\n";

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static u64 parse_u64(const char *s, const char *what)
{
	u64 v = 0;

	if (!*s)
		hosted_die("%s: not a number: \"\"", what);
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			hosted_die("%s: not a number", what);
		v = v * 10 + (u64)(*s - '0');
	}
	return v;
}

/* Splits "A:B[:ro]" in place. */
static void parse_mount(char *s, struct hosted_mount *m)
{
	char *c = strchr(s, ':'), *c2;

	if (!c || c == s || !c[1])
		hosted_die("--mount: expected HOST:GUEST[:ro], got \"%s\"", s);
	*c = 0;
	m->host = s;
	m->guest = c + 1;
	m->ro = false;
	if ((c2 = strchr(m->guest, ':'))) {
		if (!streq(c2 + 1, "ro") && !streq(c2 + 1, "rw"))
			hosted_die("--mount: the mode must be ro or rw");
		m->ro = streq(c2 + 1, "ro");
		*c2 = 0;
	}
	if (m->guest[0] != '/')
		hosted_die("--mount: the guest path must be absolute");
}

/* The flag an option without a value sets, or NULL. */
static bool *switch_of(const char *a)
{
	const struct {
		const char *name;
		bool *flag;
	} switches[] = {
		{ "--trace", &hosted_opts.trace },
		{ "--stats", &hosted_opts.stats },
		{ "--verbose", &hosted_opts.verbose },
		{ "--sandbox", &hosted_setup.sandbox },
		{ "--clear-env", &hosted_setup.clear_env },
		{ "--no-confine", &hosted_opts.no_confine },
		{ "--no-fastcall", &hosted_opts.no_fastcall },
		{ "--no-rewrite", &hosted_opts.no_rewrite },
		{ "--require-confinement", &hosted_opts.require_confinement },
	};

	for (size_t i = 0; i < ARRAY_SIZE(switches); i++)
		if (streq(a, switches[i].name))
			return switches[i].flag;
	return NULL;
}

/* Options that need the Python side (abi.hosted): abi-run hands the
 * whole command line over to `abi run` (the abi package's console script)
 * by exec, before it has set anything up. Both sides keep this list
 * (abi/hosted.py's PYTHON_OPTIONS), so neither hands it back. */
static const char *const python_options[] = { "--emu" };

static const char *last_slash(const char *s)
{
	const char *l = NULL;

	for (; *s; s++)
		if (*s == '/')
			l = s;
	return l;
}

static bool executable(const char *path)
{
	struct plat_stat st;

	return plat_host_fstatat(AT_FDCWD, path, &st, 0) == 0 && S_ISREG(st.mode) &&
	       (st.mode & 0111);
}

/* dir (of length n) + "/" + name into out; false when it does not fit. */
static bool join(char *out, size_t size, const char *dir, size_t n, const char *name)
{
	if (n + strlen(name) + 2 > size)
		return false;
	memcpy(out, n ? dir : ".", n ? n : 1);
	out[n ? n : 1] = '/';
	strlcpy(out + (n ? n : 1) + 1, name, size - (n ? n : 1) - 1);
	return true;
}

/* `abi` beside the abi-run that was run (the venv's bin, where the
 * install links abi-run), found as the shell found abi-run (PATH), else
 * the source tree's .venv beside build/hosted/abi-run itself. */
static bool find_python_entry(const char *argv0, char **envp, char *out, size_t size)
{
	static char exe[4096];
	const char *slash = last_slash(argv0), *path = "/usr/local/bin:/usr/bin:/bin";
	long n;

	if (slash && join(out, size, argv0, (size_t)(slash - argv0), "abi") && executable(out))
		return true;
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	while (!slash && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);

		if (join(out, size, path, len, argv0) && executable(out)) {
			if (join(out, size, path, len, "abi") && executable(out))
				return true;
			break;
		}
		if (!end)
			break;
		path = end + 1;
	}
	n = host_syscall3(HOST_NR(readlink), "/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	return (slash = last_slash(exe)) &&
	       join(out, size, exe, (size_t)(slash - exe), "../../.venv/bin/abi") &&
	       executable(out);
}

static _Noreturn void hand_to_python(int argc, char **argv, const char *opt)
{
	static const char *args[HOSTED_MAX_ARGS + 3];
	static char entry[4096];
	char **envp = argv + argc + 1; /* the initial stack's layout */
	long r;

	if (!find_python_entry(argv[0], envp, entry, sizeof entry))
		hosted_die("%s needs the abi Python package: run `abi run %s ...`", opt, opt);
	if (argc + 2 > HOSTED_MAX_ARGS)
		hosted_die("too many arguments");
	args[0] = entry;
	args[1] = "run";
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	args[argc + 1] = NULL;
	r = host_syscall3(HOST_NR(execve), entry, args, envp);
	hosted_die("%s: %s", entry, hosted_errname(r));
}

/* Returns the index of the program's argv[0]. */
int hosted_parse_options(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		char *a = argv[i];
		char *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool *flag;

		if (a[0] != '-')
			break;
		if (streq(a, "--"))
			return i + 1;
		if (streq(a, "--help") || streq(a, "-h")) {
			hosted_write(1, usage_text, sizeof usage_text - 1);
			plat_exit(0);
		}
		if (streq(a, "--sandbox-info"))
			hosted_sandbox_info();
		for (size_t k = 0; k < ARRAY_SIZE(python_options); k++)
			if (streq(a, python_options[k]))
				hand_to_python(argc, argv, a);
		if (strncmp(a, "--libc=", 7) == 0) {
			if (!streq(a + 7, "musl-compat"))
				hosted_die(
					"--libc: the only choice is musl-compat (the default is the "
					"object's own libc)");
			hosted_opts.musl_compat = true;
			continue;
		}
		if ((flag = switch_of(a))) {
			*flag = true;
			continue;
		}
		/* The rest take a value. */
		if (!val)
			hosted_die("%s needs a value (abi-run --help)", a);
		i++;
		if (streq(a, "--seed")) {
			hosted_setup.seed = parse_u64(val, "--seed");
			hosted_setup.seeded = true;
		} else if (streq(a, "--trace-file")) {
			long fd = host_syscall4(HOST_NR(openat), AT_FDCWD, val,
						O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0)
				hosted_die("--trace-file %s: %s", val, hosted_errname(fd));
			hosted_opts.trace = true;
			hosted_opts.trace_fd = (int)fd;
		} else if (streq(a, "--report")) {
			long fd = host_syscall4(HOST_NR(openat), AT_FDCWD, val,
						O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0)
				hosted_die("--report %s: %s", val, hosted_errname(fd));
			hosted_opts.report_fd = (int)fd;
		} else if (streq(a, "--cwd")) {
			hosted_setup.cwd = val;
		} else if (streq(a, "--env")) {
			if (!strchr(val, '=') || val[0] == '=')
				hosted_die("--env: expected K=V, got \"%s\"", val);
			if (hosted_setup.nenv_set == HOSTED_MAX_ARGS)
				hosted_die("--env: too many");
			hosted_setup.env_set[hosted_setup.nenv_set++] = val;
		} else if (streq(a, "--root")) {
			char *c = strchr(val, ':');

			if (c) {
				if (!streq(c + 1, "ro") && !streq(c + 1, "rw"))
					hosted_die("--root: the mode must be ro or rw");
				hosted_setup.root_ro = streq(c + 1, "ro");
				*c = 0;
			}
			hosted_setup.root = val;
		} else if (streq(a, "--mount")) {
			if (hosted_setup.nmounts == HOSTED_MAX_MOUNTS)
				hosted_die("--mount: at most %d", HOSTED_MAX_MOUNTS);
			parse_mount(val, &hosted_setup.mounts[hosted_setup.nmounts++]);
		} else {
			hosted_die("unknown option %s (abi-run --help)", a);
		}
	}
	if (i >= argc)
		hosted_die("no program given (abi-run --help)");
	if (hosted_setup.sandbox && hosted_setup.root)
		hosted_die("--sandbox and --root exclude each other");
	return i;
}

static size_t keylen(const char *kv)
{
	const char *e = strchr(kv, '=');

	return e ? (size_t)(e - kv) : strlen(kv);
}

void hosted_build_env(char **envp)
{
	int n = 0;

	if (!hosted_setup.clear_env)
		for (; envp[n] && n < HOSTED_MAX_ARGS; n++)
			hosted_guest_env[n] = envp[n];
	for (int i = 0; i < hosted_setup.nenv_set; i++) {
		const char *kv = hosted_setup.env_set[i];
		int j;

		for (j = 0; j < n; j++)
			if (keylen(hosted_guest_env[j]) == keylen(kv) &&
			    strncmp(hosted_guest_env[j], kv, keylen(kv)) == 0)
				break;
		if (j == n && n < HOSTED_MAX_ARGS)
			n++;
		hosted_guest_env[j] = kv;
	}
	hosted_guest_env[n] = NULL;
}

const char *hosted_env_get(const char *key)
{
	size_t k = strlen(key);

	for (int i = 0; hosted_guest_env[i]; i++)
		if (keylen(hosted_guest_env[i]) == k && strncmp(hosted_guest_env[i], key, k) == 0)
			return hosted_guest_env[i] + k + 1;
	return NULL;
}

/* The host's path of a program named without a slash, as execvp finds it. */
bool hosted_search_path(const char *name, char *out, size_t size)
{
	const char *path = hosted_env_get("PATH");

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *e = strchr(path, ':');
		size_t n = e ? (size_t)(e - path) : strlen(path);
		char cand[4096];
		struct plat_stat st;

		if (n + strlen(name) + 2 < sizeof cand) {
			memcpy(cand, n ? path : ".", n ? n : 1);
			cand[n ? n : 1] = '/';
			strlcpy(cand + (n ? n : 1) + 1, name, sizeof cand - (n ? n : 1) - 1);
			if (plat_host_fstatat(AT_FDCWD, cand, &st, 0) == 0 && S_ISREG(st.mode) &&
			    (st.mode & 0111)) {
				strlcpy(out, cand, size);
				return true;
			}
		}
		if (!e)
			break;
		path = e + 1;
	}
	return false;
}

void hosted_boot_inherit(struct abi_boot_args *b)
{
	long um = host_syscall1(HOST_NR(umask), 022);
	u64 lim[2] = { 0, 0 };

	host_syscall1(HOST_NR(umask), um);
	b->umask = (u32)um;
	if (host_syscall4(HOST_NR(prlimit64), 0, RLIMIT_NOFILE, 0, lim) == 0)
		b->nofile = (u32)MIN(lim[0], (u64)1 << 20);
	/* inherited as across an exec: `setarch -R abi-run ...` */
	b->personality = (u32)host_syscall1(HOST_NR(personality), 0xffffffffUL);
}

const char *hosted_command(int argc, char **argv, char **envp, const char **guest_argv, int *nargs)
{
	/* static: on the stack it pushes start-up onto a page more */
	static char found[4096];
	int first = hosted_parse_options(argc, argv), n;

	hosted_build_env(envp);
	for (n = 0; first + n < argc && n < HOSTED_MAX_ARGS; n++)
		guest_argv[n] = argv[first + n];
	guest_argv[n] = NULL;
	*nargs = n;
	if (hosted_setup.seeded)
		plat_entropy_seed(hosted_setup.seed);
	hosted_opts.program = guest_argv[0];
	if (strchr(guest_argv[0], '/'))
		return guest_argv[0];
	if (!hosted_search_path(guest_argv[0], found, sizeof found))
		hosted_die("%s: command not found", guest_argv[0]);
	return found;
}

void hosted_started(const char *name, long r, const char *why, bool interp, u64 *entry, u64 *sp)
{
	if (r < 0 && why)
		hosted_die("%s: %s%s (%s)", name, interp ? "interpreter: " : "", why,
			   hosted_errname(r));
	if (r < 0)
		hosted_die("%s: %s", name, hosted_errname(r));
	if (!abi_exec_entry(entry, sp))
		hosted_die("%s: the kernel started no program", name);
}
