/* abi-run's start-up and exec: parse the options, boot the kernel, set up
 * the filesystem, load the program with the ELF loader through the kernel's
 * own VFS and memory map, build its stack, arm the SIGSYS trap and Syscall
 * User Dispatch, and jump to the entry point. From then on the program runs
 * natively on this host thread and every syscall it makes is the kernel's;
 * execve comes back here (hosted_execve) to load the next program, and a
 * shared object with a main runs under the .so launcher.
 *
 * Everything the loader does goes through the kernel's syscalls (openat,
 * pread64, mmap, mprotect, munmap) with a scratch area of guest memory for
 * the strings and buffers, so the program's image is in the VMA map exactly
 * as if the kernel's execve had loaded it. */
#include <abi/boot.h>
#include <abi/syscalls.h>
#include <abi/trace_meta.h>
#include <kernel/console.h>
#include <kernel/fd.h>
#include <kernel/hostfs.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include "loader.h"
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

#define PAGE 4096UL
/* Low, so that ET_EXEC programs (0x400000) land inside it; mmap_min_addr. */
#define GUEST_BASE 0x10000UL
#define GUEST_SIZE (64UL << 30)
#define STACK_SIZE (8UL << 20)
/* ET_DYN programs (PIE, static-pie) go here, Linux's ELF_ET_DYN_BASE for
 * this range: far below the top-down mmap area, so the brk after them has
 * room to grow (Linux moves a static-pie's brk there too). */
#define DYN_BASE (GUEST_BASE + (4UL << 30) - 0x10000UL)
#define SCRATCH_SIZE (256UL << 10)
#define MAX_ARGS 4096
#define MAX_MOUNTS 32
#define EXIT_USAGE 2

struct hosted_opts hosted_opts = { .trace_fd = 2, .report_fd = -1 };

struct mount_opt {
	char *host, *guest;
	bool ro;
};

static struct {
	u64 seed;
	bool seeded, sandbox, clear_env;
	const char *cwd, *root;
	bool root_ro;
	struct mount_opt mounts[MAX_MOUNTS];
	int nmounts;
	const char *env_set[MAX_ARGS];
	int nenv_set;
} opt;

static const char *guest_env[MAX_ARGS + 1];
static const char *guest_argv[MAX_ARGS + 1];
static char prog_path[4096];
static uptr scratch;           /* SCRATCH_SIZE bytes of guest memory for the set-up */
static struct loader_image img; /* ~132 KiB: not on the stack */
/* What the host's auxv says about this CPU, for every exec's auxv. */
static u64 host_hwcap, host_hwcap2, host_clktck, host_minsigstksz;
static const struct loader_params params = {
	.machine = EM_X86_64, .pagesize = PAGE, .dyn_base = { DYN_BASE }, .task_size = 1UL << 47,
};

/* --- Output ----------------------------------------------------------- */

void hosted_write(int fd, const char *s, size_t len)
{
	while (len) {
		long r = host_syscall3(HOST_NR(write), fd, s, len);

		if (r == -EINTR)
			continue;
		if (r <= 0)
			return;
		s += r;
		len -= (size_t)r;
	}
}

void hosted_printf(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	hosted_write(fd, buf, MIN((size_t)n, sizeof buf - 1));
}

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	hosted_write(2, "abi-run: ", 9);
	hosted_write(2, buf, MIN((size_t)n, sizeof buf - 1));
	hosted_write(2, "\n", 1);
	plat_exit(EXIT_USAGE);
}

static const char *errname(long r)
{
	const char *n = abi_errno_name(-r);

	return n ? n : "error";
}

/* --- Options ---------------------------------------------------------- */

static const char usage_text[] =
	"usage: abi-run [OPTIONS] PROGRAM [ARG...]\n"
	"Runs a static x86_64 Linux program on the abi kernel, its syscalls trapped\n"
	"with Syscall User Dispatch. Example: abi-run --trace /bin/busybox echo hi\n"
	"\n"
	"  --trace             one strace-format line per syscall on stderr\n"
	"  --trace-file F      the trace lines go to host file F\n"
	"  --stats             per-syscall counts and times at exit (stderr)\n"
	"  --report FILE       a JSON run report at exit (abi inspect --merge-run)\n"
	"  --verbose           say what abi-run sets up\n"
	"  --seed N            reproducible AT_RANDOM and getrandom\n"
	"  --cwd D             the program's working directory\n"
	"  --env K=V           set a variable (repeatable); --clear-env starts empty\n"
	"  --root DIR[:ro]     host DIR is the root (default: host /, read-write)\n"
	"  --sandbox           a bare ramfs root with the program, /dev, /proc, /tmp\n"
	"  --mount H:G[:ro]    mount host dir H at guest dir G (repeatable)\n"
	"Exit status: the program's; 2 for abi-run's own errors.\n";

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static u64 parse_u64(const char *s, const char *what)
{
	u64 v = 0;

	if (!*s)
		die("%s: not a number: \"\"", what);
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			die("%s: not a number", what);
		v = v * 10 + (u64)(*s - '0');
	}
	return v;
}

