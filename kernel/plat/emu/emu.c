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
#include <kernel/arch.h>
#include <kernel/binfmts.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include <kernel/timer.h>
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
static u64 exited_insns; /* of the engines closed */

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

void emu_fp_read(struct emu_cpu *cpu, u8 (*vals)[16])
{
	void *p[EMU_MAX_FP];

	for (int i = 0; i < arch->nfp; i++) {
		memset(vals[i], 0, 16);
		p[i] = vals[i];
	}
	uc->reg_read_batch(cpu->uc, arch->fp, p, arch->nfp);
}

void emu_fp_write(struct emu_cpu *cpu, u8 (*vals)[16])
{
	void *p[EMU_MAX_FP];

	for (int i = 0; i < arch->nfp; i++)
		p[i] = vals[i];
	uc->reg_write_batch(cpu->uc, arch->fp, p, arch->nfp);
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

/* The protection of what the engine has of [a, a + len) (a file
 * mapping's pages past the end of the file stay out). */
static void engine_protect(void *e, u64 a, u64 len, int prot)
{
	struct uc_mem_region_s *rg = NULL;
	u32 n = 0;

	if (uc->mem_protect(e, a, len, uc_perms(prot)) == 0 || uc->mem_regions(e, &rg, &n) != 0)
		return;
	for (u32 i = 0; i < n; i++) {
		u64 lo = MAX(rg[i].begin, a), hi = MIN(rg[i].end + 1, a + len);

		if (lo < hi)
			uc->mem_protect(e, lo, hi - lo, uc_perms(prot));
	}
	uc->free(rg);
}

static void engine_apply(void *e, const struct emu_memop *m)
{
	switch (m->op) {
	case PLAT_MEM_MAP:
		engine_map(e, m->addr, m->len, m->prot);
		break;
	case PLAT_MEM_UNMAP:
		engine_unmap(e, m->addr, m->len);
		break;
	case PLAT_MEM_MAP_FILE: {
		u64 backed = (m->to + PAGE_SIZE - 1) & ~(u64)(PAGE_SIZE - 1);

		engine_unmap(e, m->addr, m->len);
		if (backed)
			uc->mem_map_ptr(e, m->addr, MIN(backed, m->len), uc_perms(m->prot),
					(void *)(uintptr_t)m->addr);
		break;
	}
	case PLAT_MEM_PROTECT:
		engine_protect(e, m->addr, m->len, m->prot);
		break;
	case PLAT_MEM_MOVE:
		engine_move(e, m->addr, m->len, m->to);
		break;
	}
	uc->ctl(e, uc->ctl_tlb_flush);
}

/* The kernel changed guest memory: every engine follows at once. The
 * run lock (below) keeps all of them stopped meanwhile (an engine is not
 * thread-safe; its own thread touches it only under the run lock or the
 * kernel lock, which the caller holds). The engine running now is stopped,
 * so that the lock comes without waiting for the end of its slice. */
static void run_lock(struct emu_cpu *cpu);
static void run_unlock(void);
static void preempt_owner(void);

static void mem_hook(int op, uintptr_t addr, size_t len, int prot, uintptr_t to)
{
	struct emu_memop m = { .op = op, .prot = prot, .addr = addr, .len = len, .to = to };

	if (addr < guest_lo || addr + len > guest_hi || !len)
		return; /* kernel memory (a kernel stack), never the guest's */
	preempt_owner();
	run_lock(NULL);
	for (int i = 0; i < ncpus; i++)
		engine_apply(cpus[i]->uc, &m);
	run_unlock();
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

/* Kernel code runs on the task's kernel stack (core/task.c finds
 * `current` from the stack pointer): emu_call_on switches to it for one
 * entry. A thread's exit (emu_thread_exit) does not return to the entry:
 * it jumps back to where kernel_call began, off the kernel stack, with
 * emu_setjmp's 1. The boot thread's kernel stack is its own (top 0). */
void emu_call_on(void (*fn)(struct emu_cpu *), struct emu_cpu *cpu, u64 top);
__attribute__((returns_twice)) int emu_setjmp(u64 jb[8]);
_Noreturn void emu_longjmp(u64 jb[8]);
__asm__(".text\n"
	".globl emu_call_on\n"
	".hidden emu_call_on\n"
	".type emu_call_on,@function\n"
	"emu_call_on:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	mov %rdx, %rsp\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	call *%rax\n"
	"	mov %rbp, %rsp\n"
	"	pop %rbp\n"
	"	ret\n"
	".globl emu_setjmp\n"
	".hidden emu_setjmp\n"
	".type emu_setjmp,@function\n"
	"emu_setjmp:\n"
	"	mov %rbx, (%rdi)\n"
	"	mov %rbp, 8(%rdi)\n"
	"	mov %r12, 16(%rdi)\n"
	"	mov %r13, 24(%rdi)\n"
	"	mov %r14, 32(%rdi)\n"
	"	mov %r15, 40(%rdi)\n"
	"	lea 8(%rsp), %rdx\n"
	"	mov %rdx, 48(%rdi)\n"
	"	mov (%rsp), %rdx\n"
	"	mov %rdx, 56(%rdi)\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	".globl emu_longjmp\n"
	".hidden emu_longjmp\n"
	".type emu_longjmp,@function\n"
	"emu_longjmp:\n"
	"	mov (%rdi), %rbx\n"
	"	mov 8(%rdi), %rbp\n"
	"	mov 16(%rdi), %r12\n"
	"	mov 24(%rdi), %r13\n"
	"	mov 32(%rdi), %r14\n"
	"	mov 40(%rdi), %r15\n"
	"	mov 48(%rdi), %rsp\n"
	"	mov $1, %eax\n"
	"	jmp *56(%rdi)\n");

/* One kernel entry, fn(cpu), on the kernel stack; false when the thread
 * exited in it (its engine is then told to stop for good). */
static bool kernel_call(struct emu_cpu *cpu, void (*fn)(struct emu_cpu *))
{
	if (emu_setjmp(cpu->exit_jb)) {
		/* off the kernel stack for good: the slot may go to a new thread */
		if (cpu->task && cpu->task != &boot_task)
			__atomic_store_n(cpu->slot_word, 0, __ATOMIC_RELEASE);
		cpu->exited = true;
		cpu->stopping = true;
		uc->emu_stop(cpu->uc);
		return false;
	}
	if (cpu->kstack_top)
		emu_call_on(fn, cpu, cpu->kstack_top);
	else
		fn(cpu);
	return true;
}

/* --- One engine runs at a time ---------------------------------------- */

/* Guest code runs under the run lock, one engine at a time, as QEMU's
 * round-robin TCG did: unicorn's engines translate the guest's atomic
 * instructions (lock cmpxchg, ldxr/stxr) for one CPU, not as host atomics,
 * so two engines in parallel would break every mutex. A thread drops it for
 * each kernel entry (a blocking call lets the others run) and, while others
 * wait, at the end of its time slice: the ticker stops the holder's engine
 * every EMU_SLICE_NS. A ticket lock: first come, first run. */
#define EMU_SLICE_NS 4000000
static u32 run_next, run_serving;
static struct emu_cpu *run_owner;
static u32 owner_spin; /* run_owner and the ticker's emu_stop of it */
static bool ticker_started;

static void spin_lock(u32 *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		plat_yield();
}

static void spin_unlock(u32 *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static void run_lock(struct emu_cpu *cpu)
{
	u32 me = __atomic_fetch_add(&run_next, 1, __ATOMIC_RELAXED), s;

	while ((s = __atomic_load_n(&run_serving, __ATOMIC_ACQUIRE)) != me)
		plat_wait(&run_serving, s, -1);
	spin_lock(&owner_spin);
	run_owner = cpu;
	spin_unlock(&owner_spin);
}

/* Asks the engine running guest code now, if any, to stop. */
static void preempt_owner(void)
{
	spin_lock(&owner_spin);
	if (run_owner)
		__atomic_store_n(&run_owner->stop_req, true, __ATOMIC_RELEASE);
	spin_unlock(&owner_spin);
}

static void run_unlock(void)
{
	u32 s;

	spin_lock(&owner_spin);
	run_owner = NULL;
	spin_unlock(&owner_spin);
	s = __atomic_add_fetch(&run_serving, 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(&run_next, __ATOMIC_RELAXED) != s)
		plat_wake(&run_serving, 1 << 30);
}

static void *ticker_main(void *arg)
{
	(void)arg;
	for (;;) {
		static u32 never; /* nothing wakes it: a sleep of one slice */

		plat_wait(&never, 0, plat_clock_ns(PLAT_CLOCK_MONOTONIC) + EMU_SLICE_NS);
		if (__atomic_load_n(&run_next, __ATOMIC_RELAXED) -
			    __atomic_load_n(&run_serving, __ATOMIC_RELAXED) <
		    2)
			continue; /* nobody waits */
		preempt_owner();
	}
	return NULL;
}

/* A syscall instruction: the kernel entry, without the run lock. */
static void on_syscall_insn(void *e, void *user)
{
	struct emu_cpu *cpu = user;

	if (cpu->exited) { /* the rest of its last block, after its exit */
		uc->emu_stop(e);
		return;
	}
	run_unlock();
	kernel_call(cpu, on_syscall);
	run_lock(cpu);
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
		on_syscall_insn(e, cpu);
		return;
	}
	/* x86's int3 is a SIGTRAP; any other trap the engine raises is the
	 * general protection fault Linux answers with SIGSEGV, SI_KERNEL. */
	if (ops->trap) {
		u64 pc = 0;
		void *val = &pc;

		uc->reg_read_batch(e, &arch->regs[arch->i_pc], &val, 1);
		ops->trap(cpu, intno, pc);
		cpu->fault_trap = true;
	} else {
		record_fault(cpu, SIGSEGV, SI_KERNEL, 0);
	}
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

/* Another thread asked this engine to stop (a kick, the run lock): it
 * stops here, at the start of a block, from its own thread. unicorn's
 * uc_emu_stop from another thread is not precise: the block it interrupts
 * runs again from its start, some of it twice (an atomic increment, a
 * store). */
static void on_block(void *e, u64 addr, u32 size, void *user)
{
	struct emu_cpu *cpu = user;

	(void)addr, (void)size;
	if (__atomic_load_n(&cpu->stop_req, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&cpu->stop_req, false, __ATOMIC_RELAXED);
		cpu->stopping = true;
		uc->emu_stop(e);
	}
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

static void engine_close_locked(struct emu_cpu *cpu)
{
	for (int i = 0; i < ncpus; i++)
		if (cpus[i] == cpu) {
			cpus[i] = cpus[--ncpus];
			break;
		}
	exited_insns += cpu->insns;
}

static void engine_close(struct emu_cpu *cpu)
{
	engine_close_locked(cpu);
	uc->close(cpu->uc);
}

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
	/* precise stops asked for by other threads: see on_block (its cost
	 * does not show in the compute loop of docs/BENCHMARKS.md) */
	uc->hook_add(cpu->uc, &hh, uc->hook_block, (void *)on_block, cpu, 1, 0);
	if (counting || max_insns)
		uc->hook_add(cpu->uc, &hh, uc->hook_code, (void *)on_code, cpu, 1, 0);
	if (ncpus == EMU_MAX_CPUS)
		return -EAGAIN;
	cpus[ncpus++] = cpu;
	if (uc->context_alloc(cpu->uc, &cpu->clean_ctx) != 0 ||
	    uc->context_save(cpu->uc, cpu->clean_ctx) != 0)
		return -ENOMEM;
	return ops->init(cpu);
}

/* An access the engine refused where the kernel has a mapping: a file
 * mapping's page past the end of the file when it was mapped (the engine
 * leaves those out: the host's SIGBUS in unicorn could not be recovered).
 * The page is probed with the fault-safe copy: if it is there now (the
 * file grew), it goes into the engine and the access runs again (true);
 * if not, the fault is Linux's SIGBUS BUS_ADRERR. */
static bool lazy_page(struct emu_cpu *cpu)
{
	u64 page = cpu->fault_addr & ~(u64)(PAGE_SIZE - 1);
	struct vma *v;
	u32 prot = 0;
	bool file = false;
	u8 byte;

	kmutex_lock(&kernel_mm.lock);
	if ((v = vma_find(&kernel_mm, cpu->fault_addr)) != NULL) {
		prot = v->prot;
		file = true;
	}
	kmutex_unlock(&kernel_mm.lock);
	if (!file)
		return false;
	if (!(uc_perms((int)prot) & PROT_READ) || copy_from_user(&byte, (uptr){ page }, 1) < 0) {
		cpu->fault_sig = SIGBUS;
		cpu->fault_code = BUS_ADRERR;
		return false;
	}
	preempt_owner();
	run_lock(NULL);
	for (int i = 0; i < ncpus; i++)
		engine_map(cpus[i]->uc, page, PAGE_SIZE, (int)prot);
	for (int i = 0; i < ncpus; i++)
		uc->ctl(cpus[i]->uc, uc->ctl_tlb_flush);
	run_unlock();
	return true;
}

/* An exception the engine raised (a divide error) and its hook took stays
 * in unicorn's x86 CPU as the one being delivered (QEMU's old_exception),
 * so the next one there would be a double fault: the engine goes back to
 * the state it was made in, and the program's registers (general, FPU,
 * TLS) are put back into it. */
static void forget_exception(struct emu_cpu *cpu)
{
	u8 fp[EMU_MAX_FP][16];
	u64 tls = 0;
	void *val = &tls;

	cpu->fault_trap = false;
	emu_fp_read(cpu, fp);
	uc->reg_read_batch(cpu->uc, &arch->reg_tls, &val, 1);
	uc->context_restore(cpu->uc, cpu->clean_ctx);
	regs_store(cpu);
	emu_fp_write(cpu, fp);
	uc->reg_write_batch(cpu->uc, &arch->reg_tls, &val, 1);
}

/* A fault becomes the guest's signal, with Linux's si_code and si_addr. */
static void deliver_fault(struct emu_cpu *cpu)
{
	struct linux_siginfo info;
	u64 pc_in;

	enter(cpu);
	if (cpu->fault_trap)
		forget_exception(cpu);
	pc_in = regs_of(cpu)[arch->i_pc];
	if (cpu->fault_sig == SIGSEGV && cpu->fault_code == SEGV_MAPERR && lazy_page(cpu)) {
		cpu->fault_sig = 0; /* the page is there now: the access runs again */
		kernel_leave();
		return;
	}
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

/* A stop that was no fault (a kick, the end of a slice, a new pc): the
 * signals pending for the thread. */
static void after_stop(struct emu_cpu *cpu)
{
	enter(cpu);
	ops->signals(cpu, false, 0, 0);
	regs_store(cpu);
	kernel_leave();
}

/* Runs the thread's guest code until the thread exits (the process's exit
 * ends everything at once, in the kernel). */
static void run(struct emu_cpu *cpu)
{
	while (!cpu->exited) {
		u64 pc = 0;
		void *val = &pc;
		int err;

		run_lock(cpu);
		uc->reg_read_batch(cpu->uc, &arch->regs[arch->i_pc], &val, 1);
		cpu->fault_sig = 0;
		cpu->stopping = false;
		err = uc->emu_start(cpu->uc, pc, EMU_UNTIL, 0, 0);
		run_unlock();
		if (cpu->exited)
			break;
		if (!err && !cpu->fault_sig && !cpu->stopping) {
			/* it stopped by itself: x86's hlt */
			if (ops->trap)
				ops->trap(cpu, EMU_TRAP_HALT, pc);
			else
				record_fault(cpu, SIGSEGV, SI_KERNEL, 0);
		}
		if (!cpu->fault_sig && err) {
			/* an engine error no hook saw: the guest's SIGILL */
			if (hosted_opts.verbose)
				hosted_printf(2, "abi-run: unicorn: %s\n", uc->strerror(err));
			record_fault(cpu, SIGILL, ILL_ILLOPN, pc);
		}
		kernel_call(cpu, cpu->fault_sig ? deliver_fault : after_stop);
	}
}

__attribute__((weak)) const struct emu_frame_ops *emu_frame_aarch64(void)
{
	return NULL;
}

/* --- The platform's guest half ---------------------------------------- */

static void *thread_main(void *arg)
{
	struct emu_cpu *cpu = arg;

	cpu->task->host_tid = (int)host_syscall0(HOST_NR(gettid));
	run(cpu);
	/* the cpu itself stays allocated (a few hundred bytes a thread) */
	uc->close(cpu->uc);
	return NULL;
}

#define PTHREAD_CREATE_DETACHED 1

/* clone: a new engine with the parent's memory map and registers (the
 * result 0, the new stack, the TLS), run by a new host thread of libc's
 * (an engine needs libc's thread state) whose kernel entries run on the
 * task's kernel stack. Locked, in the parent's syscall. */
static long emu_thread_start(struct task *t, u64 sp, bool settls, u64 tls)
{
	struct emu_cpu *parent = emu_current(), *cpu;
	struct uc_mem_region_s *rg = NULL;
	u64 attr[16] __attribute__((aligned(16)));
	u64 th, tlsval = tls;
	void *val = &tlsval;
	u32 n = 0;
	long r;

	if (!parent || !(cpu = kzalloc(sizeof *cpu)))
		return -ENOMEM;
	if ((r = engine_open(cpu)) < 0)
		return r; /* (the cpu leaks, as an exited one does) */
	if (uc->mem_regions(parent->uc, &rg, &n) == 0) {
		for (u32 i = 0; i < n; i++)
			uc->mem_map_ptr(cpu->uc, rg[i].begin, rg[i].end + 1 - rg[i].begin,
					rg[i].perms, (void *)(uintptr_t)rg[i].begin);
		uc->free(rg);
	}
	ops->clone(cpu, parent, sp);
	regs_store(cpu);
	if (!settls)
		uc->reg_read_batch(parent->uc, &arch->reg_tls, &val, 1);
	uc->reg_write_batch(cpu->uc, &arch->reg_tls, &val, 1);
	cpu->task = t;
	t->plat = cpu;
	cpu->kstack_top = task_kstack_top(t).addr;
	cpu->slot_word = task_slot_word(t);
	__atomic_store_n(cpu->slot_word, 1, __ATOMIC_RELEASE);
	uc->pthread_attr_init(attr);
	uc->pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
	if (!ticker_started) {
		u64 tattr[16] __attribute__((aligned(16)));

		uc->pthread_attr_init(tattr);
		uc->pthread_attr_setdetachstate(tattr, PTHREAD_CREATE_DETACHED);
		ticker_started = uc->pthread_create(&th, tattr, ticker_main, NULL) == 0;
	}
	if (uc->pthread_create(&th, attr, thread_main, cpu) != 0) {
		__atomic_store_n(cpu->slot_word, 0, __ATOMIC_RELEASE);
		engine_close(cpu);
		t->plat = NULL;
		return -EAGAIN;
	}
	return 0;
}

/* --- The signal thread ------------------------------------------------ */

/* Host signals aimed at the process (a terminal's SIGINT, a kill from
 * outside, the host timers behind the guest's alarm, setitimer and POSIX
 * timers) are blocked in every thread and taken by one thread of the
 * platform's own, which sends the guest the same signal, as abi-run's
 * signal thread does (kernel/plat/hosted/thread.c). It runs kernel code on
 * a stack of its own, service_task's. */
#define BIT(s) (1ULL << ((s)-1))
#define EMU_HOSTMASK                                                                             \
	(~(BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP) | BIT(SIGSYS) | \
	   BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGPIPE)))
#define SIGTHREAD_STACK (256 * 1024)
static u8 sigthread_stack[SIGTHREAD_STACK] __attribute__((aligned(4096)));
static int sigthread_tid;

static void *sigthread_main(void *arg)
{
	u64 set = EMU_HOSTMASK;

	(void)arg;
	__atomic_store_n(&sigthread_tid, (int)host_syscall0(HOST_NR(gettid)), __ATOMIC_RELEASE);
	for (;;) {
		struct linux_siginfo info;
		long sig = host_syscall4(HOST_NR(rt_sigtimedwait), &set, &info, 0, 8);

		if (sig > 0 && sig <= 64)
			hosted_host_signal((int)sig, &info);
	}
	return NULL;
}

static long sigthread_start(void)
{
	u64 attr[16] __attribute__((aligned(16)));
	u64 mask = EMU_HOSTMASK, th;
	uintptr_t lo = (uintptr_t)sigthread_stack;
	long r;

	/* blocked here first: every thread made later inherits it */
	if ((r = host_syscall4(HOST_NR(rt_sigprocmask), 0 /* SIG_BLOCK */, &mask, 0, 8)) < 0)
		return r;
	task_set_service_stack(lo, lo + sizeof sigthread_stack);
	uc->pthread_attr_init(attr);
	uc->pthread_attr_setstack(attr, sigthread_stack, sizeof sigthread_stack);
	uc->pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
	if (uc->pthread_create(&th, attr, sigthread_main, NULL) != 0)
		return -EAGAIN;
	while (!__atomic_load_n(&sigthread_tid, __ATOMIC_ACQUIRE))
		plat_yield();
	plat_timer_tid = sigthread_tid; /* the host's timer signals go to it */
	return 0;
}

static long emu_sigreturn(void)
{
	return ops->sigreturn(emu_current());
}

/* Makes a thread running guest code enter the kernel (for its signals). */
static void emu_kick(struct task *t)
{
	struct emu_cpu *cpu = t->plat;

	if (cpu)
		__atomic_store_n(&cpu->stop_req, true, __ATOMIC_RELEASE);
}

/* The calling thread ends (locked, on its kernel stack): its engine leaves
 * the list, its task is released, and it jumps back off the kernel stack
 * (kernel_call), where its run loop ends. */
static _Noreturn void emu_thread_exit(int code)
{
	struct emu_cpu *cpu = emu_current();

	if (hosted_opts.trace)
		hosted_trace_exit(code); /* strace's "+++ exited with 0 +++" of a thread */
	engine_close_locked(cpu);
	task_exit_release();
	kernel_leave();
	emu_longjmp(cpu->exit_jb);
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
	total_insns = exited_insns;
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
	long r;

	hosted_boot_inherit(&b);
	b.flags = ABI_BOOT_HOST_CREDS;
	/* Static programs are linked at 0x400000: the guest range starts at
	 * the lowest page the host lets a process map. */
	b.guest_base = 0x10000;
	b.guest_size = EMU_GUEST_END - b.guest_base;
	b.mmap_min_addr = 0x10000;
	b.argv = (u64)(uintptr_t)guest_argv;
	b.envp = (u64)(uintptr_t)hosted_guest_env;
	if ((r = abi_boot(&b)) < 0)
		hosted_die("kernel boot failed: %s", hosted_errname(r));
	/* the process speaks the program's arch: its table, structs, ELF machine */
	if ((r = abi_set_arch(arch->abi_arch)) < 0)
		hosted_die("--emu: the kernel does not serve this architecture");
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
	bool interp = false;
	u64 entry, sp;
	int nargs;
	long r;

	if (!api || api->size != sizeof *api || !a || a->size != sizeof *a ||
	    a->nregs > EMU_MAX_REGS || a->nfp > EMU_MAX_FP)
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

	prog = hosted_command(argc, argv, envp, guest_argv, &nargs);

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
	r = kernel_execve(prog_path, guest_argv, hosted_guest_env, &why, &interp, NULL);
	hosted_started(guest_argv[0], r, why, interp, &entry, &sp);
	if (hosted_opts.verbose)
		hosted_printf(2, "abi-run: --emu: %s: entry 0x%lx, sp 0x%lx, brk 0x%lx\n",
			      prog_path, (unsigned long)entry, (unsigned long)sp,
			      (unsigned long)kernel_mm.brk);
	hosted_trace_start();
	if (hosted_opts.trace)
		signal_trace_hook = hosted_trace_signal;
	if ((r = sigthread_start()) < 0)
		hosted_die("--emu: cannot start the signal thread: %s", hosted_errname(r));
	ops->entry(&boot_cpu, entry, sp);
	regs_store(&boot_cpu);
	run(&boot_cpu);
	/* the first thread exited and others run on: this host thread ends
	 * (the Python that called us must not go on, its exit would end them) */
	for (;;)
		host_syscall1(HOST_NR(exit), 0);
}
