/* The bounding set as prctl(PR_CAPBSET_READ) reads it (1, 0 or -errno per
 * capability 0-63), before and after a PR_CAPBSET_DROP of CAP_SYS_BOOT
 * (whose result is printed too: EPERM without CAP_SETPCAP). */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>

static void show(void)
{
	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		printf("%d", r < 0 ? -errno : r);
		putchar(cap == 63 ? '\n' : ' ');
	}
}

int main(void)
{
	int r;

	show();
	r = prctl(PR_CAPBSET_DROP, 22 /* CAP_SYS_BOOT */, 0, 0, 0);
	printf("drop %d\n", r < 0 ? -errno : r);
	show();
	return 0;
}
