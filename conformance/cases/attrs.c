/* attrs: file attributes: modes, owners, access checks, timestamps, filesystem
 * statistics and sync. Owners are printed relative to the caller's own ids.
 *
 * covers: chmod fchmod fchmodat chown fchown fchownat lchown access faccessat faccessat2
 * covers: utime utimes futimesat utimensat statfs fstatfs sync syncfs
 * covers: openat fstat newfstatat symlinkat umask close getuid getgid
 */
#include "sys.h"
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#ifndef UTIME_NOW
#define UTIME_NOW ((1l << 30) - 1l) /* linux/stat.h */
#define UTIME_OMIT ((1l << 30) - 2l)
#endif
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

static long uid, gid;

static void mode_of(const char *what, const char *path, int flags)
{
    struct stat st;
    long r = SC(newfstatat, AT_FDCWD, path, &st, flags);
    if (r < 0)
        show(what, r);
    else
        out("%s: mode=%04o\n", what, (unsigned)(st.st_mode & 07777));
}

static void owner_of(const char *what, const char *path, int flags)
{
    struct stat st;
    long r = SC(newfstatat, AT_FDCWD, path, &st, flags);
    if (r < 0) {
        show(what, r);
        return;
    }
    out("%s: uid=%s gid=%s\n", what,
        (long)st.st_uid == uid ? "self"
        : st.st_uid == 4242    ? "4242"
                               : "other",
        (long)st.st_gid == gid ? "self"
        : st.st_gid == 4343    ? "4343"
                               : "other");
}

