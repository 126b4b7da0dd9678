# musl-compat (abi): int __set_thread_area(void *tp) is
# arch_prctl(ARCH_SET_FS, tp), through the entry when there is one.
	.text
	.global __set_thread_area
	.hidden __set_thread_area, __abi_entry
	.type __set_thread_area,@function
__set_thread_area:
	mov %rdi,%rsi
	mov $0x1002,%edi
	mov $158,%eax
	mov __abi_entry(%rip),%rcx
	test %rcx,%rcx
	jz 1f
	call *%rcx
	ret
1:	syscall
	ret
	.size __set_thread_area,.-__set_thread_area
