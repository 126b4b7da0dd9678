/* locks: fcntl record locks (POSIX and OFD: conflicts, F_GETLK reports,
 * splitting and merging, what a close drops), owners and signals, the small
 * queries, and memfd seals.
 *
 * covers: fcntl memfd_create openat close dup dup2 write pwrite64 ftruncate fallocate getpid
 */
#include "sys.h"
#include <sys/mman.h>

#ifndef F_DUPFD_QUERY
#define F_DUPFD_QUERY 1027
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static long self;

/* fcntl(fd, cmd, &flock) and what Linux wrote back; an l_pid is shown as
 * "self", -1 (an OFD lock) or 0, never as a number. */
static void lk(const char *what, long fd, int cmd, short type, short whence, long start, long len)
{
    struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
    long r = SC(fcntl, fd, cmd, &fl);

    if (r < 0) {
        out("%s = %s\n", what, rv(r));
        return;
    }
    out("%s = %s: type %d whence %d start %lld len %lld pid %s\n", what, rv(r), fl.l_type,
        fl.l_whence, (long long)fl.l_start, (long long)fl.l_len,
        fl.l_pid == self ? "self"
        : fl.l_pid == -1 ? "-1"
        : fl.l_pid       ? "other"
                         : "0");
}

static long mkfile(const char *path)
{
    return SC(openat, AT_FDCWD, path, O_CREAT | O_TRUNC | O_RDWR, 0644);
}

