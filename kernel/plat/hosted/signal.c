/* The guest's signals on abi-run: the frame a handler runs on, built
 * exactly as Linux's x86_64 setup_rt_frame builds it, and rt_sigreturn.
 *
 * The host has already built a frame of the same layout for the SIGSYS (or
 * fault, or kick) that brought the thread into the kernel: its registers are
 * the guest's, its FPU state is the guest's in the host CPU's XSAVE format,
 * which is the format a native program would get. Delivery copies that
 * frame onto the guest's stack with the guest's mask, sigaltstack and
 * siginfo, and rewrites the host frame so that the host's own rt_sigreturn
 * lands in the handler; the guest's rt_sigreturn does the reverse. */
#include <abi/syscalls.h>
#include <abi/unistd_x86_64.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include <kernel/timer.h>
#include "hosted.h"

/* The signal frame's FPU state (uc_mcontext.fpregs): the FXSAVE layout,
 * then, when the software bytes at 464 carry FP_XSTATE_MAGIC1, the XSAVE
 * header at 512 of an area xstate_size long (its size varies with the
 * CPU's features; rt_sigreturn loads it with XRSTOR, or only the FXSAVE
 * part without the magic). */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FPU_SW_BYTES 464
#define XSAVE_HEADER 512
#define XSTATE_PKRU (1ULL << 9)

/* Puts the frame's FPU state in its initial state, as a new program gets
 * it: FCW 0x37f, MXCSR 0x1f80, the x87 and XMM registers 0, and every
 * XSAVE component but PKRU marked initial in XSTATE_BV, so rt_sigreturn's
 * XRSTOR zeroes the AVX and AVX-512 registers (the components' own bytes
 * need no clearing: XRSTOR does not read them). PKRU keeps the program's
 * value (abi-run offers no protection keys; Linux's exec would reset it to
 * its default). Without the magic, rt_sigreturn restores the FXSAVE part
 * and puts the rest in its initial state itself. */
void hosted_fpstate_init(u8 *fp)
{
	u32 magic, xstate_size;

	if (!fp)
		return;
	memset(fp, 0, 24);            /* fcw fsw ftw fop fip fdp */
	fp[0] = 0x7f, fp[1] = 0x03;   /* fcw 0x37f */
	fp[24] = 0x80, fp[25] = 0x1f; /* mxcsr 0x1f80 (mxcsr_mask kept) */
	fp[26] = 0, fp[27] = 0;
	memset(fp + 32, 0, 416 - 32); /* st0-7, xmm0-15 */
	memcpy(&magic, fp + FPU_SW_BYTES, 4);
	memcpy(&xstate_size, fp + FPU_SW_BYTES + 16, 4);
	if (magic == FP_XSTATE_MAGIC1 && xstate_size >= XSAVE_HEADER + 64) {
		u64 bv;

		memcpy(&bv, fp + XSAVE_HEADER, 8);
		bv &= XSTATE_PKRU;
		memcpy(fp + XSAVE_HEADER, &bv, 8);
	}
}

u32 hosted_fpstate_size(const u8 *fp)
{
	u32 magic, extended;

	memcpy(&magic, fp + FPU_SW_BYTES, 4);
	memcpy(&extended, fp + FPU_SW_BYTES + 4, 4);
	return magic == FP_XSTATE_MAGIC1 && extended > 512 && extended <= 64 * 1024 ? extended
										    : 512;
}

/* Linux's struct rt_sigframe (x86_64): the return address the handler's
 * ret pops, the ucontext, the siginfo; the FPU state lies above it. */
struct rt_sigframe {
	u64 pretcode;
	struct host_ucontext uc;
	struct linux_siginfo info;
};

#define EFLAGS_TF 0x100
#define EFLAGS_DF 0x400
#define EFLAGS_RF 0x10000
/* The flags rt_sigreturn takes from the frame (Linux's FIX_EFLAGS). */
#define FIX_EFLAGS 0x50dd5
#define RED_ZONE 128

/* Linux's get_sigframe and x64_setup_rt_frame. false: the frame could not
 * be placed or written. */
static bool setup_frame(struct host_ucontext *uc, int sig, const struct k_sigaction *ka,
			const struct linux_siginfo *info, u64 mask, bool fault)
{
	u64 regs_sp = uc->gregs[REG_RSP];
	bool nested = on_sig_stack(regs_sp);
	u64 sp = regs_sp - RED_ZONE, top;
	u8 *fp = hosted_frame_fpu(uc);
	u32 fpsize = fp ? hosted_fpstate_size(fp) : 0;
	struct rt_sigframe f;
	u64 fpaddr, frame;

	if (!(ka->flags & SA_RESTORER))
		return false; /* x86_64 has no default restorer */
	top = sigframe_stack(ka, sp);
	fpaddr = (top - fpsize) & ~63ULL;
	frame = ((fpaddr - sizeof f) & ~15ULL) - 8;
	if ((nested || top != sp) && !(on_sig_stack(frame) && on_sig_stack(top)))
		return false; /* the alternate stack overflowed */
	memset(&f, 0, sizeof f);
	f.pretcode = ka->restorer;
	f.uc.uc_flags = uc->uc_flags;
	signal_altstack_save((struct linux_stack_t *)&f.uc.ss_sp);
	memcpy(f.uc.gregs, uc->gregs, sizeof f.uc.gregs);
	f.uc.gregs[REG_OLDMASK] = mask;
	if (!fault)
		f.uc.gregs[REG_ERR] = f.uc.gregs[REG_TRAPNO] = f.uc.gregs[REG_CR2] = 0;
	f.uc.fpregs = fpsize ? (u8 *)(uintptr_t)fpaddr : NULL;
	f.uc.sigmask = mask;
	f.info = *info;
	if ((fpsize && copy_to_user((uptr){ fpaddr }, uc->fpregs, fpsize) < 0) ||
	    copy_to_user((uptr){ frame }, &f, sizeof f) < 0)
		return false;
	uc->gregs[REG_RDI] = (u64)sig;
	uc->gregs[REG_RSI] = frame + offsetof(struct rt_sigframe, info);
	uc->gregs[REG_RDX] = frame + offsetof(struct rt_sigframe, uc);
	uc->gregs[REG_RAX] = 0;
	uc->gregs[REG_RSP] = frame;
	uc->gregs[REG_RIP] = ka->handler;
	uc->gregs[REG_EFL] &= ~(u64)(EFLAGS_DF | EFLAGS_RF | EFLAGS_TF);
	hosted_fpstate_init(uc->fpregs); /* the handler starts with a clean FPU */
	return true;
}

