/* The process's architecture and what differs between the ABIs the kernel
 * serves. The kernel works in x86_64's ABI (its structs, flags.h's values);
 * an aarch64 process (the emulated platform) reaches it through the
 * generated aarch64 dispatch table, which converts flag arguments whose bits
 * differ (abi_flags_*_from_aarch64), and through the helpers here, which
 * convert the structs whose layout differs. Each such layout is described
 * once, in core/arch.c. */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <abi/syscalls.h>
#include <kernel/linux.h>

/* Exported: the platform's choice of the process's arch (core/arch.c). */
int abi_set_arch(int arch);
/* The current process's enum abi_arch (ABI_ARCH_X86_64 at boot). */
int arch_current(void);
/* uname's machine and AT_PLATFORM: "x86_64", "aarch64". */
const char *arch_name(void);
/* The e_machine exec accepts: EM_X86_64 (62), EM_AARCH64 (183). */
u16 arch_elf_machine(void);
/* The auxv's CPU entries (AT_HWCAP, AT_HWCAP2, AT_MINSIGSTKSZ) for the
 * process, given the host's: the host CPU's on x86_64; on aarch64 AT_HWCAP
 * is FP and ASIMD, what every ARMv8-A core has (the emulator's base), and
 * the others are absent (0), as under qemu-aarch64. */
u64 arch_aux(u64 type, u64 host_value);
/* The smallest sigaltstack sigaltstack accepts: the arch's uapi
 * MINSIGSTKSZ (2048 on x86_64, 5120 on aarch64). */
u64 arch_minsigstksz(void);

/* What exec maps for the arch besides the image and the stack: on
 * aarch64, [sigpage], one read-only executable page holding rt_sigreturn's
 * trampoline (mov x8, #139; svc #0), which a handler returns to when its
 * sigaction has no SA_RESTORER (glibc sets none: Linux's trampoline is in
 * the vDSO, which this kernel does not map; 32-bit arm Linux maps the same
 * [sigpage]). 0 or -errno. */
long arch_exec_mappings(void);
/* The trampoline's address, or 0. */
u64 arch_sigreturn_trampoline(void);

/* struct stat (fstat, newfstatat, stat, lstat) to the guest in the
 * process's layout: 0 or -EFAULT. */
long arch_put_stat(uptr dst, const struct linux_stat *st);
/* ... and back, for a tracer: the guest's struct stat at src. */
long arch_get_stat(struct linux_stat *st, uptr src);

/* struct epoll_event, whatever its layout: packed, 12 bytes on x86_64;
 * 16 on aarch64. */
struct arch_epoll_event {
	u32 events;
	u64 data;
};
size_t arch_epoll_event_size(void);
long arch_get_epoll_event(struct arch_epoll_event *ev, uptr src);
long arch_put_epoll_event(uptr dst, const struct arch_epoll_event *ev);

/* open flags as the process's ABI spells them, from and to the kernel's
 * (x86_64's): for what the dispatch table cannot convert (F_SETFL and
 * F_GETFL, open_how.flags, /proc/PID/fdinfo). */
u32 arch_open_flags_in(u32 flags);
u32 arch_open_flags_out(u32 flags);

#endif
