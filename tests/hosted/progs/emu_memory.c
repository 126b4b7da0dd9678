/* The kernel's changes to the address space, as the program sees them
 * (tests/hosted/test_emu.py: natively and under abi-run --emu, where each
 * must reach the engine's memory map): mmap, mprotect, munmap, mremap, brk,
 * and the faults on what is no longer there. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;

static void handler(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	printf("  signal %d code %d\n", sig, info->si_code);
	siglongjmp(jb, 1);
}

static void touch(const char *what, volatile char *p, int write)
{
	if (!sigsetjmp(jb, 1)) {
		if (write)
			*p = 'w';
		printf("%s: %s ok (%c)\n", what, write ? "write" : "read", *p);
	} else {
		printf("%s: %s faulted\n", what, write ? "write" : "read");
	}
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct sigaction sa;
	char *a, *b, *brk0;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, 0);

	a = mmap(0, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(a, "mapped");
	touch("mmap rw", a, 1);
	mprotect(a, pg, PROT_READ);
	touch("mprotect read-only", a, 0);
	touch("mprotect read-only", a, 1);
	mprotect(a, pg, PROT_NONE);
	touch("mprotect none", a, 0);
	mprotect(a, pg, PROT_READ | PROT_WRITE);
	touch("mprotect rw again", a, 1);
	munmap(a + pg, pg);
	touch("munmap'd page", a + pg, 0);
	touch("the page after it", a + 2 * pg, 1);
	a[2 * pg] = 'm';
	b = mremap(a + 2 * pg, pg, 2 * pg, MREMAP_MAYMOVE);
	touch("mremap'd, grown", b + pg, 1);
	printf("mremap kept the data: %c\n", b[0]);
	b = mremap(b, 2 * pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, a + pg);
	printf("mremap fixed: moved %s, data %c\n", b == a + pg ? "yes" : "no", b[0]);
	touch("the old place of the moved page", a + 2 * pg, 0);
	brk0 = sbrk(0);
	sbrk(3 * pg);
	touch("the grown break", brk0 + 2 * pg, 1);
	sbrk(-3 * pg);
	touch("the shrunk break", brk0 + 2 * pg, 0);
	b = mmap(0, pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b[0] = (char)0xb8, b[1] = 42, b[2] = b[3] = b[4] = 0,
	b[5] = (char)0xc3; /* mov $42,%eax; ret */
	printf("code written at run time returns %d\n", ((int (*)(void))b)());
	return 0;
}
