/* kernel/lib/radix.c: the sparse page index of ramfs files. */
#include <kernel/kmalloc.h>
#include <kernel/radix.h>
#include "ktest.h"

static int released;

static void count_release(void *v)
{
	(void)v;
	released++;
}

static void test_get_and_set(void)
{
	struct radix r = { NULL, 0 };
	static const unsigned long long idx[] = { 0,          1,      511,        512,
						  262143,     262144, 1ULL << 40, (1ULL << 51) + 7,
						  ~0ULL >> 12 };
	u64 found;

	CHECK(radix_get(&r, 0) == NULL);
	CHECK(!radix_next(&r, 0, &found));
	for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
		void **slot = radix_slot(&r, idx[i]);

		CHECK(slot != NULL && *slot == NULL);
		*slot = (void *)(idx[i] + 1);
	}
	for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
		CHECK(radix_get(&r, idx[i]) == (void *)(idx[i] + 1));
	CHECK(radix_get(&r, 2) == NULL && radix_get(&r, 513) == NULL);
	CHECK(radix_next(&r, 2, &found) && found == 511);
	CHECK(radix_next(&r, 513, &found) && found == 262143);
	CHECK(radix_next(&r, 262145, &found) && found == 1ULL << 40);
	CHECK(radix_next(&r, (1ULL << 40) + 1, &found) && found == (1ULL << 51) + 7);
	/* removing a range in the middle */
	released = 0;
	CHECK_EQ(radix_remove_range(&r, 1, 262144, count_release), 4); /* 1, 511, 512, 262143 */
	CHECK_EQ(released, 4);
	CHECK(radix_get(&r, 511) == NULL && radix_get(&r, 262144) != NULL);
	CHECK(radix_next(&r, 1, &found) && found == 262144);
	/* truncating everything frees every node */
	CHECK_EQ(radix_truncate(&r, 0, count_release), 5);
	CHECK(r.root == NULL && r.height == 0);
	CHECK_EQ(kmalloc_in_use(), 0);
}

static void test_dense(void)
{
	struct radix r = { NULL, 0 };
	u64 found;

	for (u64 i = 0; i < 2000; i++)
		*radix_slot(&r, i) = (void *)(i + 1);
	for (u64 i = 0; i < 2000; i += 3)
		CHECK(radix_get(&r, i) == (void *)(i + 1));
	CHECK_EQ(radix_truncate(&r, 1000, NULL), 1000);
	CHECK(!radix_next(&r, 1000, &found));
	CHECK(radix_next(&r, 999, &found) && found == 999);
	CHECK_EQ(radix_truncate(&r, 0, NULL), 1000);
	CHECK_EQ(kmalloc_in_use(), 0);
}

int main(void)
{
	RUN(test_get_and_set);
	RUN(test_dense);
	KTEST_DONE();
}