/* Splits "A:B[:ro]" in place. */
static void parse_mount(char *s, struct mount_opt *m)
{
	char *c = strchr(s, ':'), *c2;

	if (!c || c == s || !c[1])
		die("--mount: expected HOST:GUEST[:ro], got \"%s\"", s);
	*c = 0;
	m->host = s;
	m->guest = c + 1;
	m->ro = false;
	if ((c2 = strchr(m->guest, ':'))) {
		if (!streq(c2 + 1, "ro") && !streq(c2 + 1, "rw"))
			die("--mount: the mode must be ro or rw");
		m->ro = streq(c2 + 1, "ro");
		*c2 = 0;
	}
	if (m->guest[0] != '/')
		die("--mount: the guest path must be absolute");
}

/* The flag an option without a value sets, or NULL. */
static bool *switch_of(const char *a)
{
	const struct {
		const char *name;
		bool *flag;
	} switches[] = {
		{ "--trace", &hosted_opts.trace },	{ "--stats", &hosted_opts.stats },
		{ "--verbose", &hosted_opts.verbose },	{ "--sandbox", &opt.sandbox },
		{ "--clear-env", &opt.clear_env },
	};

	for (size_t i = 0; i < ARRAY_SIZE(switches); i++)
		if (streq(a, switches[i].name))
			return switches[i].flag;
	return NULL;
}

/* Returns the index of the program's argv[0]. */
static int parse_options(int argc, char **argv)
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
		if ((flag = switch_of(a))) {
			*flag = true;
			continue;
		}
		/* The rest take a value. */
		if (!val)
			die("%s needs a value (abi-run --help)", a);
		i++;
		if (streq(a, "--seed")) {
			opt.seed = parse_u64(val, "--seed");
			opt.seeded = true;
		} else if (streq(a, "--trace-file")) {
			long fd = host_syscall4(HOST_NR(openat), AT_FDCWD, val,
						O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0)
				die("--trace-file %s: %s", val, errname(fd));
			hosted_opts.trace = true;
			hosted_opts.trace_fd = (int)fd;
		} else if (streq(a, "--report")) {
			long fd = host_syscall4(HOST_NR(openat), AT_FDCWD, val,
						O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0)
				die("--report %s: %s", val, errname(fd));
			hosted_opts.report_fd = (int)fd;
		} else if (streq(a, "--cwd")) {
			opt.cwd = val;
		} else if (streq(a, "--env")) {
			if (!strchr(val, '=') || val[0] == '=')
				die("--env: expected K=V, got \"%s\"", val);
			if (opt.nenv_set == MAX_ARGS)
				die("--env: too many");
			opt.env_set[opt.nenv_set++] = val;
		} else if (streq(a, "--root")) {
			char *c = strchr(val, ':');

			if (c) {
				if (!streq(c + 1, "ro") && !streq(c + 1, "rw"))
					die("--root: the mode must be ro or rw");
				opt.root_ro = streq(c + 1, "ro");
				*c = 0;
			}
			opt.root = val;
		} else if (streq(a, "--mount")) {
			if (opt.nmounts == MAX_MOUNTS)
				die("--mount: at most %d", MAX_MOUNTS);
			parse_mount(val, &opt.mounts[opt.nmounts++]);
		} else {
			die("unknown option %s (abi-run --help)", a);
		}
	}
	if (i >= argc)
		die("no program given (abi-run --help)");
	if (opt.sandbox && opt.root)
		die("--sandbox and --root exclude each other");
	return i;
}

static size_t keylen(const char *kv)
{
	const char *e = strchr(kv, '=');

	return e ? (size_t)(e - kv) : strlen(kv);
}

