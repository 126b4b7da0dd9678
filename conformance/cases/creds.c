/* creds: changing user and group ids. Changes are one-way for the process, so the
 * no-op calls come first, then the superuser's changes, then the unprivileged
 * ones after the uid is dropped. Run as anyone but root, only the no-op part runs.
 *
 * covers: setuid setgid setreuid setregid setresuid setresgid setfsuid setfsgid
 * covers: getuid geteuid getgid getegid getresuid getresgid openat close umask
 */
#include "sys.h"

static void ruids(const char *what)
{
    unsigned r = 0, e = 0, s = 0;
    long rc = SC(getresuid, &r, &e, &s);
    long fs = SC(setfsuid, -1);
    if (rc < 0)
        show(what, rc);
    else
        out("%s: uid r=%u e=%u s=%u fs=%ld\n", what, r, e, s, fs);
}

static void rgids(const char *what)
{
    unsigned r = 0, e = 0, s = 0;
    long rc = SC(getresgid, &r, &e, &s);
    long fs = SC(setfsgid, -1);
    if (rc < 0)
        show(what, rc);
    else
        out("%s: gid r=%u e=%u s=%u fs=%ld\n", what, r, e, s, fs);
}

int main(void)
{
    long uid = SC(getuid), gid = SC(getgid);

    section("no-op changes");
    fact("setfsuid -1 returns euid", SC(setfsuid, -1) == SC(geteuid));
    fact("setfsgid -1 returns egid", SC(setfsgid, -1) == SC(getegid));
    show("setuid self", SC(setuid, uid));
    show("setgid self", SC(setgid, gid));
    show("setreuid -1 -1", SC(setreuid, -1, -1));
    show("setregid -1 -1", SC(setregid, -1, -1));
    show("setresuid -1 -1 -1", SC(setresuid, -1, -1, -1));
    show("setresgid -1 -1 -1", SC(setresgid, -1, -1, -1));
    show("setresuid self self self", SC(setresuid, uid, uid, uid));
    show("setuid -1", SC(setuid, -1));
    show("setgid -1", SC(setgid, -1));
    fact("setfsuid self returns self", SC(setfsuid, uid) == uid);
    fact("ids unchanged",
         SC(getuid) == uid && SC(geteuid) == uid && SC(getgid) == gid && SC(getegid) == gid);
    if (uid != 0) {
        out("not root: the privileged part is skipped\n");
        return done();
    }

    section("groups as root");
    SC(umask, 077);
    long fd = SC(openat, AT_FDCWD, "secret", O_CREAT | O_WRONLY, 0600);
    SC(close, fd);
    show("setresgid 100 200 300", SC(setresgid, 100, 200, 300));
    rgids("after setresgid");
    show("setfsgid 400 (returns the old fsgid)", SC(setfsgid, 400));
    rgids("after setfsgid");
    show("setregid 300 100", SC(setregid, 300, 100));
    rgids("after setregid");
    show("setregid -1 250", SC(setregid, -1, 250));
    rgids("after setregid -1 250");
    show("setgid 500", SC(setgid, 500));
    rgids("after setgid");

    section("users as root");
    show("setfsuid 1234 (returns the old fsuid)", SC(setfsuid, 1234));
    ruids("after setfsuid");
    show("setfsuid 0", SC(setfsuid, 0));
    show("setreuid -1 1000", SC(setreuid, -1, 1000));
    ruids("after setreuid -1 1000");
    show("setreuid -1 0 (back to the real uid)", SC(setreuid, -1, 0));
    ruids("after setreuid -1 0");
    show("setresuid 1000 2000 3000", SC(setresuid, 1000, 2000, 3000));
    ruids("after setresuid");

    section("unprivileged");
    show("setuid 3000 (the saved uid)", SC(setuid, 3000));
    ruids("after setuid 3000");
    show("setuid 0", SC(setuid, 0));
    show("setreuid 5000 -1", SC(setreuid, 5000, -1));
    show("setreuid -1 1000 (the real uid)", SC(setreuid, -1, 1000));
    ruids("after setreuid -1 1000");
    show("setresuid -1 3000 -1 (the saved uid)", SC(setresuid, -1, 3000, -1));
    show("setresuid 0 -1 -1", SC(setresuid, 0, -1, -1));
    show("setresuid -1 -1 7", SC(setresuid, -1, -1, 7));
    ruids("after refused changes");
    show("setfsuid 9999 (refused; returns the old fsuid)", SC(setfsuid, 9999));
    show("setfsuid 1000 (the real uid)", SC(setfsuid, 1000));
    ruids("after setfsuid");
    show("setresgid 1 1 1", SC(setresgid, 1, 1, 1));
    show("setregid 1 -1", SC(setregid, 1, -1));
    show("setgid 1", SC(setgid, 1));
    show("setgid 500 (the real gid)", SC(setgid, 500));
    show("setfsgid 9999 (refused; returns the old fsgid)", SC(setfsgid, 9999));
    rgids("after refused changes");
    long r =
        show("openat root's 0600 file as fsuid 1000", SC(openat, AT_FDCWD, "secret", O_RDONLY));
    if (r >= 0)
        SC(close, r);
    return done();
}
