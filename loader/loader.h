/* The ELF program loader: Linux's binfmt_elf as a library. It reads and
 * checks an executable (and its PT_INTERP interpreter), maps its PT_LOAD
 * segments and builds the initial stack, touching files and guest memory only
 * through the struct loader_ops its caller provides. Freestanding C11: no
 * libc, no allocation, no global state. loader/README.md describes the
 * interface, the stack layout and what the caller owns. */
#ifndef LOADER_LOADER_H
#define LOADER_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include <abi/types.h>

#include "elf.h"

/* Linux (6.x) reads at most 64 KiB of program headers: 1170 of them.
 * (Older kernels stopped at one page, 73.) */
#define ELF_PHDRS_MAX_SIZE 65536
#define ELF_MAX_PHNUM (ELF_PHDRS_MAX_SIZE / sizeof(Elf64_Phdr))
/* Linux's PATH_MAX bounds the PT_INTERP string, NUL included. */
#define ELF_INTERP_MAX 4096

/* How map_anon places a mapping. */
enum loader_map_how {
	LOADER_MAP_ANYWHERE,        /* *addr is a hint (0: none); the caller picks */
	LOADER_MAP_FIXED,           /* exactly *addr, replacing what the loader mapped there */
	LOADER_MAP_FIXED_NOREPLACE, /* exactly *addr, failing (-EEXIST) if anything is there */
};

/* Everything the loader does to files and to the guest address space.
 * Each returns 0 (or a count) or -errno; the loader passes errors through.
 * prot is PROT_READ|PROT_WRITE|PROT_EXEC (Linux values); every mapping is
 * private. The loader only asks for FIXED mappings inside ranges it has
 * itself mapped before (its reservation), so they never clobber the caller's. */
struct loader_ops {
	void *ctx;
	/* Open the file at path (an interpreter named by PT_INTERP) for reading;
	 * set *file and *size. May be NULL: PT_INTERP programs are then refused. */
	long (*open)(void *ctx, const char *path, void **file, uint64_t *size);
	/* Release a file open() returned. Never called on the caller's own file. */
	void (*close)(void *ctx, void *file);
	/* Read up to len bytes at off into buf (loader memory); return the count,
	 * short only at end of file. */
	long (*pread)(void *ctx, void *file, void *buf, size_t len, uint64_t off);
	/* Map len zero-filled bytes; *addr is page-aligned in, the address out. */
	long (*map_anon)(void *ctx, uptr *addr, size_t len, int prot, enum loader_map_how how);
	/* Map len bytes of file from off (both page-aligned) at addr, FIXED.
	 * May be NULL: the loader then maps anonymous memory and copies the
	 * file in with pread + copy_out (a filesystem without a page cache). */
	long (*map_file)(void *ctx, void *file, uptr addr, size_t len, int prot, uint64_t off);
	long (*unmap)(void *ctx, uptr addr, size_t len);
	long (*protect)(void *ctx, uptr addr, size_t len, int prot);
	/* Copy len bytes from loader memory to the guest: 0 or -EFAULT. */
	long (*copy_out)(void *ctx, uptr dst, const void *src, size_t len);
	/* Fill buf with len random bytes (AT_RANDOM): 0 or -errno. */
	long (*random)(void *ctx, void *buf, size_t len);
};

/* The kernel's clear_user (kernel/include/kernel/mm.h), which the loader
 * calls directly: n zero bytes to the guest at dst, 0 or -EFAULT. The
 * native test harness (tests/loader/harness.c) defines its own. */
long clear_user(uptr dst, size_t n);

/* One ELF file: its header and program headers, and, once loaded, where. */
/* The small fields first: a program with a few headers touches one page of
 * this, not also the page after the ~64 KiB array (each a host page fault
 * in abi-run). */
struct elf_binary {
	void *file;
	uint64_t size;
	uint64_t load_bias; /* added to every p_vaddr: 0 for ET_EXEC */
	uptr entry;         /* e_entry + load_bias */
	uptr phdr_addr;     /* where the program headers are in memory (AT_PHDR) */
	uptr end;           /* page-aligned end of the highest segment */
	Elf64_Ehdr ehdr;
	Elf64_Phdr phdr[ELF_MAX_PHNUM];
};

/* What the caller decides about a load. */
struct loader_params {
	uint16_t machine;   /* EM_X86_64, or EM_AARCH64 for the emulator */
	uint64_t pagesize;  /* a power of two: 4096 on x86_64 */
	uptr dyn_base;      /* preferred base of an ET_DYN program (0: anywhere);
	                    * Linux uses ELF_ET_DYN_BASE with an interpreter and
	                    * the mmap area without. Interpreters go anywhere. */
	uint64_t task_size; /* end of the user address space (1 << 47 on x86_64) */
};

