/* copy: in-kernel copies (sendfile, copy_file_range), vectored positional I/O,
 * openat2, flock and the file advice/sync hints.
 *
 * covers: sendfile copy_file_range preadv pwritev preadv2 pwritev2 openat2 flock fadvise64 readahead
 * covers: sync_file_range openat read write lseek close pipe2 symlinkat mkdirat dup fstat
 */
#include "sys.h"
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>

#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV 0x01 /* linux/openat2.h */
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif
#ifndef SYNC_FILE_RANGE_WRITE
#define SYNC_FILE_RANGE_WAIT_BEFORE 1 /* linux/fs.h */
#define SYNC_FILE_RANGE_WRITE 2
#define SYNC_FILE_RANGE_WAIT_AFTER 4
#endif
#ifndef POSIX_FADV_SEQUENTIAL
#define POSIX_FADV_NORMAL 0
#define POSIX_FADV_SEQUENTIAL 2
#define POSIX_FADV_WILLNEED 3
#define POSIX_FADV_DONTNEED 4
#endif

#ifndef RWF_DSYNC
#define RWF_HIPRI 0x01 /* linux/fs.h */
#define RWF_DSYNC 0x02
#define RWF_SYNC 0x04
#define RWF_APPEND 0x10
#endif

struct how {
    uint64_t flags, mode, resolve;
};

static void contents(const char *what, const char *path)
{
    char buf[128];
    long fd = SC(openat, AT_FDCWD, path, O_RDONLY);
    long n = fd < 0 ? fd : SC(read, fd, buf, sizeof buf);
    if (n < 0)
        show(what, n);
    else
        bytes(what, buf, n);
    if (fd >= 0)
        SC(close, fd);
}

