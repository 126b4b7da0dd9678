/* The aarch64 facts tests/kernel/test_aarch64.py checks the kernel's aarch64
 * dispatch against: struct layouts from linux-libc-dev's arm64 headers and
 * the results of a few calls, as qemu-aarch64 gives them (the reference for
 * aarch64). Built static with aarch64-linux-gnu-gcc at test time. Run in an
 * empty directory; prints "key value" lines. No _GNU_SOURCE: MINSIGSTKSZ is
 * then the header's constant, not sysconf's. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h> /* glibc's aarch64 struct stat is the kernel's (asm-generic) */
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define OFF(t, f) printf(#t "." #f " %zu\n", offsetof(struct t, f))

static long sc(long r)
{
	return r < 0 ? -errno : r;
}

int main(void)
{
	struct utsname u;
	char stack[8192];

	printf("stat.size %zu\n", sizeof(struct stat));
	OFF(stat, st_ino);
	OFF(stat, st_mode);
	OFF(stat, st_nlink);
	OFF(stat, st_uid);
	OFF(stat, st_gid);
	OFF(stat, st_size);
	OFF(stat, st_blksize);
	OFF(stat, st_blocks);
	OFF(stat, st_mtim);
	printf("epoll_event.size %zu\n", sizeof(struct epoll_event));
	OFF(epoll_event, data);
	printf("O_DIRECTORY %d\nO_NOFOLLOW %d\nO_DIRECT %d\nO_LARGEFILE %d\n", O_DIRECTORY,
	       O_NOFOLLOW, __O_DIRECT, __O_LARGEFILE);

	int fd = (int)sc(syscall(SYS_openat, AT_FDCWD, "f", O_RDWR | O_CREAT, 0640));
	printf("getfl %ld\n", sc(syscall(SYS_fcntl, fd, F_GETFL)));
	printf("setfl %ld\n", sc(syscall(SYS_fcntl, fd, F_SETFL, O_NONBLOCK | O_APPEND)));
	printf("getfl2 %ld\n", sc(syscall(SYS_fcntl, fd, F_GETFL)));
	printf("open_dir_on_file %ld\n",
	       sc(syscall(SYS_openat, AT_FDCWD, "f", O_RDONLY | O_DIRECTORY)));
	symlink("f", "l");
	printf("open_nofollow_link %ld\n",
	       sc(syscall(SYS_openat, AT_FDCWD, "l", O_RDONLY | O_NOFOLLOW)));
	int dfd = (int)sc(syscall(SYS_openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY));
	printf("open_dir_getfl %ld\n", sc(syscall(SYS_fcntl, dfd, F_GETFL)));

	stack_t ss = { .ss_sp = stack, .ss_size = 4096 };
	printf("sigaltstack_4096 %ld\n", sc(syscall(SYS_sigaltstack, &ss, NULL)));
	ss.ss_size = 5120;
	printf("sigaltstack_5120 %ld\n", sc(syscall(SYS_sigaltstack, &ss, NULL)));
	printf("MINSIGSTKSZ %d\n", MINSIGSTKSZ);
	uname(&u);
	printf("machine %s\n", u.machine);
	return 0;
}
