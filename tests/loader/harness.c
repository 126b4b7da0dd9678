/* A native "exec without exec": load an ELF program into this process with
 * the loader in loader/, through loader_ops made of plain host mmap, and
 * jump to it with the stack the loader built. The program then runs on the
 * host kernel as if execve had started it, so its output can be compared with
 * a real exec of the same program.
 *
 *   harness [options] PATH [ARG...]   runs PATH with argv = PATH ARG...
 *   --check    only read and check the ELF file(s); map nothing
 *   --load     load and build the stack, but do not jump
 *   --copy     no map_file: copy segments in (a filesystem without mmap)
 *   --machine N  the e_machine to accept (62 x86_64, 183 aarch64; with --check)
 *   --seed N   reproducible AT_RANDOM bytes and stack gap
 *   --gap N    the stack gap below the strings (default: random < 8192)
 *   -a K=V     one more auxv entry (before AT_NULL)
 * On a refused file: one line "harness: PATH: REASON (ERRNO)" and exit 2.
 *
 * The harness is a static-pie, so the kernel puts it in the mmap area, far
 * from the fixed addresses of ET_EXEC programs (0x400000 and up). It is
 * hosted C (libc); the loader it links is not. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* kernel/include/abi/types.h names some libc types differently (loff_t,
 * timer_t); this hosted file takes only its uptr, spelled the same way. */
#define ABI_TYPES_H
typedef struct {
	uintptr_t addr;
} uptr;
#include "loader.h"

#define STACK_SIZE (8ul << 20)
#define TASK_SIZE (1ul << 47)
#define MAX_AUX 16

extern char **environ;

static uint64_t seed_state; /* 0: use getrandom */

static long neg_errno(void)
{
	return -(long)errno;
}

static int fd_of(void *file)
{
	return (int)(intptr_t)file - 1;
}
static void *file_of(int fd)
{
	return (void *)(intptr_t)(fd + 1);
}

static long host_open(void *ctx, const char *path, void **file, uint64_t *size)
{
	(void)ctx;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	struct stat st;
	if (fstat(fd, &st) < 0) {
		long err = neg_errno();
		close(fd);
		return err;
	}
	*file = file_of(fd);
	*size = (uint64_t)st.st_size;
	return 0;
}

static void host_close(void *ctx, void *file)
{
	(void)ctx;
	close(fd_of(file));
}

static long host_pread(void *ctx, void *file, void *buf, size_t len, uint64_t off)
{
	(void)ctx;
	ssize_t n = pread(fd_of(file), buf, len, (off_t)off);
	return n < 0 ? neg_errno() : n;
}

/* The ops contract (loader.h): FIXED mappings, protections and writes stay
 * inside ranges the loader reserved itself (or the stack). The harness checks
 * it, so that the fuzz test would catch a loader that clobbers its caller. */
static struct {
	uintptr_t start, end;
} owned[64];
static size_t nowned;

static void own(uintptr_t start, size_t len)
{
	if (nowned < sizeof(owned) / sizeof(owned[0]))
		owned[nowned].start = start, owned[nowned++].end = start + len;
}

static void check_owned(const char *op, uintptr_t start, size_t len)
{
	for (size_t i = 0; i < nowned; i++)
		if (start >= owned[i].start && len <= owned[i].end - start)
			return;
	fprintf(stderr, "harness: loader broke the ops contract: %s at %#lx+%#zx\n", op,
		(unsigned long)start, len);
	exit(3);
}

