/* The address space a program sees, for tests/hosted/test_addrspace.py: the
 * same build runs natively and under abi-run and prints one line per check.
 *
 *   addrspace probe           mmap hints and MAP_FIXED_NOREPLACE across the
 *                             47-bit range, and past its end
 *   addrspace go              a Go-style arena reservation at a high hint,
 *                             a 4 TiB PROT_NONE one, a 14 TiB NORESERVE shadow
 *   addrspace mremap          one page moved across the range and grown
 *   addrspace brk             the break grown and shrunk
 *   addrspace layout          where things are: /proc/self/maps plus a few
 *                             addresses ("key value" lines)
 *   addrspace norandom ARGS   personality(ADDR_NO_RANDOMIZE), then exec
 *                             itself with ARGS (as setarch -R does)
 *   addrspace region ADDR     MAP_FIXED_NOREPLACE of one page at ADDR
 *   addrspace hold            layout, "end", then waits for stdin to close
 *   addrspace mapslate        /proc/self/maps opened before a mapping is made
 *                             and read after: the read shows it
 *   addrspace low MIN         fixed mappings at page 0 and at MIN (the host's
 *                             vm.mmap_min_addr) */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define TOP 0x7ffffffff000UL /* TASK_SIZE on x86_64 with 4-level paging */

static long map(uintptr_t addr, size_t len, int prot, int flags)
{
	void *p = mmap((void *)addr, len, prot, flags | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? -errno : (long)(uintptr_t)p;
}

static void result(const char *what, uintptr_t addr, long r)
{
	if (r < 0)
		printf("%s %#lx %s\n", what, (unsigned long)addr, strerrorname_np((int)-r));
	else if ((uintptr_t)r == addr)
		printf("%s %#lx at-hint\n", what, (unsigned long)addr);
	else
		printf("%s %#lx elsewhere\n", what, (unsigned long)addr);
}

static int probe(void)
{
	static const uintptr_t addrs[] = {
		0x10000,        /* mmap_min_addr */
		0x10000000,     /* low */
		0xc000000000,   /* Go's first arena hint */
		0x200000000000, /* middle */
		0x600000000000, /* above the PIE area */
		0x7f0000000000, /* the mmap area */
		TOP - 0x1000,   /* just below the top */
	};
	long r;

	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		uintptr_t a = addrs[i];

		r = map(a, 4096, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE);
		result("noreplace", a, r);
		if (r > 0) {
			*(volatile char *)r = 1;
			/* a second one there: the first is in the way */
			result("noreplace-again", a, map(a, 4096, PROT_READ, MAP_FIXED_NOREPLACE));
			result("hint-taken", a, map(a, 4096, PROT_READ, 0) == r ? -EEXIST : 0);
			munmap((void *)r, 4096);
		}
		r = map(a, 4096, PROT_READ, 0);
		result("hint", a, r);
		if (r > 0)
			munmap((void *)r, 4096);
	}
	/* past the end of the user range */
	result("noreplace-top", TOP, map(TOP, 4096, PROT_READ, MAP_FIXED_NOREPLACE));
	result("noreplace-2^47", 1UL << 47, map(1UL << 47, 4096, PROT_READ, MAP_FIXED_NOREPLACE));
	result("noreplace-across-top", TOP - 0x1000,
	       map(TOP - 0x1000, 0x2000, PROT_READ, MAP_FIXED_NOREPLACE));
	r = map(1UL << 47, 4096, PROT_READ, 0); /* a hint past the end is ignored */
	printf("hint-2^47 %s\n", r > 0 && (uintptr_t)r < TOP ? "below-top" : "bad");
	return 0;
}

/* Go's runtime (mallocinit, amd64): hints 0x00c0<<32, 0x01c0<<32, ...;
 * it reserves the arena at the first hint the kernel honours. Then a big
 * PROT_NONE reservation at a high hint (as sanitizers and JITs make), with
 * a page of it committed by MAP_FIXED. */
static int go(void)
{
	uintptr_t got = 0;
	long r;

	for (uintptr_t i = 0; i < 0x80 && !got; i++) {
		uintptr_t hint = i << 40 | 0x00c0UL << 32;

		r = map(hint, 64UL << 20, PROT_NONE, MAP_NORESERVE);
		if (r > 0 && (uintptr_t)r == hint)
			got = hint;
		else if (r > 0)
			munmap((void *)r, 64UL << 20);
	}
	printf("arena %#lx\n", (unsigned long)got);
	r = map(got + (4UL << 20), 1UL << 20, PROT_READ | PROT_WRITE, MAP_FIXED);
	printf("arena-commit %s\n", r == (long)(got + (4UL << 20)) ? "ok" : "bad");
	memset((void *)r, 7, 1UL << 20);

	r = map(0x600000000000, 4UL << 40, PROT_NONE, MAP_NORESERVE);
	result("reserve-4TiB", 0x600000000000, r);
	if (r > 0) {
		uintptr_t mid = (uintptr_t)r + (2UL << 40);
		long c = map(mid, 1UL << 20, PROT_READ | PROT_WRITE, MAP_FIXED);

		printf("reserve-commit %s\n", c == (long)mid ? "ok" : "bad");
		if (c == (long)mid)
			memset((void *)mid, 1, 1UL << 20);
		printf("reserve-unmap %d\n", munmap((void *)r, 4UL << 40));
	}
	/* a sanitizer's shadow: 14 TiB of MAP_NORESERVE read-write memory at a
	 * fixed address (ASan's high shadow), touched sparsely */
	r = map(0x2008fff7000, 0xdfff0001000, PROT_READ | PROT_WRITE,
		MAP_FIXED_NOREPLACE | MAP_NORESERVE);
	result("shadow-14TiB", 0x2008fff7000, r);
	if (r > 0) {
		((volatile char *)r)[0x70000000000] = 1;
		printf("shadow-touch %d\n", ((volatile char *)r)[0x70000000000]);
		printf("shadow-unmap %d\n", munmap((void *)r, 0xdfff0001000));
	}
	return 0;
}