static void record_locks(void)
{
    section("record locks");
    long f = mkfile("lk"), g = SC(openat, AT_FDCWD, "lk", O_RDWR);
    long ro = SC(openat, AT_FDCWD, "lk", O_RDONLY);
    lk("F_SETLK WR [0,10)", f, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
    lk("F_GETLK WR from another fd (same process)", g, F_GETLK, F_WRLCK, SEEK_SET, 0, 0);
    lk("F_OFD_GETLK WR sees the POSIX lock", g, F_OFD_GETLK, F_WRLCK, SEEK_SET, 0, 0);
    lk("F_OFD_SETLK RD [5,6) conflicts", g, F_OFD_SETLK, F_RDLCK, SEEK_SET, 5, 1);
    lk("F_OFD_SETLK WR [20,EOF)", g, F_OFD_SETLK, F_WRLCK, SEEK_SET, 20, 0);
    lk("F_SETLK RD [25,26) conflicts with OFD", f, F_SETLK, F_RDLCK, SEEK_SET, 25, 1);
    lk("F_GETLK RD [0,EOF) reports the OFD lock", f, F_GETLK, F_RDLCK, SEEK_SET, 0, 0);
    lk("F_OFD_GETLK F_UNLCK: the description's own", g, F_OFD_GETLK, F_UNLCK, SEEK_SET, 0, 0);
    lk("F_GETLK F_UNLCK", g, F_GETLK, F_UNLCK, SEEK_SET, 0, 0);

    section("split and merge");
    lk("F_SETLK RD [3,5) splits [0,10)", f, F_SETLK, F_RDLCK, SEEK_SET, 3, 2);
    for (int at = 0; at < 12; at += 2) {
        char what[64];
        snprintf(what, sizeof what, "F_OFD_GETLK WR at %d", at);
        lk(what, g, F_OFD_GETLK, F_WRLCK, SEEK_SET, at, 1);
    }
    lk("F_SETLK WR [3,5) merges back", f, F_SETLK, F_WRLCK, SEEK_SET, 3, 2);
    lk("F_OFD_GETLK WR at 4", g, F_OFD_GETLK, F_WRLCK, SEEK_SET, 4, 1);
    lk("F_SETLK UN [2,3)", f, F_SETLK, F_UNLCK, SEEK_SET, 2, 1);
    lk("F_OFD_GETLK WR at 0", g, F_OFD_GETLK, F_WRLCK, SEEK_SET, 0, 5);
    lk("negative length: RD [8,10) as start 10 len -2", f, F_SETLK, F_RDLCK, SEEK_SET, 10, -2);
    lk("F_OFD_GETLK WR at 9", g, F_OFD_GETLK, F_WRLCK, SEEK_SET, 9, 1);

    section("close");
    SC(close, ro); /* any descriptor of the inode: the POSIX locks go */
    lk("after closing another fd: F_OFD_GETLK WR at 0", g, F_OFD_GETLK, F_WRLCK, SEEK_SET, 0, 5);
    long g2 = SC(dup, g);
    SC(close, g); /* the OFD lock stays with the description */
    lk("OFD lock after closing one of its fds", f, F_GETLK, F_WRLCK, SEEK_SET, 0, 0);
    SC(close, g2);
    lk("after its last close", f, F_GETLK, F_WRLCK, SEEK_SET, 0, 0);

    section("errors");
    ro = SC(openat, AT_FDCWD, "lk", O_RDONLY);
    lk("F_SETLK WR on O_RDONLY", ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
    lk("bad whence", f, F_SETLK, F_RDLCK, 7, 0, 0);
    lk("bad type", f, F_SETLK, 9, SEEK_SET, 0, 0);
    lk("negative start", f, F_SETLK, F_RDLCK, SEEK_SET, -1, 0);
    lk("start + len overflows", f, F_SETLK, F_RDLCK, SEEK_SET, INT64_MAX, 2);
    struct flock fl = { .l_type = F_RDLCK, .l_pid = 1 };
    show("F_OFD_SETLK with l_pid", SC(fcntl, f, F_OFD_SETLK, &fl));
    show("F_SETLK with a NULL struct", SC(fcntl, f, F_SETLK, 0));
    SC(close, ro);
    SC(close, f);
}

static void owners(void)
{
    section("owners and queries");
    long f = mkfile("own");
    struct f_owner_ex ex = { 0, 0 };
    show("F_GETOWN", SC(fcntl, f, F_GETOWN));
    show("F_SETOWN self", SC(fcntl, f, F_SETOWN, self));
    fact("F_GETOWN is self", SC(fcntl, f, F_GETOWN) == self);
    show("F_GETOWN_EX", SC(fcntl, f, F_GETOWN_EX, &ex));
    fact("owner type F_OWNER_PID", ex.type == F_OWNER_PID);
    show("F_SETOWN a pid that does not exist", SC(fcntl, f, F_SETOWN, 4194304));
    ex = (struct f_owner_ex){ 7, 0 };
    show("F_SETOWN_EX bad type", SC(fcntl, f, F_SETOWN_EX, &ex));
    show("F_SETSIG 65", SC(fcntl, f, F_SETSIG, 65));
    show("F_SETSIG SIGUSR1", SC(fcntl, f, F_SETSIG, 10));
    show("F_GETSIG", SC(fcntl, f, F_GETSIG));
    show("F_GETLEASE", SC(fcntl, f, F_GETLEASE));
    show("F_NOTIFY on a file", SC(fcntl, f, F_NOTIFY, 1));
    long d = SC(dup, f);
    show("F_DUPFD_QUERY dup", SC(fcntl, f, F_DUPFD_QUERY, d));
    show("F_DUPFD_QUERY closed fd", SC(fcntl, f, F_DUPFD_QUERY, 99));
    SC(close, d);
    SC(close, f);
}

static void seals(void)
{
    section("seals");
    long m = SC(memfd_create, "s", MFD_ALLOW_SEALING);
    long plain = SC(memfd_create, "p", 0);
    SC(write, m, "0123456789", 10);
    show("F_GET_SEALS plain memfd", SC(fcntl, plain, F_GET_SEALS));
    show("F_ADD_SEALS plain memfd", SC(fcntl, plain, F_ADD_SEALS, F_SEAL_GROW));
    show("F_GET_SEALS", SC(fcntl, m, F_GET_SEALS));
    show("F_ADD_SEALS SHRINK|GROW", SC(fcntl, m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
    show("ftruncate 5", SC(ftruncate, m, 5));
    show("ftruncate 20", SC(ftruncate, m, 20));
    show("pwrite64 inside", SC(pwrite64, m, "ab", 2, 4));
    show("pwrite64 past the end", SC(pwrite64, m, "ab", 2, 9));
    show("fallocate past the end", SC(fallocate, m, 0, 0, 11));
    show("F_ADD_SEALS FUTURE_WRITE", SC(fcntl, m, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
    show("write", SC(write, m, "x", 1));
    show("F_ADD_SEALS SEAL", SC(fcntl, m, F_ADD_SEALS, F_SEAL_SEAL));
    show("F_ADD_SEALS WRITE after SEAL", SC(fcntl, m, F_ADD_SEALS, F_SEAL_WRITE));
    show("F_GET_SEALS", SC(fcntl, m, F_GET_SEALS));
    SC(close, plain);
    SC(close, m);
}

int main(void)
{
    self = SC(getpid);
    record_locks();
    owners();
    seals();
    return done();
}
