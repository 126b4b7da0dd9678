/* aarch64's frame code for the emulated platform (emu.h): the registers as
 * Linux's struct sigcontext holds them (x0..x30, sp, pc; then the NZCV
 * flags, pstate's user-visible bits), and the signal frame and
 * rt_sigreturn as Linux's arch/arm64/kernel/signal.c builds and reads
 * them: a frame record {x29, x30} below the incoming sp, then struct
 * rt_sigframe (siginfo, ucontext) 16-byte aligned below it, whose
 * sigcontext's __reserved holds an fpsimd_context record (and an
 * esr_context after a fault) and a terminator. The handler gets x0 = sig,
 * x1 = &info, x2 = &uc (SA_SIGINFO), x29 the frame record, x30 the
 * restorer: SA_RESTORER's (musl), else the [sigpage] trampoline exec maps
 * (glibc; Linux's is in the vDSO, which the kernel does not map).
 * v0-v31, FPSR and FPCR (emu_arch.fp) are read from the engine only when a
 * signal is to be delivered, saved in the fpsimd_context, and restored by
 * rt_sigreturn; a handler starts with them as they were, as on Linux. */
#include <abi/syscalls.h>
#include <abi/unistd_aarch64.h>
#include <kernel/arch.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include "../plat.h"
#include "emu.h"

/* abi/emu/arch_aarch64.py's register order */
enum { A64_X0 = 0, A64_X8 = 8, A64_FP = 29, A64_LR = 30, A64_SP, A64_PC, A64_NZCV, A64_NREGS };

#define NZCV_MASK 0xf0000000ULL
#define FPSIMD_MAGIC 0x46508001u
#define ESR_MAGIC 0x45535201u
#define RESERVED_SIZE 4096

/* qemu's exception numbers, as unicorn hands them to UC_HOOK_INTR */
#define EXCP_UDEF 1
#define EXCP_BKPT 7

/* ESR_ELx as Linux's frame shows a user fault: the exception class, IL,
 * and for an abort WnR and the fault status (level 3 translation or
 * permission fault). */
#define ESR_EC_SHIFT 26
#define ESR_EC_UNKNOWN 0x00
#define ESR_EC_IABT_LOW 0x20
#define ESR_EC_DABT_LOW 0x24
#define ESR_EC_BRK64 0x3c
#define ESR_IL (1ULL << 25)
#define ESR_WNR (1ULL << 6)
#define FSC_TRANS_L3 0x07
#define FSC_PERM_L3 0x0f

#define A64_NFP 34 /* v0..v31, FPSR, FPCR: abi/emu/arch_aarch64.py's fpregs */

struct a64_frame {
	u64 regs[A64_NREGS];
	u64 fault_address, esr; /* the fault being delivered (sigcontext, esr_context) */
	u8 fp[A64_NFP][16];     /* the engine's, while a delivery or sigreturn needs them */
};

struct aarch64_ctx {
	u32 magic, size;
};

struct fpsimd_context {
	struct aarch64_ctx head;
	u32 fpsr, fpcr;
	u64 vregs[64]; /* __uint128_t vregs[32] */
};

struct esr_context {
	struct aarch64_ctx head;
	u64 esr;
};

struct a64_sigcontext {
	u64 fault_address;
	u64 regs[31];
	u64 sp, pc, pstate;
	u8 __reserved[RESERVED_SIZE] __attribute__((aligned(16)));
};

struct a64_ucontext {
	u64 uc_flags;
	u64 uc_link;
	struct linux_stack_t uc_stack;
	u64 uc_sigmask;
	u8 __unused[1024 / 8 - 8];
	struct a64_sigcontext uc_mcontext __attribute__((aligned(16)));
};

struct a64_rt_sigframe {
	struct linux_siginfo info;
	struct a64_ucontext uc;
};