static void build_env(char **envp)
{
	int n = 0;

	if (!opt.clear_env)
		for (; envp[n] && n < MAX_ARGS; n++)
			guest_env[n] = envp[n];
	for (int i = 0; i < opt.nenv_set; i++) {
		const char *kv = opt.env_set[i];
		int j;

		for (j = 0; j < n; j++)
			if (keylen(guest_env[j]) == keylen(kv) &&
			    strncmp(guest_env[j], kv, keylen(kv)) == 0)
				break;
		if (j == n && n < MAX_ARGS)
			n++;
		guest_env[j] = kv;
	}
	guest_env[n] = NULL;
}

static const char *env_get(const char *key)
{
	size_t k = strlen(key);

	for (int i = 0; guest_env[i]; i++)
		if (keylen(guest_env[i]) == k && strncmp(guest_env[i], key, k) == 0)
			return guest_env[i] + k + 1;
	return NULL;
}

/* --- The guest scratch area -------------------------------------------- */

/* Copies a kernel string into the scratch area: a guest pointer to it. */
static uptr scratch_str(const char *s, size_t off)
{
	size_t n = strlen(s) + 1;

	if (off + n > SCRATCH_SIZE)
		die("path too long: %s", s);
	memcpy((char *)(scratch.addr + off), s, n); /* guest memory is host memory */
	return (uptr){ scratch.addr + off };
}

/* --- Loader ops over the kernel's syscalls ----------------------------- */

#define FILE_FD(f) ((int)(uintptr_t)(f) - 1)
#define FD_FILE(fd) ((void *)(uintptr_t)((fd) + 1))

static long kopen(const char *path, uint64_t *size)
{
	struct linux_stat st;
	long fd = sys_openat(AT_FDCWD, scratch_str(path, 0), O_RDONLY | O_CLOEXEC, 0);
	long r;

	if (fd < 0)
		return fd;
	if ((r = sys_fstat((unsigned)fd, (uptr){ scratch.addr })) < 0) {
		sys_close((unsigned)fd);
		return r;
	}
	memcpy(&st, (void *)scratch.addr, sizeof st);
	if (!S_ISREG(st.st_mode)) {
		sys_close((unsigned)fd);
		return -EACCES; /* execve: a directory or device is not executable */
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

static long op_open(void *ctx, const char *path, void **file, uint64_t *size)
{
	long fd = kopen(path, size);

	(void)ctx;
	if (fd < 0)
		return fd;
	*file = FD_FILE(fd);
	return 0;
}

static void op_close(void *ctx, void *file)
{
	(void)ctx;
	sys_close((unsigned)FILE_FD(file));
}

static long op_pread(void *ctx, void *file, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	(void)ctx;
	while (done < len) {
		long r = sys_pread64((unsigned)FILE_FD(file), scratch, MIN(len - done, SCRATCH_SIZE),
				     (loff_t)(off + done));

		if (r < 0)
			return done ? (long)done : r;
		if (r == 0)
			break;
		memcpy((char *)buf + done, (void *)scratch.addr, (size_t)r);
		done += (size_t)r;
	}
	return (long)done;
}

static long op_map_anon(void *ctx, uptr *addr, size_t len, int prot, enum loader_map_how how)
{
	unsigned long flags = MAP_PRIVATE | MAP_ANONYMOUS;
	long r;

	(void)ctx;
	if (how == LOADER_MAP_FIXED)
		flags |= MAP_FIXED;
	else if (how == LOADER_MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED_NOREPLACE;
	r = sys_mmap(addr->addr, len, (unsigned long)prot, flags, (unsigned long)-1, 0);
	if (r < 0 && r >= -4095)
		return r;
	addr->addr = (uintptr_t)r;
	return 0;
}

/* File pages: the kernel's file mmap where the file can be mapped (hostfs,
 * ramfs); elsewhere (ENODEV) anonymous memory read into with pread, which
 * is what the loader's own copy-in would do, minus a copy. */
static long op_map_file(void *ctx, void *file, uptr addr, size_t len, int prot, uint64_t off)
{
	unsigned fd = (unsigned)FILE_FD(file);
	long r = sys_mmap(addr.addr, len, (unsigned long)prot, MAP_PRIVATE | MAP_FIXED, fd, off);
	size_t done = 0;

	(void)ctx;
	if (r >= 0 || r < -4095)
		return 0;
	if (r != -ENODEV)
		return r;
	r = sys_mmap(addr.addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		     (unsigned long)-1, 0);
	if (r < 0 && r >= -4095)
		return r;
	while (done < len) {
		r = sys_pread64(fd, (uptr){ addr.addr + done }, len - done, (loff_t)(off + done));
		if (r < 0)
			return r;
		if (r == 0)
			break; /* past the end of the file: the rest stays zero */
		done += (size_t)r;
	}
	return sys_mprotect(addr.addr, len, (unsigned long)prot);
}

static long op_unmap(void *ctx, uptr addr, size_t len)
{
	(void)ctx;
	return sys_munmap(addr.addr, len);
}

static long op_protect(void *ctx, uptr addr, size_t len, int prot)
{
	(void)ctx;
	return sys_mprotect(addr.addr, len, (unsigned long)prot);
}

static long op_copy_out(void *ctx, uptr dst, const void *src, size_t len)
{
	(void)ctx;
	return copy_to_user(dst, src, len);
}

/* AT_RANDOM: the kernel's entropy, a reproducible stream with --seed. */
static long op_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return plat_entropy(buf, len);
}

static const struct loader_ops kernel_loader_ops = {
	.open = op_open,
	.close = op_close,
	.pread = op_pread,
	.map_anon = op_map_anon,
	.map_file = op_map_file,
	.unmap = op_unmap,
	.protect = op_protect,
	.copy_out = op_copy_out,
	.random = op_random,
};

/* --- The filesystem ---------------------------------------------------- */

static const char *base_name(const char *p)
{
	const char *s = p + strlen(p);

	while (s > p && s[-1] != '/')
		s--;
	return s;
}

/* mkdir -p in the guest. */
static void guest_mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlcpy(buf, path, sizeof buf);

	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == 0) {
			char c = buf[i];

			buf[i] = 0;
			sys_mkdir(scratch_str(buf, 0), 0755);
			buf[i] = c;
		}
	}
}

