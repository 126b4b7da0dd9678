/* The function-call entry: a program built with musl-compat calls the
 * kernel instead of executing `syscall` (docs/DESIGN.md, "The function-call
 * entry"). No SIGSYS, no host syscall unless the call itself needs one.
 *
 * The contract (musl-compat/README.md): the number in rax, the arguments in
 * rdi, rsi, rdx, r10, r8, r9, `call *entry` in place of `syscall`; rcx,
 * r11 and the flags are clobbered and every other register is kept, as the
 * instruction keeps them. The caller is built without a red zone, so the
 * call's push lands on free stack.
 *
 * Each thread's GS base is the top of its kernel stack (the host's FSGSBASE
 * instructions; a guest has no GS of its own on Linux's x86_64 ABI, and
 * arch_prctl(ARCH_SET_GS) is refused). The top FAST_AREA bytes of that
 * stack hold the entry's frame, a struct host_ucontext at a fixed place, and
 * five words the entry and the exit address through %gs; the host
 * sigaltstack ends below them, so a host signal never writes there. The
 * entry saves the registers into the frame, switches to the kernel stack
 * below it and calls hosted_fast_syscall, which serves the call exactly as
 * the SIGSYS handler does (trap.c) and delivers signals into the same
 * frame. The plain exit (rip and rsp unchanged) reloads only what the C
 * code may have changed and jumps back; the full exit loads every register
 * from the frame and jumps to its rip with its rsp: a signal handler, a
 * restarted call, a sigreturn and a new program after exec all leave that
 * way.
 *
 * The FPU state is never saved on the way in (the kernel is built with
 * -mgeneral-regs-only, so it is still the guest's): hosted_frame_fpu saves
 * it with XSAVE, in the layout of a host signal frame, only when a signal
 * frame, a sigreturn, a new thread or an exec needs it, and the exit
 * restores it from there. */
#include <abi/syscalls.h>
#include <kernel/lib.h>
#include <kernel/proc.h>
#include <kernel/task.h>
#include "../linux/syscall.h"
#include "elf.h" /* AT_HWCAP2 */
#include "hosted.h"

#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define FPU_SW_BYTES 464
#define XSAVE_HEADER 512
#define HWCAP2_FSGSBASE 2

_Static_assert(offsetof(struct host_ucontext, gregs) == 40, "gregs at 40");
_Static_assert(FAST_FRAME_SIZE >= sizeof(struct host_ucontext) && FAST_FRAME_SIZE % 16 == 0,
	       "the frame fits its place");

/* The %gs-relative words at the stack's top, as the assembly spells them:
 * -8 the caller's rsp on the way in, -16 the frame's address, -24 and -32
 * the rip and rsp the exit jumps with, -40 set when a kick came while the
 * kernel ran (hosted_fast_kick), -48 set when the call came from a
 * rewritten site (rewrite.c), for --stats. The frame's registers are at 40 + 8 * REG_*
 * (gregs at 40). */

extern const char hosted_fast_reentry[], hosted_fast_exit_begin[], hosted_fast_exit[],
	hosted_fast_exit_end[], hosted_fast_recheck[];

/* hosted_fast_entry: rcx = the return address (as `syscall` sets it),
 * the caller's rsp just above it. hosted_fast_reentry: the same call again
 * (a restart), rcx = where to return, rsp the caller's. */