static long host_map_anon(void *ctx, uptr *addr, size_t len, int prot, enum loader_map_how how)
{
	(void)ctx;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	if (how == LOADER_MAP_FIXED) {
		check_owned("map_anon(FIXED)", addr->addr, len);
		flags |= MAP_FIXED;
	} else if (how == LOADER_MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED_NOREPLACE;
	void *p = mmap((void *)addr->addr, len, prot, flags, -1, 0);
	if (p == MAP_FAILED)
		return neg_errno();
	if (how != LOADER_MAP_ANYWHERE && (uintptr_t)p != addr->addr) {
		munmap(p, len); /* a kernel older than MAP_FIXED_NOREPLACE took it as a hint */
		return -EEXIST;
	}
	addr->addr = (uintptr_t)p;
	if (how != LOADER_MAP_FIXED)
		own((uintptr_t)p, len);
	return 0;
}

static long host_map_file(void *ctx, void *file, uptr addr, size_t len, int prot, uint64_t off)
{
	(void)ctx;
	check_owned("map_file", addr.addr, len);
	void *p = mmap((void *)addr.addr, len, prot, MAP_PRIVATE | MAP_FIXED, fd_of(file),
		       (off_t)off);
	return p == MAP_FAILED ? neg_errno() : 0;
}

static long host_unmap(void *ctx, uptr addr, size_t len)
{
	(void)ctx;
	check_owned("unmap", addr.addr, len);
	return munmap((void *)addr.addr, len) < 0 ? neg_errno() : 0;
}

static long host_protect(void *ctx, uptr addr, size_t len, int prot)
{
	(void)ctx;
	check_owned("protect", addr.addr, len);
	return mprotect((void *)addr.addr, len, prot) < 0 ? neg_errno() : 0;
}

static long host_copy_out(void *ctx, uptr dst, const void *src, size_t len)
{
	(void)ctx;
	check_owned("copy_out", dst.addr, len);
	memcpy((void *)dst.addr, src, len); /* guest memory is this process's */
	return 0;
}

/* The loader calls the kernel's clear_user; here guest memory is ours. */
long clear_user(uptr dst, size_t n)
{
	check_owned("clear_user", dst.addr, n);
	memset((void *)dst.addr, 0, n);
	return 0;
}

static uint64_t next_seeded(void)
{
	/* xorshift64*: reproducible, not secure; only for --seed. */
	seed_state ^= seed_state >> 12;
	seed_state ^= seed_state << 25;
	seed_state ^= seed_state >> 27;
	return seed_state * 0x2545f4914f6cdd1dull;
}

static long host_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	unsigned char *p = buf;
	if (seed_state) {
		for (size_t i = 0; i < len; i++)
			p[i] = (unsigned char)next_seeded();
		return 0;
	}
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0)
			return neg_errno();
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The host's own auxv value for key, and whether the host gave one. Read
 * from /proc/self/auxv: glibc's getauxval(AT_HWCAP) on x86_64 returns its
 * own HWCAP_X86_64 (2), not what the kernel passed. */
static int host_aux(uint64_t key, uint64_t *val)
{
	static Elf64_auxv_t auxv[64];
	static size_t n;
	if (n == 0) {
		int fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t len = read(fd, auxv, sizeof(auxv));
			n = len > 0 ? (size_t)len / sizeof(auxv[0]) : 0;
			close(fd);
		}
	}
	for (size_t i = 0; i < n && auxv[i].a_type != AT_NULL; i++) {
		if (auxv[i].a_type == key) {
			*val = auxv[i].a_un.a_val;
			return 1;
		}
	}
	*val = 0;
	return 0;
}

static uint64_t host_aux_or_0(uint64_t key)
{
	uint64_t v;
	host_aux(key, &v);
	return v;
}

/* glibc registered this thread's rseq area; the program's libc will register
 * its own, so give ours back first (else its registration fails with EBUSY). */
static void unregister_rseq(void)
{
	if (__rseq_size == 0)
		return;
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) < 0)
		syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
}

__attribute__((noreturn)) static void start_program(uint64_t entry, uint64_t sp)
{
	/* The x86_64 psABI process entry: rsp at argc, rdx = 0 (no atexit
	 * function for the program to register). */
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%edx, %%edx\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "jmp *%1"
			 :
			 : "r"(sp), "a"(entry)
			 : "memory");
	__builtin_unreachable();
}

static int refuse(const char *path, long err, const char *why, int in_interp)
{
	fprintf(stderr, "harness: %s: %s%s (%s)\n", path, in_interp ? "interpreter: " : "",
		why ? why : "failed", strerrorname_np((int)-err));
	return 2;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: harness [--check|--load] [--copy] [--machine N] [--seed N] [--gap N] "
		"[-a KEY=VAL]... PATH [ARG...]\n");
	return 2;
}

static struct loader_image img; /* ~132 KiB: not on the stack */

