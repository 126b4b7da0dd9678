/* dirs: directories, links and names in the working directory.
 *
 * covers: mkdir mkdirat getdents64 getdents rename renameat renameat2 unlink unlinkat rmdir symlink
 * covers: symlinkat readlink readlinkat link linkat chdir fchdir getcwd
 */
#include "sys.h"
#include <stdlib.h>
#include <sys/stat.h>

struct dirent64_ {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The old getdents record: d_type is its last byte. */
struct dirent_old_ {
    unsigned long d_ino;
    unsigned long d_off;
    unsigned short d_reclen;
    char d_name[];
};

/* List a directory with getdents64 (or the old getdents when old), sorted by
 * name: "name:type". */
static void list_with(const char *path, unsigned bufsize, int old)
{
    static char buf[4096];
    static char names[64][300];
    char *sorted[64];
    int count = 0, calls = 0;
    long fd = SC(openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        out("list %s: open = %s\n", path, rv(fd));
        return;
    }
    for (;;) {
#ifdef SYS_getdents
        long n = old ? SC(getdents, fd, buf, bufsize) : SC(getdents64, fd, buf, bufsize);
#else /* aarch64 has only getdents64 */
        long n = SC(getdents64, fd, buf, bufsize);
#endif
        calls++;
        if (n <= 0) {
            if (n < 0)
                out("%s = %s\n", old ? "getdents" : "getdents64", rv(n));
            break;
        }
        for (long off = 0; off < n;) {
            struct dirent64_ *d = (struct dirent64_ *)(buf + off);
            struct dirent_old_ *o = (struct dirent_old_ *)(buf + off);
            unsigned short reclen = old ? o->d_reclen : d->d_reclen;
            unsigned char type = old ? (unsigned char)buf[off + reclen - 1] : d->d_type;
            if (count < 64) {
                const char *t = type == 4    ? "dir"
                                : type == 8  ? "reg"
                                : type == 10 ? "lnk"
                                             : "other";
                snprintf(names[count], sizeof names[0], "%s:%s", old ? o->d_name : d->d_name, t);
                sorted[count] = names[count];
                count++;
            }
            off += reclen;
        }
    }
    qsort(sorted, (size_t)count, sizeof sorted[0], cmp);
    out("list %s (%d entries, more than one call: %s):", path, count, calls > 2 ? "yes" : "no");
    for (int i = 0; i < count; i++)
        out(" %s", sorted[i]);
    out("\n");
    SC(close, fd);
}

static void list(const char *path, unsigned bufsize)
{
    list_with(path, bufsize, 0);
}

static void touch(const char *path)
{
    long fd = SC(openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd >= 0) {
        SC(write, fd, path, strlen(path));
        SC(close, fd);
    } else {
        out("touch %s = %s\n", path, rv(fd));
    }
}

static void link_facts(const char *what, const char *path)
{
    char buf[256];
    long n = SC(readlinkat, AT_FDCWD, path, buf, sizeof buf);
    if (n < 0) {
        show(what, n);
        return;
    }
    out("%s = %ld ", what, n);
    bytes("target", buf, n);
}

int main(void)
{
    struct stat st;
    char buf[4096];

    section("make");
    SC(umask, 022);
    show("mkdirat d", SC(mkdirat, AT_FDCWD, "d", 0755));
    show("mkdirat d again", SC(mkdirat, AT_FDCWD, "d", 0755));
#ifdef SYS_mkdir
    show("mkdir d/sub", SC(mkdir, "d/sub", 0700));
#else
    show("mkdirat d/sub", SC(mkdirat, AT_FDCWD, "d/sub", 0700));
#endif
    touch("d/b");
    touch("d/a");
    touch("d/c");
    show("symlinkat a -> d/link", SC(symlinkat, "a", AT_FDCWD, "d/link"));
#ifdef SYS_symlink
    show("symlink missing -> d/dangling", SC(symlink, "missing", "d/dangling"));
#endif
    list("d", sizeof buf);
    list("d", 64); /* small buffer: one entry per call, offsets must resume */
#ifdef SYS_getdents
    list_with("d", sizeof buf, 1);
    list_with("d", 40, 1);
#endif
    long dfd = SC(openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY);
    show("getdents64 buffer too small", SC(getdents64, dfd, buf, 8));
    long ffd = SC(openat, AT_FDCWD, "d/a", O_RDONLY);
    show("getdents64 on a file", SC(getdents64, ffd, buf, sizeof buf));
    SC(close, ffd);

    section("links");
    link_facts("readlinkat d/link", "d/link");
#ifdef SYS_readlink
    show("readlink d/a (not a link)", SC(readlink, "d/a", buf, sizeof buf));
#endif
    show("readlinkat d/link bufsiz 0", SC(readlinkat, AT_FDCWD, "d/link", buf, 0));
    show("readlinkat d/link bufsiz 1", SC(readlinkat, dfd, "link", buf, 1));
    show("fstatat d/link nofollow", SC(newfstatat, AT_FDCWD, "d/link", &st, AT_SYMLINK_NOFOLLOW));
    fact("link is S_IFLNK", S_ISLNK(st.st_mode));
    show("fstatat d/link follow", SC(newfstatat, AT_FDCWD, "d/link", &st, 0));
    fact("followed is S_IFREG", S_ISREG(st.st_mode));
    show("linkat d/b -> d/b2", SC(linkat, AT_FDCWD, "d/b", AT_FDCWD, "d/b2", 0));
#ifdef SYS_link
    show("link d/b -> d/b3", SC(link, "d/b", "d/b3"));
#endif
    SC(newfstatat, AT_FDCWD, "d/b", &st, 0);
    out("nlink of d/b: %lu\n", (unsigned long)st.st_nlink);
    show("linkat onto existing", SC(linkat, AT_FDCWD, "d/b", AT_FDCWD, "d/c", 0));

    section("rename");
    show("renameat d/a -> d/z", SC(renameat, AT_FDCWD, "d/a", AT_FDCWD, "d/z"));
    show("fstatat d/link after rename", SC(newfstatat, AT_FDCWD, "d/link", &st, 0));
#ifdef SYS_rename
    show("rename d/z -> d/y", SC(rename, "d/z", "d/y"));
#endif
    show("renameat2 NOREPLACE onto existing",
         SC(renameat2, dfd, "c", dfd, "b", 1 /* RENAME_NOREPLACE */));
    show("renameat2 EXCHANGE b c", SC(renameat2, dfd, "c", dfd, "b", 2 /* RENAME_EXCHANGE */));
    long fd = SC(openat, dfd, "b", O_RDONLY);
    long n = SC(read, fd, buf, sizeof buf);
    bytes("d/b now holds", buf, n < 0 ? 0 : n);
    SC(close, fd);
    show("renameat dir into itself", SC(renameat, AT_FDCWD, "d", AT_FDCWD, "d/sub/x"));
    list("d", sizeof buf);

    section("cwd");
    long top = SC(openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY);
    show("chdir d/sub", SC(chdir, "d/sub"));
    n = SC(getcwd, buf, sizeof buf);
    fact("getcwd returns length with NUL", n == (long)strlen(buf) + 1);
    fact("getcwd ends in /d/sub", n > 6 && strcmp(buf + strlen(buf) - 6, "/d/sub") == 0);
    show("getcwd size 1", SC(getcwd, buf, 1));
    show("chdir d/b (a file)", SC(chdir, "../b"));
    show("fchdir back", SC(fchdir, top));
    touch("top-level");
    long tl = SC(openat, AT_FDCWD, "top-level", O_RDONLY);
    show("fchdir to a file", SC(fchdir, tl));
    SC(close, tl);

    section("remove");
    show("unlinkat d/sub (dir, no flag)", SC(unlinkat, AT_FDCWD, "d/sub", 0));
    show("unlinkat d/sub AT_REMOVEDIR", SC(unlinkat, AT_FDCWD, "d/sub", AT_REMOVEDIR));
    show("unlinkat d/b AT_REMOVEDIR", SC(unlinkat, AT_FDCWD, "d/b", AT_REMOVEDIR));
#ifdef SYS_rmdir
    show("rmdir d (not empty)", SC(rmdir, "d"));
    show("rmdir d/b (a file)", SC(rmdir, "d/b"));
#endif
#ifdef SYS_unlink
    show("unlink d (a dir)", SC(unlink, "d"));
    show("unlink d/b2", SC(unlink, "d/b2"));
#endif
    const char *rest[] = { "b", "b2", "b3", "c", "y", "z", "link", "dangling" };
    for (unsigned i = 0; i < sizeof rest / sizeof rest[0]; i++)
        SC(unlinkat, dfd, rest[i], 0);
    list("d", sizeof buf);
    show("unlinkat d AT_REMOVEDIR", SC(unlinkat, AT_FDCWD, "d", AT_REMOVEDIR));
    show("getdents64 on removed dir", SC(getdents64, dfd, buf, sizeof buf));
    show("unlinkat top-level", SC(unlinkat, AT_FDCWD, "top-level", 0));
    list(".", sizeof buf);
    return done();
}
