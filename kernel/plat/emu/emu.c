/* The emulated platform's engine (emu.h): abi-run's start-up with the
 * program's instructions run by unicorn. The syscall hook serves each call
 * with abi_syscall_arch, as abi-run's SIGSYS handler does (trap.c), with
 * the same trace lines (trace.c) and the same signal delivery; the memory
 * hook turns an access the engine refuses into the guest's SIGSEGV; the
 * kernel's address-space changes are mirrored into the engine through
 * plat_mem_hook. */
#include <abi/boot.h>
#include <abi/syscalls.h>
#include <abi/trace_meta.h>
#include <kernel/binfmts.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include "../linux/syscall.h"
#include "../hosted/hosted.h"
#include "emu.h"

#define EMU_GUEST_END 0x500000000000UL /* below the Python process's own image */
#define EMU_UNTIL (~0ULL)              /* an address no pc reaches: run until stopped */

static const struct emu_uc_api *uc;
static const struct emu_arch *arch;
static const struct emu_frame_ops *ops;
static u64 max_insns;
static bool counting;
static u64 guest_lo, guest_hi;

/* Every engine, for plat_mem_hook (under the kernel lock). */
#define EMU_MAX_CPUS 256
static struct emu_cpu *cpus[EMU_MAX_CPUS];
static int ncpus;
static struct emu_cpu boot_cpu;
static u64 total_insns, total_syscalls;

const struct emu_arch *emu_arch(void)
{
	return arch;
}

struct emu_cpu *emu_current(void)
{
	return current->plat;
}

static u64 *regs_of(struct emu_cpu *cpu)
{
	return ops->regs(cpu);
}

static void regs_load(struct emu_cpu *cpu)
{
	u64 *r = regs_of(cpu);
	void *vals[EMU_MAX_REGS];

	for (int i = 0; i < arch->nregs; i++)
		vals[i] = &r[i];
	uc->reg_read_batch(cpu->uc, arch->regs, vals, arch->nregs);
}

static void regs_store(struct emu_cpu *cpu)
{
	u64 *r = regs_of(cpu);
	void *vals[EMU_MAX_REGS];

	for (int i = 0; i < arch->nregs; i++)
		vals[i] = &r[i];
	uc->reg_write_batch(cpu->uc, arch->regs, vals, arch->nregs);
}

/* --- Memory: the kernel's map, mirrored ------------------------------ */

/* Linux's x86 and arm64 make written and executed pages readable. */
static u32 uc_perms(int prot)
{
	u32 p = (u32)prot & (PROT_READ | PROT_WRITE | PROT_EXEC);

	return p & (PROT_WRITE | PROT_EXEC) ? p | PROT_READ : p;
}

/* Unmaps whatever the engine has in [a, a + len). */
static void engine_unmap(void *e, u64 a, u64 len)
{
	struct uc_mem_region_s *rg = NULL;
	u32 n = 0;

	if (uc->mem_regions(e, &rg, &n) != 0)
		return;
	for (u32 i = 0; i < n; i++) {
		u64 lo = MAX(rg[i].begin, a), hi = MIN(rg[i].end + 1, a + len);

		if (lo < hi)
			uc->mem_unmap(e, lo, hi - lo);
	}
	uc->free(rg);
}

static void engine_map(void *e, u64 a, u64 len, int prot)
{
	engine_unmap(e, a, len);
	uc->mem_map_ptr(e, a, len, uc_perms(prot), (void *)(uintptr_t)a);
}

/* The pages of [from, from + len) go to `to`, with the protection each
 * piece had. */
static void engine_move(void *e, u64 from, u64 len, u64 to)
{
	struct uc_mem_region_s *rg = NULL;
	u32 n = 0;

	if (uc->mem_regions(e, &rg, &n) != 0)
		return;
	engine_unmap(e, to, len);
	for (u32 i = 0; i < n; i++) {
		u64 lo = MAX(rg[i].begin, from), hi = MIN(rg[i].end + 1, from + len);

		if (lo < hi) {
			uc->mem_unmap(e, lo, hi - lo);
			uc->mem_map_ptr(e, to + (lo - from), hi - lo, rg[i].perms,
					(void *)(uintptr_t)(to + (lo - from)));
		}
	}
	uc->free(rg);
}