static int do_mremap(void)
{
	static const uintptr_t to[] = { 0x10000000, 0xc000000000, 0x600000000000, 0x7f0000000000,
					TOP - 0x2000 };
	long r = map(0, 4096, PROT_READ | PROT_WRITE, 0);
	uintptr_t at = (uintptr_t)r;

	strcpy((char *)at, "moved");
	for (size_t i = 0; i < sizeof to / sizeof to[0]; i++) {
		void *p = mremap((void *)at, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
				 (void *)to[i]);

		if (p == MAP_FAILED) {
			printf("mremap %#lx %s\n", (unsigned long)to[i], strerrorname_np(errno));
			continue;
		}
		at = (uintptr_t)p;
		printf("mremap %#lx %s %s\n", (unsigned long)to[i],
		       p == (void *)to[i] ? "ok" : "bad", (char *)p);
	}
	/* past the top: EINVAL */
	printf("mremap-top %s\n", mremap((void *)at, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
					 (void *)TOP) == MAP_FAILED
					  ? strerrorname_np(errno)
					  : "ok");
	/* grow where there is room (at TOP - 0x2000 there is one page before the end) */
	printf("mremap-grow-at-top %s\n",
	       mremap((void *)at, 4096, 0x2000, 0) == MAP_FAILED ? strerrorname_np(errno) : "ok");
	printf("mremap-grow-past-top %s\n",
	       mremap((void *)at, 0x2000, 0x3000, 0) == MAP_FAILED ? strerrorname_np(errno) : "ok");
	void *p = mremap((void *)at, 0x2000, 1UL << 30, MREMAP_MAYMOVE);
	printf("mremap-grow-move %s %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok",
	       p == MAP_FAILED ? "" : (char *)p);
	return 0;
}

static int do_brk(void)
{
	char *b0, *b;

	printf("brk\n"); /* stdio's buffer first: it may move the break */
	b0 = sbrk(0);
	b = sbrk(1 << 20);
	printf("brk-grow %d\n", b == b0 && sbrk(0) == b0 + (1 << 20));
	memset(b0, 3, 1 << 20);
	printf("brk-shrink %d\n", brk(b0 + 4096) == 0 && sbrk(0) == b0 + 4096);
	printf("brk-below-start %d\n", brk(b0 - (1 << 30)) == 0);
	printf("brk-huge %d\n", brk(b0 + (1UL << 46)) == 0);
	printf("brk-end %d\n", sbrk(0) == b0 + 4096);
	return 0;
}

static int layout(void)
{
	char line[512];
	int local;
	FILE *f;

	printf("sp %#lx\n", (unsigned long)(uintptr_t)&local);
	printf("brk %#lx\n", (unsigned long)(uintptr_t)sbrk(0));
	printf("main %#lx\n", (unsigned long)(uintptr_t)&layout);
	printf("mmap %#lx\n", (unsigned long)map(0, 4096, PROT_READ, 0));
	printf("personality %#x\n", personality(0xffffffff));
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof line, f))
		printf("map %s", line);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "probe"))
		return probe();
	if (!strcmp(argv[1], "go"))
		return go();
	if (!strcmp(argv[1], "mremap"))
		return do_mremap();
	if (!strcmp(argv[1], "brk"))
		return do_brk();
	if (!strcmp(argv[1], "layout"))
		return layout();
	if (!strcmp(argv[1], "low") && argc > 2) {
		unsigned long min = strtoul(argv[2], NULL, 0);

		result("noreplace", 0, map(0, 4096, PROT_READ, MAP_FIXED_NOREPLACE));
		result("noreplace", min, map(min, 4096, PROT_READ, MAP_FIXED_NOREPLACE));
		result("hint", min / 2, map(min / 2 & ~0xfffUL, 4096, PROT_READ, 0));
		return 0;
	}
	if (!strcmp(argv[1], "mapslate")) {
		FILE *f = fopen("/proc/self/maps", "r");
		long r = map(0x200000000000, 4096, PROT_READ, MAP_FIXED_NOREPLACE);
		char line[512];
		int seen = 0;

		while (f && fgets(line, sizeof line, f))
			seen |= strncmp(line, "200000000000-200000001000 r--p", 30) == 0;
		printf("mapped %d seen %d\n", r == 0x200000000000, seen);
		return 0;
	}
	if (!strcmp(argv[1], "hold")) {
		layout();
		printf("end\n");
		while (getchar() != EOF)
			;
		return 0;
	}
	if (!strcmp(argv[1], "norandom") && argc > 2) {
		personality(ADDR_NO_RANDOMIZE);
		execv("/proc/self/exe", argv + 1);
		return 127;
	}
	if (!strcmp(argv[1], "region") && argc > 2) {
		uintptr_t a = strtoul(argv[2], NULL, 0);

		result("noreplace", a, map(a, 4096, PROT_READ, MAP_FIXED_NOREPLACE));
		result("fixed", a, map(a, 4096, PROT_READ, MAP_FIXED));
		return 0;
	}
	return 2;
}