static void times_of(const char *what, const char *path)
{
    struct stat st;
    long r = SC(newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
    if (r < 0) {
        show(what, r);
        return;
    }
    out("%s: atime=%lld.%09ld mtime=%lld.%09ld\n", what, (long long)st.st_atim.tv_sec,
        st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void modes(void)
{
    section("modes");
    SC(umask, 022);
    long fd = show("openat f 0666", SC(openat, AT_FDCWD, "f", O_CREAT | O_RDWR, 0666));
    mode_of("f", "f", 0);
    show("fchmod 0600", SC(fchmod, fd, 0600));
    mode_of("f", "f", 0);
    show("fchmod 04755 (setuid bit kept by owner)", SC(fchmod, fd, 04755));
    mode_of("f", "f", 0);
    show("fchmod bad fd", SC(fchmod, 99, 0600));
#ifdef SYS_chmod
    show("chmod f 0640", SC(chmod, "f", 0640));
    mode_of("f", "f", 0);
    show("chmod missing", SC(chmod, "missing", 0640));
    show("chmod f/x (not a dir)", SC(chmod, "f/x", 0640));
#endif
    show("fchmodat f 0644", SC(fchmodat, AT_FDCWD, "f", 0644));
    mode_of("f", "f", 0);
    show("fchmodat bad dirfd", SC(fchmodat, 99, "f", 0644));
    SC(close, fd);
    show("symlinkat l -> f", SC(symlinkat, "f", AT_FDCWD, "l"));
}

static void access_checks(void)
{
    section("access");
    show("fchmodat f 0640", SC(fchmodat, AT_FDCWD, "f", 0640));
#ifdef SYS_access
    show("access f F_OK", SC(access, "f", F_OK));
    show("access f R_OK|W_OK", SC(access, "f", R_OK | W_OK));
    show("access missing", SC(access, "missing", F_OK));
    show("access bad mode", SC(access, "f", 8));
#endif
    show("faccessat f R_OK", SC(faccessat, AT_FDCWD, "f", R_OK));
    show("faccessat2 f F_OK", SC(faccessat2, AT_FDCWD, "f", F_OK, 0));
    show("faccessat2 f W_OK AT_EACCESS", SC(faccessat2, AT_FDCWD, "f", W_OK, AT_EACCESS));
    show("faccessat2 l F_OK NOFOLLOW", SC(faccessat2, AT_FDCWD, "l", F_OK, AT_SYMLINK_NOFOLLOW));
    show("faccessat2 missing", SC(faccessat2, AT_FDCWD, "missing", F_OK, 0));
    show("faccessat2 bad flags", SC(faccessat2, AT_FDCWD, "f", F_OK, 0x1));
    show("faccessat2 bad mode", SC(faccessat2, AT_FDCWD, "f", 8, 0));
    long fd = SC(openat, AT_FDCWD, "f", O_RDONLY);
    show("faccessat2 fd \"\" AT_EMPTY_PATH", SC(faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
    SC(close, fd);
    /* X_OK: an owner without execute permission is refused; root needs any x bit. */
    show("faccessat2 f X_OK (no x bit)", SC(faccessat2, AT_FDCWD, "f", X_OK, 0));
    SC(fchmodat, AT_FDCWD, "f", 0644 | 0100);
    show("faccessat2 f X_OK (owner x)", SC(faccessat2, AT_FDCWD, "f", X_OK, 0));
    SC(fchmodat, AT_FDCWD, "f", 0644);
}

static void owners(void)
{
    section("owners");
    long fd = SC(openat, AT_FDCWD, "f", O_RDWR);
    owner_of("f", "f", 0);
    show("fchown -1 -1", SC(fchown, fd, -1, -1));
    show("fchown self self", SC(fchown, fd, uid, gid));
    owner_of("f", "f", 0);
    show("fchown bad fd", SC(fchown, 99, uid, gid));
#ifdef SYS_chown
    show("chown f self -1", SC(chown, "f", uid, -1));
    show("chown missing", SC(chown, "missing", uid, gid));
#endif
#ifdef SYS_lchown
    show("lchown l self self", SC(lchown, "l", uid, gid));
    owner_of("l (link itself)", "l", AT_SYMLINK_NOFOLLOW);
#endif
    show("fchownat f -1 self", SC(fchownat, AT_FDCWD, "f", -1, gid, 0));
    show("fchownat l NOFOLLOW", SC(fchownat, AT_FDCWD, "l", uid, gid, AT_SYMLINK_NOFOLLOW));
    show("fchownat fd \"\" AT_EMPTY_PATH", SC(fchownat, fd, "", uid, gid, AT_EMPTY_PATH));
    show("fchownat bad flags", SC(fchownat, AT_FDCWD, "f", uid, gid, 0x1));
    show("fchownat missing", SC(fchownat, AT_FDCWD, "missing", uid, gid, 0));
    owner_of("f", "f", 0);
    mode_of("f after chowns", "f", 0);
    /* Only the superuser gives a file away; the result depends only on who runs it. */
    long r = SC(fchown, fd, 4242, 4343);
    fact("fchown 4242 4343 allowed iff uid 0", (r == 0) == (uid == 0));
    if (r == 0) {
        owner_of("f given away", "f", 0);
        SC(fchown, fd, uid, gid);
    } else {
        show("fchown 4242 4343 (not root)", r);
    }
    SC(close, fd);
}

static void times(void)
{
    section("times");
    struct timespec ts[2] = { { 1000000000, 123456789 }, { 1234567890, 987654321 } };
    show("utimensat f", SC(utimensat, AT_FDCWD, "f", ts, 0));
    times_of("f", "f");
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_sec = 1500000000;
    ts[1].tv_nsec = 5;
    show("utimensat f atime OMIT", SC(utimensat, AT_FDCWD, "f", ts, 0));
    times_of("f", "f");
    ts[0].tv_sec = 1300000000;
    ts[0].tv_nsec = 0;
    ts[1].tv_sec = 1300000001;
    ts[1].tv_nsec = 0;
    show("utimensat l NOFOLLOW", SC(utimensat, AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
    times_of("l", "l");
    times_of("f (untouched)", "f");
    long fd = SC(openat, AT_FDCWD, "f", O_RDWR);
    ts[0].tv_sec = 1100000000;
    ts[0].tv_nsec = 1;
    ts[1].tv_sec = 1100000001;
    ts[1].tv_nsec = 2;
    show("utimensat fd NULL path", SC(utimensat, fd, NULL, ts, 0));
    times_of("f", "f");
    struct timespec before;
    SC(clock_gettime, CLOCK_REALTIME, &before);
    show("utimensat f NULL (now)", SC(utimensat, AT_FDCWD, "f", NULL, 0));
    struct stat st;
    SC(fstat, fd, &st);
    fact("mtime now >= before", st.st_mtim.tv_sec >= before.tv_sec);
    ts[0].tv_nsec = 1000000000;
    show("utimensat nsec 1e9", SC(utimensat, AT_FDCWD, "f", ts, 0));
    ts[0].tv_nsec = 0;
    show("utimensat bad flags", SC(utimensat, AT_FDCWD, "f", ts, 0x1));
    show("utimensat missing", SC(utimensat, AT_FDCWD, "missing", ts, 0));
    SC(close, fd);

    struct timeval tv[2] = { { 1200000000, 250000 }, { 1200000002, 750000 } };
#ifdef SYS_utimes
    show("utimes f", SC(utimes, "f", tv));
    times_of("f", "f");
    tv[0].tv_usec = 1000000;
    show("utimes usec 1e6", SC(utimes, "f", tv));
    tv[0].tv_usec = 0;
#endif
#ifdef SYS_futimesat
    tv[1].tv_sec = 1200000009;
    show("futimesat AT_FDCWD f", SC(futimesat, AT_FDCWD, "f", tv));
    times_of("f", "f");
    show("futimesat missing", SC(futimesat, AT_FDCWD, "missing", tv));
#endif
#ifdef SYS_utime
    struct utimbuf ub = { 1250000000, 1250000001 };
    show("utime f", SC(utime, "f", &ub));
    times_of("f", "f");
    show("utime missing", SC(utime, "missing", &ub));
#endif
    (void)tv;
}

static void filesystems(void)
{
    section("statfs");
    struct statfs a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    show("statfs .", SC(statfs, ".", &a));
    long fd = SC(openat, AT_FDCWD, "f", O_RDONLY);
    show("fstatfs f", SC(fstatfs, fd, &b));
    fact("same f_type", a.f_type == b.f_type);
    fact("f_bsize > 0", a.f_bsize > 0);
    fact("f_namelen > 0", a.f_namelen > 0);
    fact("f_bfree <= f_blocks", a.f_bfree <= a.f_blocks);
    fact("f_bavail <= f_bfree", a.f_bavail <= a.f_bfree);
    show("statfs missing", SC(statfs, "missing", &a));
    show("statfs f/x (not a dir)", SC(statfs, "f/x", &a));
    show("fstatfs bad fd", SC(fstatfs, 99, &b));

    section("sync");
    show("sync", SC(sync));
    show("syncfs f", SC(syncfs, fd));
    show("syncfs bad fd", SC(syncfs, 99));
    SC(close, fd);
}

int main(void)
{
    uid = SC(getuid);
    gid = SC(getgid);
    modes();
    access_checks();
    owners();
    times();
    filesystems();
    return done();
}