static void mem_hook(int op, uintptr_t addr, size_t len, int prot, uintptr_t to)
{
	if (addr < guest_lo || addr + len > guest_hi || !len)
		return; /* kernel memory (a kernel stack), never the guest's */
	for (int i = 0; i < ncpus; i++) {
		void *e = cpus[i]->uc;

		switch (op) {
		case PLAT_MEM_MAP:
			engine_map(e, addr, len, prot);
			break;
		case PLAT_MEM_UNMAP:
			engine_unmap(e, addr, len);
			break;
		case PLAT_MEM_PROTECT:
			if (uc->mem_protect(e, addr, len, uc_perms(prot)) != 0)
				engine_map(e, addr, len, prot);
			break;
		case PLAT_MEM_MOVE:
			engine_move(e, addr, len, to);
			break;
		}
	}
}

static long tls_hook(bool set, u64 *base)
{
	struct emu_cpu *cpu = emu_current();
	void *val = base;

	if (!cpu)
		return -EINVAL;
	if (set)
		return uc->reg_write_batch(cpu->uc, &arch->reg_tls, &val, 1) ? -EINVAL : 0;
	return uc->reg_read_batch(cpu->uc, &arch->reg_tls, &val, 1) ? -EINVAL : 0;
}

/* --- Entries from guest code ----------------------------------------- */

/* The kernel's view of the guest at an entry: the lock, the registers. */
static void enter(struct emu_cpu *cpu)
{
	kernel_enter();
	regs_load(cpu);
	current->frame = cpu->frame;
	current->user_sp = regs_of(cpu)[arch->i_sp];
}

/* Back to the guest: the registers, and a stop when the pc moved (an exec,
 * a handler, rt_sigreturn), so the engine starts afresh there. */
static void leave(struct emu_cpu *cpu, u64 pc_in)
{
	u64 *r = regs_of(cpu);

	regs_store(cpu);
	kernel_leave();
	if (r[arch->i_pc] != pc_in) {
		cpu->stopping = true;
		uc->emu_stop(cpu->uc);
	}
}

static void on_syscall(struct emu_cpu *cpu)
{
	u64 *r;
	long nr, a[6], ret;
	int id;
	bool exec;
	struct hosted_trace_pending pend;
	bool two_step;
	u64 entry, sp, pc_in;

	enter(cpu);
	r = regs_of(cpu);
	r[arch->i_pc] += (u64)arch->hook_pc_offset;
	pc_in = r[arch->i_pc];
	nr = (long)r[arch->i_nr];
	for (int i = 0; i < 6; i++)
		a[i] = (long)r[arch->i_args[i]];
	id = abi_sys_id(arch->abi_arch, nr);
	exec = id == ABI_SYS_execve || id == ABI_SYS_execveat;
	cpu->syscalls++;
	__atomic_fetch_add(&total_syscalls, 1, __ATOMIC_RELAXED);
	if ((id == ABI_SYS_exit || id == ABI_SYS_exit_group) && hosted_opts.trace)
		hosted_trace_noreturn(nr, a);
	two_step = hosted_opts.trace && hosted_trace_prepare(&pend, nr, a);
	ret = abi_syscall_arch(arch->abi_arch, nr, a);
	if (two_step)
		hosted_trace_finish(&pend, ret);
	else if (hosted_opts.trace)
		hosted_trace(nr, a, ret);
	if (exec && ret == 0 && abi_exec_entry(&entry, &sp)) {
		ops->entry(cpu, entry, sp);
		ops->signals(cpu, false, 0, 0);
	} else if (id == ABI_SYS_rt_sigreturn) {
		r[arch->i_ret] = (u64)ret; /* the restored result: no restart */
		ops->signals(cpu, false, 0, 0);
	} else {
		ops->signals(cpu, true, nr, ret);
	}
	/* unicorn adds hook_pc_offset itself once the hook returns */
	r[arch->i_pc] -= (u64)arch->hook_pc_offset;
	leave(cpu, pc_in - (u64)arch->hook_pc_offset);
}

