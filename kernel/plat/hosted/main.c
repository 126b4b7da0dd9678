/* abi-run's start-up: parse the options, boot the kernel, install the
 * fault and SIGSYS handlers, set up the filesystem, have the kernel exec
 * the program (kernel_execve: the same code as the guest's execve), arm
 * Syscall User Dispatch and jump to the entry point. From then on the
 * program runs natively on this host thread and every syscall it makes is
 * the kernel's; when it execs, the SIGSYS handler resumes it in the new
 * program (trap.c). A shared object with a main runs under the .so
 * launcher. options.c parses the command line, fs.c sets up the guest's
 * filesystem, output.c writes abi-run's own messages. */
#include <abi/boot.h>
#include <kernel/signal.h>
#include <kernel/binfmts.h>
#include <kernel/fd.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include "loader.h"
#include "../linux/syscall.h"
#include "../plat.h"
#include "hosted.h"

static const char *guest_argv[HOSTED_MAX_ARGS + 1];
static char prog_path[4096];

/* pread for the loader's header functions (so_launcher). */
static long read_op(void *ctx, void *file, void *buf, size_t len, uint64_t off)
{
	s64 pos = (s64)off;

	(void)ctx;
	return kernel_read(file, buf, len, &pos);
}

/* Whether the object's DT_NEEDED names musl's libc ("libc.so", Debian's and
 * musl-compat's soname, or Alpine's "libc.musl-x86_64.so.1"): an object
 * built with abi-cc -shared or musl-gcc -shared. The dynamic section's
 * strings are found through the PT_LOAD that maps DT_STRTAB. */