int main(int argc, char **argv)
{
	enum { RUN, CHECK, LOAD } mode = RUN;
	int copy = 0, have_gap = 0;
	uint16_t machine = EM_X86_64;
	uint64_t gap = 0;
	Elf64_auxv_t extra[MAX_AUX];
	size_t nextra = 0;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--check"))
			mode = CHECK;
		else if (!strcmp(a, "--load"))
			mode = LOAD;
		else if (!strcmp(a, "--machine") && i + 1 < argc)
			machine = (uint16_t)strtoul(argv[++i], 0, 0);
		else if (!strcmp(a, "--copy"))
			copy = 1;
		else if (!strcmp(a, "--seed") && i + 1 < argc)
			seed_state = strtoull(argv[++i], 0, 0) * 2 + 1;
		else if (!strcmp(a, "--gap") && i + 1 < argc)
			gap = strtoull(argv[++i], 0, 0), have_gap = 1;
		else if (!strcmp(a, "-a") && i + 1 < argc && nextra < MAX_AUX) {
			char *end;
			extra[nextra].a_type = strtoull(argv[++i], &end, 0);
			if (*end != '=')
				return usage();
			extra[nextra++].a_un.a_val = strtoull(end + 1, 0, 0);
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else
			return usage();
	}
	if (i >= argc)
		return usage();
	const char *path = argv[i];

	struct loader_ops ops = {
		.open = host_open,
		.close = host_close,
		.pread = host_pread,
		.map_anon = host_map_anon,
		.map_file = copy ? 0 : host_map_file,
		.unmap = host_unmap,
		.protect = host_protect,
		.copy_out = host_copy_out,
		.random = host_random,
	};
	struct loader_params params = {
		.machine = machine,
		.pagesize = host_aux_or_0(AT_PAGESZ),
		.task_size = TASK_SIZE,
	};
	void *file;
	uint64_t size;
	const char *why = 0;
	long err = host_open(0, path, &file, &size);
	if (err < 0)
		return refuse(path, err, "cannot open", 0);
	if (mode == CHECK) {
		err = elf_check_exec(&ops, &params, &img, file, size, &why);
		if (err < 0)
			return refuse(path, err, why, img.interp_failed);
		puts("ok");
		return 0;
	}

	/* The program runs on the host kernel, so the host's values are the
	 * truth: its hwcaps, its signal frame size, and its rseq support. */
	struct loader_args args = {
		.argv = (const char *const *)&argv[i],
		.envp = (const char *const *)environ,
		.execfn = path,
		.platform = "x86_64",
		.uid = getuid(),
		.euid = geteuid(),
		.gid = getgid(),
		.egid = getegid(),
		.secure = host_aux_or_0(AT_SECURE),
		.hwcap = host_aux_or_0(AT_HWCAP),
		.hwcap2 = host_aux_or_0(AT_HWCAP2),
		.clktck = host_aux_or_0(AT_CLKTCK),
		.minsigstksz = host_aux_or_0(AT_MINSIGSTKSZ),
	};
	uint64_t v;
	for (uint64_t key = AT_RSEQ_FEATURE_SIZE; key <= AT_RSEQ_ALIGN; key++)
		if (host_aux(key, &v) && nextra < MAX_AUX)
			extra[nextra].a_type = key, extra[nextra++].a_un.a_val = v;
	args.extra_aux = extra;
	args.n_extra_aux = nextra;
	if (!have_gap) {
		uint16_t r;
		host_random(0, &r, sizeof(r));
		gap = r % 8192; /* x86's arch_align_stack() */
	}
	args.stack_gap = gap;
	void *stack = mmap(0, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (stack == MAP_FAILED)
		return refuse(path, neg_errno(), "cannot map a stack", 0);
	own((uintptr_t)stack, STACK_SIZE);
	args.stack_top = (uptr){ (uintptr_t)stack + STACK_SIZE };
	args.stack_size = STACK_SIZE;

	struct loader_result res;
	err = elf_exec(&ops, &params, &args, &img, file, size, &res, &why);
	host_close(0, file); /* the mappings keep the file; the program must not see the fd */
	if (err < 0)
		return refuse(path, err, why, img.interp_failed);
	if (mode == LOAD) {
		printf("ok entry=%#lx sp=%#lx brk=%#lx\n", (unsigned long)res.entry.addr,
		       (unsigned long)res.sp.addr, (unsigned long)res.brk.addr);
		return 0;
	}
	fflush(0);
	unregister_rseq();
	start_program(res.entry.addr, res.sp.addr);
}
