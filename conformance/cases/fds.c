/* fds: the descriptor table: dup family, fcntl, close_range, EBADF, EMFILE.
 *
 * covers: dup dup2 dup3 fcntl close close_range openat read ioctl getrlimit setrlimit
 * covers: prlimit64
 */
#include "sys.h"
#include <sys/ioctl.h>
#include <sys/resource.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void fd_flags(const char *what, long fd)
{
    long r = SC(fcntl, fd, F_GETFD);
    if (r < 0)
        out("%s: F_GETFD = %s\n", what, rv(r));
    else
        out("%s: F_GETFD = %ld\n", what, r);
}

int main(void)
{
    char c;

    section("dup");
    long fd = show("openat /dev/null O_RDWR", SC(openat, AT_FDCWD, "/dev/null", O_RDWR));
    show("dup", SC(dup, fd));
#ifdef SYS_dup2
    show("dup2 fd -> 10", SC(dup2, fd, 10));
    show("dup2 10 -> 10", SC(dup2, 10, 10));
    show("dup2 99 -> 10 (99 closed)", SC(dup2, 99, 10));
    show("dup2 fd -> -1", SC(dup2, fd, -1));
#endif
    show("dup3 fd -> fd", SC(dup3, fd, fd, 0));
    show("dup3 fd -> 11 O_CLOEXEC", SC(dup3, fd, 11, O_CLOEXEC));
    fd_flags("fd 11", 11);
    show("dup3 bad flags", SC(dup3, fd, 12, 0x1));
    show("dup3 -> 2000000 (over limit)", SC(dup3, fd, 2000000, 0));

    section("fcntl");
    show("F_DUPFD from 20", SC(fcntl, fd, F_DUPFD, 20));
    show("F_DUPFD_CLOEXEC from 20", SC(fcntl, fd, F_DUPFD_CLOEXEC, 20));
    fd_flags("fd 20", 20);
    fd_flags("fd 21", 21);
    show("F_SETFD 20 FD_CLOEXEC", SC(fcntl, 20, F_SETFD, FD_CLOEXEC));
    fd_flags("fd 20 after F_SETFD", 20);
    long fl = SC(fcntl, fd, F_GETFL);
    out("F_GETFL = %s (0x%lx)\n", rv(fl), fl < 0 ? 0 : fl);
    show("F_SETFL O_NONBLOCK|O_APPEND", SC(fcntl, fd, F_SETFL, O_NONBLOCK | O_APPEND));
    fl = SC(fcntl, fd, F_GETFL);
    out("F_GETFL after = %s (0x%lx)\n", rv(fl), fl < 0 ? 0 : fl);
    fl = SC(fcntl, 4, F_GETFL);
    fact("dup shares status flags", fl >= 0 && (fl & O_NONBLOCK));
    show("fcntl bad command", SC(fcntl, fd, 9999));
    show("F_DUPFD negative", SC(fcntl, fd, F_DUPFD, -1));

    section("ioctl");
    int on = 1;
    show("FIONBIO on", SC(ioctl, fd, FIONBIO, &on));
    show("FIOCLEX", SC(ioctl, 4, FIOCLEX));
    fd_flags("fd 4 after FIOCLEX", 4);
    show("FIONCLEX", SC(ioctl, 4, FIONCLEX));
    fd_flags("fd 4 after FIONCLEX", 4);
    char termios[64];
    show("TCGETS on /dev/null", SC(ioctl, fd, TCGETS, termios));

    section("close_range");
    show("close_range 10..11", SC(close_range, 10, 11, 0));
    fd_flags("fd 10", 10);
    fd_flags("fd 11", 11);
    show("close_range CLOEXEC 20..~0", SC(close_range, 20, ~0U, CLOSE_RANGE_CLOEXEC));
    fd_flags("fd 20", 20);
    fd_flags("fd 21", 21);
    show("close_range 5..4", SC(close_range, 5, 4, 0));
    show("close_range bad flags", SC(close_range, 5, 6, 0x80));
    show("close_range 20..~0", SC(close_range, 20, ~0U, 0));
    fd_flags("fd 21", 21);

    section("EBADF");
    show("close 999", SC(close, 999));
    show("close -1", SC(close, -1));
    show("dup 999", SC(dup, 999));
    show("dup3 999 -> 5", SC(dup3, 999, 5, 0));
    show("fcntl 999 F_GETFD", SC(fcntl, 999, F_GETFD));
    show("read 999", SC(read, 999, &c, 1));
    show("write -5", SC(write, -5, &c, 1));

    section("EMFILE");
    struct rlimit rl, old;
    show("getrlimit NOFILE", SC(getrlimit, RLIMIT_NOFILE, &old));
    fact("soft <= hard", old.rlim_cur <= old.rlim_max);
    rl.rlim_cur = 32;
    rl.rlim_max = old.rlim_max;
    show("setrlimit NOFILE 32", SC(setrlimit, RLIMIT_NOFILE, &rl));
    struct rlimit now;
    show("prlimit64 get", SC(prlimit64, 0, RLIMIT_NOFILE, NULL, &now));
    out("soft now %lu\n", (unsigned long)now.rlim_cur);
    int opened = 0;
    long last = 0;
    for (int i = 0; i < 100; i++) {
        last = SC(dup, fd);
        if (last < 0)
            break;
        opened++;
    }
    out("dup until failure: %d opened, then %s\n", opened, rv(last));
    show("dup3 -> 40 (over soft limit)", SC(dup3, fd, 40, 0));
    show("F_DUPFD from 40", SC(fcntl, fd, F_DUPFD, 40));
    rl.rlim_cur = old.rlim_max + 1;
    show("setrlimit soft > hard", SC(setrlimit, RLIMIT_NOFILE, &rl));
    show("close_range 3..~0", SC(close_range, 3, ~0U, 0));
    show("setrlimit restore", SC(setrlimit, RLIMIT_NOFILE, &old));
    return done();
}
