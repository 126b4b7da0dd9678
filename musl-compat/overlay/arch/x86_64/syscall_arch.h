/* musl-compat (abi): x86_64 system calls as function calls.
 *
 * __abi_entry is the kernel's function-call entry, read from the aux vector
 * (type 0xab1, AT_ABI_ENTRY) before the first system call; 0 on plain Linux.
 * The entry takes the `syscall` instruction's registers (rax = number, rdi,
 * rsi, rdx, r10, r8, r9 = arguments, result in rax) and clobbers what the
 * instruction clobbers (rcx, r11, flags), so one asm serves both: rcx holds
 * the entry while it is tested. musl-compat is built with -mno-red-zone, so
 * the call's push never lands on live data. */

#define __SYSCALL_LL_E(x) (x)
#define __SYSCALL_LL_O(x) (x)

#define AT_ABI_ENTRY 0xab1

extern __attribute__((__visibility__("hidden"))) unsigned long __abi_entry;
__attribute__((__visibility__("hidden"))) void __abi_entry_from_auxv(const unsigned long *auxv);

#define __ABI_SYSCALL                                                     \
	"mov %[entry],%%rcx\n\t"                                          \
	"test %%rcx,%%rcx\n\t"                                            \
	"jz 1f\n\t"                                                       \
	"call *%%rcx\n\t"                                                 \
	"jmp 2f\n"                                                        \
	"1:\tsyscall\n"                                                   \
	"2:"

#define __ABI_CLOBBERS "rcx", "r11", "memory", "cc"

static __inline long __syscall0(long n)
{
	unsigned long ret;
	__asm__ __volatile__(__ABI_SYSCALL : "=a"(ret)
			     : [entry] "m"(__abi_entry), "a"(n) : __ABI_CLOBBERS);
	return ret;
}

static __inline long __syscall1(long n, long a1)
{
	unsigned long ret;
	__asm__ __volatile__(__ABI_SYSCALL : "=a"(ret)
			     : [entry] "m"(__abi_entry), "a"(n), "D"(a1) : __ABI_CLOBBERS);
	return ret;
}

static __inline long __syscall2(long n, long a1, long a2)
{
	unsigned long ret;
	__asm__ __volatile__(__ABI_SYSCALL : "=a"(ret)
			     : [entry] "m"(__abi_entry), "a"(n), "D"(a1), "S"(a2)
			     : __ABI_CLOBBERS);
	return ret;
}

static __inline long __syscall3(long n, long a1, long a2, long a3)
{
	unsigned long ret;
	__asm__ __volatile__(__ABI_SYSCALL : "=a"(ret)
			     : [entry] "m"(__abi_entry), "a"(n), "D"(a1), "S"(a2), "d"(a3)
			     : __ABI_CLOBBERS);
	return ret;
}

static __inline long __syscall4(long n, long a1, long a2, long a3, long a4)
{
	unsigned long ret;
	register long r10 __asm__("r10") = a4;
	__asm__ __volatile__(__ABI_SYSCALL : "=a"(ret)
			     : [entry] "m"(__abi_entry), "a"(n), "D"(a1), "S"(a2), "d"(a3),
			       "r"(r10)
			     : __ABI_CLOBBERS);
	return ret;
}

static __inline long __syscall5(long n, long a1, long a2, long a3, long a4, long a5)
{
	unsigned long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	__asm__ __volatile__(__ABI_SYSCALL : "=a"(ret)
			     : [entry] "m"(__abi_entry), "a"(n), "D"(a1), "S"(a2), "d"(a3),
			       "r"(r10), "r"(r8)
			     : __ABI_CLOBBERS);
	return ret;
}

static __inline long __syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	unsigned long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ __volatile__(__ABI_SYSCALL : "=a"(ret)
			     : [entry] "m"(__abi_entry), "a"(n), "D"(a1), "S"(a2), "d"(a3),
			       "r"(r10), "r"(r8), "r"(r9)
			     : __ABI_CLOBBERS);
	return ret;
}

/* The vDSO is Linux's; under abi-run there is none (no AT_SYSINFO_EHDR),
 * so clock_gettime takes the entry like every other call. */
#define VDSO_USEFUL
#define VDSO_CGT_SYM "__vdso_clock_gettime"
#define VDSO_CGT_VER "LINUX_2.6"
#define VDSO_GETCPU_SYM "__vdso_getcpu"
#define VDSO_GETCPU_VER "LINUX_2.6"

#define IPC_64 0