/* Copies a host file into the guest's ramfs through the kernel's syscalls. */
static void copy_into_guest(const char *host, const char *guest)
{
	long in = plat_host_openat(AT_FDCWD, host, O_RDONLY | O_CLOEXEC, 0);
	long out;
	s64 off = 0;

	if (in < 0)
		die("%s: %s", host, errname(in));
	out = sys_openat(AT_FDCWD, scratch_str(guest, 0), O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (out < 0)
		die("sandbox: cannot create %s: %s", guest, errname(out));
	for (;;) {
		long r = plat_host_pread((int)in, (void *)scratch.addr, SCRATCH_SIZE, off);

		if (r < 0)
			die("%s: %s", host, errname(r));
		if (r == 0)
			break;
		if ((r = sys_write((unsigned)out, scratch, (size_t)r)) < 0)
			die("sandbox: writing %s: %s", guest, errname(r));
		off += r;
	}
	plat_host_close((int)in);
	sys_close((unsigned)out);
}

/* The host's path of a program named without a slash, as execvp finds it. */
static bool search_path(const char *name, char *out, size_t size)
{
	const char *path = env_get("PATH");

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


/* path (absolute, canonical: a getcwd) as seen from the host directory
 * root, or NULL when it lies outside: "/" for root itself. */
static const char *inside_root(const char *path, const char *root)
{
	static char real[4096];
	char link[32] = "/proc/self/fd/";
	long fd = plat_host_openat(AT_FDCWD, root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0), n;
	size_t len;

	if (fd < 0)
		return NULL;
	ksnprintf(link + 14, sizeof link - 14, "%ld", fd);
	n = plat_host_readlinkat(AT_FDCWD, link, real, sizeof real - 1);
	plat_host_close((int)fd);
	if (n <= 0)
		return NULL;
	len = (size_t)n;
	while (len > 1 && real[len - 1] == '/')
		len--;
	real[len] = 0;
	if (len == 1) /* the root is the host's / */
		return path;
	if (strncmp(path, real, len) || (path[len] && path[len] != '/'))
		return NULL;
	return path[len] ? path + len : "/";
}

static void setup_fs(const char *prog)
{
	long r;

	if (opt.sandbox) {
		/* The boot's ramfs root, /dev, /proc and /tmp, plus the program. */
		char guest[4200];

		ksnprintf(guest, sizeof guest, "/%s", base_name(prog));
		copy_into_guest(prog, guest);
		strlcpy(prog_path, guest, sizeof prog_path);
	} else {
		const char *root = opt.root ? opt.root : "/";

		if ((r = hostfs_mount(root, "/", opt.root_ro)) < 0)
			die("--root %s: %s", root, errname(r));
		strlcpy(prog_path, prog, sizeof prog_path);
	}
	for (int i = 0; i < opt.nmounts; i++) {
		struct mount_opt *m = &opt.mounts[i];

		guest_mkdirs(m->guest);
		if ((r = hostfs_mount(m->host, m->guest, m->ro)) < 0)
			die("--mount %s:%s: %s", m->host, m->guest, errname(r));
	}
	if (opt.cwd) {
		if ((r = sys_chdir(scratch_str(opt.cwd, 0))) < 0)
			die("--cwd %s: %s", opt.cwd, errname(r));
	} else if (!opt.sandbox) {
		/* The host's cwd, as the program would have natively; under --root
		 * DIR the same directory seen from DIR when it lies inside DIR. */
		static char cwd[4096];
		const char *in = cwd;

		if (host_syscall2(HOST_NR(getcwd), cwd, sizeof cwd) <= 0)
			return;
		if (opt.root && !(in = inside_root(cwd, opt.root)))
			return;
		if (sys_chdir(scratch_str(in, 0)) < 0 && hosted_opts.verbose)
			hosted_printf(2, "abi-run: cannot enter %s; cwd is /\n", cwd);
	}
}

static void setup_console(void)
{
	/* Each keeps the host descriptor's access mode and O_APPEND (a terminal
	 * is O_RDWR, a pipe's ends one way); one closed on the host stays
	 * closed in the guest. */
	for (int fd = 0; fd < 3; fd++) {
		long fl = host_syscall2(HOST_NR(fcntl), fd, 3 /* F_GETFL */);

		if (fl >= 0)
			console_install((unsigned)fd, fd, (u32)fl & (O_ACCMODE | O_APPEND));
	}
}

/* --- Loading a program ------------------------------------------------ */

/* Maps a fresh stack (the highest mapping, as on Linux), loads the program
 * open at guest descriptor fd with its interpreter, builds the initial stack
 * and sets the break. The address space must be empty of the old program. */
static long load_program(long fd, u64 size, const char *execfn, const char *const *argv,
			 const char *const *envp, struct loader_result *res, const char **why)
{
	struct loader_args la;
	uptr stack;
	long r;

	r = sys_mmap(0, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_STACK, (unsigned long)-1, 0);
	if (r < 0 && r >= -4095) {
		*why = "cannot map the stack";
		return r;
	}
	stack.addr = (uintptr_t)r;
	la = (struct loader_args){
		.argv = argv,
		.envp = envp,
		.execfn = execfn,
		.platform = "x86_64",
		.uid = current_proc.cred.uid,
		.euid = current_proc.cred.euid,
		.gid = current_proc.cred.gid,
		.egid = current_proc.cred.egid,
		.secure = 0,
		.hwcap = host_hwcap,
		.hwcap2 = host_hwcap2,
		.clktck = host_clktck ? host_clktck : 100,
		.minsigstksz = host_minsigstksz,
		.flags = 0,
		.stack_top = { stack.addr + STACK_SIZE },
		.stack_size = STACK_SIZE,
		.stack_gap = 0,
	};
	r = elf_exec(&kernel_loader_ops, &params, &la, &img, FD_FILE(fd), size, res, why);
	if (r < 0)
		return r;
	kernel_mm.brk_start = kernel_mm.brk = res->brk.addr;
	return 0;
}

static void set_exe(long fd)
{
	struct file *f = fget((int)fd);

	if (f) {
		proc_set_exe(&f->path);
		fput(f);
	}
}

static long scratch_map(void)
{
	long r = sys_mmap(0, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  (unsigned long)-1, 0);

	if (r < 0 && r >= -4095)
		return r;
	scratch.addr = (uintptr_t)r;
	return 0;
}

static void scratch_unmap(void)
{
	sys_munmap(scratch.addr, SCRATCH_SIZE);
	scratch.addr = 0;
}

/* --- execve ------------------------------------------------------------ */

#define EXEC_STRINGS_MAX (2UL << 20) /* bytes of argv and envp strings */
#define EXEC_PTRS_MAX 32768

struct exec_args {
	char *arena;
	size_t used;
	const char **ptrs; /* argv, NULL, envp, NULL */
	size_t nptrs;
	char path[4096];
};

/* Appends the guest's NULL-terminated array at uarr to e->ptrs. */
static long copy_strings(struct exec_args *e, uptr uarr)
{
	for (size_t i = 0; uarr.addr; i++) {
		u64 p;
		long n;

		if (e->nptrs + 2 > EXEC_PTRS_MAX)
			return -E2BIG;
		if (copy_from_user(&p, (uptr){ uarr.addr + i * 8 }, sizeof p) < 0)
			return -EFAULT;
		if (!p)
			break;
		n = strncpy_from_user(e->arena + e->used, (uptr){ p }, EXEC_STRINGS_MAX - e->used);
		if (n < 0)
			return n;
		if ((size_t)n >= EXEC_STRINGS_MAX - e->used)
			return -E2BIG;
		e->ptrs[e->nptrs++] = e->arena + e->used;
		e->used += (size_t)n + 1;
	}
	e->ptrs[e->nptrs++] = NULL;
	return 0;
}

/* A "#!" script (Linux's binfmt_script): argv becomes interpreter, its one
 * optional argument, the script's path, then argv[1..]; the interpreter is
 * what gets loaded. Returns how many entries went in front (0: not a
 * script) or -errno. */
static long shebang(struct exec_args *e, long fd)
{
	char line[256], *interp, *arg = NULL, *end;
	long n = op_pread(NULL, FD_FILE(fd), line, sizeof line - 1, 0);
	size_t add, need, keep_from, grow;

	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = 0;
	if ((end = strchr(line, '\n')))
		*end = 0;
	for (interp = line + 2; *interp == ' ' || *interp == '\t'; interp++)
		;
	if (!*interp)
		return -ENOEXEC;
	for (end = interp; *end && *end != ' ' && *end != '\t'; end++)
		;
	if (*end) {
		*end++ = 0;
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end) {
			arg = end;
			for (end += strlen(end); end > arg && (end[-1] == ' ' || end[-1] == '\t');)
				*--end = 0;
		}
	}
	add = arg ? 2 : 1;
	keep_from = e->ptrs[0] ? 1 : 0; /* argv[0] is replaced by the script's path */
	grow = add + 1 - keep_from;
	need = strlen(interp) + 1 + (arg ? strlen(arg) + 1 : 0) + strlen(e->path) + 1;
	if (e->nptrs + grow > EXEC_PTRS_MAX || e->used + need > EXEC_STRINGS_MAX)
		return -E2BIG;
	memmove(e->ptrs + add + 1, e->ptrs + keep_from, (e->nptrs - keep_from) * sizeof *e->ptrs);
	e->nptrs += grow;
	e->ptrs[0] = e->arena + e->used;
	e->used += strlcpy(e->arena + e->used, interp, EXEC_STRINGS_MAX - e->used) + 1;
	if (arg) {
		e->ptrs[1] = e->arena + e->used;
		e->used += strlcpy(e->arena + e->used, arg, EXEC_STRINGS_MAX - e->used) + 1;
	}
	e->ptrs[add] = e->arena + e->used;
	e->used += strlcpy(e->arena + e->used, e->path, EXEC_STRINGS_MAX - e->used) + 1;
	strlcpy(e->path, interp, sizeof e->path);
	return (long)grow;
}

static void close_on_exec(void)
{
	for (unsigned fd = 0; fd < fd_table_size(); fd++)
		if (fd_get_cloexec(fd) == 1)
			sys_close(fd);
}

/* What exec resets in the one thread (Linux's flush_signal_handlers and
 * exec_mm_release): handled signals go back to SIG_DFL, the tid and robust
 * registrations are dropped; the mask and ignored signals survive. */
static void reset_thread(void)
{
	for (int i = 0; i < 64; i++)
		if (current_proc.sigactions[i].handler > 1) /* not SIG_DFL/SIG_IGN */
			current_proc.sigactions[i] = (struct k_sigaction){ 0, 0, 0, 0 };
	current_proc.clear_child_tid = (uptr){ 0 };
	current_proc.robust_list = (uptr){ 0 };
	current_proc.robust_len = 0;
}

/* execve served by the hosted platform: every check first (an error returns
 * to the old program), then the old address space goes and the new program
 * is loaded into it; *entry and *sp say where the SIGSYS handler resumes.
 * Descriptors without FD_CLOEXEC, the cwd, credentials, limits, umask and
 * the signal mask survive, as on Linux. */
long hosted_execve(const long a[6], u64 *entry, u64 *sp)
{
	struct exec_args *e = kzalloc(sizeof *e);
	struct loader_result res;
	const char *why = NULL;
	u64 size = 0;
	long fd = -1, r;

	if (!e)
		return -ENOMEM;
	e->arena = kmalloc(EXEC_STRINGS_MAX);
	e->ptrs = kmalloc(EXEC_PTRS_MAX * sizeof *e->ptrs);
	if (!e->arena || !e->ptrs) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = strncpy_from_user(e->path, (uptr){ (uintptr_t)a[0] }, sizeof e->path)) < 0)
		goto out;
	if ((size_t)r >= sizeof e->path) {
		r = -ENAMETOOLONG;
		goto out;
	}
	if (!e->path[0]) {
		r = -ENOENT;
		goto out;
	}
	if ((r = copy_strings(e, (uptr){ (uintptr_t)a[1] })) < 0)
		goto out;
	{
		size_t envp_at = e->nptrs;

		if ((r = copy_strings(e, (uptr){ (uintptr_t)a[2] })) < 0)
			goto out;
		if ((r = scratch_map()) < 0)
			goto out;
		for (int depth = 0;; depth++) {
			r = sys_faccessat(AT_FDCWD, scratch_str(e->path, 0), X_OK);
			if (r == 0)
				r = fd = kopen(e->path, &size);
			if (r < 0 || depth == 4 || (r = shebang(e, fd)) <= 0)
				break;
			envp_at += (size_t)r; /* the interpreter (and its argument) went in front */
			sys_close((unsigned)fd);
			fd = -1;
		}
		if (r >= 0)
			r = elf_check_exec(&kernel_loader_ops, &params, &img, FD_FILE(fd), size, &why);
		scratch_unmap();
		if (r < 0)
			goto out;
		/* The point of no return: the old program's memory goes. */
		sys_munmap(kernel_mm.base, kernel_mm.limit - kernel_mm.base);
		if ((r = scratch_map()) == 0) {
			r = load_program(fd, size, e->path, e->ptrs, e->ptrs + envp_at, &res, &why);
			scratch_unmap();
		}
		if (r < 0) {
			/* Linux kills the process with SIGSEGV here. */
			hosted_printf(2, "abi-run: execve %s: %s (%s)\n", e->path,
				      why ? why : "cannot load", errname(r));
			plat_exit(128 + 11);
		}
		set_exe(fd);
		proc_set_args(e->ptrs, e->ptrs + envp_at);
	}
	sys_close((unsigned)fd);
	fd = -1;
	close_on_exec();
	reset_thread();
	*entry = res.entry.addr;
	*sp = res.sp.addr;
	r = 0;
