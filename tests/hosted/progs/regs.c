/* Dumps every register a program can read: at its first instruction (_start,
 * in assembly, before anything else runs) and right after the syscalls
 * below, each made with every general, flag, x87, SSE, AVX and AVX-512
 * register loaded with a known pattern. tests/hosted/test_regs.py runs it
 * natively and under abi-run and compares the dumps.
 *
 * Built -static -nostdlib -no-pie: no libc runs before _start, and the
 * code and data lie at fixed addresses, so the return rip in rcx and the
 * buffer pointers are the same in both runs (only rsp differs).
 *
 *   regs          the entry state, then the probes: getpid, close(-1)
 *                 (an error), uname (a copy to the program), uname(8)
 *                 (EFAULT: the copy faults), syscall 1000 (ENOSYS), a
 *                 failed execve, then a successful execve of itself as
 *                 "regs child", which dumps its own entry state.
 *
 * Output: "name value..." lines of hex; "state NAME" starts each dump.
 * Signal frames are not probed: abi-run delivers no signals yet. */

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

/* The general registers in this order, then rflags and the selectors. */
struct state {
	u64 gpr[16]; /* rax rbx rcx rdx rsi rdi rbp rsp r8 ... r15 */
	u64 flags;
	u64 seg[6]; /* cs ds es fs gs ss */
};

#define XS_MAX 16384
/* x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM, PKRU: what is dumped. */
#define XS_DUMP 0x2e7u
/* What the probes load: the same without PKRU (a pattern there would
 * revoke access to memory). */
#define XS_LOAD 0xe7u

struct state entry_st, in_st, out_st;
u8 entry_xs[XS_MAX] __attribute__((aligned(64)));
u8 in_xs[XS_MAX] __attribute__((aligned(64)));
u8 out_xs[XS_MAX] __attribute__((aligned(64)));
u64 in_mask, probe_sp;

void cmain(u64 *sp);

/* SAVE st, xs: the general registers, rflags and selectors into st, then
 * XSAVE (standard form) into xs. pushfq writes below rsp, which holds
 * nothing. */
__asm__(".macro SAVE st, xs\n"
	"	mov %rax, \\st+0(%rip)\n"
	"	mov %rbx, \\st+8(%rip)\n"
	"	mov %rcx, \\st+16(%rip)\n"
	"	mov %rdx, \\st+24(%rip)\n"
	"	mov %rsi, \\st+32(%rip)\n"
	"	mov %rdi, \\st+40(%rip)\n"
	"	mov %rbp, \\st+48(%rip)\n"
	"	mov %rsp, \\st+56(%rip)\n"
	"	mov %r8, \\st+64(%rip)\n"
	"	mov %r9, \\st+72(%rip)\n"
	"	mov %r10, \\st+80(%rip)\n"
	"	mov %r11, \\st+88(%rip)\n"
	"	mov %r12, \\st+96(%rip)\n"
	"	mov %r13, \\st+104(%rip)\n"
	"	mov %r14, \\st+112(%rip)\n"
	"	mov %r15, \\st+120(%rip)\n"
	"	pushfq\n"
	"	popq \\st+128(%rip)\n"
	"	mov %cs, %rax\n"
	"	mov %rax, \\st+136(%rip)\n"
	"	mov %ds, %rax\n"
	"	mov %rax, \\st+144(%rip)\n"
	"	mov %es, %rax\n"
	"	mov %rax, \\st+152(%rip)\n"
	"	mov %fs, %rax\n"
	"	mov %rax, \\st+160(%rip)\n"
	"	mov %gs, %rax\n"
	"	mov %rax, \\st+168(%rip)\n"
	"	mov %ss, %rax\n"
	"	mov %rax, \\st+176(%rip)\n"
	"	mov $0x2e7, %eax\n"
	"	xor %edx, %edx\n"
	"	xsave \\xs(%rip)\n"
	".endm\n"
	".text\n"
	".globl _start\n"
	"_start:\n"
	"	SAVE entry_st, entry_xs\n"
	"	mov entry_st+56(%rip), %rdi\n"
	"	and $-16, %rsp\n"
	"	call cmain\n"
	"	hlt\n"
	/* probe: loads in_xs (XRSTOR, mask in_mask) and in_st, runs one
	 * syscall, saves everything into out_st/out_xs. */
	".globl probe\n"
	"probe:\n"
	"	push %rbx\n"
	"	push %rbp\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	mov %rsp, probe_sp(%rip)\n"
	"	mov in_mask(%rip), %eax\n"
	"	xor %edx, %edx\n"
	"	xrstor in_xs(%rip)\n"
	"	pushq in_st+128(%rip)\n"
	"	popfq\n"
	"	mov in_st+0(%rip), %rax\n"
	"	mov in_st+8(%rip), %rbx\n"
	"	mov in_st+16(%rip), %rcx\n"
	"	mov in_st+24(%rip), %rdx\n"
	"	mov in_st+32(%rip), %rsi\n"
	"	mov in_st+40(%rip), %rdi\n"
	"	mov in_st+48(%rip), %rbp\n"
	"	mov in_st+64(%rip), %r8\n"
	"	mov in_st+72(%rip), %r9\n"
	"	mov in_st+80(%rip), %r10\n"
	"	mov in_st+88(%rip), %r11\n"
	"	mov in_st+96(%rip), %r12\n"
	"	mov in_st+104(%rip), %r13\n"
	"	mov in_st+112(%rip), %r14\n"
	"	mov in_st+120(%rip), %r15\n"
	"	syscall\n"
	"	SAVE out_st, out_xs\n"
	"	mov probe_sp(%rip), %rsp\n"
	"	cld\n"
	"	fninit\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbp\n"
	"	pop %rbx\n"
	"	ret\n");

