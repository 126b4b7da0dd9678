/* Calls whose --trace lines tests/hosted/test_strace_format.py compares with
 * strace's: errors, mmap and its fd -1, strings with escapes and past 32
 * bytes, structs, flags, sigsets, fcntl, a pipe; exits with status 3.
 * With an argument: dies of a fault (its signal and "killed by" lines),
 * see die(). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* linux/futex.h's, which musl-gcc does not see */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FUTEX_WAIT_BITSET_PRIVATE 137
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffff

/* Dies of a fault: segv (NULL), accerr (a read-only page), bus (past the
 * end of a file mapping), trap (int3), ill (ud2), gp (a non-canonical
 * address: SI_KERNEL). */
static void die(const char *how)
{
	char *p;
	int fd;

	if (strcmp(how, "segv") == 0) {
		*(volatile int *)0 = 1;
	} else if (strcmp(how, "accerr") == 0) {
		p = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		p[1] = 1;
	} else if (strcmp(how, "bus") == 0) {
		fd = open("bus", O_CREAT | O_RDWR | O_TRUNC, 0600);
		p = mmap(0, 8192, PROT_READ, MAP_SHARED, fd, 0);
		*(volatile char *)(p + 4096);
	} else if (strcmp(how, "trap") == 0) {
		__asm__ volatile("int3");
	} else if (strcmp(how, "ill") == 0) {
		__asm__ volatile("ud2");
	} else if (strcmp(how, "gp") == 0) {
		__asm__ volatile("movabsq $0x8000000000000000, %%rax\n\tmovq (%%rax), %%rax" ::
					 : "rax");
	}
}

