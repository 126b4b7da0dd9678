# musl-compat (abi): the signal restorer, rt_sigreturn. A handler's `ret`
# lands here with rsp just past the frame's return address; the entry finds
# the frame where Linux does for `syscall` (its caller's rsp + 8 - 8).
# Unwinders that recognise Linux's restorer by its bytes (mov $15,%rax;
# syscall) do not recognise this one on the entry path: there is no CFI.
	.text
	.global __restore_rt
	.hidden __restore_rt, __abi_entry
	.type __restore_rt,@function
__restore_rt:
	mov $15,%eax
	mov __abi_entry(%rip),%rcx
	test %rcx,%rcx
	jz 1f
	call *%rcx
1:	mov $15,%rax
	syscall
	.size __restore_rt,.-__restore_rt
