/* The emulated platform (abi-run --emu, abi/emu): the program's instructions
 * run in unicorn, its syscalls are the kernel's, served here in C from
 * unicorn's hooks.
 *
 * Python (abi/emu/engine.py) loads libunicorn through the unicorn package
 * and libabik.so, fills struct emu_uc_api with unicorn's entry points and
 * struct emu_arch from the architecture's module (abi/emu/arch_*.py), and
 * calls abi_emu_main, which never returns: it runs abi-run's own start-up
 * (options.c, fs.c: the same options, root, mounts and fds 0-2), has the
 * kernel exec the program (kernel_execve: the loader, the initial stack and
 * the auxv are the kernel's), and runs it, each guest thread in an engine
 * of its own on a host thread of its own. Guest memory is host memory,
 * mapped into every engine at the same address (uc_mem_map_ptr); the
 * kernel's address-space changes reach the engines through plat_mem_hook.
 *
 * An architecture is data (struct emu_arch: unicorn's arch and mode, how a
 * syscall is caught, which registers the frame holds and where the syscall
 * number, arguments and result are) plus C code for what data cannot say
 * (struct emu_frame_ops: the process entry state, the signal frame and
 * rt_sigreturn), chosen by emu_arch.abi_arch: frame_x86_64.c,
 * frame_aarch64.c. */
#ifndef ABI_PLAT_EMU_H
#define ABI_PLAT_EMU_H

#include <abi/types.h>

/* unicorn's entry points (unicorn.h), as the unicorn package loaded them. */
struct uc_mem_region_s {
	u64 begin, end; /* end inclusive */
	u32 perms;
};
struct emu_uc_api {
	u32 size; /* sizeof, checked */
	int (*open)(int arch, int mode, void **uc);
	int (*close)(void *uc);
	int (*emu_start)(void *uc, u64 begin, u64 until, u64 timeout, size_t count);
	int (*emu_stop)(void *uc);
	int (*reg_read_batch)(void *uc, const int *regs, void **vals, int count);
	int (*reg_write_batch)(void *uc, const int *regs, void *const *vals, int count);
	int (*mem_map_ptr)(void *uc, u64 addr, size_t size, u32 perms, void *ptr);
	int (*mem_unmap)(void *uc, u64 addr, size_t size);
	int (*mem_protect)(void *uc, u64 addr, size_t size, u32 perms);
	int (*mem_regions)(void *uc, struct uc_mem_region_s **regions, u32 *count);
	int (*free)(void *mem);
	int (*hook_add)(void *uc, size_t *hh, int type, void *callback, void *user_data, u64 begin,
			u64 end, ...);
	const char *(*strerror)(int err);
	int (*ctl)(void *uc, int control, ...);
	int (*context_alloc)(void *uc, void **ctx);
	int (*context_save)(void *uc, void *ctx);
	int (*context_restore)(void *uc, void *ctx);
	/* The host's threads (libc's pthread_create & co), for one engine per
	 * guest thread: an engine uses libc and its TLS, so its thread must
	 * be libc's. attr is a buffer of attr_size bytes. */
	int (*pthread_attr_init)(void *attr);
	int (*pthread_attr_setstack)(void *attr, void *stack, size_t size);
	int (*pthread_attr_setdetachstate)(void *attr, int state);
	int (*pthread_create)(u64 *thread, const void *attr, void *(*fn)(void *), void *arg);
	/* unicorn's constants the engine needs (unicorn_const.py) */
	int hook_code, hook_block, hook_mem_invalid, hook_insn_invalid, hook_intr, hook_insn;
	int mem_read, mem_write, mem_fetch; /* uc_mem_type of a read/write/fetch */
	int mem_read_unmapped, mem_write_unmapped, mem_fetch_unmapped;
	int mem_read_prot, mem_write_prot, mem_fetch_prot;
	/* uc_ctl's code of UC_CTL_TLB_FLUSH (a write, no argument): unicorn
	 * keeps a protection it cached in its TLB after uc_mem_protect takes
	 * it away, so every change to the map is followed by a flush */
	int ctl_tlb_flush;
};

#define EMU_MAX_REGS 48
#define EMU_MAX_FP 40
#define EMU_TRAP_HALT 0xffffffffu

/* An architecture (abi/emu/arch_*.py's ARCH, as C sees it). */
struct emu_arch {
	u32 size;     /* sizeof, checked */
	int abi_arch; /* ABI_ARCH_X86_64, ABI_ARCH_AARCH64 (abi/syscalls.h) */
	int uc_arch, uc_mode;
	/* How a syscall instruction reaches the kernel: UC_HOOK_INSN with
	 * insn (x86_64: UC_X86_INS_SYSCALL), or UC_HOOK_INTR with interrupt
	 * number intno (aarch64: svc is EXCP_SWI, 2). */
	int hook_type, hook_insn, intno;
	/* Bytes of the syscall instruction: pc - insn_len restarts it. */
	int insn_len;
	/* What to add to the pc the engine shows in the syscall hook to get
	 * the address after the instruction (x86_64: insn_len, unicorn adds it
	 * after the hook; aarch64: 0). */
	int hook_pc_offset;
	/* The general registers, unicorn ids, in the order of the frame code's
	 * regs[] (x86_64: ucontext's gregs REG_R8 .. REG_EFL; aarch64: x0-x30,
	 * sp, pc, pstate); then indexes into it. */
	int nregs;
	int regs[EMU_MAX_REGS];
	int i_nr, i_ret, i_args[6], i_pc, i_sp;
	/* The TLS register (x86_64 FS base, aarch64 TPIDR_EL0): a unicorn id. */
	int reg_tls;
	/* Extra registers set at every process entry to 0 (x86_64: GS base). */
	int nzero;
	int zero[8];
	/* The FPU/SIMD registers of the signal frame (unicorn ids, in the
	 * frame code's order), read and written only with a frame. */
	int nfp;
	int fp[EMU_MAX_FP];
};

