/* xattrs: extended attributes on files, directories and symlinks in the
 * working directory (under abi-run a hostfs directory: the host file's own
 * attributes). Lists print in the filesystem's order. trusted.* and
 * security.* need root; their results are printed either way.
 *
 * covers: setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr
 * covers: listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr
 * covers: openat close mkdirat symlinkat
 */
#include "sys.h"

#ifndef XATTR_CREATE
#define XATTR_CREATE 0x1 /* linux/xattr.h */
#define XATTR_REPLACE 0x2
#endif
#ifndef O_PATH
#define O_PATH 010000000
#endif

static char buf[70000];

static void get(const char *what, long r)
{
    if (r > 0)
        bytes(what, buf, r);
    else
        show(what, r);
}

static void list(const char *what, long r)
{
    if (r <= 0) {
        show(what, r);
        return;
    }
    for (long i = 0; i < r; i++) /* NUL-separated names, one per line */
        if (buf[i] == 0)
            buf[i] = '\n';
    bytes(what, buf, r);
}

static void basics(void)
{
    section("set, get, flags");
    long fd = SC(openat, AT_FDCWD, "f", O_CREAT | O_WRONLY, 0644);
    SC(close, fd);
    show("setxattr f user.a", SC(setxattr, "f", "user.a", "hello", 5, 0));
    show("getxattr size 0", SC(getxattr, "f", "user.a", NULL, 0));
    get("getxattr", SC(getxattr, "f", "user.a", buf, 64));
    show("getxattr size 2", SC(getxattr, "f", "user.a", buf, 2));
    show("getxattr missing", SC(getxattr, "f", "user.nope", buf, 64));
    show("XATTR_CREATE existing", SC(setxattr, "f", "user.a", "x", 1, XATTR_CREATE));
    show("XATTR_REPLACE missing", SC(setxattr, "f", "user.b", "x", 1, XATTR_REPLACE));
    show("XATTR_REPLACE existing", SC(setxattr, "f", "user.a", "bye", 3, XATTR_REPLACE));
    show("XATTR_CREATE new", SC(setxattr, "f", "user.b", "", 0, XATTR_CREATE));
    show("flags 4", SC(setxattr, "f", "user.c", "x", 1, 4));
    get("getxattr replaced", SC(getxattr, "f", "user.a", buf, 64));
    show("getxattr empty value", SC(getxattr, "f", "user.b", buf, 64));
    show("trusted.t (root only)", SC(setxattr, "f", "trusted.t", "t", 1, 0));
    show("security.s (root only)", SC(setxattr, "f", "security.s", "s", 1, 0));
    show("list size 0", SC(listxattr, "f", NULL, 0));
    list("listxattr", SC(listxattr, "f", buf, sizeof buf));
    show("list size 3", SC(listxattr, "f", buf, 3));

    section("names and sizes");
    char name[300] = "user.";
    memset(name + 5, 'n', 250);
    show("name of 255", SC(setxattr, "f", name, "v", 1, 0));
    name[255] = 'n';
    show("name of 256", SC(setxattr, "f", name, "v", 1, 0));
    show("name \"\"", SC(setxattr, "f", "", "v", 1, 0));
    show("user.", SC(setxattr, "f", "user.", "v", 1, 0));
    show("foo.x", SC(setxattr, "f", "foo.x", "v", 1, 0));
    show("getxattr foo.x", SC(getxattr, "f", "foo.x", buf, 64));
    show("value over 64 KiB", SC(setxattr, "f", "user.big", buf, 65537, 0));
    show("EFAULT value", SC(setxattr, "f", "user.c", (void *)8, 4, 0));
    show("EFAULT buffer", SC(getxattr, "f", "user.a", (void *)8, 64));
    show("EFAULT name", SC(getxattr, "f", (void *)8, buf, 64));
    show("missing file", SC(getxattr, "missing", "user.a", buf, 64));
    show("system.posix_acl_access", SC(getxattr, "f", "system.posix_acl_access", buf, 64));

    section("remove");
    show("removexattr user.b", SC(removexattr, "f", "user.b"));
    show("removexattr again", SC(removexattr, "f", "user.b"));
    show("removexattr foo.x", SC(removexattr, "f", "foo.x"));
    list("listxattr", SC(listxattr, "f", buf, sizeof buf));
}

static void links_and_dirs(void)
{
    section("symlinks and directories");
    SC(symlinkat, "f", AT_FDCWD, "l");
    SC(symlinkat, "nowhere", AT_FDCWD, "dangling");
    SC(mkdirat, AT_FDCWD, "d", 0755);
    get("getxattr l (the target's)", SC(getxattr, "l", "user.a", buf, 64));
    show("lgetxattr l user.a", SC(lgetxattr, "l", "user.a", buf, 64));
    show("lsetxattr l user.x", SC(lsetxattr, "l", "user.x", "v", 1, 0));
    show("lsetxattr l trusted.x", SC(lsetxattr, "l", "trusted.x", "link", 4, 0));
    get("lgetxattr l trusted.x", SC(lgetxattr, "l", "trusted.x", buf, 64));
    show("getxattr f trusted.x", SC(getxattr, "f", "trusted.x", buf, 64));
    list("llistxattr l", SC(llistxattr, "l", buf, sizeof buf));
    show("lremovexattr l trusted.x", SC(lremovexattr, "l", "trusted.x"));
    show("getxattr dangling", SC(getxattr, "dangling", "user.a", buf, 64));
    show("llistxattr dangling", SC(llistxattr, "dangling", buf, sizeof buf));
    show("setxattr d user.d", SC(setxattr, "d", "user.d", "dir", 3, 0));
    list("listxattr d", SC(listxattr, "d", buf, sizeof buf));
}

static void descriptors(void)
{
    section("descriptors");
    long fd = SC(openat, AT_FDCWD, "f", O_RDONLY);
    long pfd = SC(openat, AT_FDCWD, "f", O_PATH);
    long dfd = SC(openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY);
    show("fsetxattr user.fd", SC(fsetxattr, fd, "user.fd", "fd", 2, 0));
    get("fgetxattr user.fd", SC(fgetxattr, fd, "user.fd", buf, 64));
    list("flistxattr", SC(flistxattr, fd, buf, sizeof buf));
    show("fremovexattr user.fd", SC(fremovexattr, fd, "user.fd"));
    show("fgetxattr O_PATH", SC(fgetxattr, pfd, "user.a", buf, 64));
    show("fsetxattr O_PATH", SC(fsetxattr, pfd, "user.a", "v", 1, 0));
    show("flistxattr O_PATH", SC(flistxattr, pfd, buf, sizeof buf));
    show("fremovexattr O_PATH", SC(fremovexattr, pfd, "user.a"));
    show("fgetxattr bad fd", SC(fgetxattr, 99, "user.a", buf, 64));
    list("flistxattr d", SC(flistxattr, dfd, buf, sizeof buf));
    show("fremovexattr d user.d", SC(fremovexattr, dfd, "user.d"));
    SC(close, fd);
    SC(close, pfd);
    SC(close, dfd);
}

int main(void)
{
    basics();
    links_and_dirs();
    descriptors();
    return done();
}
