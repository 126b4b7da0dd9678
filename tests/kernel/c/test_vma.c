/* kernel/mm/vma.c: the VMA map as a data structure (no platform memory). */
#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/lib.h>
#include <kernel/linux.h>
#include <kernel/mm.h>
#include "ktest.h"

#define BASE 0x100000UL
#define P(n) (BASE + (n)*PAGE_SIZE)
#define RW (PROT_READ | PROT_WRITE)

static struct mm mm;

static void fresh(void)
{
	mm_destroy(&mm);
	mm_init(&mm, BASE, P(1024));
}

static void test_insert_merges_neighbours(void)
{
	fresh();
	CHECK_EQ(vma_insert(&mm, P(10), P(12), RW, 0, 0, NULL), 0);
	CHECK_EQ(vma_insert(&mm, P(14), P(16), RW, 0, 0, NULL), 0);
	CHECK_EQ(mm.nvmas, 2);
	CHECK_EQ(vma_insert(&mm, P(12), P(14), RW, 0, 0, NULL), 0);
	CHECK_EQ(mm.nvmas, 1);
	CHECK(mm.vmas[0].start == P(10) && mm.vmas[0].end == P(16));
	/* different protection, flags or name: no merge */
	CHECK_EQ(vma_insert(&mm, P(16), P(17), PROT_READ, 0, 0, NULL), 0);
	CHECK_EQ(vma_insert(&mm, P(17), P(18), PROT_READ, VMA_SHARED, 0, NULL), 0);
	CHECK_EQ(vma_insert(&mm, P(18), P(19), PROT_READ, VMA_SHARED, 0, "[heap]"), 0);
	CHECK_EQ(mm.nvmas, 4);
}

static void test_remove_splits(void)
{
	fresh();
	vma_insert(&mm, P(0), P(10), RW, 0, 0, "anon:x");
	CHECK_EQ(vma_remove(&mm, P(3), P(5)), 0);
	CHECK_EQ(mm.nvmas, 2);
	CHECK(mm.vmas[0].start == P(0) && mm.vmas[0].end == P(3));
	CHECK(mm.vmas[1].start == P(5) && mm.vmas[1].end == P(10));
	CHECK(strcmp(mm.vmas[1].name, "anon:x") == 0 && mm.vmas[1].name != mm.vmas[0].name);
	CHECK_EQ(mm.vmas[1].pgoff, 5);
	/* a range spanning a gap and several VMAs */
	vma_insert(&mm, P(20), P(30), RW, 0, 0, NULL);
	CHECK_EQ(vma_remove(&mm, P(2), P(25)), 0);
	CHECK_EQ(mm.nvmas, 2);
	CHECK(mm.vmas[0].end == P(2) && mm.vmas[1].start == P(25));
	/* removing nothing is fine */
	CHECK_EQ(vma_remove(&mm, P(100), P(200)), 0);
	CHECK_EQ(mm.nvmas, 2);
}

static void test_find(void)
{
	fresh();
	vma_insert(&mm, P(10), P(20), RW, 0, 0, NULL);
	vma_insert(&mm, P(30), P(40), PROT_READ, 0, 0, NULL);
	CHECK(vma_find(&mm, P(10)) == &mm.vmas[0]);
	CHECK(vma_find(&mm, P(20) - 1) == &mm.vmas[0]);
	CHECK(vma_find(&mm, P(20)) == NULL);
	CHECK(vma_find(&mm, P(35)) == &mm.vmas[1]);
	CHECK(!vma_intersects(&mm, P(20), P(30)));
	CHECK(vma_intersects(&mm, P(19), P(30)));
	CHECK(vma_intersects(&mm, P(0), P(100)));
}

static void test_find_free_is_top_down(void)
{
	fresh();
	CHECK_EQ(vma_find_free(&mm, PAGE_SIZE, 0), P(1023));
	vma_insert(&mm, P(1020), P(1024), RW, 0, 0, NULL);
	CHECK_EQ(vma_find_free(&mm, 2 * PAGE_SIZE, 0), P(1018));
	vma_insert(&mm, P(1000), P(1019), RW, 0, 0, NULL);
	/* the one-page hole at 1019 is too small for two pages */
	CHECK_EQ(vma_find_free(&mm, 2 * PAGE_SIZE, 0), P(998));
	CHECK_EQ(vma_find_free(&mm, PAGE_SIZE, 0), P(1019));
	/* a free hint wins; a taken one is ignored; hints round up to a page */
	CHECK_EQ(vma_find_free(&mm, PAGE_SIZE, P(5)), P(5));
	CHECK_EQ(vma_find_free(&mm, PAGE_SIZE, P(5) + 1), P(6));
	CHECK_EQ(vma_find_free(&mm, PAGE_SIZE, P(1000)), P(1019));
	/* outside the range or too big */
	CHECK_EQ(vma_find_free(&mm, PAGE_SIZE, 0x1000), P(1019));
	CHECK_EQ(vma_find_free(&mm, 2000 * PAGE_SIZE, 0), 0);
}

/* The platform's hole (abi-run's region) is never handed out: the search
 * steps over it, a hint in it moves, and mmap_top below the range's top
 * falls back to the space above it when nothing below fits. */
