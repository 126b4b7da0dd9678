/* Print the initial stack exactly as the kernel (or the loader) built it:
 * sp, argc, each argv/envp pointer and its string, each auxv pair, the
 * AT_EXECFN and AT_PLATFORM strings and the AT_RANDOM bytes. Built with
 * -nostdlib (static, or static-pie: it needs no relocations), so nothing runs
 * before _start and nothing touches the stack first. One item per line:
 *   sp HEX | argc N | argv I HEX STRING | envp I HEX STRING | auxv KEY HEX
 *   execfn STRING | platform STRING | random HEX32 */
#include <stddef.h>
#include <stdint.h>

#define AT_NULL 0
#define AT_PLATFORM 15
#define AT_RANDOM 25
#define AT_EXECFN 31

static long sys3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static char out[1 << 16];
static size_t used;

static void flush(void)
{
	size_t off = 0;
	while (off < used) {
		long n = sys3(1 /* write */, 1, (long)(out + off), (long)(used - off));
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	used = 0;
}

static void put(const char *s)
{
	while (*s) {
		if (used == sizeof(out))
			flush();
		out[used++] = *s++;
	}
}

static void put_hex(uint64_t v)
{
	char buf[19];
	int i = 18;
	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	put(buf + i);
}

static void put_dec(uint64_t v)
{
	char buf[21];
	int i = 20;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(buf + i);
}

__attribute__((used)) void dump(uint64_t *sp)
{
	uint64_t argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	put("sp ");
	put_hex((uint64_t)sp);
	put("\nargc ");
	put_dec(argc);
	put("\n");
	for (uint64_t i = 0; i < argc; i++) {
		put("argv ");
		put_dec(i);
		put(" ");
		put_hex((uint64_t)argv[i]);
		put(" ");
		put(argv[i]);
		put("\n");
	}
	uint64_t n = 0;
	for (; envp[n]; n++) {
		put("envp ");
		put_dec(n);
		put(" ");
		put_hex((uint64_t)envp[n]);
		put(" ");
		put(envp[n]);
		put("\n");
	}
	uint64_t *aux = (uint64_t *)(envp + n + 1);
	const char *execfn = 0, *platform = 0;
	const unsigned char *random = 0;
	for (;; aux += 2) {
		put("auxv ");
		put_dec(aux[0]);
		put(" ");
		put_hex(aux[1]);
		put("\n");
		if (aux[0] == AT_NULL)
			break;
		if (aux[0] == AT_EXECFN)
			execfn = (const char *)aux[1];
		if (aux[0] == AT_PLATFORM)
			platform = (const char *)aux[1];
		if (aux[0] == AT_RANDOM)
			random = (const unsigned char *)aux[1];
	}
	if (execfn) {
		put("execfn ");
		put(execfn);
		put("\n");
	}
	if (platform) {
		put("platform ");
		put(platform);
		put("\n");
	}
	if (random) {
		put("random ");
		for (int i = 0; i < 16; i++) {
			char b[3] = { "0123456789abcdef"[random[i] >> 4],
				      "0123456789abcdef"[random[i] & 15], 0 };
			put(b);
		}
		put("\n");
	}
	flush();
	sys3(231 /* exit_group */, 0, 0, 0);
}

/* The psABI entry: rsp points at argc. Keep it, align, and call dump. */
__asm__(".globl _start\n"
	"_start:\n"
	"\tmov %rsp, %rdi\n"
	"\tand $-16, %rsp\n"
	"\tcall dump\n"
	"\thlt\n");
