/* Process entry of abi-run: a static-pie with no libc and no dynamic
 * linker, so it applies its own R_X86_64_RELATIVE relocations before any
 * code reads a pointer from its data, then calls hosted_main with the
 * host's initial stack (argc, argv, envp, auxv). */
#include <abi/flags.h>
#include <abi/types.h>
#include <kernel/lib.h>
#include "../linux/syscall.h"

struct dyn {
	s64 tag;
	u64 val;
};
struct rela {
	u64 off, info;
	s64 addend;
};

#define DT_NULL 0
#define DT_RELA 7
#define DT_RELASZ 8
#define R_X86_64_RELATIVE 8

extern struct dyn _DYNAMIC[] __attribute__((visibility("hidden")));
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

_Noreturn void hosted_main(u64 *sp);
void hosted_start_c(u64 *sp);

/* Runs before relocation: only PC-relative addresses, no global pointers. */
__attribute__((used)) void hosted_start_c(u64 *sp)
{
	u64 base = (u64)(uintptr_t)__ehdr_start; /* linked at 0: the load bias */
	const struct rela *rela = 0;
	u64 relasz = 0, lo = ~0ULL, hi = 0;

	for (struct dyn *d = _DYNAMIC; d->tag != DT_NULL; d++) {
		if (d->tag == DT_RELA)
			rela = (const struct rela *)(uintptr_t)(base + d->val);
		else if (d->tag == DT_RELASZ)
			relasz = d->val;
	}
	/* The relocated pages (the generated tables' pointers: some 30) are
	 * faulted in by one host call rather than one host page fault each. */
	for (u64 i = 0; rela && i < relasz / sizeof *rela; i++) {
		lo = MIN(lo, rela[i].off);
		hi = MAX(hi, rela[i].off + 8);
	}
	if (lo < hi)
		host_syscall3(HOST_NR(madvise), base + (lo & ~4095ULL),
			      ((hi + 4095) & ~4095ULL) - (lo & ~4095ULL), MADV_POPULATE_WRITE);
	for (u64 i = 0; rela && i < relasz / sizeof *rela; i++)
		if ((rela[i].info & 0xffffffff) == R_X86_64_RELATIVE)
			*(u64 *)(uintptr_t)(base + rela[i].off) = base + (u64)rela[i].addend;
	hosted_main(sp);
}

__asm__(".text\n"
	".globl _start\n"
	".type _start,@function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call hosted_start_c\n"
	"	hlt\n");
