# musl-compat (abi): int __clone(int (*fn)(void *), void *stack, int flags,
# void *arg, pid_t *ptid, void *tls, pid_t *ctid). The raw clone takes
# flags, stack, ptid, ctid, tls; the child finds arg on top of its new stack
# and fn in r9, which the call (like `syscall`) keeps. Through the entry the
# child starts at the call's return address with rsp = the new stack.
	.text
	.global __clone
	.hidden __clone, __abi_entry
	.type __clone,@function
__clone:
	mov $56,%eax
	mov %rdi,%r11
	mov %rdx,%rdi
	mov %r8,%rdx
	mov %r9,%r8
	mov 8(%rsp),%r10
	mov %r11,%r9
	and $-16,%rsi
	sub $8,%rsi
	mov %rcx,(%rsi)
	mov __abi_entry(%rip),%rcx
	test %rcx,%rcx
	jz 1f
	call *%rcx
	jmp 2f
1:	syscall
2:	test %eax,%eax
	jnz 4f
	xor %ebp,%ebp
	pop %rdi
	call *%r9
	mov %eax,%edi
	mov $60,%eax
	mov __abi_entry(%rip),%rcx
	test %rcx,%rcx
	jz 3f
	call *%rcx
3:	syscall
	hlt
4:	ret
	.size __clone,.-__clone
