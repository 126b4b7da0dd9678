/* Process entry of abi-run: a static executable with no libc and no
 * dynamic linker, linked at a fixed address of its own region,
 * [HOSTED_REGION_BASE, +HOSTED_REGION_SIZE), where Linux puts nothing a
 * program relies on (docs/DESIGN.md, "Address space"). The host's exec has
 * already put the image there, so nothing needs moving or relocating:
 *
 *  1. it copies the host's initial stack (argc, argv, envp, auxv and their
 *     strings) to a stack in the region and switches to it;
 *  2. it reserves the rest of Linux's user range for the guest with
 *     PROT_NONE mappings, which also evicts what the host put there (the
 *     host stack, [vdso], [vvar]), so that from then on every host
 *     allocation abi-run makes, at any hint, can only land in its region,
 *     and the guest has all of [0x10000, 0x7ffffffff000) but the region;
 *
 * then calls hosted_main with the copied stack. (abi-run was a static-pie
 * that moved itself to a random place in the region and relocated itself
 * there: the relocation's copy-on-write faults and the moves were the
 * largest part of its start-up; docs/BENCHMARKS.md.) */
#include <abi/types.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include "loader.h"
#include "../linux/syscall.h"
#include "hosted.h"

#define AT_PLATFORM 15
#define AT_BASE_PLATFORM 24
#define AT_SYSINFO_EHDR 33

#define START_PAGE 4096UL
#define HOST_STACK_SIZE (8UL << 20) /* beyond the copied block */
#define HOST_STACK_GUARD (1UL << 20)

extern const char __ehdr_start[] __attribute__((visibility("hidden")));

_Noreturn void hosted_main(u64 *sp);
void hosted_start_c(u64 *sp);

/* Where start-up put things, for --verbose and the tests (hosted_region). */
struct hosted_region hosted_region;

static u64 page_up(u64 v)
{
	return (v + START_PAGE - 1) & ~(START_PAGE - 1);
}

static long start_mmap(u64 addr, u64 len, int prot, int flags)
{
	return host_syscall6(HOST_NR(mmap), (long)addr, (long)len, prot, flags, -1, 0);
}

static size_t start_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static u64 *auxv_of(u64 *sp)
{
	u64 *p = sp + 1 + sp[0] + 1; /* past argc, argv[], NULL */

	while (*p)
		p++;
	return p + 1;
}

/* The host's vm.mmap_min_addr, which the program's mmap obeys as it would
 * natively; 0 if unreadable. */
static u64 read_mmap_min_addr(void)
{
	char buf[32];
	long fd = host_syscall4(HOST_NR(openat), AT_FDCWD, "/proc/sys/vm/mmap_min_addr",
				O_RDONLY | O_CLOEXEC, 0);
	long n = fd < 0 ? -1 : host_syscall3(HOST_NR(read), fd, buf, sizeof buf);
	u64 v = 0;

	if (fd >= 0)
		host_syscall1(HOST_NR(close), fd);
	for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (u64)(buf[i] - '0');
	return v;
}

static _Noreturn void start_stage3(u64 *sp);