_Static_assert(sizeof(struct a64_sigcontext) == 4384, "arm64 struct sigcontext");
_Static_assert(sizeof(struct a64_ucontext) == 4560, "arm64 struct ucontext");
_Static_assert(offsetof(struct a64_rt_sigframe, uc) == 128, "arm64 rt_sigframe");
_Static_assert(sizeof(struct fpsimd_context) == 528, "arm64 fpsimd_context");

static struct a64_frame *frame_of(const struct emu_cpu *cpu)
{
	return cpu->frame;
}

static long init(struct emu_cpu *cpu)
{
	struct a64_frame *f;

	if (emu_arch()->nfp != A64_NFP)
		return -EINVAL; /* abi/emu/arch_aarch64.py and this file disagree */
	if (!(f = kzalloc(sizeof *f)))
		return -ENOMEM;
	cpu->frame = f;
	return 0;
}

static u64 *regs(struct emu_cpu *cpu)
{
	return frame_of(cpu)->regs;
}

/* Linux's start_thread: every register 0 but sp and pc, EL0 with no
 * flags, no TLS. */
static void entry(struct emu_cpu *cpu, u64 pc, u64 sp)
{
	struct a64_frame *f = frame_of(cpu);

	memset(f, 0, sizeof *f);
	f->regs[A64_SP] = sp;
	f->regs[A64_PC] = pc;
	emu_fp_write(cpu, f->fp); /* v0-v31, FPSR, FPCR: 0 (fpsimd_flush_thread) */
	plat_set_fs(0);           /* TPIDR_EL0, through the engine's TLS hook */
}

/* Linux's get_sigframe, setup_sigframe and setup_return. false: the frame
 * could not be placed or written. */
static bool setup_frame(struct a64_frame *f, int sig, const struct k_sigaction *ka,
			const struct linux_siginfo *info, u64 mask, bool fault)
{
	u64 *r = f->regs;
	u64 sp = sigframe_stack(ka, r[A64_SP]);
	u64 record = (sp - 16) & ~15ULL;
	u64 frame = record - sizeof(struct a64_rt_sigframe);
	struct a64_rt_sigframe *k = kzalloc(sizeof *k);
	struct a64_sigcontext *sc;
	struct fpsimd_context fp = { { FPSIMD_MAGIC, sizeof fp }, 0, 0, { 0 } };
	u64 fpsr, fpcr;
	u64 fr[2] = { r[A64_FP], r[A64_LR] };
	size_t off = 0;
	bool ok;

	if (!k)
		return false;
	k->info = *info;
	signal_altstack_save(&k->uc.uc_stack);
	k->uc.uc_sigmask = mask;
	sc = &k->uc.uc_mcontext;
	sc->fault_address = fault ? f->fault_address : 0;
	memcpy(sc->regs, r, sizeof sc->regs);
	sc->sp = r[A64_SP];
	sc->pc = r[A64_PC];
	sc->pstate = r[A64_NZCV] & NZCV_MASK;
	memcpy(fp.vregs, f->fp, 32 * 16);
	memcpy(&fpsr, f->fp[32], 8);
	memcpy(&fpcr, f->fp[33], 8);
	fp.fpsr = (u32)fpsr;
	fp.fpcr = (u32)fpcr;
	memcpy(sc->__reserved, &fp, sizeof fp);
	off += sizeof fp;
	if (fault && f->esr) {
		struct esr_context esr = { { ESR_MAGIC, sizeof esr }, f->esr };

		memcpy(sc->__reserved + off, &esr, sizeof esr);
		off += sizeof esr;
	}
	/* the terminator: __reserved is zeroed from off on */
	ok = copy_to_user((uptr){ record }, fr, sizeof fr) == 0 &&
	     copy_to_user((uptr){ frame + offsetof(struct a64_rt_sigframe, uc) }, &k->uc,
			  sizeof k->uc) == 0 &&
	     (!(ka->flags & SA_SIGINFO) ||
	      copy_to_user((uptr){ frame }, &k->info, sizeof k->info) == 0);
	kfree(k);
	if (!ok)
		return false;
	r[A64_X0] = (u64)sig;
	if (ka->flags & SA_SIGINFO) {
		r[1] = frame + offsetof(struct a64_rt_sigframe, info);
		r[2] = frame + offsetof(struct a64_rt_sigframe, uc);
	}
	r[A64_SP] = frame;
	r[A64_FP] = record;
	r[A64_PC] = ka->handler;
	r[A64_LR] = (ka->flags & SA_RESTORER) ? ka->restorer : arch_sigreturn_trampoline();
	return true;
}

