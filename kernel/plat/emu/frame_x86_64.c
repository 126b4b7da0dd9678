/* x86_64's frame code for the emulated platform (emu.h): the registers live
 * in a struct host_ucontext, the layout of Linux's signal frame, so that
 * delivery and rt_sigreturn are abi-run's own (kernel/plat/hosted/signal.c,
 * Linux's setup_rt_frame and restore_sigcontext).
 *
 * The FPU state of a frame is the x87 and SSE registers in Linux's
 * layout: FXSAVE's 512 bytes with the software bytes that say an XSAVE
 * area follows (FP_XSTATE_MAGIC1), its header with x87 and SSE in
 * XSTATE_BV, and FP_XSTATE_MAGIC2 after it; read from the engine only
 * when a signal is pending, written back after delivery (the handler's
 * clean FPU) and after rt_sigreturn (the interrupted code's). AVX's upper
 * halves are not in it (unicorn's x86_64 CPU model has no AVX). */
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/kmalloc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include "../hosted/hosted.h"
#include "emu.h"

#define CSGSFS_USER 0x002b000000000033ULL /* cs 0x33, ss 0x2b: a 64-bit user */
/* uc_flags of Linux's x86_64 frames: UC_FP_XSTATE, UC_SIGCONTEXT_SS,
 * UC_STRICT_RESTORE_SS */
#define UC_FLAGS_USER 0x7
#define X86_TRAP_PF 14
#define X86_TRAP_UD 6
#define X86_TRAP_BP 3
#define X86_TRAP_GP 13
#define X86_TRAP_DE 0
#define PF_PROT 0x1
#define PF_WRITE 0x2
#define PF_USER 0x4
#define PF_INSTR 0x10

#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define XFEATURES_X87_SSE 3
#define XSAVE_HDR 512
#define XSTATE_SIZE (512 + 64) /* FXSAVE area + XSAVE header */
#define FP_FRAME_SIZE (XSTATE_SIZE + 4)
/* emu_arch.fp's order (arch_x86_64.py) */
enum { FP_FCW, FP_FSW, FP_FTW, FP_MXCSR, FP_ST0, FP_XMM0 = FP_ST0 + 8, FP_N = FP_XMM0 + 16 };

/* The cpu's frame: the ucontext whose gregs are the registers, and the
 * FPU area uc.fpregs points to while a frame is built or restored. */
struct x86_frame {
	struct host_ucontext uc;
	u8 fp[FP_FRAME_SIZE + 60] __attribute__((aligned(64)));
};

static struct host_ucontext *uc_of(const struct emu_cpu *cpu)
{
	return cpu->frame;
}

static u8 *fp_of(const struct emu_cpu *cpu)
{
	return ((struct x86_frame *)cpu->frame)->fp;
}

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

/* The software bytes and the XSAVE header: the layout, not the registers. */
static void fp_describe(u8 *fp)
{
	u64 bv = XFEATURES_X87_SSE;

	put32(fp + 464, FP_XSTATE_MAGIC1);
	put32(fp + 468, FP_FRAME_SIZE); /* extended_size */
	memcpy(fp + 472, &bv, 8);       /* xfeatures */
	put32(fp + 480, XSTATE_SIZE);   /* xstate_size */
	memset(fp + XSAVE_HDR, 0, 64);
	memcpy(fp + XSAVE_HDR, &bv, 8); /* xstate_bv */
	put32(fp + XSTATE_SIZE, FP_XSTATE_MAGIC2);
}

