/* fake_entry.c: a stand-in for the kernel's function-call entry, linked
 * into a static musl-compat program, so the overlay's entry path runs on
 * plain Linux as well: a constructor points musl-compat's __abi_entry (a
 * hidden symbol of libc.a, which a static link can still reach) at
 * fake_entry, which counts the call and makes it with `syscall`. At exit it
 * prints the counts on stderr. It keeps the entry's contract where the call
 * needs it: a clone child returns on its new stack, rt_sigreturn finds its
 * frame where Linux does, and a munmap of the caller's own stack
 * (__unmapself) returns without reading that stack again. */
#include <stdio.h>
#include <stdlib.h>

extern unsigned long __abi_entry;
unsigned long fake_calls, fake_clones;

void fake_entry(void);
__asm__(".text\n"
	".globl fake_entry\n"
	"fake_entry:\n"
	"	lock incq fake_calls(%rip)\n"
	"	cmp $56, %eax\n"
	"	je 1f\n"
	"	cmp $15, %eax\n"
	"	je 3f\n"
	"	cmp $11, %eax\n"
	"	je 4f\n"
	"	syscall\n"
	"	ret\n"
	/* clone: the child's stack gets the return address below musl's arg */
	"1:	lock incq fake_clones(%rip)\n"
	"	test %rsi, %rsi\n"
	"	jz 2f\n"
	"	mov (%rsp), %rcx\n"
	"	sub $8, %rsi\n"
	"	mov %rcx, (%rsi)\n"
	"2:	syscall\n"
	"	ret\n"
	/* rt_sigreturn: the frame is just above the call's return address */
	"3:	add $8, %rsp\n"
	"	syscall\n"
	"	hlt\n"
	/* munmap: unmapping the caller's stack (rdi <= rsp < rdi + rsi)? */
	"4:	cmp %rdi, %rsp\n"
	"	jb 5f\n"
	"	lea (%rdi,%rsi), %rcx\n"
	"	cmp %rcx, %rsp\n"
	"	jae 5f\n"
	"	mov (%rsp), %rcx\n"
	"	movq %rcx, %xmm15\n" /* the thread ends next: its xmm15 is free */
	"	syscall\n"
	"	movq %xmm15, %rcx\n"
	"	jmp *%rcx\n"
	"5:	syscall\n"
	"	ret\n");

static void report(void)
{
	fprintf(stderr, "fake entry: calls=%lu clones=%lu\n", fake_calls, fake_clones);
}

__attribute__((constructor)) static void install(void)
{
	__abi_entry = (unsigned long)fake_entry;
	atexit(report);
}