/* Linux's arm64 do_signal: a restarted call gets its first argument back
 * (the result overwrote x0) and runs its svc again. */
struct a64_deliver {
	struct a64_frame *f;
	u64 orig_x0;
};

static void a64_result(void *ctx, long ret)
{
	((struct a64_deliver *)ctx)->f->regs[A64_X0] = (u64)ret;
}

static void a64_restart(void *ctx, bool block)
{
	struct a64_deliver *d = ctx;
	u64 *r = d->f->regs;

	r[A64_X0] = d->orig_x0;
	r[A64_PC] -= 4;
	if (block)
		r[A64_X8] = ABI_AARCH64_NR_restart_syscall;
}

static bool a64_frame(void *ctx, int sig, const struct k_sigaction *ka,
		      const struct linux_siginfo *info, u64 mask, bool fault)
{
	return setup_frame(((struct a64_deliver *)ctx)->f, sig, ka, info, mask, fault);
}

static void signals(struct emu_cpu *cpu, bool in_syscall, long nr, long ret)
{
	static const struct signal_regs ops = { a64_result, a64_restart, a64_frame };
	struct a64_frame *f = frame_of(cpu);
	/* the engine leaves the result to us: x0 is still the first argument */
	struct a64_deliver d = { f, f->regs[A64_X0] };
	bool fp = signal_pending_set() || current->exiting;

	(void)nr; /* x8 still holds it */
	if (fp)
		emu_fp_read(cpu, f->fp);
	signal_deliver(&ops, &d, in_syscall, ret);
	f->fault_address = f->esr = 0;
}

/* Whether the records in __reserved hold the fpsimd_context Linux's
 * restore_sigframe requires, with sane sizes up to the terminator; *fpsimd
 * is where. */
static bool frame_records_ok(const struct a64_sigcontext *sc, size_t *fpsimd_off)
{
	bool fpsimd = false;
	size_t off = 0;

	while (off + sizeof(struct aarch64_ctx) <= RESERVED_SIZE) {
		struct aarch64_ctx h;

		memcpy(&h, sc->__reserved + off, sizeof h);
		if (h.magic == 0)
			return fpsimd && h.size == 0;
		if (h.size < sizeof h || h.size % 16 || h.size > RESERVED_SIZE - off)
			return false;
		if (h.magic == FPSIMD_MAGIC) {
			if (h.size != sizeof(struct fpsimd_context))
				return false;
			fpsimd = true;
			*fpsimd_off = off;
		}
		off += h.size;
	}
	return false;
}

/* Linux's arm64 rt_sigreturn: the frame at sp (which must be 16-byte
 * aligned), its registers (the flags bits only of pstate), mask and
 * altstack; a bad frame is SIGSEGV. */
