/* Guest-side syscall fuzzer for abi-run (complements the ctypes fuzzer:
 * reaches the hosted platform's own paths -- console fds 0-2, execve
 * refusals, the trap). No libc: all state is in static arrays, and every
 * pointer it hands the kernel is its scratch area or a bad address, so
 * the program itself survives what it asks for.
 * usage: gfuzz SEED CALLS  -- prints "done N" on fd 2 at the end (when fd
 * 2 is still open) and exits 0; it makes no exit call before that.
 * build: cc -O1 -static -nostdlib -fno-stack-protector -o gfuzz gfuzz.c
 * (-DGFUZZ_LOG: every call on fd 2 before it is made).
 * tests/hosted/test_gfuzz.py runs it under abi-run with every kind of
 * stdin; its first finding (seed 649, stdin a host directory: a kernel
 * fault in open("..") after fchdir(0)) is fixed.
 * It creates /tmp/d, /tmp/f and /tmp/l and calls anything on the paths
 * below: under abi-run --root, give it a scratch root, never the host's /
 * as root. */
typedef unsigned long u64;
typedef long s64;

static long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

static u64 s;
static u64 rnd(void)
{
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}
static u64 pick(const u64 *v, int n)
{
	return v[rnd() % n];
}

static char *scratch, *ro, *none;
#define SCR (64 * 4096UL)
static const char *paths[] = { "/tmp/f",
			       "/tmp",
			       "/",
			       ".",
			       "..",
			       "/dev/null",
			       "/dev/console",
			       "/proc/self/fd/0",
			       "/proc/self/fd/1",
			       "/proc/self/fd/2",
			       "/dev/stdin",
			       "/dev/fd/0",
			       "/proc/self/maps",
			       "/proc/self/exe",
			       "/gfuzz",
			       "/tmp/d",
			       "/tmp/d/../..",
			       "/proc/self/cwd",
			       "/dev/tty",
			       "/proc/self/root/..",
			       "/dev/zero",
			       "/tmp/l",
			       "" };

static u64 gptr(void)
{
	switch (rnd() % 16) {
	case 0:
		return 0;
	case 1:
		return (u64)ro + rnd() % 4096;
	case 2:
		return (u64)none + rnd() % 4096;
	case 3:
		return 0xffff800000000000UL;
	case 4:
		return rnd();
	case 5:
		return rnd() % 0x10000;
	case 6:
	case 7:
	case 8:
		return (u64)paths[rnd() % (sizeof paths / sizeof *paths)];
	default:
		return (u64)scratch + rnd() % (SCR - 256);
	}
}

static u64 gint(void)
{
	static const u64 v[] = { 0,
				 1,
				 2,
				 3,
				 4,
				 5,
				 8,
				 16,
				 64,
				 100,
				 4095,
				 4096,
				 65536,
				 0x7fffffff,
				 0x80000000UL,
				 0xffffffffUL,
				 -1UL,
				 -100UL,
				 1UL << 40,
				 1UL << 62 };
	switch (rnd() % 4) {
	case 0:
		return rnd() % 8; /* mostly small: fds 0-7 */
	case 1:
		return pick(v, sizeof v / sizeof *v);
	case 2:
		return rnd() & 0xffff;
	default:
		return rnd();
	}
}