void probe(void);

static long sys3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static char out[1 << 16];
static u64 outn;

static void flush(void)
{
	for (u64 off = 0; off < outn;) {
		long r = sys3(1, 1, (long)(out + off), (long)(outn - off));
		if (r <= 0)
			break;
		off += (u64)r;
	}
	outn = 0;
}

static void puts_(const char *s)
{
	while (*s) {
		if (outn == sizeof out)
			flush();
		out[outn++] = *s++;
	}
}

static void hex(u64 v)
{
	char b[20];
	int n = 0;

	do
		b[n++] = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	puts_(" ");
	while (n)
		out[outn == sizeof out ? (flush(), outn++) : outn++] = b[--n];
}

static void line(const char *name, const u64 *v, int n)
{
	puts_(name);
	for (int i = 0; i < n; i++)
		hex(v[i]);
	puts_("\n");
}

static u32 xs_size;
static u64 hwcap2;

/* FS and GS base, by RDFSBASE/RDGSBASE where Linux enables them. */
static void bases(void)
{
	u64 b[2] = { 0, 0 };

	if (!(hwcap2 & 2)) {
		puts_("bases - -\n");
		return;
	}
	__asm__ volatile("rdfsbase %0\n\trdgsbase %1" : "=r"(b[0]), "=r"(b[1]));
	line("bases", b, 2);
}

static void dump(const char *name, const struct state *st, const u8 *xs)
{
	puts_("state ");
	puts_(name);
	puts_("\n");
	line("gpr", st->gpr, 16);
	line("flags", &st->flags, 1);
	line("seg", st->seg, 6);
	bases();
	puts_("xsave ");
	for (u32 i = 0; i < xs_size; i++) {
		if (outn + 2 > sizeof out)
			flush();
		out[outn++] = "0123456789abcdef"[xs[i] >> 4];
		out[outn++] = "0123456789abcdef"[xs[i] & 15];
	}
	puts_("\n");
	flush();
}