static void handler(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct stat st;
	struct statfs sf;
	struct utsname u;
	char buf[64];
	int fd, fds[2];
	void *p;
	sigset_t s;
	struct timespec ts = { 0, 1000 };
	struct sigaction sa;
	struct rlimit rl;
	struct pollfd pf[3];
	struct epoll_event ev = { EPOLLIN, { .u64 = 7 } };
	struct iovec iov[2] = { { "ab", 2 }, { "cd\n", 3 } };
	char r1[3], r2[10];
	int ep, efd, one = 1, word = 1;
	struct termios t;
	struct winsize ws = { 24, 80, 0, 0 };
	struct timespec times[2] = { { 1, 0 }, { 1700000000, 500 } };
	struct itimerspec its = { { 0, 0 }, { 5, 0 } };
	uid_t ruid, euid, suid;
	fd_set rd, wr;
	struct timeval tv = { 0, 1000 };
	struct timespec pts = { 0, 1000 };
	sigset_t none;
	off_t off = 0;

	if (argc > 1)
		die(argv[1]);
	fd = open("/nonexistent/file", O_RDONLY);
	p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, 8192);
	write(1, "hello \"world\"\n\t\x01\xff and a long string that is over 32", 50);
	write(1,
	      "\x01"
	      "2\x7f\\",
	      4);
	close(-1);
	fstat(1, &st);
	fd = open("f.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	write(fd, "abc\n", 4);
	fstat(fd, &st);
	close(fd);
	fd = open("f.txt", O_RDONLY | O_CLOEXEC);
	read(fd, buf, sizeof buf);
	read(fd, buf, sizeof buf);
	lseek(fd, 1, SEEK_SET);
	pread(fd, buf, 2, 0);
	p = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 0);
	mprotect(p, 4096, PROT_NONE);
	munmap(p, 4096);
	stat("f.txt", &st);
	lstat("/nonexistent", &st);
	fstatat(AT_FDCWD, "f.txt", &st, AT_SYMLINK_NOFOLLOW);
	statfs("/", &sf);
	fstatfs(fd, &sf);
	readlink("f.txt", buf, sizeof buf);
	chmod("f.txt", 04755);
	stat("f.txt", &st);
	unlink("f.txt");
	mkdir("d", 0755);
	rmdir("d");
	rmdir("d");
	dup2(fd, 10);
	close(10);
	fcntl(fd, F_GETFD);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_GETFL);
	fcntl(fd, F_DUPFD_CLOEXEC, 20);
	access("/", R_OK | W_OK);
	kill(0, 0);
	nanosleep(&ts, 0);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGTERM);
	sigprocmask(SIG_BLOCK, &s, 0);
	sigprocmask(SIG_SETMASK, 0, &s);
	sigfillset(&s);
	sigprocmask(SIG_BLOCK, &s, 0);
	syscall(SYS_getpid);
	umask(022);
	umask(0);
	uname(&u);
	getcwd(buf, sizeof buf);
	getcwd(buf, 1);
	chdir("/");
	pipe2(fds, O_CLOEXEC);
	lseek(fds[0], 0, SEEK_CUR);

	/* arrays and structs */
	getrandom(r2, 8, GRND_NONBLOCK);
	writev(1, iov, 2);
	writev(fds[1], iov, 2);
	iov[0] = (struct iovec){ r1, sizeof r1 };
	iov[1] = (struct iovec){ r2, sizeof r2 };
	readv(fds[0], iov, 2);
	readv(-1, iov, 2);
	write(fds[1], "x", 1);
	pf[0] = (struct pollfd){ fds[0], POLLIN | POLLPRI, 0 };
	pf[1] = (struct pollfd){ fds[1], POLLOUT, 0 };
	pf[2] = (struct pollfd){ -1, POLLIN, 0 };
	poll(pf, 3, 0);
	poll(pf + 2, 1, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigaddset(&sa.sa_mask, SIGINT);
	sigaction(SIGUSR1, &sa, 0);
	sigaction(SIGUSR1, 0, &sa);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, 0);
	getrlimit(RLIMIT_STACK, &rl);
	ep = epoll_create1(EPOLL_CLOEXEC);
	efd = eventfd(3, EFD_NONBLOCK);
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	epoll_wait(ep, &ev, 1, 0);
	syscall(SYS_stat, "/", NULL);
	fd = open("/", O_RDONLY | O_DIRECTORY);
	fstat(fd, &st);

	/* ioctl by request, futex by command */
	fd = open("/dev/null", O_RDWR);
	ioctl(fd, TCGETS, &t);
	memset(&t, 0, sizeof t);
	t.c_iflag = ICRNL | IXON;
	t.c_oflag = OPOST | ONLCR;
	t.c_cflag = B38400 | CS8 | CREAD;
	t.c_lflag = ISIG | ICANON | ECHO | IEXTEN | ECHOCTL;
	ioctl(fd, TCSETS, &t);
	ioctl(fd, TIOCGWINSZ, &ws);
	ioctl(fd, TIOCSWINSZ, &ws);
	ioctl(fd, TCFLSH, TCIOFLUSH);
	ioctl(fd, FIONBIO, &one);
	ioctl(fd, FIOCLEX);
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
	/* per-syscall forms */
	close(open("u", O_CREAT | O_WRONLY, 0644));
	utimensat(AT_FDCWD, "u", times, 0);
	times[0].tv_nsec = UTIME_NOW;
	times[1].tv_nsec = UTIME_OMIT;
	utimensat(AT_FDCWD, "u", times, AT_SYMLINK_NOFOLLOW);
	utimensat(AT_FDCWD, "u", 0, 0);
	chown("u", -1, -1);
	fd = open("u", O_RDWR);
	write(fd, "hello", 5);
	sendfile(fds[1], fd, &off, 3);
	sendfile(fds[1], fd, 0, 2);
	close(fd);
	unlink("u");
	mknod("fifo", S_IFIFO | 0600, 0);
	unlink("fifo");
	mknod("dev", S_IFCHR | 0600, makedev(1, 3));
	getresuid(&ruid, &euid, &suid);
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(fds[0], &rd);
	FD_SET(fds[1], &wr);
	select(fds[1] + 1, &rd, &wr, NULL, &tv); /* rd still holds the 3 sent above */
	FD_ZERO(&rd);
	FD_SET(0, &rd);
	tv.tv_usec = 1000;
	select(1, NULL, NULL, &rd, &tv); /* nothing: Timeout */
	sigemptyset(&none);
	FD_ZERO(&wr);
	FD_SET(fds[1], &wr);
	pselect(fds[1] + 1, NULL, &wr, NULL, &pts, &none);
	select(-1, NULL, NULL, NULL, NULL);
	personality(0xffffffff);
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	timerfd_settime(fd, 0, &its, 0);
	syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
	syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, 0, 0,
		FUTEX_BITSET_MATCH_ANY);
	return 3;
}