__asm__(".text\n"
	".globl hosted_fast_entry, hosted_fast_reentry, hosted_fast_exit\n"
	".globl hosted_fast_exit_begin, hosted_fast_exit_end, hosted_fast_recheck\n"
	".hidden hosted_fast_entry, hosted_fast_reentry, hosted_fast_exit\n"
	".hidden hosted_fast_exit_begin, hosted_fast_exit_end, hosted_fast_recheck\n"
	".globl hosted_site_entry\n"
	".hidden hosted_site_entry\n"
	".type hosted_site_entry,@function\n"
	"hosted_site_entry:\n" /* from a rewritten site's stub (rewrite.c) */
	"	movq $1, %gs:-48\n"
	"	jmp hosted_fast_reentry\n"
	".type hosted_fast_entry,@function\n"
	"hosted_fast_entry:\n"
	"	mov (%rsp), %rcx\n"
	"	lea 8(%rsp), %r11\n"
	"	mov %r11, %gs:-8\n"
	"	jmp 1f\n"
	"hosted_fast_reentry:\n"
	"	mov %rsp, %gs:-8\n"
	"1:	mov %gs:-16, %rsp\n"
	"	movq $0, %gs:-40\n"
	"	mov %r8, 40(%rsp)\n"
	"	mov %r9, 48(%rsp)\n"
	"	mov %r10, 56(%rsp)\n"
	"	mov %r12, 72(%rsp)\n"
	"	mov %r13, 80(%rsp)\n"
	"	mov %r14, 88(%rsp)\n"
	"	mov %r15, 96(%rsp)\n"
	"	mov %rdi, 104(%rsp)\n"
	"	mov %rsi, 112(%rsp)\n"
	"	mov %rbp, 120(%rsp)\n"
	"	mov %rbx, 128(%rsp)\n"
	"	mov %rdx, 136(%rsp)\n"
	"	mov %rax, 144(%rsp)\n"
	"	mov %rcx, 152(%rsp)\n"
	"	mov %rcx, 168(%rsp)\n"
	"	mov %gs:-8, %r11\n"
	"	mov %r11, 160(%rsp)\n"
	"	pushfq\n"
	"	pop %r11\n"
	"	mov %r11, 176(%rsp)\n"
	"	mov %r11, 64(%rsp)\n" /* r11 = rflags, as `syscall` leaves it */
	"	cld\n"
	"	mov %rsp, %rdi\n"
	"	call hosted_fast_syscall\n"
	/* From here to hosted_fast_exit_end the frame is only read, and a
	 * kick reroutes to hosted_fast_recheck; one that came earlier, while
	 * the kernel ran on, left the word at -40. */
	"hosted_fast_exit_begin:\n"
	"	cmpq $0, %gs:-40\n"
	"	jne hosted_fast_recheck\n"
	"	test %eax, %eax\n"
	"	jz hosted_fast_exit\n"
	/* the plain return: only what the C code may have changed */
	"	mov 40(%rsp), %r8\n"
	"	mov 48(%rsp), %r9\n"
	"	mov 56(%rsp), %r10\n"
	"	mov 104(%rsp), %rdi\n"
	"	mov 112(%rsp), %rsi\n"
	"	mov 136(%rsp), %rdx\n"
	"	mov 144(%rsp), %rax\n"
	"	mov 168(%rsp), %rcx\n"
	"	mov 160(%rsp), %rsp\n"
	"	jmp *%rcx\n"
	"hosted_fast_exit:\n" /* every register from the frame */
	"	mov 168(%rsp), %rax\n"
	"	mov %rax, %gs:-24\n"
	"	mov 160(%rsp), %rax\n"
	"	mov %rax, %gs:-32\n"
	"	pushq 176(%rsp)\n"
	"	popfq\n"
	"	mov 40(%rsp), %r8\n"
	"	mov 48(%rsp), %r9\n"
	"	mov 56(%rsp), %r10\n"
	"	mov 64(%rsp), %r11\n"
	"	mov 72(%rsp), %r12\n"
	"	mov 80(%rsp), %r13\n"
	"	mov 88(%rsp), %r14\n"
	"	mov 96(%rsp), %r15\n"
	"	mov 104(%rsp), %rdi\n"
	"	mov 112(%rsp), %rsi\n"
	"	mov 120(%rsp), %rbp\n"
	"	mov 128(%rsp), %rbx\n"
	"	mov 136(%rsp), %rdx\n"
	"	mov 144(%rsp), %rax\n"
	"	mov 152(%rsp), %rcx\n"
	"	mov %gs:-32, %rsp\n"
	"	jmp *%gs:-24\n"
	"hosted_fast_exit_end:\n"
	"hosted_fast_recheck:\n" /* a kick during the exit (hosted_fast_kick) */
	"	movq $0, %gs:-40\n"
	"	cld\n"
	"	mov %rsp, %rdi\n"
	"	call hosted_fast_kicked\n"
	"	jmp hosted_fast_exit\n");