void cmain(long *sp)
{
	char **argv = (char **)(sp + 1);
	u64 seed = 0, calls = 0;
	for (char *p = argv[1]; p && *p; p++)
		seed = seed * 10 + (u64)(*p - '0');
	for (char *p = argv[2]; p && *p; p++)
		calls = calls * 10 + (u64)(*p - '0');
	s = seed * 2654435761UL + 88172645463325252UL;
	scratch = (char *)sc6(9, 0, SCR, 3, 0x22, -1, 0);
	ro = (char *)sc6(9, 0, 4096, 1, 0x22, -1, 0);
	none = (char *)sc6(9, 0, 4096, 0, 0x22, -1, 0);
	sc6(83, (long)"/tmp/d", 0755, 0, 0, 0, 0);
	sc6(2, (long)"/tmp/f", 0102, 0644, 0, 0, 0);
	sc6(88, (long)"/tmp", (long)"/tmp/l", 0, 0, 0, 0);
	static const char ts[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0
	}; /* {0, 16ns} */
	for (u64 i = 0; i < calls; i++) {
		long nr = (long)(rnd() % 335);
		if (rnd() % 10 == 0)
			nr = 424 + (long)(rnd() % 38);
		u64 a[6];
		for (int k = 0; k < 6; k++)
			a[k] = (rnd() & 1) ? gptr() : gint();
		switch (nr) {
		case 59: { /* execve: only paths that cannot be loaded, arrays from gptr */
			static const char *np[] = {
				"/tmp", "/dev/null",    "/proc/self/maps", "/tmp/f",
				"",     "/nonexistent", "/tmp/d",          "/proc/self/fd/0"
			};
			u64 k = rnd() % 10;
			a[0] = k < 8 ? (u64)np[k]
				     : (k == 8 ? (u64)scratch + rnd() % 4096
					       : 0xffff800000000000UL);
			break;
		}
		case 60:
		case 231:
		case 322:
		case 15:
		case 11:
		case 25:
		case 10:
		case 12:
		case 158:
		case 34:
		case 130:
		case 128:
		case 101:
		case 56:
		case 57:
		case 58:
		case 435:
		case 14:
		case 13:
			continue; /* exit, exec, sigreturn, own memory, arch_prctl, pause, sigsuspend, sigtimedwait,
				     ptrace, clone/fork, sigprocmask/sigaction (keep SIGSYS deliverable) */
		case 62:
		case 200:
			a[1] = 0;
			break; /* kill/tkill: signal 0 only */
		case 234:
			a[2] = 0;
			break; /* tgkill */
		case 9:
			a[0] = 0;
			a[3] &= ~(0x10UL | 0x100000UL);
			break; /* mmap: never MAP_FIXED(_NOREPLACE) */
		case 28:
			a[0] = (u64)scratch + (rnd() % 60) * 4096;
			break; /* madvise only the scratch area */
		case 0:
		case 19:
		case 17:
		case 295:
		case 327: /* reads: never block (Linux would block too) */
			if (a[0] < 3 && (a[0] != 0 || (rnd() & 1)))
				a[0] = 3; /* stdin never blocks in gfuzz_run */
			sc6(72, (long)a[0], 4, sc6(72, (long)a[0], 3, 0, 0, 0, 0) | 04000, 0, 0, 0);
			break;
		case 40:
		case 275:
		case 276:
		case 326:
		case 32:
		case 33:
		case 292:
			for (int k = 0; k < 2; k++)
				sc6(72, (long)a[k], 4, sc6(72, (long)a[k], 3, 0, 0, 0, 0) | 04000,
				    0, 0, 0);
			break;
		case 35:
			a[0] = (u64)ts;
			break;
		case 230:
			a[2] = (u64)ts;
			a[1] &= 1;
			break;
		case 202:
			a[3] = (u64)ts;
			break;
		case 7:
			a[2] = rnd() % 3;
			break;
		case 271:
			a[2] = (u64)ts;
			break;
		case 23:
		case 270:
			a[4] = (u64)ts;
			break;
		case 232:
		case 281:
			a[3] = rnd() % 3;
			break;
		case 441:
			a[3] = (u64)ts;
			break;
		case 285: /* fallocate: at most 1 GiB (ramfs allocates page by page:
			     tens of GiB take half a minute) */
			a[3] &= (1UL << 30) - 1;
			break;
		case 73:
			a[1] |= 4;
			break;
		case 72:
			if (a[1] == 7 || a[1] == 38)
				a[1]--;
			if (a[1] == 1024)
				a[1] = 1025;
			break;
		case 61:
		case 247:
			continue; /* wait4/waitid */
		case 1:
		case 20:
		case 18:
		case 296:
		case 328: /* writes to the console: keep them short */
			if (a[0] < 3 && a[2] > 64)
				a[2] = 64;
			if (a[0] >= 3)
				sc6(72, (long)a[0], 4, sc6(72, (long)a[0], 3, 0, 0, 0, 0) | 04000,
				    0, 0, 0);
			break;
		default:
			break;
		}
#ifdef GFUZZ_LOG
		{ /* the call about to be made, on fd 2: "i nr a0 .. a5" in hex */
			char l[200];
			int q = 0;
			u64 v[8] = { i, (u64)nr, a[0], a[1], a[2], a[3], a[4], a[5] };
			for (int k = 0; k < 8; k++) {
				for (int b = 60; b >= 0; b -= 4)
					l[q++] = "0123456789abcdef"[(v[k] >> b) & 15];
				l[q++] = k == 7 ? '\n' : ' ';
			}
			sc6(1, 2, (long)l, q, 0, 0, 0);
		}
#endif
		sc6(nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
	}
	char msg[32] = "done ";
	int n = 5;
	char d[24];
	int k = 0;
	u64 c = calls;
	do {
		d[k++] = (char)('0' + c % 10);
		c /= 10;
	} while (c);
	while (k)
		msg[n++] = d[--k];
	msg[n++] = '\n';
	sc6(1, 2, (long)msg, n, 0, 0, 0);
	sc6(231, 0, 0, 0, 0, 0, 0);
}
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call cmain\n hlt\n");