static void on_syscall_insn(void *e, void *user)
{
	(void)e;
	on_syscall(user);
}

/* A fault the run loop turns into the guest's signal. */
static void record_fault(struct emu_cpu *cpu, int sig, int code, u64 addr)
{
	if (!cpu->fault_sig) {
		cpu->fault_sig = sig;
		cpu->fault_code = code;
		cpu->fault_addr = addr;
	}
}

static void on_intr(void *e, u32 intno, void *user)
{
	struct emu_cpu *cpu = user;

	if (arch->hook_type == uc->hook_intr && (int)intno == arch->intno) {
		on_syscall(cpu);
		return;
	}
	/* x86's int3 is a SIGTRAP; any other trap the engine raises is the
	 * general protection fault Linux answers with SIGSEGV, SI_KERNEL. */
	if (ops->trap)
		ops->trap(cpu, intno);
	else
		record_fault(cpu, SIGSEGV, SI_KERNEL, 0);
	cpu->stopping = true;
	uc->emu_stop(e);
}

static bool on_mem_invalid(void *e, int type, u64 addr, int size, s64 value, void *user)
{
	struct emu_cpu *cpu = user;
	bool unmapped = type == uc->mem_read_unmapped || type == uc->mem_write_unmapped ||
			type == uc->mem_fetch_unmapped;

	(void)e, (void)size, (void)value;
	record_fault(cpu, SIGSEGV, unmapped ? SEGV_MAPERR : SEGV_ACCERR, addr);
	cpu->fault_write = type == uc->mem_write_unmapped || type == uc->mem_write_prot;
	cpu->fault_fetch = type == uc->mem_fetch_unmapped || type == uc->mem_fetch_prot;
	return false;
}

static bool on_insn_invalid(void *e, void *user)
{
	struct emu_cpu *cpu = user;
	u64 pc = 0;
	void *val = &pc;

	uc->reg_read_batch(e, &arch->regs[arch->i_pc], &val, 1);
	record_fault(cpu, SIGILL, ILL_ILLOPN, pc);
	return false;
}

static void on_code(void *e, u64 addr, u32 size, void *user)
{
	struct emu_cpu *cpu = user;

	(void)addr, (void)size;
	cpu->insns++;
	if (max_insns && __atomic_add_fetch(&total_insns, 1, __ATOMIC_RELAXED) > max_insns) {
		/* --max-insns: the guest has used up its budget, as a process
		 * past RLIMIT_CPU's soft limit: SIGXCPU */
		record_fault(cpu, SIGXCPU, SI_KERNEL, 0);
		cpu->stopping = true;
		uc->emu_stop(e);
	}
}

/* --- Engines and the run loop ----------------------------------------- */

static long engine_open(struct emu_cpu *cpu)
{
	size_t hh;
	int err;

	if ((err = uc->open(arch->uc_arch, arch->uc_mode, &cpu->uc)) != 0)
		return -ENOMEM;
	if (arch->hook_type == uc->hook_insn)
		uc->hook_add(cpu->uc, &hh, uc->hook_insn, (void *)on_syscall_insn, cpu, 1, 0,
			     arch->hook_insn);
	uc->hook_add(cpu->uc, &hh, uc->hook_intr, (void *)on_intr, cpu, 1, 0);
	uc->hook_add(cpu->uc, &hh, uc->hook_mem_invalid, (void *)on_mem_invalid, cpu, 1, 0);
	uc->hook_add(cpu->uc, &hh, uc->hook_insn_invalid, (void *)on_insn_invalid, cpu, 1, 0);
	if (counting || max_insns)
		uc->hook_add(cpu->uc, &hh, uc->hook_code, (void *)on_code, cpu, 1, 0);
	if (ncpus == EMU_MAX_CPUS)
		return -EAGAIN;
	cpus[ncpus++] = cpu;
	return ops->init(cpu);
}

