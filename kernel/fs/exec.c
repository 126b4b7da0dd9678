/* execve and execveat, after Linux's fs/exec.c: open the file, copy argv
 * and envp into kernel memory, let the binary formats (binfmt_script,
 * binfmt_elf) recognise it, and at the point of no return replace the
 * process's program. Every check comes before that point, so a failing exec
 * returns to the old program; a failure after it kills the process with
 * SIGSEGV, as on Linux. The platform then starts the new program where
 * abi_exec_entry says (hosted: the SIGSYS handler rewrites the registers). */
#include <abi/boot.h>
#include <abi/syscalls.h>
#include <abi/trace_meta.h>
#include <kernel/binfmts.h>
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/timer.h>
#include <kernel/task.h>
#include <kernel/vfs.h>
#include "../plat/plat.h"

/* Linux's _STK_LIM and ARG_MAX: the bounds of the room argv and envp get. */
#define STK_LIM (8UL << 20)
#define ARG_MAX (32UL * 4096)
/* execveat's flag (Linux 6.14): check that the file could be run, run nothing. */
#ifndef AT_EXECVE_CHECK
#define AT_EXECVE_CHECK 0x10000
#endif
/* Pointers a script may add in front of argv at each level. */
#define SCRIPT_EXTRA_PTRS 2

/* Where the last successful exec starts its program (abi_exec_entry). */
static struct {
	bool pending;
	u64 entry, sp;
} exec_start;

int abi_exec_entry(u64 *entry, u64 *sp)
{
	if (!exec_start.pending)
		return 0;
	exec_start.pending = false;
	*entry = exec_start.entry;
	*sp = exec_start.sp;
	return 1;
}

/* argv or envp: a guest array of guest strings, or a kernel one. */
struct arg_ptr {
	bool kernel;
	uptr user;
	const char *const *kern;
};

/* The i-th string pointer of a: 0 and *p (0 at the end), or -EFAULT. */
static long get_arg(struct arg_ptr a, size_t i, u64 *p)
{
	if (a.kernel) {
		*p = (u64)(uintptr_t)a.kern[i];
		return 0;
	}
	return copy_from_user(p, uptr_add(a.user, i * sizeof(u64)), sizeof *p) < 0 ? -EFAULT : 0;
}

/* Linux's count(): the number of strings, -EFAULT or -E2BIG. */
static long count(struct arg_ptr a)
{
	size_t n = 0;
	u64 p;

	if (!a.kernel && !a.user.addr)
		return 0;
	if (a.kernel && !a.kern)
		return 0;
	for (;; n++) {
		if (get_arg(a, n, &p) < 0)
			return -EFAULT;
		if (!p)
			return (long)n;
		if (n >= MAX_ARG_STRINGS)
			return -E2BIG;
	}
}

/* Appends one string to the arena; its pointer goes in *out. */
static long push_string(struct linux_binprm *bprm, const char *s, size_t len, const char **out)
{
	if (len + 1 > MAX_ARG_STRLEN || len + 1 > bprm->limit - bprm->used)
		return -E2BIG;
	memcpy(bprm->strings + bprm->used, s, len);
	bprm->strings[bprm->used + len] = 0;
	*out = bprm->strings + bprm->used;
	bprm->used += len + 1;
	return 0;
}

/* Copies n strings of a to the end of ptrs. */
static long copy_strings(struct linux_binprm *bprm, struct arg_ptr a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		u64 p;
		long len;

		if (get_arg(a, i, &p) < 0 || !p)
			return -EFAULT; /* the array changed under us */
		if (a.kernel) {
			len = (long)strlen((const char *)(uintptr_t)p);
			if (push_string(bprm, (const char *)(uintptr_t)p, (size_t)len,
					&bprm->ptrs[bprm->nptrs]) < 0)
				return -E2BIG;
		} else {
			size_t room = MIN(bprm->limit - bprm->used, (size_t)MAX_ARG_STRLEN);

			len = strncpy_from_user(bprm->strings + bprm->used, (uptr){ p }, room);
			if (len < 0)
				return len;
			if ((size_t)len >= room)
				return -E2BIG;
			bprm->ptrs[bprm->nptrs] = bprm->strings + bprm->used;
			bprm->used += (size_t)len + 1;
		}
		bprm->nptrs++;
	}
	return 0;
}