/* Copies the initial stack to the region and switches to it. */
__attribute__((used)) void hosted_start_c(u64 *sp)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(uintptr_t)__ehdr_start;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(uintptr_t)((u64)(uintptr_t)eh + eh->e_phoff);
	u64 base = (u64)(uintptr_t)__ehdr_start, span = 0, end = 0, top, size, len, delta, *nsp,
	    *aux;
	char **argv = (char **)(sp + 1), **envp = argv + sp[0] + 1;
	long r;

	PROF("start");
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && page_up(ph[i].p_vaddr + ph[i].p_memsz) > base + span)
			span = page_up(ph[i].p_vaddr + ph[i].p_memsz) - base;
	hosted_region.image = base;
	hosted_region.image_size = span;
	hosted_region.in_region = base >= HOSTED_REGION_BASE &&
				  base + span <= HOSTED_REGION_BASE + HOSTED_IMAGE_WINDOW;

	/* The host's initial stack block: from sp up to the end of its last
	 * string (AT_EXECFN's, at the top). */
	for (char **p = argv; *p; p++)
		end = MAX(end, (u64)(uintptr_t)*p + start_strlen(*p) + 1);
	for (char **p = envp; *p; p++)
		end = MAX(end, (u64)(uintptr_t)*p + start_strlen(*p) + 1);
	aux = auxv_of(sp);
	for (u64 *a = aux; a[0]; a += 2)
		if (a[0] == AT_EXECFN || a[0] == AT_PLATFORM || a[0] == AT_BASE_PLATFORM)
			end = MAX(end, a[1] + start_strlen((const char *)(uintptr_t)a[1]) + 1);
	end = (end + 15) & ~15UL;
	size = end - (u64)(uintptr_t)sp;
	len = page_up(size) + HOST_STACK_SIZE;
	top = page_up(base + span) + HOST_STACK_GUARD + len;
	r = start_mmap(top - len, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE);
	if (IS_ERR_VALUE(r) || (u64)r != top - len)
		start_stage3(sp); /* keep the host's stack; hosted_main says why */
	nsp = (u64 *)(uintptr_t)(top - size);
	memcpy(nsp, sp, size);
	delta = (u64)(uintptr_t)nsp - (u64)(uintptr_t)sp;
	/* Every pointer into the block moves with it. */
	for (u64 *p = nsp + 1; *p; p++)
		*p += delta;
	for (u64 *p = nsp + 1 + nsp[0] + 1; *p; p++)
		*p += delta;
	for (u64 *a = auxv_of(nsp); a[0]; a += 2) {
		if (a[1] >= (u64)(uintptr_t)sp && a[1] < end &&
		    (a[0] == AT_EXECFN || a[0] == AT_PLATFORM || a[0] == AT_BASE_PLATFORM ||
		     a[0] == AT_RANDOM))
			a[1] += delta;
		if (a[0] == AT_SYSINFO_EHDR) /* the [vdso] goes with the guest range */
			a[1] = 0;
	}
	hosted_region.stack = top - len;
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "call *%1\n\t"
			 "hlt"
			 :
			 : "D"(nsp), "r"(start_stage3)
			 : "memory");
	__builtin_unreachable();
}

/* On the new stack: the guest's range is reserved, evicting the host's
 * leftovers below and above the region; a random pad at the region's top
 * makes the kernel heap's addresses random too (hint-0 host mappings fill
 * the region from its top down). */
static _Noreturn void start_stage3(u64 *sp)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED;
	u64 lo = HOSTED_REGION_BASE, hi = HOSTED_REGION_BASE + HOSTED_REGION_SIZE, pad = 0;
	u64 *aux = auxv_of(sp);

	PROF("start: stack copied");
	if (hosted_region.in_region && hosted_region.stack) {
		/* From the lowest page the host lets us map: page 1 with
		 * CAP_SYS_RAWIO, else mmap_min_addr (0x10000 by default; lower
		 * addresses are EPERM), as the program would natively. */
		u64 b = HOSTED_GUEST_BASE;

		while (b < (16UL << 20) && IS_ERR_VALUE(start_mmap(b, lo - b, PROT_NONE, flags)))
			b <<= 1;
		hosted_region.guest_base = b;
		hosted_region.mmap_min_addr = read_mmap_min_addr();
		if (!hosted_region.mmap_min_addr)
			hosted_region.mmap_min_addr = b;
		for (u64 *a = aux; a[0]; a += 2)
			if (a[0] == AT_RANDOM)
				pad = ((const u64 *)(uintptr_t)a[1])[1];
		pad = (pad % (HOSTED_PAD_MAX / START_PAGE)) * START_PAGE;
		/* the pad and the guest's range above the region: one mapping */
		hosted_region.guest_ok =
			b < (16UL << 20) &&
			!IS_ERR_VALUE(start_mmap(hi - pad, HOSTED_GUEST_END - (hi - pad), PROT_NONE,
						 flags));
		hosted_region.pad = pad;
	}
	PROF("start: reserved");
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