/* What a host signal frame's FPU state says of itself (the software bytes
 * at 464) and what the rest of a frame carries, as the host wrote them for
 * abi-run's first signal (hosted_fast_template): a frame the entry builds
 * looks like the host's. */
static struct {
	bool taken, xsave;
	u8 sw[48];
	u32 size; /* the XSAVE area's bytes (512 with FXSAVE only) */
	u64 mask; /* the XSAVE components the host saves */
	u64 uc_flags, csgsfs;
} tmpl;

void hosted_fast_template(const struct host_ucontext *uc)
{
	u32 magic = 0, size = 0;

	if (tmpl.taken)
		return;
	tmpl.taken = true;
	tmpl.uc_flags = uc->uc_flags;
	tmpl.csgsfs = uc->gregs[REG_CSGSFS];
	tmpl.size = 512;
	if (!uc->fpregs)
		return;
	memcpy(tmpl.sw, uc->fpregs + FPU_SW_BYTES, sizeof tmpl.sw);
	memcpy(&magic, tmpl.sw, 4);
	memcpy(&size, tmpl.sw + 16, 4); /* xstate_size */
	memcpy(&tmpl.mask, tmpl.sw + 8, 8);
	if (magic == FP_XSTATE_MAGIC1 && size > XSAVE_HEADER && size + 4 <= FAST_FPU_MAX) {
		tmpl.xsave = true;
		tmpl.size = size;
	}
}

/* Whether abi-run offers the entry: the host lets guest code use the GS
 * base instructions (Linux >= 5.9 on a CPU with FSGSBASE), and the options
 * allow it. */
void hosted_fast_setup(bool allowed)
{
	if (allowed && (plat_cpu_aux(AT_HWCAP2) & HWCAP2_FSGSBASE))
		plat_fast_entry = (u64)(uintptr_t)hosted_fast_entry;
}

/* The template is taken when the first program that takes the entry
 * starts, not at every start (a signal is some 15 µs of it here): from uc,
 * the host's frame of the SIGSYS that brought its exec, or, at abi-run's
 * own start (uc NULL), from a kick to this thread, which its handler takes
 * (on_kick: the kick arrives in abi-run's text). */
void hosted_fast_prepare(const struct host_ucontext *uc)
{
	if (!current_proc.fastcall || !plat_fast_entry || tmpl.taken) /* tmpl: a page of its own */
		return;
	if (uc)
		hosted_fast_template(uc);
	else
		host_syscall3(HOST_NR(tgkill), host_syscall0(HOST_NR(getpid)),
			      host_syscall0(HOST_NR(gettid)), HOST_SIG_KICK);
}

/* The calling thread's GS base and frame slot: the entry's, when the
 * running program takes it, else 0 as Linux's exec leaves it. */
void hosted_fast_thread(u64 top)
{
	if (current_proc.fastcall && plat_fast_entry)
		hosted_fast_gs(top);
	else
		__asm__ volatile("wrgsbase %0" ::"r"(0UL) : "memory");
}

void hosted_fast_gs(u64 top)
{
	((u64 *)(uintptr_t)top)[-2] = top - FAST_AREA; /* %gs:-16 */
	__asm__ volatile("wrgsbase %0" ::"r"(top) : "memory");
}

u8 *hosted_frame_fpu(struct host_ucontext *uc)
{
	struct task *t = current;
	u8 *buf = t->fpu_buf;

	if (uc->fpregs || !t->frame_fast)
		return uc->fpregs;
	uc->uc_flags = tmpl.uc_flags;
	uc->gregs[REG_CSGSFS] = tmpl.csgsfs;
	if (tmpl.xsave) {
		memset(buf + XSAVE_HEADER, 0, 64);
		__asm__ volatile("xsave64 %0"
				 : "+m"(*(u8(*)[FAST_FPU_MAX])buf)
				 : "a"((u32)tmpl.mask), "d"((u32)(tmpl.mask >> 32)));
		memcpy(buf + FPU_SW_BYTES, tmpl.sw, sizeof tmpl.sw);
		u32 magic2 = FP_XSTATE_MAGIC2;
		memcpy(buf + tmpl.size, &magic2, 4);
	} else {
		__asm__ volatile("fxsave64 %0" : "+m"(*(u8(*)[512])buf));
		memset(buf + FPU_SW_BYTES, 0, 48);
	}
	uc->fpregs = buf;
	return buf;
}