static long mkfile(const char *path, const char *text)
{
    long fd = SC(openat, AT_FDCWD, path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    SC(write, fd, text, strlen(text));
    SC(lseek, fd, 0, SEEK_SET);
    return fd;
}

static void copies(void)
{
    section("sendfile");
    long in = mkfile("src", "0123456789abcdefghij");
    long outfd = SC(openat, AT_FDCWD, "dst", O_CREAT | O_TRUNC | O_RDWR, 0644);
    int64_t off = 4;
    show("sendfile 6 from offset 4", SC(sendfile, outfd, in, &off, 6));
    out("offset now %lld\n", (long long)off);
    show("in offset unchanged", SC(lseek, in, 0, SEEK_CUR));
    show("sendfile 3, file offset", SC(sendfile, outfd, in, NULL, 3));
    show("in offset advanced", SC(lseek, in, 0, SEEK_CUR));
    off = 18;
    show("sendfile 10 from 18 (short)", SC(sendfile, outfd, in, &off, 10));
    off = 100;
    show("sendfile at EOF", SC(sendfile, outfd, in, &off, 10));
    contents("dst", "dst");
    off = -1;
    show("sendfile negative offset", SC(sendfile, outfd, in, &off, 1));
    show("sendfile bad in fd", SC(sendfile, outfd, 99, NULL, 1));
    show("sendfile bad out fd", SC(sendfile, 99, in, NULL, 1));
    long ro = SC(openat, AT_FDCWD, "src", O_RDONLY);
    show("sendfile to O_RDONLY", SC(sendfile, ro, in, NULL, 1));
    int p[2];
    SC(pipe2, p, 0);
    off = 0;
    show("sendfile file -> pipe 5", SC(sendfile, p[1], in, &off, 5));
    char buf[32];
    long n = SC(read, p[0], buf, sizeof buf);
    bytes("pipe got", buf, n > 0 ? n : 0);

    section("copy_file_range");
    int64_t oi = 10, oo = 0;
    long cp = SC(openat, AT_FDCWD, "cp", O_CREAT | O_TRUNC | O_RDWR, 0644);
    show("copy_file_range 5 from 10 to 0", SC(copy_file_range, in, &oi, cp, &oo, 5, 0));
    out("offsets now %lld %lld\n", (long long)oi, (long long)oo);
    SC(lseek, in, 0, SEEK_SET);
    show("copy_file_range 3, file offsets", SC(copy_file_range, in, NULL, cp, NULL, 3, 0));
    show("in offset", SC(lseek, in, 0, SEEK_CUR));
    show("out offset", SC(lseek, cp, 0, SEEK_CUR));
    oi = 100;
    show("copy_file_range at EOF", SC(copy_file_range, in, &oi, cp, NULL, 5, 0));
    contents("cp", "cp");
    show("copy_file_range flags 1", SC(copy_file_range, in, NULL, cp, NULL, 1, 1));
    oi = 0;
    oo = 2;
    show("copy_file_range same file overlapping", SC(copy_file_range, in, &oi, in, &oo, 4, 0));
    show("copy_file_range to O_RDONLY", SC(copy_file_range, in, NULL, ro, NULL, 1, 0));
    show("copy_file_range bad fd", SC(copy_file_range, 99, NULL, cp, NULL, 1, 0));
    show("copy_file_range from pipe", SC(copy_file_range, p[0], NULL, cp, NULL, 1, 0));
    SC(close, cp);
    SC(close, p[0]);
    SC(close, p[1]);
    SC(close, ro);
    SC(close, outfd);
    SC(close, in);
}

static void vectors(void)
{
    section("preadv pwritev");
    long fd = mkfile("v", "abcdefghijklmnop");
    SC(lseek, fd, 3, SEEK_SET);
    struct iovec w[2] = { { "XY", 2 }, { "Z", 1 } };
    show("pwritev 2+1 at 5", SC(pwritev, fd, w, 2, 5, 0));
    show("offset unchanged", SC(lseek, fd, 0, SEEK_CUR));
    char a[4] = { 0 }, b[6] = { 0 };
    struct iovec r[2] = { { a, 4 }, { b, 6 } };
    show("preadv 4+6 at 2", SC(preadv, fd, r, 2, 2, 0));
    bytes("first", a, 4);
    bytes("second", b, 6);
    show("preadv at 14 (short)", SC(preadv, fd, r, 2, 14, 0));
    bytes("first", a, 2);
    show("preadv at EOF", SC(preadv, fd, r, 2, 100, 0));
    show("pwritev at 20 (extends)", SC(pwritev, fd, w, 1, 20, 0));
    contents("v", "v");
    show("preadv negative offset", SC(preadv, fd, r, 2, -1, -1));
    show("preadv iovcnt -1", SC(preadv, fd, r, -1, 0, 0));
    show("preadv bad fd", SC(preadv, 99, r, 2, 0, 0));
    int p[2];
    SC(pipe2, p, 0);
    show("pwritev on a pipe", SC(pwritev, p[1], w, 2, 0, 0));
    SC(close, p[0]);
    SC(close, p[1]);
    long ro = SC(openat, AT_FDCWD, "v", O_RDONLY);
    show("pwritev on O_RDONLY", SC(pwritev, ro, w, 2, 0, 0));
    SC(close, ro);

    section("preadv2 pwritev2");
    SC(lseek, fd, 1, SEEK_SET);
    memset(a, 0, sizeof a);
    show("preadv2 4 at 0", SC(preadv2, fd, r, 1, 0, 0, 0));
    bytes("data", a, 4);
    show("offset unchanged", SC(lseek, fd, 0, SEEK_CUR));
    show("preadv2 4 at -1 (file offset)", SC(preadv2, fd, r, 1, -1, -1, 0));
    bytes("data", a, 4);
    show("offset advanced", SC(lseek, fd, 0, SEEK_CUR));
    show("pwritev2 at 0 RWF_DSYNC", SC(pwritev2, fd, w, 1, 0, 0, RWF_DSYNC));
    show("pwritev2 at -1 RWF_SYNC (file offset)", SC(pwritev2, fd, w + 1, 1, -1, -1, RWF_SYNC));
    show("offset advanced", SC(lseek, fd, 0, SEEK_CUR));
    show("pwritev2 unknown flag", SC(pwritev2, fd, w, 1, 0, 0, 0x40000000));
    show("preadv2 unknown flag", SC(preadv2, fd, r, 1, 0, 0, 0x40000000));
    show("preadv2 at -2", SC(preadv2, fd, r, 1, -2, -1, 0));
    show("preadv2 bad fd", SC(preadv2, 99, r, 1, 0, 0, 0));
    contents("v", "v");
    SC(close, fd);
}

static void open2(void)
{
    section("openat2");
    SC(mkdirat, AT_FDCWD, "d", 0755);
    SC(close, mkfile("d/in", "inside"));
    SC(close, mkfile("top", "top"));
    SC(symlinkat, "in", AT_FDCWD, "d/link");
    SC(symlinkat, "../top", AT_FDCWD, "d/up");
    long d = SC(openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY);
    struct how h = { O_RDONLY, 0, 0 };
    long fd = show("openat2 d/in", SC(openat2, AT_FDCWD, "d/in", &h, sizeof h));
    SC(close, fd);
    h.flags = O_CREAT | O_WRONLY | O_EXCL;
    h.mode = 0600;
    fd = show("openat2 new O_CREAT|O_EXCL 0600", SC(openat2, AT_FDCWD, "new", &h, sizeof h));
    struct stat st;
    SC(fstat, fd, &st);
    out("new mode %04o\n", (unsigned)(st.st_mode & 07777));
    SC(close, fd);
    show("openat2 new again (EXCL)", SC(openat2, AT_FDCWD, "new", &h, sizeof h));
    h.flags = O_RDONLY;
    show("openat2 mode without O_CREAT", SC(openat2, AT_FDCWD, "top", &h, sizeof h));
    h.mode = 0;
    h.resolve = RESOLVE_BENEATH;
    fd = show("openat2 d: in BENEATH", SC(openat2, d, "in", &h, sizeof h));
    SC(close, fd);
    show("openat2 d: ../top BENEATH", SC(openat2, d, "../top", &h, sizeof h));
    show("openat2 d: /etc BENEATH", SC(openat2, d, "/etc", &h, sizeof h));
    show("openat2 d: up BENEATH (symlink escapes)", SC(openat2, d, "up", &h, sizeof h));
    h.resolve = RESOLVE_NO_SYMLINKS;
    show("openat2 d/link NO_SYMLINKS", SC(openat2, AT_FDCWD, "d/link", &h, sizeof h));
    h.resolve = 0;
    fd = show("openat2 d/link", SC(openat2, AT_FDCWD, "d/link", &h, sizeof h));
    SC(close, fd);
    h.resolve = 0x100;
    show("openat2 unknown resolve", SC(openat2, AT_FDCWD, "top", &h, sizeof h));
    h.resolve = 0;
    h.flags = 1ULL << 40;
    show("openat2 unknown flags", SC(openat2, AT_FDCWD, "top", &h, sizeof h));
    h.flags = O_RDONLY;
    show("openat2 size 8", SC(openat2, AT_FDCWD, "top", &h, 8));
    struct {
        struct how h;
        uint64_t extra;
    } big = { { O_RDONLY, 0, 0 }, 0 };
    fd = show("openat2 size 32, zero tail", SC(openat2, AT_FDCWD, "top", &big, sizeof big));
    SC(close, fd);
    big.extra = 1;
    show("openat2 size 32, nonzero tail", SC(openat2, AT_FDCWD, "top", &big, sizeof big));
    show("openat2 missing", SC(openat2, AT_FDCWD, "missing", &h, sizeof h));
    SC(close, d);
}

static void locks(void)
{
    section("flock");
    long a = mkfile("lock", "");
    long b = SC(openat, AT_FDCWD, "lock", O_RDONLY);
    long a2 = SC(dup, a);
    show("flock a LOCK_EX", SC(flock, a, LOCK_EX));
    show("flock b LOCK_SH|LOCK_NB (conflict)", SC(flock, b, LOCK_SH | LOCK_NB));
    show("flock dup of a LOCK_EX|LOCK_NB (same file description)",
         SC(flock, a2, LOCK_EX | LOCK_NB));
    show("flock a LOCK_SH (convert)", SC(flock, a, LOCK_SH));
    show("flock b LOCK_SH|LOCK_NB", SC(flock, b, LOCK_SH | LOCK_NB));
    show("flock b LOCK_EX|LOCK_NB (conflict)", SC(flock, b, LOCK_EX | LOCK_NB));
    show("flock a LOCK_UN", SC(flock, a, LOCK_UN));
    show("flock b LOCK_EX|LOCK_NB", SC(flock, b, LOCK_EX | LOCK_NB));
    SC(close, b);
    show("flock a LOCK_EX|LOCK_NB after b closed", SC(flock, a, LOCK_EX | LOCK_NB));
    show("flock bad op", SC(flock, a, 0));
    show("flock LOCK_SH|LOCK_EX", SC(flock, a, LOCK_SH | LOCK_EX));
    show("flock bad fd", SC(flock, 99, LOCK_SH));
    SC(close, a2);
    SC(close, a);
}

static void hints(void)
{
    section("hints");
    long fd = mkfile("h", "some data for the hints");
    int p[2];
    SC(pipe2, p, 0);
#ifdef SYS_fadvise64
    show("fadvise64 SEQUENTIAL", SC(fadvise64, fd, 0, 0, POSIX_FADV_SEQUENTIAL));
    show("fadvise64 WILLNEED", SC(fadvise64, fd, 0, 4096, POSIX_FADV_WILLNEED));
    show("fadvise64 DONTNEED", SC(fadvise64, fd, 0, 0, POSIX_FADV_DONTNEED));
    show("fadvise64 NORMAL", SC(fadvise64, fd, 0, 0, POSIX_FADV_NORMAL));
    show("fadvise64 advice 99", SC(fadvise64, fd, 0, 0, 99));
    show("fadvise64 negative len", SC(fadvise64, fd, 0, -1, POSIX_FADV_NORMAL));
    show("fadvise64 on a pipe", SC(fadvise64, p[0], 0, 0, POSIX_FADV_NORMAL));
    show("fadvise64 bad fd", SC(fadvise64, 99, 0, 0, POSIX_FADV_NORMAL));
#endif
    show("readahead 0 4096", SC(readahead, fd, 0, 4096));
    show("readahead on a pipe", SC(readahead, p[0], 0, 4096));
    show("readahead bad fd", SC(readahead, 99, 0, 4096));
    long wo = SC(openat, AT_FDCWD, "h", O_WRONLY);
    show("readahead O_WRONLY", SC(readahead, wo, 0, 4096));
    SC(close, wo);
    show("sync_file_range WRITE", SC(sync_file_range, fd, 0, 0, SYNC_FILE_RANGE_WRITE));
    show("sync_file_range all flags",
         SC(sync_file_range, fd, 0, 4096,
            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
    show("sync_file_range bad flags", SC(sync_file_range, fd, 0, 0, 8));
    show("sync_file_range negative offset", SC(sync_file_range, fd, -1, 0, SYNC_FILE_RANGE_WRITE));
    show("sync_file_range negative nbytes", SC(sync_file_range, fd, 0, -1, SYNC_FILE_RANGE_WRITE));
    show("sync_file_range on a pipe", SC(sync_file_range, p[0], 0, 0, SYNC_FILE_RANGE_WRITE));
    show("sync_file_range bad fd", SC(sync_file_range, 99, 0, 0, SYNC_FILE_RANGE_WRITE));
    SC(close, p[0]);
    SC(close, p[1]);
    SC(close, fd);
}

int main(void)
{
    copies();
    vectors();
    open2();
    locks();
    hints();
    return done();
}