out:
	if (fd >= 0)
		sys_close((unsigned)fd);
	kfree(e->arena);
	kfree(e->ptrs);
	kfree(e);
	return r;
}

/* --- .so applications ------------------------------------------------- */

/* A shared object, not a program: ET_DYN, no interpreter, no entry point
 * (a static-pie has an entry). */
static bool is_shared_object(long fd)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	if (op_pread(NULL, FD_FILE(fd), &eh, sizeof eh, 0) != (long)sizeof eh ||
	    memcmp(eh.e_ident, "\177ELF", 4) != 0 || eh.e_type != ET_DYN || eh.e_entry != 0)
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (op_pread(NULL, FD_FILE(fd), &ph, sizeof ph, eh.e_phoff + i * sizeof ph) !=
		    (long)sizeof ph)
			return false;
		if (ph.p_type == PT_INTERP)
			return false;
	}
	return true;
}

/* Runs `so-launcher APP.so ARG...` instead (OSv style: the launcher, built
 * beside abi-run, dlopens the object and calls its main). */
static void run_with_launcher(int nargs)
{
	static char launcher[4096], so_path[4096];
	long n = host_syscall3(HOST_NR(readlink), "/proc/self/exe", launcher, sizeof launcher - 1);
	char *slash;

	if (n <= 0 || nargs + 1 >= MAX_ARGS)
		die("%s: cannot find the .so launcher", guest_argv[0]);
	launcher[n] = 0;
	slash = launcher + n;
	while (slash > launcher && slash[-1] != '/')
		slash--;
	strlcpy(slash, "so-launcher", sizeof launcher - (size_t)(slash - launcher));
	memmove(guest_argv + 1, guest_argv, (size_t)(nargs + 1) * sizeof *guest_argv);
	strlcpy(so_path, prog_path, sizeof so_path);
	guest_argv[0] = launcher;
	guest_argv[1] = so_path;
	strlcpy(prog_path, launcher, sizeof prog_path);
	proc_set_args(guest_argv, guest_env);
}