long bprm_insert_arg(struct linux_binprm *bprm, size_t at, const char *s)
{
	const char *str;
	long r;

	if (bprm->nptrs + 1 > bprm->max_ptrs)
		return -E2BIG;
	if ((r = push_string(bprm, s, strlen(s), &str)) < 0)
		return r;
	memmove(bprm->ptrs + at + 1, bprm->ptrs + at, (bprm->nptrs - at) * sizeof *bprm->ptrs);
	bprm->ptrs[at] = str;
	bprm->nptrs++;
	bprm->argc++;
	return 0;
}

void bprm_remove_arg_zero(struct linux_binprm *bprm)
{
	if (!bprm->argc)
		return;
	memmove(bprm->ptrs, bprm->ptrs + 1, (bprm->nptrs - 1) * sizeof *bprm->ptrs);
	bprm->nptrs--;
	bprm->argc--;
}

long open_execat(int dfd, const char *name, int flags, struct file **out)
{
	unsigned lookup = at_lookup_flags((unsigned)flags);
	struct file *f = NULL;
	struct inode *ino;
	struct path p;
	long r;

	kmutex_lock(&vfs_lock);
	r = path_lookupat(dfd, name, lookup, &p);
	if (r < 0)
		goto out;
	ino = p.dentry->inode;
	if (S_ISLNK(ino->mode))
		r = -ELOOP; /* AT_SYMLINK_NOFOLLOW */
	else if (!S_ISREG(ino->mode))
		r = -EACCES; /* directories, devices, fifos: may_open's MAY_EXEC */
	else if ((r = inode_permission(ino, MAY_EXEC)) == 0 && ino->writecount > 0)
		r = -ETXTBSY; /* open for writing: exe_file_deny_write_access */
	if (r == 0 && !(f = file_open_path(&p, O_RDONLY | O_LARGEFILE)))
		r = -ENOMEM;
	if (r == 0 && f->ops && f->ops->open)
		r = f->ops->open(f->inode, f);
	path_put(&p);
out:
	kmutex_unlock(&vfs_lock);
	if (r < 0 && f)
		fput(f);
	else if (r == 0)
		*out = f;
	return r;
}

/* The bytes of a kernel array's strings. */
static size_t kernel_strings(struct arg_ptr a)
{
	size_t n = 0;

	for (size_t i = 0; a.kern && a.kern[i]; i++)
		n += strlen(a.kern[i]) + 1;
	return n;
}

/* What the scripts of a chain may add: per level an interpreter, its
 * argument (both from the #! line) and the script's name. */
#define SCRIPT_ROOM ((BINPRM_MAX_DEPTH + 1) * (2 * BINPRM_BUF_SIZE + PATH_MAX))

/* Linux's bprm_stack_limits: what argv and envp (strings and pointers) may
 * take, from RLIMIT_STACK. */
static long stack_limits(struct linux_binprm *bprm)
{
	u64 rlim = current_proc.rlim[RLIMIT_STACK].rlim_cur;
	size_t limit = MAX(MIN(STK_LIM / 4 * 3, (size_t)(rlim / 4)), ARG_MAX);
	size_t ptr_size = (MAX(bprm->argc, (size_t)1) + bprm->envc) * sizeof(void *);

	if (limit <= ptr_size)
		return -E2BIG;
	bprm->limit = limit - ptr_size;
	return 0;
}

/* Reads the file's first bytes into buf (Linux's prepare_binprm), and
 * more of them into head in the same read. */
static long prepare_binprm(struct linux_binprm *bprm)
{
	s64 pos = 0;
	long r;

	memset(bprm->buf, 0, sizeof bprm->buf);
	bprm->head_len = 0;
	if (!bprm->head)
		bprm->head = kmalloc(BINPRM_HEAD_SIZE);
	if (!bprm->head)
		return (r = kernel_read(bprm->file, bprm->buf, sizeof bprm->buf, &pos)) < 0 ? r : 0;
	if ((r = kernel_read(bprm->file, bprm->head, BINPRM_HEAD_SIZE, &pos)) < 0)
		return r;
	bprm->head_len = (size_t)r;
	memcpy(bprm->buf, bprm->head, MIN((size_t)r, sizeof bprm->buf));
	return 0;
}

/* Tries each format: scripts hand over to their interpreter, ELF loads. */
static long search_binary_handler(struct linux_binprm *bprm)
{
	long r = prepare_binprm(bprm);

	if (r < 0)
		return r;
	r = load_script(bprm);
	if (r != -ENOEXEC || bprm->point_of_no_return)
		return r;
	return load_elf_binary(bprm);
}

