# musl-compat (abi): void __unmapself(void *base, size_t size) unmaps the
# calling thread's own stack, then exits the thread. Through the entry, the
# munmap call's push lands on the stack before it goes, and the entry
# returns without reading it again; the exit call then pushes onto
# __abi_exit_stack (src/internal/abi_entry.c), since it never returns.
	.text
	.global __unmapself
	.hidden __abi_entry, __abi_exit_stack
	.type __unmapself,@function
__unmapself:
	mov $11,%eax
	mov __abi_entry(%rip),%rcx
	test %rcx,%rcx
	jz 1f
	call *%rcx
	lea __abi_exit_stack+16(%rip),%rsp
	xor %edi,%edi
	mov $60,%eax
	mov __abi_entry(%rip),%rcx
	call *%rcx
	hlt
1:	syscall
	xor %edi,%edi
	mov $60,%eax
	syscall
	hlt
	.size __unmapself,.-__unmapself
