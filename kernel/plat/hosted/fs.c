/* The guest's filesystem and console as abi-run's options ask: --sandbox
 * (a ramfs root holding a copy of the program), --root, --mount and --cwd,
 * and the host's descriptors 0, 1 and 2. Everything goes through the
 * kernel's own calls (filp_open, kernel_write, init_mkdir, init_chdir). */
#include <kernel/console.h>
#include <kernel/fd.h>
#include <kernel/hostfs.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/vfs.h>
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

#define COPY_CHUNK (64UL << 10)

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
			init_mkdir(buf, 0755);
			buf[i] = c;
		}
	}
}

/* Copies a host file into the guest's ramfs. */
static void copy_into_guest(const char *host, const char *guest)
{
	long in = plat_host_openat(AT_FDCWD, host, O_RDONLY | O_CLOEXEC, 0);
	char *buf = kmalloc(COPY_CHUNK);
	struct file *out;
	s64 off = 0;
	long r;

	if (in < 0)
		hosted_die("%s: %s", host, hosted_errname(in));
	if (!buf)
		hosted_die("sandbox: out of memory");
	if ((r = filp_open(guest, O_WRONLY | O_CREAT | O_TRUNC, 0755, &out)) < 0)
		hosted_die("sandbox: cannot create %s: %s", guest, hosted_errname(r));
	for (;;) {
		r = plat_host_pread((int)in, buf, COPY_CHUNK, off);
		if (r < 0)
			hosted_die("%s: %s", host, hosted_errname(r));
		if (r == 0)
			break;
		if ((r = kernel_write(out, buf, (size_t)r, &off)) < 0)
			hosted_die("sandbox: writing %s: %s", guest, hosted_errname(r));
	}
	plat_host_close((int)in);
	fput(out);
	kfree(buf);
}

/* What host descriptor fd names (its /proc/self/fd link): the length put
 * in buf, NUL-terminated, or <= 0. */
static long host_fd_target(int fd, char *buf, size_t size)
{
	char link[PLAT_FD_PATH_MAX];
	long n = plat_host_readlinkat(AT_FDCWD, plat_host_fd_path(fd, link), buf, size - 1);

	if (n > 0)
		buf[n] = 0;
	return n;
}

/* path (absolute, canonical: a getcwd) as seen from the host directory
 * root, or NULL when it lies outside: "/" for root itself. */