/* One guest thread's engine. */
struct emu_cpu {
	void *uc;
	struct task *task;
	/* The frame code's (x86_64: a struct host_ucontext), holding the
	 * registers of the entry in progress (emu_frame_ops.regs). */
	void *frame;
	/* A fault a hook saw: its signal, si_code and si_addr, and whether
	 * the access was a write or an instruction fetch. */
	int fault_sig, fault_code;
	u64 fault_addr;
	bool fault_write, fault_fetch;
	u32 fault_trapno;    /* x86_64: the exception's vector (frame_x86_64.c) */
	bool fault_halt;     /* x86_64: the fault is a hlt (frame_x86_64.c) */
	bool stopping;       /* the engine was stopped (a kick, a pc change) */
	bool stop_req;       /* another thread asks it to stop (at its next block) */
	u64 insns, syscalls; /* --count */
	/* The CPU state of the new engine, to put an exception behind it (see
	 * emu.c's forget_exception) */
	void *clean_ctx;
	bool fault_trap; /* the fault came from an interrupt (on_intr) */
	/* Threads: the kernel stack the kernel entries run on (0: the boot
	 * thread's own stack), where a thread's exit jumps back to (emu.c),
	 * and that it has exited. */
	u64 kstack_top;
	u64 exit_jb[8];
	u32 *slot_word;
	bool exited;
};
/* A change to guest memory (plat_mem_hook's arguments). */
struct emu_memop {
	int op, prot;
	u64 addr, len, to;
};

/* What data cannot say of an architecture: the C of frame_<arch>.c. All
 * but init run locked at a kernel entry, with the registers loaded. */
struct emu_frame_ops {
	/* Makes cpu->frame (a new engine). 0 or -errno. */
	long (*init)(struct emu_cpu *cpu);
	/* The registers of emu_arch.regs, in that order, inside the frame: the
	 * engine reads them in and writes them back in one batch each. */
	u64 *(*regs)(struct emu_cpu *cpu);
	/* The psABI process entry state after an exec: pc entry, sp at argc,
	 * every other register as Linux's execve leaves it, no TLS. */
	void (*entry)(struct emu_cpu *cpu, u64 entry, u64 sp);
	/* Delivers the calling task's pending signals (Linux's
	 * arch_do_signal_or_restart): in_syscall with the call's nr and
	 * result, which it writes into the result register (or restarts the
	 * call); else after a fault or a kick. A default action that kills
	 * ends the process here. */
	void (*signals)(struct emu_cpu *cpu, bool in_syscall, long nr, long ret);
	/* rt_sigreturn: restores the registers, the mask and the altstack from
	 * the frame at the guest's sp; returns the restored result register. */
	long (*sigreturn)(struct emu_cpu *cpu);
	/* Optional: the fault's hardware details in the frame (x86_64: trapno,
	 * err, cr2) before its signal is delivered. */
	void (*fault)(struct emu_cpu *cpu);
	/* Optional: an interrupt the engine raised that is not the syscall
	 * (x86_64: a divide error, int3, int N) at pc, as the fault the
	 * kernel would report;
	 * record it in cpu->fault_*. NULL: SIGSEGV, SI_KERNEL. intno
	 * EMU_TRAP_HALT: the engine stopped by itself (x86_64's hlt, after
	 * which unicorn's pc is past the instruction). */
	void (*trap)(struct emu_cpu *cpu, u32 intno, u64 pc);
	/* A new thread's registers (clone): the parent's frame copied, with
	 * the result 0 and sp when not 0. */
	void (*clone)(struct emu_cpu *child, const struct emu_cpu *parent, u64 sp);
};
extern const struct emu_frame_ops emu_frame_x86_64;
/* aarch64's: frame_aarch64.c defines this function, returning its ops; until
 * it exists, emu.c's weak one returns NULL (no aarch64 under --emu). */
const struct emu_frame_ops *emu_frame_aarch64(void);

/* libabik.so's entry for abi/emu (exported): runs the command line argv
 * (abi-run's options, then the program) under unicorn; does not return
 * (the process ends as the guest's does). 2 when the arguments are bad. */
int abi_emu_main(int argc, char **argv, char **envp, const struct emu_uc_api *api,
		 const struct emu_arch *arch, u32 flags, u64 max_insns);
#define ABI_EMU_COUNT 0x1 /* --count: instructions and syscalls at exit */

/* The FPU/SIMD registers (emu_arch.fp) in and out of the engine, each
 * value in a 16-byte slot of vals (little-endian, zero-extended). */
void emu_fp_read(struct emu_cpu *cpu, u8 (*vals)[16]);
void emu_fp_write(struct emu_cpu *cpu, u8 (*vals)[16]);

/* The calling thread's cpu (current->plat). */
struct emu_cpu *emu_current(void);
const struct emu_arch *emu_arch(void);

#endif