static u64 strlen_(const char *s)
{
	u64 n = 0;

	while (s[n])
		n++;
	return n;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static u64 count_nonzero(u64 from, u64 to)
{
	u64 n = 0;

	for (u64 p = from; p < to; p++)
		n += *(const u8 *)p != 0;
	return n;
}

/* The auxv, and whether the padding of the initial stack (between the
 * auxv and AT_RANDOM's bytes, and between the AT_PLATFORM string and the
 * argument strings) is all zero. Pointers into the stack print as their
 * offset from the entry rsp. */
static void stack_info(u64 *sp)
{
	u64 argc = sp[0];
	u64 *envp = sp + 1 + argc + 1, *aux = envp;
	u64 top = sp[1], rnd = 0, plat = 0, bad;

	while (*aux)
		aux++;
	aux++;
	for (u64 *a = aux; a[0]; a += 2) {
		u64 v[2] = { a[0], a[1] };
		const char *name = "auxv";

		if (a[0] == 25)
			rnd = a[1];
		if (a[0] == 15)
			plat = a[1];
		if (a[1] >= (u64)sp && a[1] < top + 65536) {
			v[1] -= (u64)sp;
			name = "auxv-stack";
		}
		line(name, v, 2);
		if (a[0] == 26)
			hwcap2 = a[1];
	}
	{
		u64 *end = aux;

		while (end[0])
			end += 2;
		end += 2;
		bad = count_nonzero((u64)end, rnd ? rnd : (u64)end);
		if (plat)
			bad += count_nonzero(plat + strlen_((const char *)plat) + 1, top);
		else if (rnd)
			bad += count_nonzero(rnd + 16, top);
		line("padding-nonzero", &bad, 1);
	}
}

static void pattern(void)
{
	u32 r[4];

	for (int i = 0; i < 16; i++)
		in_st.gpr[i] = 0x1111111111111111ul * (u64)(i + 1) ^ 0x0123456789abcdeful;
	/* CF PF ZF SF DF OF and the always-one bit and IF. */
	in_st.flags = 0x202 | 0x1 | 0x4 | 0x40 | 0x80 | 0x400 | 0x800;
	for (u32 i = 0; i < xs_size; i++)
		in_xs[i] = (u8)(i * 7 + 3);
	/* The legacy area: fcw, fsw, abridged ftw, fop; mxcsr (FZ, DAZ); the
	 * reserved bytes 416..511 and the header zero but for XSTATE_BV. */
	*(unsigned short *)(in_xs + 0) = 0x027f;
	*(unsigned short *)(in_xs + 2) = 0;
	in_xs[4] = 0xff;
	in_xs[5] = 0;
	*(unsigned short *)(in_xs + 6) = 0;
	*(u64 *)(in_xs + 8) = 0;
	*(u64 *)(in_xs + 16) = 0;
	*(u32 *)(in_xs + 24) = 0x9fc0;
	*(u32 *)(in_xs + 28) = 0;
	for (int i = 416; i < 576; i++)
		in_xs[i] = 0;
	/* The x87 registers: normal numbers (exponent 0x3fff, J bit set). */
	for (int i = 0; i < 8; i++) {
		*(unsigned short *)(in_xs + 32 + 16 * i + 8) = (unsigned short)(0x3fff + i);
		in_xs[32 + 16 * i + 7] |= 0x80;
		for (int j = 10; j < 16; j++)
			in_xs[32 + 16 * i + j] = 0;
	}
	/* XCR0: the components the OS enabled (XRSTOR faults on others). */
	__asm__ volatile("xgetbv" : "=a"(r[0]), "=d"(r[1]) : "c"(0));
	in_mask = r[0] & XS_LOAD;
	*(u64 *)(in_xs + 512) = in_mask;
}

static void probe_as(const char *name, long nr, long a0, long a1, long a2)
{
	pattern();
	in_st.gpr[0] = (u64)nr;
	in_st.gpr[5] = (u64)a0;
	in_st.gpr[4] = (u64)a1;
	in_st.gpr[3] = (u64)a2;
	line("in", in_st.gpr, 16);
	/* FS and GS bases too, where the program can set them itself (the
	 * program uses no TLS): a syscall keeps them, execve clears them. */
	if (hwcap2 & 2)
		__asm__ volatile("wrfsbase %0\n\twrgsbase %1"
				 :
				 : "r"(0x123456789000ul), "r"(0x7654321ab000ul));
	probe();
	dump(name, &out_st, out_xs);
}

static char self[4096];
static char uts[390 * 2];
static const char *child_argv[] = { self, "child", 0 };
static const char *no_env[] = { 0 };

void cmain(u64 *sp)
{
	u32 r[4];
	const char *argv0 = (const char *)sp[1];
	int child = sp[0] > 1 && streq((const char *)sp[2], "child");

	cpuid(13, 0, r);
	xs_size = r[1] > XS_MAX ? XS_MAX : r[1];
	{
		u64 info[2] = { r[0], xs_size };

		line("xinfo", info, 2);
	}
	for (u32 i = 2; i < 10; i++) {
		u64 c[3] = { i, 0, 0 };

		cpuid(13, i, r);
		c[1] = r[1], c[2] = r[0];
		line("xcomp", c, 3);
	}
	stack_info(sp);
	dump(child ? "child-entry" : "entry", &entry_st, entry_xs);
	if (child)
		sys3(60, 0, 0, 0);
	for (u64 i = 0; i <= strlen_(argv0) && i < sizeof self - 1; i++)
		self[i] = argv0[i];
	probe_as("getpid", 39, 0, 0, 0);
	probe_as("close-ebadf", 3, -1, 0, 0);
	probe_as("uname", 63, (long)uts, 0, 0);
	probe_as("uname-efault", 63, 8, 0, 0);
	probe_as("nr-1000", 1000, 0, 0, 0);
	probe_as("execve-enoent", 59, (long)"/nonexistent/regs", (long)child_argv, (long)no_env);
	probe_as("execve", 59, (long)self, (long)child_argv, (long)no_env);
	puts_("execve returned\n");
	flush();
	sys3(60, 1, 0, 0);
}
