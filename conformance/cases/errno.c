/* errno: the error each path and pointer mistake gives, in a fresh working directory.
 *
 * covers: openat mkdirat unlinkat renameat symlinkat linkat readlinkat newfstatat read write
 * covers: lseek pipe2 clock_gettime uname mmap munmap getdents64 fcntl dup3 chdir
 */
#include "sys.h"
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

static void mkfile(const char *path)
{
    long fd = SC(openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    SC(write, fd, "data\n", 5);
    SC(close, fd);
}

int main(void)
{
    struct stat st;
    char buf[64];

    SC(umask, 022);
    mkfile("file");
    SC(mkdirat, AT_FDCWD, "dir", 0755);
    SC(mkdirat, AT_FDCWD, "full", 0755);
    mkfile("full/x");

    section("ENOENT");
    show("openat missing", SC(openat, AT_FDCWD, "missing", O_RDONLY));
    show("openat missing/x O_CREAT", SC(openat, AT_FDCWD, "missing/x", O_CREAT | O_RDWR, 0644));
    show("newfstatat missing", SC(newfstatat, AT_FDCWD, "missing", &st, 0));
    show("unlinkat missing", SC(unlinkat, AT_FDCWD, "missing", 0));
    show("rmdir missing", SC(unlinkat, AT_FDCWD, "missing", AT_REMOVEDIR));
    show("readlinkat missing", SC(readlinkat, AT_FDCWD, "missing", buf, sizeof buf));
    show("renameat missing", SC(renameat, AT_FDCWD, "missing", AT_FDCWD, "other"));
    show("chdir missing", SC(chdir, "missing"));
    show("openat empty path", SC(openat, AT_FDCWD, "", O_RDONLY));

    section("EEXIST");
    show("mkdirat existing dir", SC(mkdirat, AT_FDCWD, "dir", 0755));
    show("mkdirat existing file", SC(mkdirat, AT_FDCWD, "file", 0755));
    show("openat O_CREAT|O_EXCL existing",
         SC(openat, AT_FDCWD, "file", O_CREAT | O_EXCL | O_RDWR, 0644));
    show("symlinkat onto existing", SC(symlinkat, "x", AT_FDCWD, "file"));
    show("linkat onto existing", SC(linkat, AT_FDCWD, "file", AT_FDCWD, "dir", 0));

    section("ENOTDIR");
    show("openat file/x", SC(openat, AT_FDCWD, "file/x", O_RDONLY));
    show("mkdirat file/x", SC(mkdirat, AT_FDCWD, "file/x", 0755));
    show("openat file O_DIRECTORY", SC(openat, AT_FDCWD, "file", O_RDONLY | O_DIRECTORY));
    show("rmdir file", SC(unlinkat, AT_FDCWD, "file", AT_REMOVEDIR));
    show("renameat dir onto file", SC(renameat, AT_FDCWD, "dir", AT_FDCWD, "file"));
    long ffd = SC(openat, AT_FDCWD, "file", O_RDONLY);
    show("openat relative to a file fd", SC(openat, ffd, "x", O_RDONLY));
    show("getdents64 on a file", SC(getdents64, ffd, buf, sizeof buf));

    section("EISDIR");
    show("openat dir O_WRONLY", SC(openat, AT_FDCWD, "dir", O_WRONLY));
    show("openat dir O_RDWR", SC(openat, AT_FDCWD, "dir", O_RDWR));
    show("openat dir O_CREAT", SC(openat, AT_FDCWD, "dir", O_CREAT | O_RDONLY, 0644));
    show("unlinkat dir", SC(unlinkat, AT_FDCWD, "dir", 0));
    long dfd = SC(openat, AT_FDCWD, "dir", O_RDONLY | O_DIRECTORY);
    show("read on a dir fd", SC(read, dfd, buf, sizeof buf));
    show("renameat file onto dir", SC(renameat, AT_FDCWD, "file", AT_FDCWD, "dir"));

    section("ENOTEMPTY");
    show("rmdir full", SC(unlinkat, AT_FDCWD, "full", AT_REMOVEDIR));
    show("renameat dir onto full", SC(renameat, AT_FDCWD, "dir", AT_FDCWD, "full"));

    section("EINVAL");
    show("lseek whence 99", SC(lseek, ffd, 0, 99));
    show("pipe2 bad flags", SC(pipe2, (int *)buf, 0x1));
    show("dup3 bad flags", SC(dup3, ffd, 20, 0x1));
    show("fcntl bad command", SC(fcntl, ffd, 9999));
    showaddr("mmap length 0", SC(mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    show("renameat dir into itself", SC(renameat, AT_FDCWD, "dir", AT_FDCWD, "dir/sub"));
    show("rmdir .", SC(unlinkat, AT_FDCWD, ".", AT_REMOVEDIR));
    show("unlinkat bad flag", SC(unlinkat, AT_FDCWD, "file", 0x1));
    show("readlinkat regular file", SC(readlinkat, AT_FDCWD, "file", buf, sizeof buf));

    section("EFAULT");
    show("openat NULL path", SC(openat, AT_FDCWD, NULL, O_RDONLY));
    show("newfstatat NULL buf", SC(newfstatat, AT_FDCWD, "file", NULL, 0));
    show("read into NULL", SC(read, ffd, NULL, 4));
    long wfd = SC(openat, AT_FDCWD, "out", O_CREAT | O_WRONLY, 0644);
    show("write from NULL", SC(write, wfd, NULL, 4));
    show("pipe2 NULL", SC(pipe2, NULL, 0));
    show("clock_gettime NULL", SC(clock_gettime, CLOCK_MONOTONIC, NULL));
    show("uname NULL", SC(uname, NULL));
    long page = SC(mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy((char *)page, "file", 5);
    show("openat path in a live page", SC(openat, AT_FDCWD, (char *)page, O_RDONLY));
    SC(munmap, page, 4096);
    show("openat path in an unmapped page", SC(openat, AT_FDCWD, (char *)page, O_RDONLY));
    show("read into an unmapped page", SC(read, ffd, (char *)page, 4));
    show("write from an unmapped page", SC(write, wfd, (char *)page, 4));
    show("mkdirat path in an unmapped page", SC(mkdirat, AT_FDCWD, (char *)page, 0755));
    page = SC(mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("read into a read-only page", SC(read, ffd, (char *)page, 4));
    SC(munmap, page, 4096);

    section("EBADF");
    show("openat relative to fd 999", SC(openat, 999, "x", O_RDONLY));
    show("openat absolute ignores fd 999", SC(openat, 999, "/dev/null", O_RDONLY) >= 0 ? 0 : -1);
    show("read from fd -1", SC(read, -1, buf, 1));

    section("names");
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    show("openat 299-byte name", SC(openat, AT_FDCWD, longname, O_RDONLY));
    show("mkdirat 299-byte name", SC(mkdirat, AT_FDCWD, longname, 0755));
    SC(symlinkat, "loop2", AT_FDCWD, "loop1");
    SC(symlinkat, "loop1", AT_FDCWD, "loop2");
    show("openat a symlink loop", SC(openat, AT_FDCWD, "loop1", O_RDONLY));
    show("openat O_NOFOLLOW on a symlink", SC(openat, AT_FDCWD, "loop1", O_RDONLY | O_NOFOLLOW));
    show("newfstatat loop nofollow", SC(newfstatat, AT_FDCWD, "loop1", &st, AT_SYMLINK_NOFOLLOW));
    return done();
}
