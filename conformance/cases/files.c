/* files: regular-file I/O in the working directory (a fresh empty directory per run).
 *
 * covers: openat open creat read write readv writev lseek pread64 pwrite64 ftruncate truncate
 * covers: fstat stat lstat newfstatat close umask fsync fdatasync
 * covers: linkat readlinkat fcntl unlinkat
 */
#include "sys.h"
#include <sys/stat.h>
#include <sys/uio.h>

static void stat_facts(const char *what, long r, const struct stat *st)
{
    if (r < 0) {
        show(what, r);
        return;
    }
    out("%s = 0 type=%s mode=%04o nlink=%lu size=%ld\n", what,
        S_ISREG(st->st_mode)   ? "reg"
        : S_ISDIR(st->st_mode) ? "dir"
                               : "other",
        (unsigned)(st->st_mode & 07777), (unsigned long)st->st_nlink, (long)st->st_size);
}

int main(void)
{
    char buf[64];
    struct stat st, st2;

    section("create");
    show("umask 022", SC(umask, 022));
    show("umask again", SC(umask, 022));
    long fd = show("openat a.txt O_CREAT|O_EXCL|O_RDWR",
                   SC(openat, AT_FDCWD, "a.txt", O_CREAT | O_EXCL | O_RDWR, 0666));
    show("write hello world", SC(write, fd, "hello world\n", 12));
    show("lseek 0 SEEK_CUR", SC(lseek, fd, 0, SEEK_CUR));
    show("lseek 0 SEEK_SET", SC(lseek, fd, 0, SEEK_SET));
    memset(buf, 0, sizeof buf);
    long n = show("read 5", SC(read, fd, buf, 5));
    bytes("read data", buf, n);

    section("positional");
    n = show("pread64 5 at 6", SC(pread64, fd, buf, 5, 6));
    bytes("pread data", buf, n);
    show("offset unchanged", SC(lseek, fd, 0, SEEK_CUR));
    show("pwrite64 WORLD at 6", SC(pwrite64, fd, "WORLD", 5, 6));
    show("lseek 0 SEEK_END", SC(lseek, fd, 0, SEEK_END));
    show("read at EOF", SC(read, fd, buf, sizeof buf));
    show("lseek -1 SEEK_SET", SC(lseek, fd, -1, SEEK_SET));
    show("lseek whence 99", SC(lseek, fd, 0, 99));
    show("pread64 negative offset", SC(pread64, fd, buf, 1, -1));

    section("vectors");
    struct iovec iov[2] = { { "ab", 2 }, { "cdef", 4 } };
    show("lseek 12", SC(lseek, fd, 12, SEEK_SET));
    show("writev 2+4", SC(writev, fd, iov, 2));
    char v1[3] = { 0 }, v2[5] = { 0 };
    struct iovec rio[2] = { { v1, 3 }, { v2, 5 } };
    show("lseek 10", SC(lseek, fd, 10, SEEK_SET));
    show("readv 3+5", SC(readv, fd, rio, 2));
    bytes("readv first", v1, 3);
    bytes("readv second", v2, 5);

    section("size");
    stat_facts("fstat", SC(fstat, fd, &st), &st);
    show("ftruncate 5", SC(ftruncate, fd, 5));
    stat_facts("fstat after ftruncate", SC(fstat, fd, &st), &st);
    show("ftruncate 8192", SC(ftruncate, fd, 8192));
    memset(buf, 'x', sizeof buf);
    n = show("pread64 hole at 4000", SC(pread64, fd, buf, 16, 4000));
    int zeros = 0;
    for (long i = 0; i < n; i++)
        zeros += buf[i] == 0;
    out("hole bytes zero: %d of %ld\n", zeros, n);
    show("ftruncate -1", SC(ftruncate, fd, -1));
    show("fsync", SC(fsync, fd));
    show("fdatasync", SC(fdatasync, fd));
#ifdef SYS_truncate
    show("truncate a.txt 11", SC(truncate, "a.txt", 11));
#else
    show("ftruncate 11", SC(ftruncate, fd, 11));
#endif

    section("stat");
    stat_facts("newfstatat a.txt", SC(newfstatat, AT_FDCWD, "a.txt", &st2, 0), &st2);
    SC(fstat, fd, &st);
    fact("same inode as fstat", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
    /* Inode numbers differ run to run: files.yaml masks them. */
    out("inode of a.txt: ino=%lu\n", (unsigned long)st.st_ino);
#ifdef SYS_stat
    stat_facts("stat a.txt", SC(stat, "a.txt", &st2), &st2);
    stat_facts("lstat a.txt", SC(lstat, "a.txt", &st2), &st2);
#endif
    show("close", SC(close, fd));
    show("close again", SC(close, fd));

    section("modes");
    fd = show("openat a.txt O_RDONLY", SC(openat, AT_FDCWD, "a.txt", O_RDONLY));
    show("write to O_RDONLY", SC(write, fd, "x", 1));
    show("ftruncate O_RDONLY", SC(ftruncate, fd, 0));
    SC(close, fd);
    fd = show("openat a.txt O_WRONLY|O_APPEND", SC(openat, AT_FDCWD, "a.txt", O_WRONLY | O_APPEND));
    show("read from O_WRONLY", SC(read, fd, buf, 1));
    show("lseek 0 SEEK_SET", SC(lseek, fd, 0, SEEK_SET));
    show("append write", SC(write, fd, "!\n", 2));
    show("offset after append", SC(lseek, fd, 0, SEEK_CUR));
    SC(close, fd);
#ifdef SYS_creat
    fd = show("creat b.txt", SC(creat, "b.txt", 0600));
#else
    fd = show("openat b.txt O_CREAT|O_WRONLY|O_TRUNC",
              SC(openat, AT_FDCWD, "b.txt", O_CREAT | O_WRONLY | O_TRUNC, 0600));
#endif
    stat_facts("fstat b.txt", SC(fstat, fd, &st), &st);
    SC(close, fd);
#ifdef SYS_open
    fd = show("open a.txt O_RDWR|O_TRUNC", SC(open, "a.txt", O_RDWR | O_TRUNC));
#else
    fd = show("openat a.txt O_RDWR|O_TRUNC", SC(openat, AT_FDCWD, "a.txt", O_RDWR | O_TRUNC));
#endif
    stat_facts("fstat truncated", SC(fstat, fd, &st), &st);
    show("write final", SC(write, fd, "final contents\n", 15));
    SC(close, fd);

    section("tmpfile");
    /* O_TMPFILE: an unnamed file in the working directory, named later
     * through its /proc/self/fd link or with AT_EMPTY_PATH */
    show("O_TMPFILE|O_RDONLY", SC(openat, AT_FDCWD, ".", O_TMPFILE | O_RDONLY, 0600));
    show("O_TMPFILE|O_CREAT", SC(openat, AT_FDCWD, ".", O_TMPFILE | O_CREAT | O_RDWR, 0600));
    show("O_TMPFILE on a file", SC(openat, AT_FDCWD, "a.txt", O_TMPFILE | O_RDWR, 0600));
    fd = show("openat . O_TMPFILE|O_RDWR", SC(openat, AT_FDCWD, ".", O_TMPFILE | O_RDWR, 0640));
    show("write tmpfile", SC(write, fd, "unnamed until linked\n", 21));
    stat_facts("fstat tmpfile", SC(fstat, fd, &st), &st);
    out("F_GETFL = %#lx\n", SC(fcntl, fd, F_GETFL));
    char proc[64], link[256];
    snprintf(proc, sizeof proc, "/proc/self/fd/%ld", fd);
    /* (its length depends on the directory and the inode number) */
    n = SC(readlinkat, AT_FDCWD, proc, link, sizeof link - 1);
    if (n < 0)
        show("readlink /proc/self/fd/N", n);
    else
        out("readlink /proc/self/fd/N: %.*s\n", (int)n, link);
    show("linkat /proc/self/fd/N t.txt AT_SYMLINK_FOLLOW",
         SC(linkat, AT_FDCWD, proc, AT_FDCWD, "t.txt", AT_SYMLINK_FOLLOW));
    stat_facts("fstat after linkat", SC(fstat, fd, &st), &st);
    stat_facts("newfstatat t.txt", SC(newfstatat, AT_FDCWD, "t.txt", &st2, 0), &st2);
    fact("t.txt is the tmpfile", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
    show("linkat fd \"\" t.txt AT_EMPTY_PATH",
         SC(linkat, fd, "", AT_FDCWD, "t.txt", AT_EMPTY_PATH));
    show("linkat fd \"\" t2.txt AT_EMPTY_PATH",
         SC(linkat, fd, "", AT_FDCWD, "t2.txt", AT_EMPTY_PATH));
    show("unlinkat t2.txt", SC(unlinkat, AT_FDCWD, "t2.txt", 0));
    SC(close, fd);
    fd = show("openat . O_TMPFILE|O_WRONLY|O_EXCL",
              SC(openat, AT_FDCWD, ".", O_TMPFILE | O_WRONLY | O_EXCL, 0600));
    show("linkat O_EXCL tmpfile", SC(linkat, fd, "", AT_FDCWD, "never.txt", AT_EMPTY_PATH));
    SC(close, fd);

    section("output file");
    fd = show("openat result.txt",
              SC(openat, AT_FDCWD, "result.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644));
    show("write result", SC(write, fd, "files case wrote this\n", 22));
    SC(close, fd);
    return done();
}