/* --- Start-up ----------------------------------------------------------- */

static u64 host_aux(u64 *auxv, u64 key)
{
	for (; auxv[0] != AT_NULL; auxv += 2)
		if (auxv[0] == key)
			return auxv[1];
	return 0;
}

static _Noreturn void start_program(u64 entry, u64 sp)
{
	/* The x86_64 psABI process entry: rsp at argc, rdx = 0 (no atexit
	 * function for the program to register). */
	__asm__ volatile("mov %%rdi, %%rsp\n\t"
			 "xor %%edx, %%edx\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "jmp *%%rsi"
			 :
			 : "D"(sp), "S"(entry)
			 : "memory");
	__builtin_unreachable();
}

_Noreturn void hosted_main(u64 *sp);
_Noreturn void hosted_main(u64 *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char **e = envp;
	u64 *auxv;
	int first, n;
	long r;
	const char *why = NULL;
	const char *prog;
	char found[4096];
	struct abi_boot_args boot = { .size = sizeof boot };
	struct loader_result res;
	uint64_t size;
	long fd;

	while (*e)
		e++;
	auxv = (u64 *)(e + 1);
	host_hwcap = host_aux(auxv, AT_HWCAP);
	host_hwcap2 = host_aux(auxv, AT_HWCAP2);
	host_clktck = host_aux(auxv, AT_CLKTCK);
	host_minsigstksz = host_aux(auxv, AT_MINSIGSTKSZ);
	first = parse_options(argc, argv);
	build_env(envp);
	for (n = 0; first + n < argc && n < MAX_ARGS; n++)
		guest_argv[n] = argv[first + n];
	guest_argv[n] = NULL;
	if (opt.seeded)
		plat_entropy_seed(opt.seed);
	hosted_opts.program = guest_argv[0];

	prog = guest_argv[0];
	if (!strchr(prog, '/')) {
		if (!search_path(prog, found, sizeof found))
			die("%s: command not found", prog);
		prog = found;
	}

	/* ABI_HOSTED_NO_SUD (in abi-run's own environment) forces the check to
	 * fail, so the message path is testable on a host that has SUD. */
	{
		bool force = false;

		for (char **p = envp; *p; p++)
			if (strncmp(*p, "ABI_HOSTED_NO_SUD=", 18) == 0)
				force = true;
		r = hosted_sud_probe(force);
	}
	if (r < 0)
		die("this host has no Syscall User Dispatch (Linux >= 5.11 with "
		    "CONFIG_GENERIC_ENTRY): prctl(PR_SET_SYSCALL_USER_DISPATCH) failed with %s",
		    errname(r));

	/* The program inherits what a child of this process would: the umask
	 * and the soft RLIMIT_NOFILE. */
	{
		long um = host_syscall1(HOST_NR(umask), 022);
		u64 lim[2] = { 0, 0 };

		host_syscall1(HOST_NR(umask), um);
		boot.umask = (u32)um;
		if (host_syscall4(HOST_NR(prlimit64), 0, RLIMIT_NOFILE, 0, lim) == 0)
			boot.nofile = (u32)MIN(lim[0], (u64)1 << 20);
	}
	boot.flags = ABI_BOOT_HOST_CREDS;
	boot.guest_base = GUEST_BASE;
	boot.guest_size = GUEST_SIZE;
	boot.argv = (u64)(uintptr_t)guest_argv;
	boot.envp = (u64)(uintptr_t)guest_env;
	if ((r = abi_boot(&boot)) < 0)
		die("kernel boot failed: %s", errname(r));
	if ((r = scratch_map()) < 0)
		die("scratch memory: %s", errname(r));
	setup_console();
	setup_fs(prog);
	if ((fd = kopen(prog_path, &size)) < 0)
		die("%s: %s", guest_argv[0], errname(fd));
	if (is_shared_object(fd)) {
		sys_close((unsigned)fd);
		run_with_launcher(argc - first);
		if ((fd = kopen(prog_path, &size)) < 0)
			die("%s: %s", prog_path, errname(fd));
	}
	set_exe(fd);
	r = load_program(fd, size, prog_path, guest_argv, guest_env, &res, &why);
	sys_close((unsigned)fd);
	if (r < 0)
		die("%s: %s%s (%s)", guest_argv[0], img.interp_failed ? "interpreter: " : "",
		    why ? why : "cannot load", errname(r));
	scratch_unmap();
	if (hosted_opts.verbose)
		hosted_printf(2, "abi-run: %s: entry 0x%lx, sp 0x%lx, brk 0x%lx%s\n", prog_path,
			      (unsigned long)res.entry.addr, (unsigned long)res.sp.addr,
			      (unsigned long)res.brk.addr, img.has_interp ? ", with interpreter" : "");

	if ((r = hosted_trap_install()) < 0)
		die("SIGSYS handler: %s", errname(r));
	if ((r = hosted_sud_enable()) < 0)
		die("this host has no Syscall User Dispatch: prctl failed with %s", errname(r));
	start_program(res.entry.addr, res.sp.addr);
}
