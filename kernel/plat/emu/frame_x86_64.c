/* x86_64's frame code for the emulated platform (emu.h): the registers live
 * in a struct host_ucontext, the layout of Linux's signal frame, so that
 * delivery and rt_sigreturn are abi-run's own (kernel/plat/hosted/signal.c,
 * Linux's setup_rt_frame and restore_sigcontext).
 *
 * Not yet: the FPU and SSE state. The engine's x87/SSE registers are not
 * in the frame (uc_mcontext.fpregs is NULL), so a handler starts with the
 * interrupted code's FPU state and rt_sigreturn does not restore it. */
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/kmalloc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include "../hosted/hosted.h"
#include "emu.h"

#define CSGSFS_USER 0x002b000000000033ULL /* cs 0x33, ss 0x2b: a 64-bit user */
#define X86_TRAP_PF 14
#define X86_TRAP_UD 6
#define X86_TRAP_BP 3
#define X86_TRAP_GP 13
#define X86_TRAP_DE 0
#define PF_PROT 0x1
#define PF_WRITE 0x2
#define PF_USER 0x4
#define PF_INSTR 0x10

static struct host_ucontext *uc_of(const struct emu_cpu *cpu)
{
	return cpu->frame;
}

static long init(struct emu_cpu *cpu)
{
	struct host_ucontext *uc = kzalloc(sizeof *uc);

	if (!uc)
		return -ENOMEM;
	uc->gregs[REG_CSGSFS] = CSGSFS_USER;
	cpu->frame = uc;
	return 0;
}

static u64 *regs(struct emu_cpu *cpu)
{
	return uc_of(cpu)->gregs;
}

/* Linux's execve (start_thread): rsp at argc, every other general
 * register 0, rflags 0x202, no FS or GS base. */
static void entry(struct emu_cpu *cpu, u64 pc, u64 sp)
{
	u64 *g = regs(cpu);

	for (int i = REG_R8; i <= REG_EFL; i++)
		g[i] = 0;
	g[REG_RSP] = sp;
	g[REG_RIP] = pc;
	g[REG_EFL] = 0x202;
	plat_set_fs(0);
}

static void signals(struct emu_cpu *cpu, bool in_syscall, long nr, long ret)
{
	struct host_ucontext *uc = uc_of(cpu);

	if (in_syscall)
		uc->gregs[REG_TRAPNO] = uc->gregs[REG_ERR] = uc->gregs[REG_CR2] = 0;
	hosted_signals(uc, in_syscall, nr, ret);
}

static long sigreturn(struct emu_cpu *cpu)
{
	(void)cpu; /* current->frame is cpu->frame */
	return hosted_sigreturn();
}

/* A page fault's trapno, error code and cr2, as Linux's frame shows them. */
static void fault(struct emu_cpu *cpu)
{
	u64 *g = regs(cpu);

	if (cpu->fault_sig == SIGSEGV && cpu->fault_code != SI_KERNEL) {
		g[REG_TRAPNO] = X86_TRAP_PF;
		g[REG_ERR] = PF_USER | (cpu->fault_code == SEGV_ACCERR ? PF_PROT : 0) |
			     (cpu->fault_write ? PF_WRITE : 0) | (cpu->fault_fetch ? PF_INSTR : 0);
		g[REG_CR2] = cpu->fault_addr;
	} else if (cpu->fault_sig == SIGILL) {
		g[REG_TRAPNO] = X86_TRAP_UD;
		g[REG_ERR] = 0;
	} else {
		g[REG_TRAPNO] = cpu->fault_trapno;
		g[REG_ERR] = 0;
	}
	if (cpu->fault_halt) /* Linux reports the hlt itself, not past it */
		g[REG_RIP] -= 1;
	cpu->fault_halt = false;
}

/* The CPU exceptions a user program can raise, as Linux's traps.c sends
 * them: a divide error is SIGFPE FPE_INTDIV at the instruction, int3
 * SIGTRAP (SI_KERNEL, after the instruction); every other one (int N,
 * hlt, a privileged instruction) is a general protection fault: SIGSEGV,
 * SI_KERNEL, address 0. (x87 and SIMD exceptions are masked unless the
 * program unmasks them; unicorn does not raise them.) */
static void trap(struct emu_cpu *cpu, u32 intno, u64 pc)
{
	if (cpu->fault_sig)
		return;
	cpu->fault_halt = intno == EMU_TRAP_HALT;
	cpu->fault_code = SI_KERNEL;
	cpu->fault_addr = 0;
	if (intno == X86_TRAP_DE) {
		cpu->fault_sig = SIGFPE;
		cpu->fault_code = FPE_INTDIV;
		cpu->fault_addr = pc;
	} else {
		cpu->fault_sig = intno == X86_TRAP_BP ? SIGTRAP : SIGSEGV;
	}
	cpu->fault_trapno = cpu->fault_halt ? X86_TRAP_GP : intno;
}

static void clone_regs(struct emu_cpu *child, const struct emu_cpu *parent, u64 sp)
{
	struct host_ucontext *c = uc_of(child);

	memcpy(c, uc_of(parent), sizeof *c);
	c->fpregs = NULL;
	c->gregs[REG_RAX] = 0;
	if (sp)
		c->gregs[REG_RSP] = sp;
}

const struct emu_frame_ops emu_frame_x86_64 = {
	.init = init,
	.regs = regs,
	.entry = entry,
	.signals = signals,
	.sigreturn = sigreturn,
	.fault = fault,
	.trap = trap,
	.clone = clone_regs,
};
