/* exec (fs/exec.c) and its binary formats (fs/binfmt_script.c, "#!"
 * scripts; fs/binfmt_elf.c, ELF programs through the loader in loader/),
 * after Linux's include/linux/binfmts.h. */
#ifndef KERNEL_BINFMTS_H
#define KERNEL_BINFMTS_H

#include <abi/types.h>

struct file;
struct loader_image;

/* The bytes of a file exec reads to recognise its format. */
#define BINPRM_BUF_SIZE 256
#define BINPRM_HEAD_SIZE 1024
/* Linux's MAX_ARG_STRLEN: one argument or environment string, NUL included. */
#define MAX_ARG_STRLEN (32 * 4096)
/* Linux's MAX_ARG_STRINGS. */
#define MAX_ARG_STRINGS 0x7fffffff
/* How many binary formats may hand over to an interpreter ("#!" in a
 * script naming a script ...) before exec gives ELOOP. */
#define BINPRM_MAX_DEPTH 5

/* One exec in progress: the file, the new program's argv and envp in
 * kernel memory, and what the formats found. */
struct linux_binprm {
	struct file *file;        /* the file to run: the program, then its interpreter */
	struct file *interpreter; /* set by a format that hands over (binfmt_script) */
	/* The name exec was asked for, as the new program's AT_EXECFN sees it
	 * ("/dev/fd/N[/name]" for a descriptor and a relative name). */
	const char *filename;
	/* The name of file: filename, or the interpreter a script named. */
	const char *interp;
	bool path_inaccessible;    /* a "/dev/fd/N" name of a close-on-exec fd */
	bool comm_from_dentry;     /* execveat(fd, "", AT_EMPTY_PATH): comm is the file's name */
	bool point_of_no_return;   /* the old program is gone: a failure kills */
	char buf[BINPRM_BUF_SIZE]; /* the file's first bytes, zero-padded */
	/* The file's first BINPRM_HEAD_SIZE bytes (head_len of them), from the
	 * same read as buf: the ELF header and program headers, which the
	 * loader reads at its check and again at the load, come from here
	 * (a host pread each on hostfs). NULL when it could not be had. */
	char *head;
	size_t head_len;
	/* The strings, back to back, and argv[0..argc), NULL, envp[0..envc), NULL. */
	char *strings;
	size_t used, limit; /* bytes of strings, and how many they may take */
	const char **ptrs;
	size_t nptrs, max_ptrs, argc, envc;
	/* For the caller's diagnostics: the failed check, and whether it was
	 * about the program's ELF interpreter. */
	const char *why;
	bool interp_failed;
	/* kernel_execve's caller runs a shared object its own way: the file
	 * named (not a script's interpreter) is refused before the point of no
	 * return when it is one (ET_DYN, no entry point, no PT_INTERP), and
	 * is_dso says so. */
	bool refuse_dso, is_dso;
	/* Where the new program starts (binfmt_elf). */
	u64 entry, sp;
	struct loader_image *img;
};

/* The formats: 0, -ENOEXEC when the file is not theirs, or -errno. */
long load_script(struct linux_binprm *bprm);
long load_elf_binary(struct linux_binprm *bprm);

/* Opens name (relative to dfd) for exec as Linux's do_open_execat: a
 * regular file the caller may execute; flags are AT_SYMLINK_NOFOLLOW and
 * AT_EMPTY_PATH. 0 with the file in *out, or -errno. */
long open_execat(int dfd, const char *name, int flags, struct file **out);
/* Inserts a kernel string at argv[at] (binfmt_script): 0 or -E2BIG. */
long bprm_insert_arg(struct linux_binprm *bprm, size_t at, const char *s);
/* Removes argv[0] (binfmt_script). */
void bprm_remove_arg_zero(struct linux_binprm *bprm);
/* The point of no return (Linux's begin_new_exec): the old address space,
 * close-on-exec descriptors, signal handlers, the robust list and
 * clear_child_tid go; exe, comm and cmdline become the new program's.
 * From here on an error kills the process. */
long begin_new_exec(struct linux_binprm *bprm);

/* exec from the kernel itself (the platform's first program, Linux's
 * kernel_execve): argv and envp are NULL-terminated arrays of kernel
 * strings. 0 with the program loaded (abi_exec_entry says where it
 * starts), or -errno with *why (may be NULL) naming the failed check and
 * *interp true when it was about the ELF interpreter; the caller ends the
 * process when the address space was already replaced. With dso, a shared
 * object with no entry point is not loaded: -ENOEXEC with *dso true. */
long kernel_execve(const char *filename, const char *const *argv, const char *const *envp,
		   const char **why, bool *interp, bool *dso);

#endif
