/* A tiny harness for hosted C tests of kernel internals: each test is a
 * function; CHECK records a failure and carries on; main runs them all. */
#ifndef KTEST_H
#define KTEST_H

#include <stdio.h>
#include <stdlib.h>

static int ktest_failures;
static const char *ktest_current;

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, \
				ktest_current, #cond);                                       \
			ktest_failures++;                                                    \
		}                                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                                            \
	do {                                                                                      \
		long long _a = (long long)(a), _b = (long long)(b);                               \
		if (_a != _b) {                                                                   \
			fprintf(stderr, "%s:%d: %s: %s == %lld, expected %s == %lld\n", __FILE__, \
				__LINE__, ktest_current, #a, _a, #b, _b);                         \
			ktest_failures++;                                                         \
		}                                                                                 \
	} while (0)

#define RUN(fn)                      \
	do {                         \
		ktest_current = #fn; \
		fn();                \
	} while (0)

#define KTEST_DONE()                                                                      \
	do {                                                                              \
		if (ktest_failures)                                                       \
			fprintf(stderr, "%s: %d failure(s)\n", __FILE__, ktest_failures); \
		else                                                                      \
			printf("%s: ok\n", __FILE__);                                     \
		return ktest_failures ? 1 : 0;                                            \
	} while (0)

#endif