static long exec_binprm(struct linux_binprm *bprm)
{
	for (int depth = 0;; depth++) {
		long r;

		if (depth > BINPRM_MAX_DEPTH)
			return -ELOOP;
		if ((r = search_binary_handler(bprm)) < 0)
			return r;
		if (!bprm->interpreter)
			return 0;
		fput(bprm->file);
		bprm->file = bprm->interpreter;
		bprm->interpreter = NULL;
		bprm->refuse_dso = false; /* only the file named */
	}
}

static void close_on_exec(void)
{
	for (unsigned fd = 0; fd < fd_table_size(); fd++)
		if (fd_get_cloexec(fd) == 1)
			sys_close(fd);
}

/* What exec resets in the thread that remains (Linux's de_thread,
 * flush_signal_handlers and exec_mm_release): the other threads are gone
 * and it takes the process's id, handled signals go back to SIG_DFL, the
 * tid and robust registrations and the sigaltstack are dropped; the mask
 * and ignored signals survive. */
static void reset_thread(void)
{
	struct task *t = current;

	for (int i = 0; i < 64; i++)
		if (current_proc.sigactions[i].handler > 1) /* not SIG_DFL/SIG_IGN */
			current_proc.sigactions[i] = (struct k_sigaction){ 0, 0, 0, 0 };
	t->tid = current_proc.pid;
	t->clear_child_tid = t->set_child_tid = (uptr){ 0 };
	t->robust_list = (uptr){ 0 };
	t->robust_len = 0;
	t->altstack = (struct linux_stack_t){ 0, 0, 0, 0 };
}

static const char *base_name(const char *s)
{
	const char *b = s;

	for (; *s; s++)
		if (*s == '/' && s[1])
			b = s + 1;
	return b;
}

long begin_new_exec(struct linux_binprm *bprm)
{
	struct mm *mm = &kernel_mm;
	long r;

	bprm->point_of_no_return = true;
	if (task_count() > 1)
		zap_other_threads();
	/* The old program's memory goes, its break with it. */
	if ((r = sys_munmap(mm->base, mm->limit - mm->base)) < 0)
		return r;
	mm->brk_start = mm->brk = mm->base;
	close_on_exec();
	reset_thread();
	posix_timers_exec(); /* exit_itimers: the interval timers stay */
	kmutex_lock(&vfs_lock);
	proc_set_exe(&bprm->file->path);
	kmutex_unlock(&vfs_lock);
	if ((r = proc_set_args(bprm->ptrs, bprm->ptrs + bprm->argc + 1)) < 0)
		return r;
	/* comm: the name exec was given (Linux's kbasename(bprm->filename)),
	 * or the file's own for execveat(fd, "", AT_EMPTY_PATH). */
	memset(current->comm, 0, sizeof current->comm);
	if (bprm->comm_from_dentry)
		strlcpy(current->comm, bprm->file->path.dentry->name, sizeof current->comm);
	else
		strlcpy(current->comm, base_name(bprm->filename), sizeof current->comm);
	prctl_exec();
	return 0;
}

