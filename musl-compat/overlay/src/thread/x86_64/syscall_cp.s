# musl-compat (abi): the cancellable system call, long
# __syscall_cp_asm(volatile int *cancel, nr, a1, a2, a3, a4, a5, a6).
# Two cancellable regions, one for each way in, each ending just after its
# syscall/call instruction: a signal that finds the thread inside one (before
# the call, or in a blocked call being restarted) acts on the cancellation;
# one that finds it at the end (the call done) leaves the result alone.
# pthread_cancel.c (patches/cancel-regions.patch) knows both, and a fast
# call that the kernel restarts (rip in the kernel, rcx = __cp_fend).
	.text
	.global __cp_begin, __cp_end, __cp_fbegin, __cp_fend, __cp_cancel
	.hidden __cp_begin, __cp_end, __cp_fbegin, __cp_fend, __cp_cancel
	.hidden __cancel, __abi_entry
	.global __syscall_cp_asm
	.hidden __syscall_cp_asm
	.type __syscall_cp_asm,@function
__syscall_cp_asm:
	cmpq $0,__abi_entry(%rip)
	jne __cp_fbegin
__cp_begin:
	mov (%rdi),%eax
	test %eax,%eax
	jnz __cp_cancel
	mov %rdi,%r11
	mov %rsi,%rax
	mov %rdx,%rdi
	mov %rcx,%rsi
	mov %r8,%rdx
	mov %r9,%r10
	mov 8(%rsp),%r8
	mov 16(%rsp),%r9
	mov %r11,8(%rsp)
	syscall
__cp_end:
	ret
__cp_fbegin:
	mov (%rdi),%eax
	test %eax,%eax
	jnz __cp_cancel
	mov %rsi,%rax
	mov %rdx,%rdi
	mov %rcx,%rsi
	mov %r8,%rdx
	mov %r9,%r10
	mov 8(%rsp),%r8
	mov 16(%rsp),%r9
	mov __abi_entry(%rip),%rcx
	call *%rcx
__cp_fend:
	ret
__cp_cancel:
	jmp __cancel
	.size __syscall_cp_asm,.-__syscall_cp_asm