static bool needs_musl(struct file *f, const struct elf_binary *bin)
{
	enum { DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5 };
	static struct {
		s64 d_tag;
		u64 d_val;
	} dyn[512]; /* Elf64_Dyn */
	const Elf64_Phdr *dp = NULL;
	u64 strtab = 0, stroff = 0;
	size_t n;
	bool found = false;

	for (unsigned i = 0; i < bin->ehdr.e_phnum; i++)
		if (bin->phdr[i].p_type == PT_DYNAMIC)
			dp = &bin->phdr[i];
	if (!dp)
		return false;
	n = (size_t)MIN(dp->p_filesz, sizeof dyn);
	if (read_op(NULL, f, dyn, n, dp->p_offset) != (long)n)
		return false;
	n /= sizeof *dyn;
	for (size_t i = 0; i < n && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = dyn[i].d_val;
	for (unsigned i = 0; i < bin->ehdr.e_phnum && !found; i++) {
		const Elf64_Phdr *ph = &bin->phdr[i];

		if (ph->p_type == PT_LOAD && strtab >= ph->p_vaddr &&
		    strtab - ph->p_vaddr < ph->p_filesz) {
			stroff = strtab - ph->p_vaddr + ph->p_offset;
			found = true;
		}
	}
	for (size_t i = 0; found && i < n && dyn[i].d_tag != DT_NULL; i++) {
		char name[32] = { 0 };

		if (dyn[i].d_tag != DT_NEEDED ||
		    read_op(NULL, f, name, sizeof name - 1, stroff + dyn[i].d_val) <= 0)
			continue;
		if (strcmp(name, "libc.so") == 0 || strncmp(name, "libc.musl-", 10) == 0)
			return true;
	}
	return false;
}

/* The launcher of a shared object, not a program (a valid ET_DYN file
 * without an interpreter or an entry point: a static-pie has an entry), or
 * NULL: so-launcher-musl for an object built against musl,
 * so-launcher-compat for a glibc-built one under --libc=musl-compat (or a
 * glibc PIE: ET_DYN with an interpreter), so-launcher (glibc) for the rest. */
static const char *so_launcher(const char *path)
{
	static const struct loader_ops ops = { .pread = read_op };
	static const struct loader_params params = {
		.machine = EM_X86_64,
		.pagesize = PAGE_SIZE,
		.task_size = 1UL << 47,
	};
	static struct elf_binary bin; /* ~64 KiB of program headers */
	const char *why, *launcher = NULL;
	struct file *f;

	if (filp_open(path, O_RDONLY, 0, &f) < 0)
		return NULL;
	if (elf_read_binary(&ops, &params, &bin, f, (uint64_t)f->inode->size, &why) == 0 &&
	    bin.ehdr.e_type == ET_DYN) {
		bool interp = false;

		for (unsigned i = 0; i < bin.ehdr.e_phnum; i++)
			interp |= bin.phdr[i].p_type == PT_INTERP;
		if (needs_musl(f, &bin))
			launcher = !interp && bin.ehdr.e_entry == 0 ? "so-launcher-musl" : NULL;
		else if (hosted_opts.musl_compat && (interp || bin.ehdr.e_entry == 0))
			launcher = "so-launcher-compat"; /* a glibc .so or PIE */
		else if (!interp && bin.ehdr.e_entry == 0)
			launcher = "so-launcher";
	}
	fput(f);
	return launcher;
}

/* Runs `LAUNCHER APP.so ARG...` instead (OSv style: the launcher, built
 * beside abi-run, loads the object and calls its main). */
static void run_with_launcher(const char *name, int nargs)
{
	static char launcher[4096], so_path[4096];
	long n = host_syscall3(HOST_NR(readlink), "/proc/self/exe", launcher, sizeof launcher - 1);
	char *slash;

	if (n <= 0 || nargs + 1 >= HOSTED_MAX_ARGS)
		hosted_die("%s: cannot find the .so launcher", guest_argv[0]);
	launcher[n] = 0;
	slash = launcher + n;
	while (slash > launcher && slash[-1] != '/')
		slash--;
	strlcpy(slash, name, sizeof launcher - (size_t)(slash - launcher));
	memmove(guest_argv + 1, guest_argv, (size_t)(nargs + 1) * sizeof *guest_argv);
	strlcpy(so_path, prog_path, sizeof so_path);
	guest_argv[0] = launcher;
	guest_argv[1] = so_path;
	strlcpy(prog_path, launcher, sizeof prog_path);
}

/* The FPU's initial state, for XRSTOR (or FXRSTOR): FCW 0x37f (bytes 0-1),
 * MXCSR 0x1f80 (bytes 24-27), every register 0, and an XSAVE header (at
 * 512) whose XSTATE_BV of 0 puts each component XRSTOR loads in its
 * initial state (those components' own areas are not read). */
static u8 fpu_init_area[1024] __attribute__((aligned(64))) = { 0x7f, 0x03, [24] = 0x80, 0x1f };
static u64 entry_rip, entry_sp;

/* The components XRSTOR puts in their initial state at the entry: x87, SSE,
 * AVX, MPX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM). Not PKRU, which keeps
 * the value Linux gave abi-run (Linux's default for a new process), nor
 * the XFD-guarded AMX tiles, which abi-run has no permission for. */
#define ENTRY_XSTATE 0xffu
#define XFEATURES_FPSSE 3u

/* Those of them the host enables (XCR0's), or 0 where it has no XSAVE and
 * the entry uses FXRSTOR. Linux >= 5.16 tells with arch_prctl (an x87 and
 * SSE host without XSAVE says only those two, where FXRSTOR does the
 * same); older hosts are asked with CPUID (OSXSAVE) and XGETBV. Not CPUID
 * first: under virtualization it traps to the hypervisor, several µs of
 * every start here (docs/BENCHMARKS.md). Asked before confinement. */
static u32 entry_xstate(void)
{
	u64 supp = 0;
	u32 r[4] = { 0, 0, 0, 0 }, lo = 0, hi = 0;

	if (host_syscall2(HOST_NR(arch_prctl), ARCH_GET_XCOMP_SUPP, &supp) == 0)
		return supp & ~(u64)XFEATURES_FPSSE ? (u32)supp & ENTRY_XSTATE : 0;
	if (!plat_cpuid(1, r) || !(r[2] & (1u << 27))) /* OSXSAVE */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	return lo & ENTRY_XSTATE;
}

/* The x86_64 psABI process entry, with every register as Linux's execve
 * leaves it (observed by tests/hosted/test_regs.py): rsp at argc, every
 * other general register 0 (rdx 0: no atexit function for the program to
 * register), rflags 0x202 (IF and the always-one bit), the x87, SSE, AVX
 * and AVX-512 registers in their initial state, no FS base and no GS base
 * (unless the program takes the function-call entry: fast.c). Nothing of abi-run's is left in a register: an address of
 * its text would tell the program where its syscall instructions are. The
 * entry point and the stack are read from memory (rip-relative), so no
 * register holds them either. */
static _Noreturn void start_program(u64 entry, u64 sp, u32 xstate)
{
	u32 lo = xstate, hi = 0;
	bool xsave = xstate != 0;

	entry_rip = entry;
	entry_sp = sp;
	__asm__ volatile("test %%ecx, %%ecx\n\t"
			 "jz 1f\n\t"
			 "xrstor %[fpu]\n\t"
			 "jmp 2f\n"
			 "1:\tfxrstor %[fpu]\n"
			 "2:\txor %%eax, %%eax\n\t"
			 "xor %%ebx, %%ebx\n\t"
			 "xor %%ecx, %%ecx\n\t"
			 "xor %%edx, %%edx\n\t"
			 "xor %%esi, %%esi\n\t"
			 "xor %%edi, %%edi\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "xor %%r8d, %%r8d\n\t"
			 "xor %%r9d, %%r9d\n\t"
			 "xor %%r10d, %%r10d\n\t"
			 "xor %%r11d, %%r11d\n\t"
			 "xor %%r12d, %%r12d\n\t"
			 "xor %%r13d, %%r13d\n\t"
			 "xor %%r14d, %%r14d\n\t"
			 "xor %%r15d, %%r15d\n\t"
			 "pushq $0x202\n\t"
			 "popfq\n\t"
			 "mov %[sp], %%rsp\n\t"
			 "jmp *%[rip]"
			 :
			 : "a"(lo), "d"(hi), "c"((u32)xsave), [fpu] "m"(fpu_init_area),
			   [sp] "m"(entry_sp), [rip] "m"(entry_rip)
			 : "memory");
	__builtin_unreachable();
}

/* Boots the kernel with what a child of this process would inherit
 * (hosted_boot_inherit) in the range start.c reserved. */
static void boot(void)
{
	struct abi_boot_args boot = { .size = sizeof boot };
	long r;

	hosted_boot_inherit(&boot);
	/* Linux's whole user range, which start.c reserved, less abi-run's region */
	if (!hosted_region.guest_ok)
		hosted_die("cannot reserve the guest's 128 TiB address space (PROT_NONE: is "
			   "RLIMIT_AS, ulimit -v, limited?); abi-run at 0x%lx, %s",
			   (unsigned long)hosted_region.image,
			   hosted_region.in_region ? "in its region" : "outside its region");
	boot.flags = ABI_BOOT_HOST_CREDS | ABI_BOOT_GUEST_RESERVED | ABI_BOOT_OWN_FAULTS;
	boot.guest_base = hosted_region.guest_base;
	boot.guest_size = HOSTED_GUEST_END - hosted_region.guest_base;
	boot.hole_base = HOSTED_REGION_BASE;
	boot.hole_size = HOSTED_REGION_SIZE;
	boot.mmap_min_addr = hosted_region.mmap_min_addr;
	/* No argv or envp: the exec that follows sets the program's (a copy
	 * made here would be replaced before anything reads it). */
	if ((r = abi_boot(&boot)) < 0)
		hosted_die("kernel boot failed: %s", hosted_errname(r));
}

_Noreturn void hosted_main(u64 *sp);
_Noreturn void hosted_main(u64 *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	const char *prog, *why = NULL, *launcher;
	bool force = false, interp = false, dso = false;
	int nargs, n;
	u64 entry, start_sp;
	u32 xstate;
	long r;

	PROF("main");
	prog = hosted_command(argc, argv, envp, guest_argv, &nargs);
	PROF("options");

	/* ABI_HOSTED_NO_SUD (in abi-run's own environment) forces the check to
	 * fail, so the message path is testable on a host that has SUD. */
	for (n = 0; envp[n]; n++)
		if (strncmp(envp[n], "ABI_HOSTED_NO_SUD=", 18) == 0)
			force = true;
	plat_linux_host_auxv((const u64 *)(envp + n + 1)); /* the auxv follows envp */
	if ((r = hosted_sud_probe(force)) < 0)
		hosted_die(
			"this host has no Syscall User Dispatch (Linux >= 5.11 with "
			"CONFIG_GENERIC_ENTRY): prctl(PR_SET_SYSCALL_USER_DISPATCH) failed with %s",
			hosted_errname(r));

	PROF("path, sud probe");
	boot();
	PROF("boot");
	/* The handlers first: a fault while loading is reported too. */
	if ((r = hosted_trap_install()) < 0)
		hosted_die("SIGSYS handler: %s", hosted_errname(r));
	PROF("trap install");
	hosted_setup_console();
	PROF("console");
	hosted_confine_mounts(&prog);
	hosted_setup_fs(prog, prog_path, sizeof prog_path);
	PROF("fs");
	/* --libc=musl-compat: a glibc-built shared object or PIE, always under
	 * the compat launcher. Otherwise a shared object with a main (no entry
	 * point) is refused before it is loaded, and runs under its launcher:
	 * the exec's own read of the file tells, so a program costs no second
	 * open. */
	if (hosted_opts.musl_compat) {
		if (!(launcher = so_launcher(prog_path)))
			hosted_die("%s: --libc=musl-compat runs a glibc-built shared object with a "
				   "main or PIE; this is neither",
				   guest_argv[0]);
		run_with_launcher(launcher, nargs);
	}
	r = kernel_execve(prog_path, guest_argv, hosted_guest_env, &why, &interp, &dso);
	if (r < 0 && dso && (launcher = so_launcher(prog_path))) {
		run_with_launcher(launcher, nargs);
		r = kernel_execve(prog_path, guest_argv, hosted_guest_env, &why, &interp, NULL);
	}
	hosted_started(guest_argv[0], r, why, interp, &entry, &start_sp);
	PROF("execve");
	if (hosted_opts.verbose)
		hosted_printf(2,
			      "abi-run: %s: entry 0x%lx, sp 0x%lx, brk 0x%lx (abi-run's image at "
			      "0x%lx)\n",
			      prog_path, (unsigned long)entry, (unsigned long)start_sp,
			      (unsigned long)kernel_mm.brk, (unsigned long)hosted_region.image);
	hosted_fast_prepare(NULL); /* a kick, if the program takes the entry */
	hosted_fast_thread(hosted_kstack_top(current));
	hosted_trace_start(); /* reads the host's core-dump settings: before confinement */
	if (hosted_opts.trace)
		signal_trace_hook = hosted_trace_signal;
	xstate = entry_xstate();
	PROF("trace start");
	hosted_confine();
	PROF("confine");
	/* at once where the end is reported or the entry bypasses the traps;
	 * otherwise before the first guest call that needs it (thread.c) */
	if ((hosted_opts.trace || hosted_opts.stats || hosted_opts.report_fd >= 0 ||
	     current_proc.fastcall) &&
	    (r = hosted_sigthread_start(NULL)) < 0)
		hosted_die("cannot start the signal thread: %s", hosted_errname(r));
	PROF("sigthread");
	if ((r = hosted_sud_enable()) < 0)
		hosted_die("this host has no Syscall User Dispatch: prctl failed with %s",
			   hosted_errname(r));
	PROF("sud enable");
	start_program(entry, start_sp, xstate);
}