/* Linux's do_execveat_common: the whole of execve and execveat. */
static long do_execveat(int fd, const char *name, struct arg_ptr argv, struct arg_ptr envp,
			int flags, struct linux_binprm *bprm)
{
	long r, argc, envc;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_EXECVE_CHECK))
		return -EINVAL;
	if ((r = open_execat(fd, name, flags & ~AT_EXECVE_CHECK, &bprm->file)) < 0)
		return r;
	/* The name the new program sees: "/dev/fd/N[/name]" for a descriptor
	 * and a relative name, which a script's interpreter cannot open again
	 * once a close-on-exec fd is gone. */
	if (fd == AT_FDCWD || name[0] == '/') {
		bprm->filename = name;
	} else {
		char *s = kmalloc(PATH_MAX + 32);

		if (!s)
			return -ENOMEM;
		if (name[0])
			ksnprintf(s, PATH_MAX + 32, "/dev/fd/%d/%s", fd, name);
		else
			ksnprintf(s, PATH_MAX + 32, "/dev/fd/%d", fd);
		bprm->filename = s;
		bprm->comm_from_dentry = !name[0];
		bprm->path_inaccessible = fd_get_cloexec((unsigned)fd) == 1;
	}
	bprm->interp = bprm->filename;
	if ((argc = count(argv)) < 0)
		return argc;
	if ((envc = count(envp)) < 0)
		return envc;
	bprm->argc = (size_t)argc;
	bprm->envc = (size_t)envc;
	if ((r = stack_limits(bprm)) < 0)
		return r;
	/* kernel_execve (abi-run's first program): the strings are known, so
	 * the buffer holds them and what scripts may add, a heap object rather
	 * than a host mapping of the 2 MiB limit made and unmapped per exec. */
	if (argv.kernel && envp.kernel)
		bprm->limit = MIN(bprm->limit, strlen(bprm->filename) + 1 + kernel_strings(argv) +
						       kernel_strings(envp) + SCRIPT_ROOM);
	bprm->max_ptrs =
		(size_t)argc + (size_t)envc + 3 + SCRIPT_EXTRA_PTRS * (BINPRM_MAX_DEPTH + 1);
	bprm->strings = kmalloc(bprm->limit);
	bprm->ptrs = kmalloc(bprm->max_ptrs * sizeof *bprm->ptrs);
	if (!bprm->strings || !bprm->ptrs)
		return -ENOMEM;
	/* Room for the AT_EXECFN string, as Linux copies it first. */
	if (strlen(bprm->filename) + 1 > bprm->limit)
		return -E2BIG;
	bprm->used = strlen(bprm->filename) + 1;
	if ((r = copy_strings(bprm, argv, bprm->argc)) < 0)
		return r;
	if (!bprm->argc) {
		/* Linux (>= 5.18) gives an empty argv one "" argv[0]. */
		if ((r = push_string(bprm, "", 0, &bprm->ptrs[bprm->nptrs++])) < 0)
			return r;
		bprm->argc = 1;
	}
	bprm->ptrs[bprm->nptrs++] = NULL;
	if ((r = copy_strings(bprm, envp, bprm->envc)) < 0)
		return r;
	bprm->ptrs[bprm->nptrs++] = NULL;
	if (flags & AT_EXECVE_CHECK)
		return 0; /* only the checks: the file is executable */
	if ((r = exec_binprm(bprm)) < 0)
		return r;
	exec_start.pending = true;
	exec_start.entry = bprm->entry;
	exec_start.sp = bprm->sp;
	return 0;
}

static void free_bprm(struct linux_binprm *bprm, const char *name)
{
	if (bprm->interpreter)
		fput(bprm->interpreter);
	if (bprm->file)
		fput(bprm->file);
	if (bprm->filename != name)
		kfree((void *)(uintptr_t)bprm->filename);
	kfree(bprm->strings);
	kfree(bprm->ptrs);
	kfree(bprm->head);
}

static long execveat_user(int fd, uptr filename, uptr argv, uptr envp, int flags)
{
	struct linux_binprm bprm = { .file = NULL };
	char *name;
	long r;

	if ((r = getname(filename, flags & AT_EMPTY_PATH, &name)) < 0)
		return r;
	r = do_execveat(fd, name, (struct arg_ptr){ .user = argv },
			(struct arg_ptr){ .user = envp }, flags, &bprm);
	if (r < 0 && bprm.point_of_no_return) {
		const char *err = abi_errno_name(-r);

		kprintf("abi: exec %s: %s (%s)\n", name, bprm.why ? bprm.why : "cannot load",
			err ? err : "error");
		plat_kill_self(SIGSEGV); /* Linux's force_fatal_sig(SIGSEGV) */
	}
	free_bprm(&bprm, name);
	kfree(name);
	return r;
}

/* sys_execve runs filename in place of the calling program; it returns
 * only on failure. */
long sys_execve(uptr filename, uptr argv, uptr envp)
{
	return execveat_user(AT_FDCWD, filename, argv, envp, 0);
}

/* sys_execveat is execve relative to fd, or of fd itself with "" and
 * AT_EMPTY_PATH (fexecve); AT_EXECVE_CHECK only checks. */
long sys_execveat(int fd, uptr filename, uptr argv, uptr envp, int flags)
{
	return execveat_user(fd, filename, argv, envp, flags);
}

long kernel_execve(const char *filename, const char *const *argv, const char *const *envp,
		   const char **why, bool *interp, bool *dso)
{
	struct linux_binprm bprm = { .file = NULL, .refuse_dso = dso != NULL };
	long r;

	if (!*filename)
		return -ENOENT;
	r = do_execveat(AT_FDCWD, filename, (struct arg_ptr){ .kernel = true, .kern = argv },
			(struct arg_ptr){ .kernel = true, .kern = envp }, 0, &bprm);
	if (why)
		*why = r < 0 ? bprm.why : NULL;
	if (interp)
		*interp = r < 0 && bprm.interp_failed;
	if (dso)
		*dso = r < 0 && bprm.is_dso;
	free_bprm(&bprm, filename);
	return r;
}
