/* Raw host system calls for the Linux platforms. Only kernel/plat/linux/
 * includes this. Numbers come from the generated table header, so nothing
 * here spells one. */
#ifndef ABI_PLAT_LINUX_SYSCALL_H
#define ABI_PLAT_LINUX_SYSCALL_H

#include <abi/types.h>
#include <abi/unistd_x86_64.h>

#if !defined(__x86_64__)
#error "kernel/plat/linux: only x86_64 hosts so far"
#endif

#define HOST_NR(name) ABI_X86_64_NR_##name

/* One out-of-line function (host_syscall.c) so that every raw host syscall
 * of the kernel lies at a single known address range: the hosted platform's
 * Syscall User Dispatch allows exactly that region. */
long host_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

#define host_syscall0(nr) host_syscall6((nr), 0, 0, 0, 0, 0, 0)
#define host_syscall1(nr, a) host_syscall6((nr), (long)(a), 0, 0, 0, 0, 0)
#define host_syscall2(nr, a, b) host_syscall6((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define host_syscall3(nr, a, b, c) host_syscall6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define host_syscall4(nr, a, b, c, d) \
	host_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define host_syscall5(nr, a, b, c, d, e) \
	host_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* The host's auxiliary vector as this process's initial stack has it (the
 * pairs up to AT_NULL), for plat_cpu_aux; otherwise it reads /proc/self/auxv. */
void plat_linux_host_auxv(const u64 *auxv);

struct plat_stat;
/* newfstatat converted to the kernel's plat_stat (console.c): the one
 * conversion the console and the host files share. */
long host_fstatat(int dirfd, const char *path, struct plat_stat *st, int flags);

#endif
