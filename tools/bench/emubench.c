/* The emulated platform's benchmarks (tools/bench.py --only emu): a static
 * program that times itself, run natively, under abi-run --emu and under
 * qemu-x86_64. `emubench syscall N`: N getppid calls, ns per call (the
 * syscall round trip: engine hook, kernel, back); `emubench loop N`: a
 * compute loop of N iterations (integer arithmetic and memory, no
 * syscalls), ms. Prints the one number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static unsigned long table[4096];

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	double t0, t1;

	if (argc < 3 || n < 0)
		return 2;
	if (strcmp(argv[1], "syscall") == 0) {
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		t1 = now_ns();
		printf("%.1f\n", n ? (t1 - t0) / (double)n : 0.0);
		return 0;
	}
	if (strcmp(argv[1], "loop") == 0) {
		unsigned long x = 88172645463325252UL, sum = 0;

		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			table[x & 4095] += x;
			sum += table[(x >> 12) & 4095];
		}
		t1 = now_ns();
		printf("%.1f\n", (t1 - t0) / 1e6);
		return sum == 42; /* keeps the loop */
	}
	return 2;
}
