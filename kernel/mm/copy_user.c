/* The user-copy routines: the only instructions of the kernel that touch
 * guest memory. The VMA map (uaccess.c) is the first gate, but a page it
 * calls accessible can still fault on the host: a shared mapping of a host
 * file that another process truncated, a page the platform has not mapped
 * yet. So these few loops live in one text range, [uaccess_text_start,
 * uaccess_text_end), and each has exactly one instruction that may touch
 * guest memory. When that instruction faults, the platform's fault handler
 * asks uaccess_fixup where to resume and continues there instead of dying:
 * the fixup returns what Linux's exception-table fixups return, the count
 * not copied, so the caller gives EFAULT or a short transfer.
 *
 * The routines take no stack and change no callee-saved register, so a
 * fixup is a plain return from the interrupted routine. */
#include <kernel/mm.h>

#define HIDDEN_FUNC(name) \
	".globl " #name "\n.hidden " #name "\n.type " #name ",@function\n" #name ":\n"
#define HIDDEN_LABEL(name) ".globl " #name "\n.hidden " #name "\n" #name ":\n"

__asm__(".text\n"
	".balign 16\n" HIDDEN_LABEL(uaccess_text_start)

	/* size_t uaccess_copy(void *dst, const void *src, size_t n): either
	 * side may be guest memory; returns the bytes not copied. rep movsb
	 * faults precisely: rcx is what is left. */
	HIDDEN_FUNC(
		uaccess_copy) "	cld\n"
			      "	mov %rdx, %rcx\n" HIDDEN_LABEL(
				      uaccess_copy_insn) "	rep movsb\n"
							 "	xor %eax, %eax\n"
							 "	ret\n" HIDDEN_LABEL(
								 uaccess_copy_fixup) "	mov %rcx, %rax\n"
										     "	ret\n"
										     ".size uaccess_copy, . - uaccess_copy\n"

	/* size_t uaccess_clear(void *dst, size_t n): the bytes not zeroed. */
	HIDDEN_FUNC(uaccess_clear) "	cld\n"
				   "	mov %rsi, %rcx\n"
				   "	xor %eax, %eax\n" HIDDEN_LABEL(
					   uaccess_clear_insn) "	rep stosb\n"
							       "	ret\n" /* eax is still 0 */
	HIDDEN_LABEL(uaccess_clear_fixup) "	mov %rcx, %rax\n"
					  "	ret\n"
					  ".size uaccess_clear, . - uaccess_clear\n"

	/* long uaccess_strncpy(char *dst, const char *src, size_t n): copies
	 * up to and including a NUL, at most n bytes; the string's length, n
	 * when there is no NUL in n bytes, or -1 when src faults. */
	HIDDEN_FUNC(
		uaccess_strncpy) "	xor %eax, %eax\n"
				 "1:	cmp %rdx, %rax\n"
				 "	je 2f\n" HIDDEN_LABEL(
					 uaccess_strncpy_insn) "	movzbl (%rsi,%rax), %ecx\n"
							       "	mov %cl, (%rdi,%rax)\n"
							       "	test %cl, %cl\n"
							       "	je 2f\n"
							       "	inc %rax\n"
							       "	jmp 1b\n"
							       "2:	ret\n" HIDDEN_LABEL(
								       uaccess_strncpy_fixup) "	mov $-1, %rax\n"
											      "	ret\n"
											      ".size uaccess_strncpy, . - uaccess_strncpy\n"

	/* long uaccess_cmpxchg32(u32 *uaddr, u32 *expected, u32 newval): one
	 * locked compare-and-exchange of a guest word (the futex operations'
	 * atomic read-modify-write); *expected becomes the value found there.
	 * 0, or -1 when uaddr faults. A locked cmpxchg always writes, so a
	 * read-only page faults even when the comparison fails. */
	HIDDEN_FUNC(uaccess_cmpxchg32) "	mov (%rsi), %eax\n" HIDDEN_LABEL(
		uaccess_cmpxchg32_insn) "	lock cmpxchg %edx, (%rdi)\n"
					"	mov %eax, (%rsi)\n"
					"	xor %eax, %eax\n"
					"	ret\n" HIDDEN_LABEL(
						uaccess_cmpxchg32_fixup) "	mov $-1, %rax\n"
									 "	ret\n"
									 ".size uaccess_cmpxchg32, . - uaccess_cmpxchg32\n"

	HIDDEN_LABEL(uaccess_text_end) ".previous\n");

#define HIDDEN __attribute__((visibility("hidden")))

extern const char uaccess_text_start[] HIDDEN, uaccess_text_end[] HIDDEN;
extern const char uaccess_copy_insn[] HIDDEN, uaccess_copy_fixup[] HIDDEN;
extern const char uaccess_clear_insn[] HIDDEN, uaccess_clear_fixup[] HIDDEN;
extern const char uaccess_strncpy_insn[] HIDDEN, uaccess_strncpy_fixup[] HIDDEN;
extern const char uaccess_cmpxchg32_insn[] HIDDEN, uaccess_cmpxchg32_fixup[] HIDDEN;

uintptr_t uaccess_fixup(uintptr_t rip)
{
	/* The exception table: each routine's one guest-touching instruction
	 * and where a fault there resumes. */
	static const struct {
		const char *insn, *fixup;
	} table[] = {
		{ uaccess_copy_insn, uaccess_copy_fixup },
		{ uaccess_clear_insn, uaccess_clear_fixup },
		{ uaccess_strncpy_insn, uaccess_strncpy_fixup },
		{ uaccess_cmpxchg32_insn, uaccess_cmpxchg32_fixup },
	};

	if (rip < (uintptr_t)uaccess_text_start || rip >= (uintptr_t)uaccess_text_end)
		return 0;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (rip == (uintptr_t)table[i].insn)
			return (uintptr_t)table[i].fixup;
	return 0;
}