static void test_find_free_skips_the_hole(void)
{
	fresh();
	mm.hole_start = P(1000);
	mm.hole_end = P(1010);
	CHECK(mm_in_hole(&mm, P(999), 2 * PAGE_SIZE) && !mm_in_hole(&mm, P(990), 10 * PAGE_SIZE));
	CHECK(!mm_range_ok(&mm, P(1009), PAGE_SIZE) && mm_range_ok(&mm, P(1010), PAGE_SIZE));
	CHECK_EQ(vma_find_free(&mm, 14 * PAGE_SIZE, 0), P(1010));
	CHECK_EQ(vma_insert(&mm, P(1010), P(1024), RW, 0, 0, NULL), 0);
	CHECK_EQ(vma_find_free(&mm, PAGE_SIZE, 0), P(999));
	CHECK_EQ(vma_find_free(&mm, PAGE_SIZE, P(1005)), P(999));
	CHECK_EQ(vma_find_free(&mm, 1000 * PAGE_SIZE, 0), P(0));
	CHECK_EQ(vma_find_free(&mm, 1001 * PAGE_SIZE, 0), 0);
	vma_remove(&mm, P(1010), P(1024));
	mm.mmap_top = P(500);
	CHECK_EQ(vma_find_free(&mm, 400 * PAGE_SIZE, 0), P(100));
	CHECK_EQ(vma_find_free(&mm, 600 * PAGE_SIZE, 0), P(400)); /* the fallback */
	CHECK_EQ(vma_insert(&mm, P(0), P(500), RW, 0, 0, NULL), 0);
	CHECK_EQ(vma_find_free(&mm, PAGE_SIZE, 0), P(1023));
	mm.hole_start = mm.hole_end = 0;
}

static void test_accessible(void)
{
	fresh();
	vma_insert(&mm, P(10), P(12), RW, 0, 0, NULL);
	vma_insert(&mm, P(12), P(14), PROT_READ, 0, 0, NULL);
	vma_insert(&mm, P(15), P(16), RW, 0, 0, NULL);
	CHECK_EQ(vma_accessible(&mm, P(10), 4 * PAGE_SIZE, PROT_READ | PROT_WRITE), 4 * PAGE_SIZE);
	CHECK_EQ(vma_accessible(&mm, P(10), 4 * PAGE_SIZE, PROT_WRITE), 2 * PAGE_SIZE);
	CHECK_EQ(vma_accessible(&mm, P(11) + 5, 10 * PAGE_SIZE, PROT_READ), 3 * PAGE_SIZE - 5);
	CHECK_EQ(vma_accessible(&mm, P(9), 10, PROT_READ), 0);
	CHECK_EQ(vma_accessible(&mm, P(12), 0, PROT_READ), 0);
	CHECK_EQ(vma_accessible(&mm, ~0UL - 5, 100, PROT_READ), 0);
}

static void test_split_and_merge(void)
{
	fresh();
	vma_insert(&mm, P(0), P(8), RW, 0, 0, NULL);
	CHECK_EQ(vma_split_at(&mm, P(4)), 0);
	CHECK_EQ(vma_split_at(&mm, P(4)), 0); /* already a boundary */
	CHECK_EQ(mm.nvmas, 2);
	vma_merge_range(&mm, P(0), P(8));
	CHECK_EQ(mm.nvmas, 1);
	CHECK_EQ(vma_split_at(&mm, P(100)), 0); /* nothing there */
	CHECK_EQ(mm.nvmas, 1);
}

static void test_many(void)
{
	/* every other page, then fill the holes: one VMA at the end */
	fresh();
	for (int i = 0; i < 512; i += 2)
		CHECK_EQ(vma_insert(&mm, P(i), P(i + 1), RW, 0, 0, NULL), 0);
	CHECK_EQ(mm.nvmas, 256);
	for (int i = 1; i < 512; i += 2)
		CHECK_EQ(vma_insert(&mm, P(i), P(i + 1), RW, 0, 0, NULL), 0);
	CHECK_EQ(mm.nvmas, 1);
	CHECK(mm.vmas[0].start == P(0) && mm.vmas[0].end == P(512));
}

static void test_file_mappings(void)
{
	/* refcnt 100: the map's references come and go, fput is never reached */
	struct file f = { .refcnt = 100 }, g = { .refcnt = 100 };

	fresh();
	CHECK_EQ(vma_insert_file(&mm, P(10), P(12), RW, VMA_SHARED, 4, &f), 0);
	CHECK_EQ(f.refcnt, 101);
	/* the adjacent offset merges; another offset, file or anonymous memory does not */
	CHECK_EQ(vma_insert_file(&mm, P(12), P(13), RW, VMA_SHARED, 6, &f), 0);
	CHECK_EQ(vma_insert_file(&mm, P(13), P(14), RW, VMA_SHARED, 8, &f), 0);
	CHECK_EQ(vma_insert_file(&mm, P(14), P(15), RW, VMA_SHARED, 9, &g), 0);
	CHECK_EQ(vma_insert(&mm, P(15), P(16), RW, VMA_SHARED, 0, NULL), 0);
	CHECK_EQ(mm.nvmas, 4);
	CHECK(mm.vmas[0].end == P(13) && mm.vmas[0].file == &f);
	CHECK_EQ(f.refcnt, 102);
	/* a split takes a reference and keeps offsets; removal drops them */
	CHECK_EQ(vma_remove(&mm, P(11), P(12)), 0);
	CHECK_EQ(f.refcnt, 103);
	CHECK_EQ(mm.vmas[1].pgoff, 6);
	CHECK_EQ(vma_remove(&mm, P(0), P(100)), 0);
	CHECK(f.refcnt == 100 && g.refcnt == 100 && mm.nvmas == 0 && !mm.dead_files);
}

int main(void)
{
	RUN(test_insert_merges_neighbours);
	RUN(test_remove_splits);
	RUN(test_find);
	RUN(test_find_free_is_top_down);
	RUN(test_find_free_skips_the_hole);
	RUN(test_accessible);
	RUN(test_split_and_merge);
	RUN(test_many);
	RUN(test_file_mappings);
	mm_destroy(&mm);
	CHECK_EQ(kmalloc_in_use(), 0);
	KTEST_DONE();
}