/* The initial stack's contents. argv and envp are NULL-terminated arrays of
 * strings in loader memory (execve's caller copies them in first). */
struct loader_args {
	const char *const *argv;
	const char *const *envp;
	const char *execfn;   /* AT_EXECFN: the path given to execve */
	const char *platform; /* AT_PLATFORM: "x86_64"; NULL omits it */
	uint64_t uid, euid, gid, egid, secure;
	uint64_t hwcap, hwcap2, clktck, minsigstksz, flags;
	/* Extra auxv entries, placed after the standard ones and before AT_NULL
	 * (where Linux puts AT_RSEQ_*): e.g. the kernel's function-call entry. */
	const Elf64_auxv_t *extra_aux;
	size_t n_extra_aux;
	/* The stack: [stack_top - stack_size, stack_top), mapped writable by the
	 * caller. stack_gap is the distance Linux's arch_align_stack() leaves
	 * below the strings (random, < 8192, on Linux; 0 for reproducible runs). */
	uptr stack_top;
	uint64_t stack_size;
	uint64_t stack_gap;
};

/* What exec produced: where to start and what the kernel keeps (mm->...). */
struct loader_result {
	uptr entry;       /* jump here: the interpreter's entry, or the program's */
	uptr sp;          /* initial stack pointer, 16-byte aligned, at argc */
	uptr prog_entry;  /* AT_ENTRY */
	uptr phdr;        /* AT_PHDR */
	uptr interp_base; /* AT_BASE: 0 without an interpreter */
	uptr brk;         /* page-aligned end of the program: start_brk */
	uptr arg_start, arg_end, env_start, env_end; /* /proc/pid/cmdline, environ */
	uptr auxv;                                   /* the auxv on the stack (/proc/pid/auxv) */
	uint64_t auxv_len;                           /* its length in bytes, AT_NULL included */
	uptr random;                                 /* the 16 AT_RANDOM bytes */
};

/* The loader's working memory for one exec: the caller provides it (about
 * 132 KiB, mostly the two program header tables; the kernel allocates it,
 * a test may use a static). */
struct loader_image {
	int has_interp;
	int interp_failed; /* the error (and *why) is about the interpreter */
	int abi_note;      /* the program or its interpreter has the ABI note
	                    * (elf_check_exec; elf.h ABI_NOTE_*) */
	struct elf_binary prog;
	char interp_path[ELF_INTERP_MAX];
	struct elf_binary interp;
};

/* The functions below return 0 or -errno (-ENOEXEC for a malformed or foreign
 * file) and, on failure, set *why to a short static message naming the check
 * that failed. */

long elf_check_header(const Elf64_Ehdr *ehdr, uint16_t machine, const char **why);
long elf_read_phdrs(const struct loader_ops *ops, struct elf_binary *bin, const char **why);
long elf_check_segments(const struct elf_binary *bin, const struct loader_params *params,
			const char **why);
long elf_find_interp(const struct loader_ops *ops, const struct elf_binary *bin, char *path,
		     size_t path_size, const char **why);
long elf_read_binary(const struct loader_ops *ops, const struct loader_params *params,
		     struct elf_binary *bin, void *file, uint64_t size, const char **why);
/* Whether a PT_NOTE segment of bin holds a note of this owner and type
 * (whose descriptor is at least 4 bytes): 1 or 0. A malformed note segment
 * is no note. */
int elf_has_note(const struct loader_ops *ops, const struct elf_binary *bin, const char *owner,
		 uint32_t type);
long elf_map_segment(const struct loader_ops *ops, const struct elf_binary *bin,
		     const Elf64_Phdr *phdr, uint64_t pagesize, const char **why);
long elf_load_binary(const struct loader_ops *ops, const struct loader_params *params,
		     struct elf_binary *bin, uptr base, const char **why);
long create_elf_tables(const struct loader_ops *ops, const struct loader_params *params,
		       const struct loader_args *args, const struct loader_image *img,
		       struct loader_result *res, const char **why);

/* Every check of the program and its interpreter, without mapping anything. */
long elf_check_exec(const struct loader_ops *ops, const struct loader_params *params,
		    struct loader_image *img, void *file, uint64_t size, const char **why);
/* The whole of exec after the point of no return, like Linux's
 * load_elf_binary: check, load the program and its interpreter, build the
 * stack. On failure the address space may hold partial mappings: the caller
 * discards it (Linux kills the process). */
long elf_exec(const struct loader_ops *ops, const struct loader_params *params,
	      const struct loader_args *args, struct loader_image *img, void *file, uint64_t size,
	      struct loader_result *res, const char **why);

#endif