/* A fault becomes the guest's signal, with Linux's si_code and si_addr. */
static void deliver_fault(struct emu_cpu *cpu)
{
	struct linux_siginfo info;
	u64 pc_in;

	enter(cpu);
	pc_in = regs_of(cpu)[arch->i_pc];
	memset(&info, 0, sizeof info);
	info.si_signo = cpu->fault_sig;
	info.si_code = cpu->fault_code;
	info.fault.addr = cpu->fault_addr;
	if (ops->fault)
		ops->fault(cpu);
	if (hosted_opts.verbose)
		hosted_printf(
			2, "abi-run: the program faulted: signal %d at pc 0x%lx, address 0x%lx\n",
			cpu->fault_sig, (unsigned long)pc_in, (unsigned long)cpu->fault_addr);
	cpu->fault_sig = 0;
	force_signal(info.si_signo, &info);
	ops->signals(cpu, false, 0, 0);
	regs_store(cpu);
	kernel_leave();
}

static void run(struct emu_cpu *cpu)
{
	for (;;) {
		u64 pc = 0;
		void *val = &pc;
		int err;

		uc->reg_read_batch(cpu->uc, &arch->regs[arch->i_pc], &val, 1);
		cpu->fault_sig = 0;
		cpu->stopping = false;
		err = uc->emu_start(cpu->uc, pc, EMU_UNTIL, 0, 0);
		if (!err && !cpu->fault_sig && !cpu->stopping) {
			/* it stopped by itself: x86's hlt */
			if (ops->trap)
				ops->trap(cpu, EMU_TRAP_HALT);
			else
				record_fault(cpu, SIGSEGV, SI_KERNEL, 0);
		}
		if (cpu->fault_sig) {
			deliver_fault(cpu);
		} else if (err) {
			/* an engine error no hook saw: the guest's SIGILL */
			if (hosted_opts.verbose)
				hosted_printf(2, "abi-run: unicorn: %s\n", uc->strerror(err));
			uc->reg_read_batch(cpu->uc, &arch->regs[arch->i_pc], &val, 1);
			record_fault(cpu, SIGILL, ILL_ILLOPN, pc);
			deliver_fault(cpu);
		}
	}
}

__attribute__((weak)) const struct emu_frame_ops *emu_frame_aarch64(void)
{
	return NULL;
}

/* --- The platform's guest half ---------------------------------------- */

static long emu_thread_start(struct task *t, u64 sp, bool settls, u64 tls)
{
	(void)t, (void)sp, (void)settls, (void)tls;
	return -ENOSYS; /* threads: not yet */
}

static long emu_sigreturn(void)
{
	return ops->sigreturn(emu_current());
}

static void emu_kick(struct task *t)
{
	struct emu_cpu *cpu = t->plat;

	if (cpu && cpu->uc) {
		cpu->stopping = true;
		uc->emu_stop(cpu->uc);
	}
}

static _Noreturn void emu_thread_exit(int code)
{
	(void)code;
	plat_abort("emu: thread exit without threads");
}

static const struct plat_guest emu_guest = {
	.thread_start = emu_thread_start,
	.sigreturn = emu_sigreturn,
	.kick = emu_kick,
	.thread_exit = emu_thread_exit,
};

/* options.c's --sandbox-info belongs to abi-run's confinement, which the
 * emulated platform does not have. */
_Noreturn void hosted_sandbox_info(void)
{
	hosted_die("--sandbox-info: abi-run --emu runs without confinement");
}

static void at_exit(void)
{
	total_insns = 0;
	for (int i = 0; i < ncpus; i++)
		total_insns += cpus[i]->insns;
	if (counting)
		hosted_printf(hosted_opts.trace_fd,
			      "abi-run: --count: %lu instructions, %lu syscalls\n",
			      (unsigned long)total_insns, (unsigned long)total_syscalls);
}

static const char *guest_argv[HOSTED_MAX_ARGS + 1];
static char prog_path[4096];