/* The engine's x87 and SSE registers into the FXSAVE layout. */
static void fp_from_engine(struct emu_cpu *cpu)
{
	u8 v[FP_N][16], *fp = fp_of(cpu), ftw = 0;
	u16 tags;

	emu_fp_read(cpu, v);
	memset(fp, 0, 512);
	memcpy(fp + 0, v[FP_FCW], 2);
	memcpy(fp + 2, v[FP_FSW], 2);
	memcpy(&tags, v[FP_FTW], 2);
	for (int i = 0; i < 8; i++) /* the abridged tag: 1 for each register not empty (3) */
		if (((tags >> (2 * i)) & 3) != 3)
			ftw |= (u8)(1u << i);
	fp[4] = ftw;
	memcpy(fp + 24, v[FP_MXCSR], 4);
	put32(fp + 28, 0xffff); /* mxcsr_mask */
	for (int i = 0; i < 8; i++)
		memcpy(fp + 32 + 16 * i, v[FP_ST0 + i], 10);
	for (int i = 0; i < 16; i++)
		memcpy(fp + 160 + 16 * i, v[FP_XMM0 + i], 16);
	fp_describe(fp);
}

static void fp_to_engine(struct emu_cpu *cpu)
{
	u8 v[FP_N][16], *fp = fp_of(cpu);
	u16 tags = 0;

	memset(v, 0, sizeof v);
	memcpy(v[FP_FCW], fp + 0, 2);
	memcpy(v[FP_FSW], fp + 2, 2);
	for (int i = 0; i < 8; i++) /* valid (0) or empty (3) */
		if (!(fp[4] & (1u << i)))
			tags |= (u16)(3u << (2 * i));
	memcpy(v[FP_FTW], &tags, 2);
	memcpy(v[FP_MXCSR], fp + 24, 4);
	for (int i = 0; i < 8; i++)
		memcpy(v[FP_ST0 + i], fp + 32 + 16 * i, 10);
	for (int i = 0; i < 16; i++)
		memcpy(v[FP_XMM0 + i], fp + 160 + 16 * i, 16);
	emu_fp_write(cpu, v);
}

static long init(struct emu_cpu *cpu)
{
	struct x86_frame *f;

	if (emu_arch()->nfp != FP_N)
		return -EINVAL; /* arch_x86_64.py's fpregs are not this file's */
	if (!(f = kzalloc(sizeof *f)))
		return -ENOMEM;
	f->uc.gregs[REG_CSGSFS] = CSGSFS_USER;
	f->uc.uc_flags = UC_FLAGS_USER;
	cpu->frame = f;
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
	/* the FPU in its initial state, as exec leaves it */
	fp_describe(fp_of(cpu));
	hosted_fpstate_init(fp_of(cpu));
	fp_to_engine(cpu);
}

/* The FPU goes into the frame only when there may be a signal to deliver
 * (a pending one, or the thread's exit): most kernel entries have none. */
static void signals(struct emu_cpu *cpu, bool in_syscall, long nr, long ret)
{
	struct host_ucontext *uc = uc_of(cpu);
	bool fp = signal_pending_set() || current->exiting;

	if (in_syscall)
		uc->gregs[REG_TRAPNO] = uc->gregs[REG_ERR] = uc->gregs[REG_CR2] = 0;
	if (fp)
		fp_from_engine(cpu);
	uc->fpregs = fp ? fp_of(cpu) : NULL;
	hosted_signals(uc, in_syscall, nr, ret);
	if (fp)
		fp_to_engine(cpu); /* the handler's clean FPU, or unchanged */
	uc->fpregs = NULL;
}

static long sigreturn(struct emu_cpu *cpu)
{
	struct host_ucontext *uc = uc_of(cpu); /* current->frame */
	long r;

	fp_describe(fp_of(cpu));
	uc->fpregs = fp_of(cpu);
	r = hosted_sigreturn();
	fp_to_engine(cpu);
	uc->fpregs = NULL;
	return r;
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
	c->fpregs = NULL; /* (the child's engine starts with a clean FPU) */
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

/* abi-run's signal.c asks these of the function-call entry (fast.c), which
 * the emulated platform does not have: every frame here is a whole one. */
u8 *hosted_frame_fpu(struct host_ucontext *uc)
{
	return uc->fpregs;
}

void hosted_fast_restart(struct host_ucontext *uc)
{
	(void)uc; /* never called: no task's frame is a fast one */
}
