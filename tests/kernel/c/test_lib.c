/* kernel/lib: string functions and the formatter. */
#include <kernel/lib.h>
#include "ktest.h"

static void test_mem(void)
{
	char buf[64];

	memset(buf, 'x', sizeof buf);
	memcpy(buf + 1, "hello", 5);
	CHECK(memcmp(buf, "xhellox", 7) == 0);
	memmove(buf + 3, buf + 1, 5); /* overlapping, forwards */
	CHECK(memcmp(buf, "xhehellox", 9) == 0);
	memmove(buf, buf + 2, 5); /* overlapping, backwards */
	CHECK(memcmp(buf, "ehellllox", 9) == 0);
	CHECK(memcmp("a", "b", 1) < 0 && memcmp("b", "a", 1) > 0);
	memset(buf, 0, sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		CHECK(buf[i] == 0);
}

static void test_str(void)
{
	char buf[8];

	CHECK_EQ(strlen(""), 0);
	CHECK_EQ(strlen("abc"), 3);
	CHECK_EQ(strnlen("abcdef", 3), 3);
	CHECK(strcmp("abc", "abd") < 0 && strcmp("abc", "abc") == 0 && strcmp("b", "a") > 0);
	CHECK(strncmp("abcx", "abcy", 3) == 0);
	CHECK(strchr("hello", 'l') != NULL && *strchr("hello", 'l') == 'l');
	CHECK(strchr("hello", 'z') == NULL);
	CHECK_EQ(strlcpy(buf, "truncated!", sizeof buf), 10);
	CHECK(strcmp(buf, "truncat") == 0);
}

static void test_fmt(void)
{
	char buf[64];

	ksnprintf(buf, sizeof buf, "%d %i %u %x %X %o", -42, 7, 42u, 255u, 255u, 8u);
	CHECK(strcmp(buf, "-42 7 42 ff FF 10") == 0);
	ksnprintf(buf, sizeof buf, "[%5d|%-5d|%05d]", 42, 42, -42);
	CHECK(strcmp(buf, "[   42|42   |-0042]") == 0);
	ksnprintf(buf, sizeof buf, "%lx-%lu %ld", 0x7f0000000000UL, 18446744073709551615UL, -1L);
	CHECK(strcmp(buf, "7f0000000000-18446744073709551615 -1") == 0);
	ksnprintf(buf, sizeof buf, "%08lx %s %.3s %-4s| %c%%", 0xabcUL, "str", "abcdef", "ab", 'z');
	CHECK(strcmp(buf, "00000abc str abc ab  | z%") == 0);
	ksnprintf(buf, sizeof buf, "%*d %zu %p", 4, 1, (size_t)99, (void *)0x1000);
	CHECK(strcmp(buf, "   1 99 0x1000") == 0);
	/* truncation: NUL-terminated, returns the full length */
	CHECK_EQ(ksnprintf(buf, 4, "abcdef"), 6);
	CHECK(strcmp(buf, "abc") == 0);
	CHECK_EQ(ksnprintf(NULL, 0, "%d", 12345), 5);
	ksnprintf(buf, sizeof buf, "%d", (int)-2147483647 - 1);
	CHECK(strcmp(buf, "-2147483648") == 0);
	ksnprintf(buf, sizeof buf, "%ld", (long)-9223372036854775807L - 1);
	CHECK(strcmp(buf, "-9223372036854775808") == 0);
}

static void test_list(void)
{
	struct item {
		int v;
		struct list link;
	} a = { 1, { 0, 0 } }, b = { 2, { 0, 0 } }, c = { 3, { 0, 0 } };
	struct list head = LIST_INIT(head), *pos;
	int sum = 0, order = 0;

	CHECK(list_empty(&head));
	list_add_tail(&a.link, &head);
	list_add_tail(&b.link, &head);
	list_add_head(&c.link, &head);
	list_for_each(pos, &head) {
		struct item *it = list_entry(pos, struct item, link);

		sum += it->v;
		order = order * 10 + it->v;
	}
	CHECK_EQ(sum, 6);
	CHECK_EQ(order, 312);
	list_del(&b.link);
	CHECK(head.prev == &a.link);
}

int main(void)
{
	RUN(test_mem);
	RUN(test_str);
	RUN(test_fmt);
	RUN(test_list);
	KTEST_DONE();
}