static long sigreturn(struct emu_cpu *cpu)
{
	struct a64_frame *f = frame_of(cpu);
	u64 *r = f->regs;
	u64 frame = r[A64_SP];
	struct a64_ucontext *uc = kmalloc(sizeof *uc);
	struct fpsimd_context fp;
	size_t fp_off = 0;
	u64 fpsr, fpcr;
	long ret = 0;

	if (!uc || frame & 15 ||
	    copy_from_user(uc, (uptr){ frame + offsetof(struct a64_rt_sigframe, uc) }, sizeof *uc) <
		    0 ||
	    !frame_records_ok(&uc->uc_mcontext, &fp_off))
		goto bad;
	memcpy(&fp, uc->uc_mcontext.__reserved + fp_off, sizeof fp);
	memcpy(f->fp, fp.vregs, 32 * 16);
	fpsr = fp.fpsr;
	fpcr = fp.fpcr;
	memset(f->fp[32], 0, 32);
	memcpy(f->fp[32], &fpsr, 8);
	memcpy(f->fp[33], &fpcr, 8);
	emu_fp_write(cpu, f->fp);
	set_current_blocked(uc->uc_sigmask);
	memcpy(r, uc->uc_mcontext.regs, sizeof uc->uc_mcontext.regs);
	r[A64_SP] = uc->uc_mcontext.sp;
	r[A64_PC] = uc->uc_mcontext.pc;
	r[A64_NZCV] = uc->uc_mcontext.pstate & NZCV_MASK;
	current->user_sp = r[A64_SP];
	if (restore_altstack(&uc->uc_stack) < 0)
		goto bad;
	ret = (long)r[A64_X0];
	kfree(uc);
	return ret;
bad:
	kfree(uc);
	force_sigsegv(0);
	return 0;
}

/* The fault's sigcontext.fault_address and ESR, as Linux's frame shows
 * them for a user abort. */
static void fault(struct emu_cpu *cpu)
{
	struct a64_frame *f = frame_of(cpu);

	f->fault_address = cpu->fault_addr;
	if (cpu->fault_sig == SIGSEGV && cpu->fault_code != SI_KERNEL)
		f->esr = ((u64)(cpu->fault_fetch ? ESR_EC_IABT_LOW : ESR_EC_DABT_LOW)
			  << ESR_EC_SHIFT) |
			 ESR_IL | (cpu->fault_write ? ESR_WNR : 0) |
			 (cpu->fault_code == SEGV_ACCERR ? FSC_PERM_L3 : FSC_TRANS_L3);
	else if (cpu->fault_sig == SIGTRAP)
		f->esr = ((u64)ESR_EC_BRK64 << ESR_EC_SHIFT) | ESR_IL;
	else
		f->esr = ((u64)ESR_EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL;
}

/* An exception the engine raised that is not svc: an undefined
 * instruction is SIGILL (ILL_ILLOPC, arm64's do_undefinstr), brk SIGTRAP
 * (TRAP_BRKPT), both at the instruction; anything else SIGSEGV, SI_KERNEL. */
static void trap(struct emu_cpu *cpu, u32 intno, u64 pc)
{
	if (cpu->fault_sig)
		return;
	cpu->fault_addr = pc;
	if (intno == EXCP_UDEF) {
		cpu->fault_sig = SIGILL;
		cpu->fault_code = ILL_ILLOPC;
	} else if (intno == EXCP_BKPT) {
		cpu->fault_sig = SIGTRAP;
		cpu->fault_code = TRAP_BRKPT;
	} else {
		cpu->fault_sig = SIGSEGV;
		cpu->fault_code = SI_KERNEL;
		cpu->fault_addr = 0;
	}
}

static void clone_regs(struct emu_cpu *child, const struct emu_cpu *parent, u64 sp)
{
	struct a64_frame *c = frame_of(child);

	memcpy(c, frame_of(parent), sizeof *c);
	c->regs[A64_X0] = 0;
	c->fault_address = c->esr = 0;
	if (sp)
		c->regs[A64_SP] = sp;
}

static const struct emu_frame_ops ops = {
	.init = init,
	.regs = regs,
	.entry = entry,
	.signals = signals,
	.sigreturn = sigreturn,
	.fault = fault,
	.trap = trap,
	.clone = clone_regs,
};

const struct emu_frame_ops *emu_frame_aarch64(void)
{
	return &ops;
}