/* The interrupted call is made again: the syscall instruction, two bytes
 * back, or the function-call entry's restart. */
static void restart_call(const struct task *t, struct host_ucontext *uc)
{
	if (t->frame_fast)
		hosted_fast_restart(uc);
	else
		uc->gregs[REG_RIP] -= 2;
}

/* signal_deliver's view of a host frame: the call's result in rax, a
 * restart through restart_call with rax the call's number again. */
struct x86_deliver {
	struct host_ucontext *uc;
	long nr;
};

static void x86_result(void *ctx, long ret)
{
	((struct x86_deliver *)ctx)->uc->gregs[REG_RAX] = (u64)ret;
}

static void x86_restart(void *ctx, bool block)
{
	struct x86_deliver *d = ctx;

	d->uc->gregs[REG_RAX] = block ? ABI_X86_64_NR_restart_syscall : (u64)d->nr;
	restart_call(current, d->uc);
}

static bool x86_frame(void *ctx, int sig, const struct k_sigaction *ka,
		      const struct linux_siginfo *info, u64 mask, bool fault)
{
	return setup_frame(((struct x86_deliver *)ctx)->uc, sig, ka, info, mask, fault);
}

void hosted_signals(struct host_ucontext *uc, bool in_syscall, long nr, long ret)
{
	static const struct signal_regs ops = { x86_result, x86_restart, x86_frame };
	struct x86_deliver d = { uc, nr };
	struct task *t = current;

	/* the common case: nothing to deliver, restart or restore */
	if (!signal_pending() && !t->restore_blocked &&
	    (!in_syscall || ret < -ERESTART_RESTARTBLOCK || ret > -ERESTARTSYS)) {
		if (in_syscall)
			uc->gregs[REG_RAX] = (u64)ret;
		return;
	}
	signal_deliver(&ops, &d, in_syscall, ret);
}

long hosted_sigreturn(void)
{
	struct task *t = current;
	struct host_ucontext *uc = t->frame;
	u64 frame = uc->gregs[REG_RSP] - 8;
	struct rt_sigframe f;

	if (copy_from_user(&f, (uptr){ frame }, sizeof f) < 0)
		goto bad;
	hosted_frame_fpu(uc);
	set_current_blocked(f.uc.sigmask);
	for (int i = REG_R8; i <= REG_RIP; i++)
		uc->gregs[i] = f.uc.gregs[i];
	uc->gregs[REG_EFL] = (uc->gregs[REG_EFL] & ~(u64)FIX_EFLAGS) |
			     (f.uc.gregs[REG_EFL] & FIX_EFLAGS);
	if (uc->fpregs && f.uc.fpregs) {
		u32 size = hosted_fpstate_size(uc->fpregs);
		u8 sw[48];

		/* the guest's registers, the host's description of its own
		 * area: the host's rt_sigreturn reads what it wrote */
		memcpy(sw, uc->fpregs + FPU_SW_BYTES, sizeof sw);
		if (copy_from_user(uc->fpregs, (uptr){ (u64)(uintptr_t)f.uc.fpregs }, size) < 0)
			goto bad;
		memcpy(uc->fpregs + FPU_SW_BYTES, sw, sizeof sw);
	} else {
		hosted_fpstate_init(uc->fpregs);
	}
	t->user_sp = uc->gregs[REG_RSP];
	if (restore_altstack((const struct linux_stack_t *)&f.uc.ss_sp) < 0)
		goto bad;
	return (long)uc->gregs[REG_RAX];
bad:
	force_sigsegv(0);
	return 0;
}

/* The si_code a fault gets: the host's, except that an address the guest
 * never mapped is SEGV_MAPERR (the host sees abi-run's inaccessible
 * reservation there, an ACCERR). */
void hosted_guest_fault(int sig, const void *hinfo, struct host_ucontext *uc)
{
	struct linux_siginfo info;

	memcpy(&info, hinfo, sizeof info);
	if (sig == SIGSEGV && info.si_code == SEGV_ACCERR) {
		bool mapped;

		kmutex_lock(&kernel_mm.lock);
		mapped = vma_find(&kernel_mm, info.fault.addr) != NULL;
		kmutex_unlock(&kernel_mm.lock);
		if (!mapped)
			info.si_code = SEGV_MAPERR;
	}
	force_signal(sig, &info);
	hosted_signals(uc, false, 0, 0);
}

void hosted_host_signal(int sig, struct linux_siginfo *info)
{
	kernel_enter();
	if (sig == PLAT_SIG_TIMER && info->si_code == SI_TIMER) {
		/* a guest POSIX timer's expiry (kernel/plat/linux/timer.c) */
		posix_timer_fire(info->timer.value, info->timer.overrun);
	} else {
		if (info->si_code <= 0)
			info->kill.pid = 0; /* a sender the guest cannot see */
		send_signal(sig, info, NULL);
	}
	kernel_leave();
}
