/* admin: root-only administration: the host and domain names (set to their
 * current values: a native run as root must not rename the machine) and chroot
 * into a directory of the working directory. Run as anyone but root, each call
 * is refused.
 *
 * covers: sethostname setdomainname chroot uname mkdirat openat read close chdir getcwd
 * covers: getuid
 */
#include "sys.h"
#include <sys/utsname.h>

int main(void)
{
    struct utsname u, v;
    long root = SC(getuid) == 0;

    section("names");
    show("uname", SC(uname, &u));
    long r = SC(sethostname, u.nodename, strlen(u.nodename));
    fact("sethostname same name: 0 as root, EPERM otherwise", root ? r == 0 : r == -EPERM);
    SC(uname, &v);
    fact("nodename unchanged", strcmp(u.nodename, v.nodename) == 0);
    r = SC(setdomainname, u.domainname, strlen(u.domainname));
    fact("setdomainname same name: 0 as root, EPERM otherwise", root ? r == 0 : r == -EPERM);
    SC(uname, &v);
    fact("domainname unchanged", strcmp(u.domainname, v.domainname) == 0);
    if (root) {
        show("sethostname len -1", SC(sethostname, u.nodename, -1));
        show("sethostname len 65", SC(sethostname, u.nodename, 65));
        show("sethostname bad pointer", SC(sethostname, 8, 4));
        show("setdomainname len -1", SC(setdomainname, u.domainname, -1));
        show("setdomainname len 65", SC(setdomainname, u.domainname, 65));
        show("setdomainname bad pointer", SC(setdomainname, 8, 4));
    }

    section("chroot");
    show("mkdirat jail", SC(mkdirat, AT_FDCWD, "jail", 0755));
    long fd = SC(openat, AT_FDCWD, "jail/marker", O_CREAT | O_WRONLY, 0644);
    SC(write, fd, "inside\n", 7);
    SC(close, fd);
    show("chroot missing", SC(chroot, "missing"));
    show("chroot jail/marker", SC(chroot, "jail/marker"));
    show("chroot bad pointer", SC(chroot, 8));
    r = SC(chroot, "jail");
    if (!root) {
        show("chroot jail (not root)", r);
        return done();
    }
    show("chroot jail", r);
    char buf[64];
    fd = show("openat /marker", SC(openat, AT_FDCWD, "/marker", O_RDONLY));
    long n = SC(read, fd, buf, sizeof buf);
    bytes("content", buf, n > 0 ? n : 0);
    SC(close, fd);
    show("openat /jail (above the new root)", SC(openat, AT_FDCWD, "/jail", O_RDONLY));
    fd = show("openat /../../marker (.. stops at the root)",
              SC(openat, AT_FDCWD, "/../../marker", O_RDONLY));
    SC(close, fd);
    fd = show("openat jail/marker (cwd is unchanged, outside)",
              SC(openat, AT_FDCWD, "jail/marker", O_RDONLY));
    SC(close, fd);
    show("chdir /", SC(chdir, "/"));
    long len = SC(getcwd, buf, sizeof buf);
    if (len > 0)
        bytes("getcwd", buf, len);
    else
        show("getcwd", len);
    show("chroot .", SC(chroot, "."));
    fd = show("openat marker", SC(openat, AT_FDCWD, "marker", O_RDONLY));
    SC(close, fd);
    return done();
}