static void boot(void)
{
	struct abi_boot_args b = { .size = sizeof b };
	long um = host_syscall1(HOST_NR(umask), 022);
	u64 lim[2] = { 0, 0 };
	long r;

	host_syscall1(HOST_NR(umask), um);
	b.umask = (u32)um;
	if (host_syscall4(HOST_NR(prlimit64), 0, RLIMIT_NOFILE, 0, lim) == 0)
		b.nofile = (u32)MIN(lim[0], (u64)1 << 20);
	b.flags = ABI_BOOT_HOST_CREDS;
	/* Static programs are linked at 0x400000: the guest range starts at
	 * the lowest page the host lets a process map. */
	b.guest_base = 0x10000;
	b.guest_size = EMU_GUEST_END - b.guest_base;
	b.mmap_min_addr = 0x10000;
	b.personality = (u32)host_syscall1(HOST_NR(personality), 0xffffffffUL);
	b.argv = (u64)(uintptr_t)guest_argv;
	b.envp = (u64)(uintptr_t)hosted_guest_env;
	if ((r = abi_boot(&b)) < 0)
		hosted_die("kernel boot failed: %s", hosted_errname(r));
	abi_guest_range(&guest_lo, &guest_hi);
	guest_hi += guest_lo;
	if (guest_lo > 0x400000)
		hosted_die("--emu: the guest range could not be reserved at 0x%lx (it is at 0x%lx)",
			   (unsigned long)b.guest_base, (unsigned long)guest_lo);
}

int abi_emu_main(int argc, char **argv, char **envp, const struct emu_uc_api *api,
		 const struct emu_arch *a, u32 flags, u64 max)
{
	const char *prog, *why = NULL;
	char found[4096];
	bool interp = false;
	u64 entry, sp;
	int first, n;
	long r;

	if (!api || api->size != sizeof *api || !a || a->size != sizeof *a ||
	    a->nregs > EMU_MAX_REGS)
		return 2;
	uc = api;
	arch = a;
	if (a->abi_arch == ABI_ARCH_X86_64)
		ops = &emu_frame_x86_64;
	else if (a->abi_arch == ABI_ARCH_AARCH64)
		ops = emu_frame_aarch64();
	if (!ops)
		hosted_die("--emu: no frame code for this architecture");
	counting = flags & ABI_EMU_COUNT;
	max_insns = max;

	first = hosted_parse_options(argc, argv);
	hosted_build_env(envp);
	for (n = 0; first + n < argc && n < HOSTED_MAX_ARGS; n++)
		guest_argv[n] = argv[first + n];
	guest_argv[n] = NULL;
	if (hosted_setup.seeded)
		plat_entropy_seed(hosted_setup.seed);
	hosted_opts.program = guest_argv[0];
	prog = guest_argv[0];
	if (!strchr(prog, '/')) {
		if (!hosted_search_path(prog, found, sizeof found))
			hosted_die("%s: command not found", prog);
		prog = found;
	}

	boot();
	plat_exit_hook = at_exit;
	plat_guest = &emu_guest;
	boot_task.host_tid = (int)host_syscall0(HOST_NR(gettid));
	boot_task.plat = &boot_cpu;
	boot_cpu.task = &boot_task;
	if ((r = engine_open(&boot_cpu)) < 0)
		hosted_die("--emu: cannot open a unicorn engine: %s", hosted_errname(r));
	plat_mem_hook = mem_hook;
	plat_tls_hook = tls_hook;
	hosted_setup_console();
	hosted_setup_fs(prog, prog_path, sizeof prog_path);
	r = kernel_execve(prog_path, guest_argv, hosted_guest_env, &why, &interp);
	if (r < 0 && why)
		hosted_die("%s: %s%s (%s)", guest_argv[0], interp ? "interpreter: " : "", why,
			   hosted_errname(r));
	if (r < 0)
		hosted_die("%s: %s", guest_argv[0], hosted_errname(r));
	if (!abi_exec_entry(&entry, &sp))
		hosted_die("%s: the kernel started no program", guest_argv[0]);
	if (hosted_opts.verbose)
		hosted_printf(2, "abi-run: --emu: %s: entry 0x%lx, sp 0x%lx, brk 0x%lx\n",
			      prog_path, (unsigned long)entry, (unsigned long)sp,
			      (unsigned long)kernel_mm.brk);
	hosted_trace_start();
	if (hosted_opts.trace)
		signal_trace_hook = hosted_trace_signal;
	ops->entry(&boot_cpu, entry, sp);
	regs_store(&boot_cpu);
	run(&boot_cpu);
	return 0;
}