static const char *inside_root(const char *path, const char *root)
{
	static char real[4096];
	long fd = plat_host_openat(AT_FDCWD, root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0), n;
	size_t len;

	if (fd < 0)
		return NULL;
	n = host_fd_target((int)fd, real, sizeof real);
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

static void setup_tree(const char *prog, char *prog_path, size_t size)
{
	long r;

	if (hosted_setup.sandbox) {
		/* The boot's ramfs root, /dev, /proc and /tmp, plus the program
		 * (static: a page less of stack for the rest of start-up). */
		static char guest[4200];

		ksnprintf(guest, sizeof guest, "/%s", base_name(prog));
		copy_into_guest(prog, guest);
		strlcpy(prog_path, guest, size);
	} else {
		const char *root = hosted_setup.root ? hosted_setup.root : "/";

		if ((r = hostfs_mount(root, "/", hosted_setup.root_ro)) < 0)
			hosted_die("--root %s: %s", root, hosted_errname(r));
		strlcpy(prog_path, prog, size);
	}
	for (int i = 0; i < hosted_setup.nmounts; i++) {
		struct hosted_mount *m = &hosted_setup.mounts[i];

		guest_mkdirs(m->guest);
		if ((r = hostfs_mount(m->host, m->guest, m->ro)) < 0)
			hosted_die("--mount %s:%s: %s", m->host, m->guest, hosted_errname(r));
	}
	if (hosted_setup.cwd) {
		if ((r = init_chdir(hosted_setup.cwd)) < 0)
			hosted_die("--cwd %s: %s", hosted_setup.cwd, hosted_errname(r));
	} else if (!hosted_setup.sandbox) {
		/* The host's cwd, as the program would have natively; under --root
		 * DIR the same directory seen from DIR when it lies inside DIR. */
		static char cwd[4096];
		const char *in = cwd;

		if (host_syscall2(HOST_NR(getcwd), cwd, sizeof cwd) <= 0)
			return;
		if (hosted_setup.root && !(in = inside_root(cwd, hosted_setup.root)))
			return;
		if (init_chdir(in) < 0 && hosted_opts.verbose)
			hosted_printf(2, "abi-run: cannot enter %s; cwd is /\n", cwd);
	}
}

/* The host's descriptors 0-2 that are directories, for inherit_dirs. */
static bool host_dir_fd[3];

/* The terminal's settings as abi-run found them, put back however it ends
 * (plat_exit_hook: exit, exit_group, a fatal signal), whatever the guest
 * left: raw mode, no echo. The first of fds 0-2 that is a terminal. */
static struct {
	int fd;
	u8 termios[36]; /* the kernel's struct termios (TCGETS) */
} saved_tty = { -1, { 0 } };
static void (*next_exit_hook)(void);

static void restore_tty(void)
{
	if (saved_tty.fd >= 0)
		host_syscall3(HOST_NR(ioctl), saved_tty.fd, TCSETS, saved_tty.termios);
	if (next_exit_hook)
		next_exit_hook();
}

/* Whether the guest's fd is a character device, as a terminal is (only
 * those are asked TCGETS: a host call each). */
static bool is_chr(int fd)
{
	struct file *f = fget(fd);
	bool chr = f && f->inode && S_ISCHR(f->inode->mode);

	if (f)
		fput(f);
	return chr;
}

static void save_tty(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (is_chr(fd) &&
		    host_syscall3(HOST_NR(ioctl), fd, TCGETS, saved_tty.termios) == 0) {
			saved_tty.fd = fd;
			next_exit_hook = plat_exit_hook;
			plat_exit_hook = restore_tty;
			return;
		}
	}
}

void hosted_setup_console(void)
{
	inode_time_freeze(true); /* one clock read for the three */
	/* Each keeps the host descriptor's access mode and O_APPEND (a terminal
	 * is O_RDWR, a pipe's ends one way); one closed on the host stays
	 * closed in the guest. A directory waits for the guest's filesystem. */
	for (int fd = 0; fd < 3; fd++) {
		long fl = host_syscall2(HOST_NR(fcntl), fd, 3 /* F_GETFL */);

		if (fl >= 0 &&
		    console_install((unsigned)fd, fd, (u32)fl & (O_ACCMODE | O_APPEND)) == -EISDIR)
			host_dir_fd[fd] = true;
	}
	inode_time_freeze(false);
	save_tty(); /* the first of them that is a terminal */
}

/* A host directory on fd 0-2 (`abi-run prog < /tmp`) becomes the guest's
 * own open of that directory when the guest's filesystem shows it (under
 * --root, the default /, as the working directory is found); lookups from
 * it then stay in the guest's view, ".." included. Otherwise (--sandbox, or
 * outside --root) the guest's descriptor stays closed: a host directory
 * would be a way out of the guest's filesystem. docs/SECURITY.md,
 * "Inherited descriptors". */
static void inherit_dirs(void)
{
	for (int fd = 0; fd < 3; fd++) {
		static char path[4096];
		const char *in = NULL;
		struct file *f;
		long n;

		if (!host_dir_fd[fd])
			continue;
		n = host_fd_target(fd, path, sizeof path);
		if (n > 0 && path[0] == '/' && !hosted_setup.sandbox) {
			in = hosted_setup.root ? inside_root(path, hosted_setup.root) : path;
		}
		if (in && filp_open(in, O_RDONLY | O_DIRECTORY, 0, &f) == 0) {
			if (fd_replace((unsigned)fd, f, false) < 0)
				fput(f);
			continue;
		}
		hosted_printf(2,
			      "abi-run: fd %d is a host directory outside the guest's "
			      "filesystem; it is closed in the guest\n",
			      fd);
	}
}

void hosted_setup_fs(const char *prog, char *prog_path, size_t size)
{
	setup_tree(prog, prog_path, size);
	inherit_dirs();
}
