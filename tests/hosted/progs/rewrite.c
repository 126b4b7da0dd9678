/* Syscall sites that abi-run rewrites (kernel/plat/hosted/rewrite.c), seen
 * from the program: prints the same natively and under abi-run.
 *
 *   rewrite [evict]
 *
 * probe_site makes getpid from a site of the rewritten shape
 * (`mov $39, %eax; syscall`) with every register the instruction keeps set
 * to a known value, and the red zone and a vector register written, and
 * says which of them changed. site2 has the same shape, but a jump can reach
 * its syscall instruction without the mov, with another number in eax: that
 * call must still be the other one. glibc's own getpid wrapper is the third
 * site. Each runs REPEAT times, well past the trap count that gets a site
 * rewritten, in two rounds; with "evict", between the rounds the program maps
 * memory where abi-run keeps its stubs (below the image, and above the
 * highest mapping under the stack): there is nothing there for the program,
 * as on Linux, and the calls go on working. /proc/self/maps shows no more
 * lines after the calls than before. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REPEAT 20
#define EVICT_LEN (1UL << 20)

extern char __executable_start[];
long probe_site(void);
long site2(int skip_mov);
long probe_result;

/* Returns a mask of the registers (and red-zone words) that changed. */
__asm__(".macro check where, value, bit\n" /* eax |= bit unless where == value */
	"	movabs $\\value, %r11\n"
	"	cmp %r11, \\where\n"
	"	je 1f\n"
	"	or $\\bit, %eax\n"
	"1:\n"
	".endm\n"
	".text\n"
	".globl probe_site\n"
	"probe_site:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	movabs $0x1111111111111111, %rbx\n"
	"	movabs $0x2222222222222222, %rbp\n"
	"	movabs $0x3333333333333333, %r12\n"
	"	movabs $0x4444444444444444, %r13\n"
	"	movabs $0x5555555555555555, %r14\n"
	"	movabs $0x6666666666666666, %r15\n"
	"	movabs $0x7777777777777777, %rdi\n"
	"	movabs $0x0888888888888888, %rsi\n"
	"	movabs $0x0999999999999999, %rdx\n"
	"	movabs $0x0aaaaaaaaaaaaaaa, %r10\n"
	"	movabs $0x0bbbbbbbbbbbbbbb, %r8\n"
	"	movabs $0x0ccccccccccccccc, %r9\n"
	"	movabs $0x0ddddddddddddddd, %rax\n"
	"	mov %rax, -8(%rsp)\n"
	"	mov %rax, -128(%rsp)\n"
	"	movq %rax, %xmm1\n"
	"	mov $39, %eax\n"
	"	syscall\n"
	"	mov %rax, probe_result(%rip)\n"
	"	xor %eax, %eax\n"
	"	check %rbx, 0x1111111111111111, 0x1\n"
	"	check %rbp, 0x2222222222222222, 0x2\n"
	"	check %r12, 0x3333333333333333, 0x4\n"
	"	check %r13, 0x4444444444444444, 0x8\n"
	"	check %r14, 0x5555555555555555, 0x10\n"
	"	check %r15, 0x6666666666666666, 0x20\n"
	"	check %rdi, 0x7777777777777777, 0x40\n"
	"	check %rsi, 0x0888888888888888, 0x80\n"
	"	check %rdx, 0x0999999999999999, 0x100\n"
	"	check %r10, 0x0aaaaaaaaaaaaaaa, 0x200\n"
	"	check %r8, 0x0bbbbbbbbbbbbbbb, 0x400\n"
	"	check %r9, 0x0ccccccccccccccc, 0x800\n"
	"	check -8(%rsp), 0x0ddddddddddddddd, 0x1000\n"
	"	check -128(%rsp), 0x0ddddddddddddddd, 0x2000\n"
	"	movq %xmm1, %rcx\n"
	"	check %rcx, 0x0ddddddddddddddd, 0x4000\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	ret\n"
	".globl site2\n"
	"site2:\n"
	"	test %edi, %edi\n"
	"	jz 1f\n"
	"	mov $110, %eax\n" /* getppid, and straight to the syscall */
	"	jmp 2f\n"
	"1:	mov $39, %eax\n"
	"2:	syscall\n"
	"	ret\n");

static int maps_lines(unsigned long *top)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long stack = 0, hi = 0;
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long s, e;

		n++;
		if (sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		if (strstr(line, "[stack]"))
			stack = s;
		else if (!strstr(line, "[v") /* vdso, vvar..., vsyscall */ && e > hi &&
			 (!stack || s < stack))
			hi = e;
	}
	fclose(f);
	if (top)
		*top = hi;
	return n;
}

static void map_at(const char *where, uintptr_t a)
{
	void *p = mmap((void *)a, EVICT_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED) {
		printf("%s: %s\n", where, strerror(errno));
		return;
	}
	memset(p, 0x5a, EVICT_LEN);
	printf("%s: %s\n", where, p == (void *)a ? "mapped" : "elsewhere");
	munmap(p, EVICT_LEN);
}

int main(int argc, char **argv)
{
	int evict = argc > 1 && strcmp(argv[1], "evict") == 0;
	long pid = getpid(), ppid = getppid(), changed = 0;
	int wrong = 0, before, after;
	unsigned long top = 0;

	maps_lines(NULL);
	before = maps_lines(NULL);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < REPEAT; i++) {
			changed |= probe_site();
			wrong += probe_result != pid;
			wrong += site2(0) != pid;
			wrong += site2(1) != ppid;
			wrong += getpid() != pid;
		}
		if (round == 0) {
			after = maps_lines(&top);
			printf("maps lines unchanged by the calls: %s\n",
			       after == before ? "yes" : "no");
		}
		if (round == 0 && evict) {
			map_at("below the image",
			       ((uintptr_t)__executable_start & ~0xfffUL) - EVICT_LEN);
			map_at("above the highest mapping", top);
		}
	}
	printf("registers kept: %s (0x%lx)\n", changed ? "no" : "yes", changed);
	printf("wrong results: %d\n", wrong);
	return wrong || changed;
}
