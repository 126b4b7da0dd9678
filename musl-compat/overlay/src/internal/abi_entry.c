/* musl-compat (abi): the kernel's function-call entry (arch syscall_arch.h),
 * set from aux type AT_ABI_ENTRY by __init_libc (static programs) and by
 * the dynamic linker's stage 2 (dynamic ones), before their first system
 * call. 0 means "use the syscall instruction". */
#include "syscall.h"

hidden unsigned long __abi_entry;

/* The stack of a thread's last call, exit, after __unmapself has unmapped
 * its own stack: the call only pushes its return address here and never
 * returns, so threads exiting at once may share it. */
hidden unsigned long __abi_exit_stack[2];

hidden void __abi_entry_from_auxv(const unsigned long *auxv)
{
	for (; auxv[0]; auxv += 2)
		if (auxv[0] == AT_ABI_ENTRY) __abi_entry = auxv[1];
}

/* The ABI note (owner "abi", type 0xab1): abi-run passes AT_ABI_ENTRY only
 * to a program whose image or interpreter carries it. Every program linked
 * with musl-compat has it: this object defines __abi_entry, which every
 * system call reads, and libc.so (the interpreter) holds it too. */
__asm__(".pushsection .note.abi,\"a\",@note\n"
	".balign 4\n"
	".long 4, 4, 0xab1\n"
	".asciz \"abi\"\n"
	".long 1\n"
	".popsection\n");