/* The frame's FPU state back into the FPU, made safe for XRSTOR first
 * (a sigreturn copied it from the guest): what Linux's restore checks,
 * enforced instead of refused. */
static void fpu_restore(struct host_ucontext *uc)
{
	u8 *fp = uc->fpregs;
	u32 mxcsr, mxcsr_mask;

	uc->fpregs = NULL;
	if (!fp)
		return;
	memcpy(&mxcsr, fp + 24, 4);
	memcpy(&mxcsr_mask, fp + 28, 4);
	mxcsr &= mxcsr_mask ? mxcsr_mask : 0xffbf;
	memcpy(fp + 24, &mxcsr, 4);
	if (tmpl.xsave) {
		u64 bv;

		memcpy(&bv, fp + XSAVE_HEADER, 8);
		bv &= tmpl.mask;
		memset(fp + XSAVE_HEADER, 0, 64);
		memcpy(fp + XSAVE_HEADER, &bv, 8);
		__asm__ volatile("xrstor64 %0"
				 :
				 : "m"(*(const u8(*)[FAST_FPU_MAX])fp), "a"((u32)tmpl.mask),
				   "d"((u32)(tmpl.mask >> 32)));
	} else {
		__asm__ volatile("fxrstor64 %0" : : "m"(*(const u8(*)[512])fp));
	}
}

/* The call; true for the plain return (to the caller, nothing but rax
 * changed), false for the exit that loads the whole frame. */
bool hosted_fast_syscall(struct host_ucontext *uc);
bool hosted_fast_syscall(struct host_ucontext *uc)
{
	u8 fpu[FAST_FPU_MAX] __attribute__((aligned(64)));
	u64 rip = uc->gregs[REG_RIP], rsp = uc->gregs[REG_RSP];
	bool plain;

	u64 site;

	__asm__ volatile("mov %%gs:-48, %0\n\tmovq $0, %%gs:-48" : "=r"(site)::"memory");
	uc->fpregs = NULL;
	hosted_serve(uc, (long)uc->gregs[REG_RAX], fpu, site != 0);
	plain = !uc->fpregs && uc->gregs[REG_RIP] == rip && uc->gregs[REG_RSP] == rsp;
	fpu_restore(uc);
	return plain;
}

/* A kick that came during the exit: the exit's registers were not all
 * restored, or the jump not yet made; the frame is whole. The signals are
 * taken as for a kick in guest code, and the exit starts again. */
void hosted_fast_kicked(struct host_ucontext *uc);
void hosted_fast_kicked(struct host_ucontext *uc)
{
	u8 fpu[FAST_FPU_MAX] __attribute__((aligned(64)));

	hosted_enter(uc, fpu);
	hosted_signals(uc, false, 0, 0);
	fpu_restore(uc);
	kernel_leave();
}

bool hosted_fast_kick(struct host_ucontext *uc)
{
	u64 rip = uc->gregs[REG_RIP], frame, gs;

	if (!plat_fast_entry)
		return false;
	if (rip < (u64)(uintptr_t)hosted_fast_exit_begin ||
	    rip >= (u64)(uintptr_t)hosted_fast_exit_end) {
		/* in the kernel, on the entry's way (a thread that takes it
		 * has a GS base): the exit looks at %gs:-40 */
		__asm__("rdgsbase %0" : "=r"(gs));
		if (gs && hosted_in_text(rip))
			((volatile u64 *)(uintptr_t)gs)[-5] = 1;
		return false;
	}
	__asm__("mov %%gs:-16, %0" : "=r"(frame));
	uc->gregs[REG_RSP] = frame;
	uc->gregs[REG_RIP] = (u64)(uintptr_t)hosted_fast_recheck;
	return true;
}

void hosted_fast_restart(struct host_ucontext *uc)
{
	uc->gregs[REG_RCX] = uc->gregs[REG_RIP];
	uc->gregs[REG_RIP] = (u64)(uintptr_t)hosted_fast_reentry;
}
