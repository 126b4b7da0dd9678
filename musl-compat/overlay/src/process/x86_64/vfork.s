# musl-compat (abi): pid_t vfork(void). The return address lives in rdx
# across the call, since the child runs first on the same stack; the entry
# reads the call's return address once and never from the stack again.
	.text
	.global vfork
	.hidden __syscall_ret, __abi_entry
	.type vfork,@function
vfork:
	pop %rdx
	mov $58,%eax
	mov __abi_entry(%rip),%rcx
	test %rcx,%rcx
	jz 1f
	call *%rcx
	jmp 2f
1:	syscall
2:	push %rdx
	mov %rax,%rdi
	jmp __syscall_ret
	.size vfork,.-vfork
