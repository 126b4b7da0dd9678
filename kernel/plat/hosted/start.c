/* Process entry of abi-run: a static-pie with no libc and no dynamic
 * linker. Before anything else it moves itself out of the guest's way:
 *
 *  1. its image moves (mremap) to a random page of its own region,
 *     [HOSTED_REGION_BASE, +HOSTED_REGION_SIZE), where Linux puts nothing a
 *     program relies on (docs/DESIGN.md, "Address space");
 *  2. there it applies its own R_X86_64_RELATIVE relocations for the new
 *     base, copies the host's initial stack (argc, argv, envp, auxv and
 *     their strings) to a stack in the region and switches to it;
 *  3. it reserves the rest of Linux's user range for the guest with
 *     PROT_NONE mappings, which also evicts what the host put there (its
 *     old image, the host stack, [vdso], [vvar]), so that from then on
 *     every host allocation abi-run makes, at any hint, can only land in
 *     its region, and the guest has all of [0x10000, 0x7ffffffff000) but
 *     the region;
 *
 * then calls hosted_main with the copied stack. */
#include <abi/types.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include "loader.h"
#include "../linux/syscall.h"
#include "hosted.h"

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
#define AT_PLATFORM 15
#define AT_BASE_PLATFORM 24
#define AT_SYSINFO_EHDR 33

#define START_PAGE 4096UL
#define HOST_STACK_SIZE (8UL << 20) /* beyond the copied block */
#define HOST_STACK_GUARD (1UL << 20)

extern struct dyn _DYNAMIC[] __attribute__((visibility("hidden")));
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

_Noreturn void hosted_main(u64 *sp);
void hosted_start_c(u64 *sp);

/* Where start-up put things, for --verbose and the tests (hosted_region). */
struct hosted_region hosted_region;

static u64 page_down(u64 v)
{
	return v & ~(START_PAGE - 1);
}

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

static int prot_of(u32 p_flags)
{
	return ((p_flags & PF_R) ? PROT_READ : 0) | ((p_flags & PF_W) ? PROT_WRITE : 0) |
	       ((p_flags & PF_X) ? PROT_EXEC : 0);
}

/* Moves [from, from+len) to to; the old pages stay mapped (DONTUNMAP) so
 * that the text running now keeps running. Without DONTUNMAP for file
 * mappings (hosts before 5.13) the pages are copied instead. */
static bool move_part(u64 from, u64 len, u64 to, int prot)
{
	long r;

	if (!len)
		return true;
	r = host_syscall5(HOST_NR(mremap), from, len, len,
			  MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to);
	if (!IS_ERR_VALUE(r))
		return true;
	r = start_mmap(to, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	if (IS_ERR_VALUE(r))
		return false;
	for (u64 i = 0; i < len; i += 8)
		*(volatile u64 *)(uintptr_t)(to + i) = *(const volatile u64 *)(uintptr_t)(from + i);
	return host_syscall3(HOST_NR(mprotect), to, len, prot) == 0;
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

static _Noreturn void start_stage2(u64 *sp, u64 old_base, u64 span);
static _Noreturn void start_stage3(u64 *sp);

/* Runs before relocation, at the host's choice of base: only PC-relative
 * addresses, no global pointers. */
__attribute__((used)) void hosted_start_c(u64 *sp)
{
	u64 base = (u64)(uintptr_t)__ehdr_start; /* linked at 0: the load bias */
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(uintptr_t)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(uintptr_t)(base + eh->e_phoff);
	u64 span = 0, rnd = 0, nb, *aux = auxv_of(sp);
	void (*next)(u64 *, u64, u64);

	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && page_up(ph[i].p_vaddr + ph[i].p_memsz) > span)
			span = page_up(ph[i].p_vaddr + ph[i].p_memsz);
	for (u64 *a = aux; a[0]; a += 2)
		if (a[0] == AT_RANDOM)
			rnd = *(const u64 *)(uintptr_t)a[1];
	/* A random page of the image window; never over the image itself. */
	nb = HOSTED_REGION_BASE + (rnd % (HOSTED_IMAGE_WINDOW / START_PAGE)) * START_PAGE;
	if (nb < base + span && base < nb + span)
		nb = base + span;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		u64 v = ph[i].p_vaddr, s = page_down(v), f = page_up(v + ph[i].p_filesz),
		    e = page_up(v + ph[i].p_memsz);
		int prot = prot_of(ph[i].p_flags);

		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		if (f > e)
			f = e;
		/* the file's pages, then the anonymous pages of the bss */
		if (!move_part(base + s, f - s, nb + s, prot) ||
		    !move_part(base + f, e - f, nb + f, prot)) {
			/* Stay where the host put us: the guest range then has
			 * abi-run's image in it, which hosted_main reports. */
			nb = base;
			break;
		}
	}
	next = (void (*)(u64 *, u64, u64))(uintptr_t)((u64)(uintptr_t)start_stage2 - base + nb);
	next(sp, base, span);
	__builtin_unreachable();
}

/* Runs in the moved image: relocates it, then copies the initial stack. */
static _Noreturn void start_stage2(u64 *sp, u64 old_base, u64 span)
{
	u64 base = (u64)(uintptr_t)__ehdr_start;
	const struct rela *rela = 0;
	u64 relasz = 0, end = 0, top, size, len, delta, *nsp, *aux;
	char **argv = (char **)(sp + 1), **envp = argv + sp[0] + 1;
	long r;

	for (struct dyn *d = _DYNAMIC; d->tag != DT_NULL; d++) {
		if (d->tag == DT_RELA)
			rela = (const struct rela *)(uintptr_t)(base + d->val);
		else if (d->tag == DT_RELASZ)
			relasz = d->val;
	}
	for (u64 i = 0; rela && i < relasz / sizeof *rela; i++)
		if ((rela[i].info & 0xffffffff) == R_X86_64_RELATIVE)
			*(u64 *)(uintptr_t)(base + rela[i].off) = base + (u64)rela[i].addend;
	hosted_region.image = base;
	hosted_region.image_size = span;
	hosted_region.moved = base != old_base;
	hosted_region.old_image = old_base;

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

	if (hosted_region.moved)
		host_syscall2(HOST_NR(munmap), hosted_region.old_image, hosted_region.image_size);
	if (hosted_region.moved && hosted_region.stack) {
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
		hosted_region.guest_ok =
			b < (16UL << 20) &&
			!IS_ERR_VALUE(start_mmap(hi, HOSTED_GUEST_END - hi, PROT_NONE, flags));
		for (u64 *a = aux; a[0]; a += 2)
			if (a[0] == AT_RANDOM)
				pad = ((const u64 *)(uintptr_t)a[1])[1];
		pad = (pad % (HOSTED_PAD_MAX / START_PAGE)) * START_PAGE;
		if (pad)
			start_mmap(hi - pad, pad, PROT_NONE, flags);
		hosted_region.pad = pad;
	}
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
