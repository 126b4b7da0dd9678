/* kernel/mm: mmap, munmap, mprotect, mremap, brk, madvise, mincore, msync and
 * the user-access helpers, on a booted kernel. */
#include <abi/boot.h>
#include <abi/syscalls.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include "ktest.h"

#define PG PAGE_SIZE
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static uptr U(unsigned long a)
{
	return (uptr){ a };
}

static long map(unsigned long addr, size_t len, int prot, int flags)
{
	return sys_mmap(addr, len, (unsigned long)prot, (unsigned long)flags, (unsigned long)-1, 0);
}

static void boot(void)
{
	CHECK_EQ(abi_boot(NULL), 0);
}

static void test_mmap_basics(void)
{
	long a;
	unsigned char buf[16];

	boot();
	a = map(0, 3 * PG, RW, ANON);
	CHECK(a > 0 && (a & (long)(PG - 1)) == 0);
	CHECK((unsigned long)a >= kernel_mm.base && (unsigned long)a + 3 * PG <= kernel_mm.limit);
	CHECK(((unsigned char *)a)[0] == 0 && ((unsigned char *)a)[3 * PG - 1] == 0);
	((char *)a)[5] = 42;
	CHECK_EQ(copy_from_user(buf, U((unsigned long)a), 16), 0);
	CHECK_EQ(buf[5], 42);
	/* top-down: the next mapping sits right below and merges with it */
	CHECK_EQ(map(0, PG, RW, ANON), a - (long)PG);
	CHECK_EQ(kernel_mm.nvmas, 1);
	CHECK_EQ(sys_munmap((unsigned long)a, 3 * PG), 0);
	CHECK_EQ(copy_from_user(buf, U((unsigned long)a), 1), -EFAULT);
	CHECK_EQ(copy_from_user(buf, U((unsigned long)a - PG), 1), 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_mmap_errors(void)
{
	long a;

	boot();
	CHECK_EQ(map(0, 0, RW, ANON), -EINVAL);
	CHECK_EQ(sys_mmap(0, PG, RW, ANON, (unsigned long)-1, 1), -EINVAL);
	CHECK_EQ(map(0, PG, RW, MAP_ANONYMOUS), -EINVAL); /* no type */
	CHECK_EQ(map(0, PG, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS), -EINVAL);
	CHECK_EQ(map(0, (size_t)-1, RW, ANON), -ENOMEM);
	CHECK_EQ(map(kernel_mm.base + 1, PG, RW, ANON | MAP_FIXED), -EINVAL);
	CHECK_EQ(map(0x10000, PG, RW, ANON | MAP_FIXED), -ENOMEM); /* outside the guest */
	CHECK_EQ(sys_mmap(0, PG, RW, MAP_PRIVATE, 77, 0), -EBADF);
	a = map(0, PG, RW, ANON);
	CHECK_EQ(map((unsigned long)a, PG, RW, ANON | MAP_FIXED_NOREPLACE), -EEXIST);
	/* a taken hint is only a hint */
	CHECK(map((unsigned long)a, PG, RW, ANON) != a);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_map_fixed_replaces(void)
{
	long a;

	boot();
	a = map(0, 4 * PG, RW, ANON);
	memset((void *)a, 0x55, 4 * PG);
	CHECK_EQ(map((unsigned long)a + PG, PG, PROT_READ, ANON | MAP_FIXED), a + (long)PG);
	CHECK_EQ(((unsigned char *)a)[PG], 0);
	CHECK_EQ(((unsigned char *)a)[0], 0x55);
	CHECK_EQ(kernel_mm.nvmas, 3);
	CHECK_EQ(kernel_mm.vmas[1].prot, PROT_READ);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_mprotect(void)
{
	long a;
	char c = 1;

	boot();
	a = map(0, 4 * PG, RW, ANON);
	CHECK_EQ(sys_mprotect((unsigned long)a + PG, PG, PROT_READ), 0);
	CHECK_EQ(kernel_mm.nvmas, 3);
	CHECK_EQ(copy_to_user(U((unsigned long)a + PG), &c, 1), -EFAULT);
	CHECK_EQ(copy_from_user(&c, U((unsigned long)a + PG), 1), 0);
	CHECK_EQ(copy_to_user(U((unsigned long)a + PG - 1), &c, 2), -EFAULT);
	CHECK_EQ(sys_mprotect((unsigned long)a + PG, PG, RW), 0);
	CHECK_EQ(kernel_mm.nvmas, 1); /* merged back */
	CHECK_EQ(sys_mprotect((unsigned long)a + 1, PG, RW), -EINVAL);
	CHECK_EQ(sys_mprotect((unsigned long)a, 0, RW), 0);
	CHECK_EQ(sys_mprotect((unsigned long)a, PG, 0x100), -EINVAL);
	/* a hole: the part before it changes, then ENOMEM */
	CHECK_EQ(sys_munmap((unsigned long)a + 2 * PG, PG), 0);
	CHECK_EQ(sys_mprotect((unsigned long)a, 4 * PG, PROT_READ), -ENOMEM);
	CHECK_EQ(kernel_mm.vmas[0].prot, PROT_READ);
	CHECK_EQ(kernel_mm.vmas[0].end, (unsigned long)a + 2 * PG);
	CHECK_EQ(kernel_mm.vmas[1].prot, RW);
	CHECK_EQ(sys_mprotect((unsigned long)a + 2 * PG, PG, PROT_READ), -ENOMEM);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_munmap(void)
{
	long a;

	boot();
	a = map(0, 5 * PG, RW, ANON);
	CHECK_EQ(sys_munmap((unsigned long)a + PG, 2 * PG), 0);
	CHECK_EQ(kernel_mm.nvmas, 2);
	CHECK_EQ(sys_munmap((unsigned long)a + PG, 2 * PG), 0); /* nothing there: fine */
	CHECK_EQ(sys_munmap((unsigned long)a + 1, PG), -EINVAL);
	CHECK_EQ(sys_munmap((unsigned long)a, 0), -EINVAL);
	CHECK_EQ(sys_munmap(0x1000, PG), 0); /* outside the guest: nothing of the guest's */
	CHECK_EQ(sys_munmap((unsigned long)a, 5 * PG), 0);
	CHECK_EQ(kernel_mm.nvmas, 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_mremap(void)
{
	long a, b, c;

	boot();
	a = map(kernel_mm.base + 64 * PG, 2 * PG, RW, ANON | MAP_FIXED);
	memset((void *)a, 7, 2 * PG);
	/* shrink in place */
	CHECK_EQ(sys_mremap((unsigned long)a, 2 * PG, PG, 0, 0), a);
	CHECK_EQ(kernel_mm.vmas[0].end, (unsigned long)a + PG);
	/* grow in place into the freed page */
	CHECK_EQ(sys_mremap((unsigned long)a, PG, 2 * PG, 0, 0), a);
	CHECK_EQ(((unsigned char *)a)[PG], 0);
	CHECK_EQ(((unsigned char *)a)[0], 7);
	/* blocked above: no MAYMOVE is ENOMEM, MAYMOVE moves and keeps data */
	b = map((unsigned long)a + 2 * PG, PG, PROT_READ, ANON | MAP_FIXED);
	CHECK_EQ(b, a + 2 * (long)PG);
	CHECK_EQ(sys_mremap((unsigned long)a, 2 * PG, 4 * PG, 0, 0), -ENOMEM);
	c = sys_mremap((unsigned long)a, 2 * PG, 4 * PG, MREMAP_MAYMOVE, 0);
	CHECK(c > 0 && c != a);
	CHECK_EQ(((unsigned char *)c)[0], 7);
	CHECK_EQ(((unsigned char *)c)[3 * PG], 0);
	CHECK(vma_find(&kernel_mm, (uintptr_t)a) == NULL);
	/* FIXED onto a chosen place, replacing what is there */
	CHECK_EQ(sys_mremap((unsigned long)c, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
			    (unsigned long)a - 8 * PG),
		 a - 8 * (long)PG);
	CHECK_EQ(((unsigned char *)a - 8 * PG)[0], 7);
	/* DONTUNMAP leaves the old range mapped and empty */
	c = sys_mremap((unsigned long)a - 8 * PG, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	CHECK_EQ(c > 0, 1);
	if (c < 0) {
		abi_reset();
		CHECK_EQ(abi_reset_leaked(), 0);
		return;
	}
	CHECK_EQ(((unsigned char *)c)[0], 7);
	CHECK_EQ(((unsigned char *)a - 8 * PG)[0], 0);
	/* errors */
	CHECK_EQ(sys_mremap((unsigned long)c, PG, 2 * PG, 0x80, 0), -EINVAL);
	CHECK_EQ(sys_mremap((unsigned long)c, PG, 2 * PG, MREMAP_FIXED, 0), -EINVAL);
	CHECK_EQ(sys_mremap((unsigned long)c, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0),
		 -EINVAL);
	CHECK_EQ(sys_mremap((unsigned long)c + 1, PG, PG, 0, 0), -EINVAL);
	CHECK_EQ(sys_mremap((unsigned long)c, PG, 0, 0, 0), -EINVAL);
	CHECK_EQ(sys_mremap(kernel_mm.base, PG, 2 * PG, MREMAP_MAYMOVE, 0), -EFAULT);
	CHECK_EQ(sys_mremap((unsigned long)c, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED,
			    (unsigned long)c),
		 -EINVAL); /* overlap */
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_brk(void)
{
	unsigned long start, cur;

	boot();
	start = (unsigned long)sys_brk(0);
	CHECK_EQ(start, kernel_mm.brk_start);
	CHECK_EQ(sys_brk(start + 100), start + 100);
	CHECK_EQ(copy_to_user(U(start), "x", 1), 0);
	CHECK(vma_find(&kernel_mm, start) &&
	      strcmp(vma_find(&kernel_mm, start)->name, "[heap]") == 0);
	cur = (unsigned long)sys_brk(start + 3 * PG);
	CHECK_EQ(cur, start + 3 * PG);
	CHECK_EQ(kernel_mm.nvmas, 1);
	CHECK_EQ(sys_brk(start + 10), start + 10);
	CHECK_EQ(copy_to_user(U(start + PG), "x", 1), -EFAULT);
	CHECK_EQ(((char *)start)[0], 'x');
	/* refused requests return the current break */
	CHECK_EQ(sys_brk(start - PG), start + 10);
	map(start + 4 * PG, PG, RW, ANON | MAP_FIXED);
	CHECK_EQ(sys_brk(start + 4 * PG), start + 10); /* would leave no guard page */
	CHECK_EQ(sys_brk(start + 3 * PG), start + 3 * PG);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_madvise(void)
{
	long a;

	boot();
	a = map(0, 3 * PG, RW, ANON);
	memset((void *)a, 9, 3 * PG);
	CHECK_EQ(sys_madvise((unsigned long)a + PG, PG, MADV_DONTNEED), 0);
	CHECK_EQ(((unsigned char *)a)[PG], 0);
	CHECK_EQ(((unsigned char *)a)[0], 9);
	CHECK_EQ(((unsigned char *)a)[2 * PG], 9);
	CHECK_EQ(sys_madvise((unsigned long)a, 3 * PG, MADV_WILLNEED), 0);
	CHECK_EQ(sys_madvise((unsigned long)a, PG, 12345), -EINVAL);
	CHECK_EQ(sys_madvise((unsigned long)a + 1, PG, MADV_NORMAL), -EINVAL);
	CHECK_EQ(sys_madvise((unsigned long)a, 0, MADV_NORMAL), 0);
	CHECK_EQ(sys_madvise((unsigned long)a, PG, MADV_REMOVE), -EINVAL); /* private */
	sys_munmap((unsigned long)a + PG, PG);
	memset((void *)a, 9, PG);
	CHECK_EQ(sys_madvise((unsigned long)a, 3 * PG, MADV_DONTNEED), -ENOMEM);
	CHECK_EQ(((unsigned char *)a)[0], 0); /* advised before the hole was found */
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_mincore_msync(void)
{
	long a, v;

	boot();
	a = map(0, 4 * PG, RW, ANON);
	v = map(0, PG, RW, ANON);
	((char *)a)[0] = 1;
	CHECK_EQ(sys_mincore((unsigned long)a, 4 * PG, U((unsigned long)v)), 0);
	CHECK_EQ(((unsigned char *)v)[0], 1);
	CHECK_EQ(((unsigned char *)v)[1], 0);
	CHECK_EQ(sys_mincore((unsigned long)a, PG + 1, U((unsigned long)v)), 0); /* 2 pages */
	CHECK_EQ(sys_mincore((unsigned long)a + 1, PG, U((unsigned long)v)), -EINVAL);
	CHECK_EQ(sys_mincore((unsigned long)a, PG, U(16)), -EFAULT);
	CHECK_EQ(sys_mincore(kernel_mm.base, PG, U((unsigned long)v)), -ENOMEM);
	CHECK_EQ(sys_msync((unsigned long)a, 4 * PG, MS_SYNC), 0);
	CHECK_EQ(sys_msync((unsigned long)a, 4 * PG, MS_SYNC | MS_ASYNC), -EINVAL);
	CHECK_EQ(sys_msync((unsigned long)a, 4 * PG, 0x10), -EINVAL);
	CHECK_EQ(sys_msync((unsigned long)a + 1, PG, MS_SYNC), -EINVAL);
	CHECK_EQ(sys_msync(kernel_mm.base, PG, MS_SYNC), -ENOMEM);
	CHECK_EQ(sys_msync((unsigned long)a, 0, MS_SYNC), 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_uaccess(void)
{
	long a;
	char buf[32];

	boot();
	a = map(0, 2 * PG, RW, ANON);
	sys_munmap((unsigned long)a + PG, PG);
	memcpy((char *)a + PG - 3, "ab", 3);
	CHECK_EQ(strncpy_from_user(buf, U((unsigned long)a + PG - 3), sizeof buf), 2);
	CHECK(strcmp(buf, "ab") == 0);
	memcpy((char *)a + PG - 3, "abc", 3); /* runs into the unmapped page */
	CHECK_EQ(strncpy_from_user(buf, U((unsigned long)a + PG - 3), sizeof buf), -EFAULT);
	CHECK_EQ(strncpy_from_user(buf, U((unsigned long)a + PG - 3), 3), 3); /* no NUL in n */
	CHECK_EQ(copy_to_user_partial(U((unsigned long)a + PG - 3), "xyzw", 4), 3);
	CHECK_EQ(copy_from_user(buf, U(0), 1), -EFAULT);
	CHECK_EQ(copy_from_user(buf, U((unsigned long)buf), 1), -EFAULT); /* kernel memory */
	CHECK_EQ(copy_from_user(buf, U(0), 0), 0);
	CHECK_EQ(clear_user(U((unsigned long)a), 16), 0);
	CHECK_EQ(clear_user(U((unsigned long)a + PG - 1), 2), -EFAULT);
	CHECK_EQ(copy_to_user(U(~0UL - 2), buf, 8), -EFAULT); /* wraps */
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

static void test_reset_frees_everything(void)
{
	boot();
	map(0, 64 * PG, RW, ANON);
	CHECK(kmalloc_in_use() > 0);
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
	CHECK_EQ(kmalloc_in_use(), 0);
	CHECK_EQ(kernel_mm.nvmas, 0);
	/* and boots again, with the same deterministic layout */
	boot();
	CHECK_EQ(map(0, PG, RW, ANON), (long)(kernel_mm.limit - PG));
	abi_reset();
	CHECK_EQ(abi_reset_leaked(), 0);
}

int main(void)
{
	RUN(test_mmap_basics);
	RUN(test_mmap_errors);
	RUN(test_map_fixed_replaces);
	RUN(test_mprotect);
	RUN(test_munmap);
	RUN(test_mremap);
	RUN(test_brk);
	RUN(test_madvise);
	RUN(test_mincore_msync);
	RUN(test_uaccess);
	RUN(test_reset_frees_everything);
	KTEST_DONE();
}
