/* identity: who the process is and what it may use, as facts that hold on any Linux.
 *
 * covers: getpid gettid getppid getuid geteuid getgid getegid getresuid getresgid getgroups
 * covers: uname getrlimit prlimit64 sysinfo getrandom umask times getrusage get_robust_list
 */
#include "sys.h"
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>

int main(void)
{
    section("ids");
    long pid = SC(getpid), tid = SC(gettid);
    fact("getpid > 0", pid > 0);
    fact("getpid == gettid (single thread)", pid == tid);
    fact("getppid > 0", SC(getppid) > 0);
    fact("getppid != getpid", SC(getppid) != pid);
    long uid = SC(getuid), euid = SC(geteuid), gid = SC(getgid), egid = SC(getegid);
    fact("uid == euid", uid == euid);
    fact("gid == egid", gid == egid);
    unsigned r[3], s[3];
    show("getresuid", SC(getresuid, &r[0], &r[1], &r[2]));
    fact("getresuid agrees", r[0] == uid && r[1] == euid && r[2] == euid);
    show("getresgid", SC(getresgid, &s[0], &s[1], &s[2]));
    fact("getresgid agrees", s[0] == gid && s[1] == egid && s[2] == egid);
    long ng = SC(getgroups, 0, NULL);
    fact("getgroups(0) >= 0", ng >= 0);
    unsigned groups[256];
    fact("getgroups fills the same count", SC(getgroups, 256, groups) == ng);
    if (ng > 1)
        show("getgroups size too small", SC(getgroups, ng - 1, groups));
    show("getresuid bad pointer", SC(getresuid, (void *)8, &r[1], &r[2]));

    section("uname");
    struct utsname u;
    memset(&u, 0, sizeof u);
    show("uname", SC(uname, &u));
    out("sysname: %s\n", u.sysname);
    out("machine: %s\n", u.machine);
    fact("release present", u.release[0] != 0);
    fact("release starts with a digit", u.release[0] >= '0' && u.release[0] <= '9');
    fact("version present", u.version[0] != 0);
    fact("nodename present", u.nodename[0] != 0);
    show("uname bad pointer", SC(uname, (void *)8));

    section("limits");
    struct rlimit rl;
    const int res[] = { RLIMIT_NOFILE, RLIMIT_STACK, RLIMIT_AS, RLIMIT_CORE };
    const char *names[] = { "NOFILE", "STACK", "AS", "CORE" };
    for (int i = 0; i < 4; i++) {
        long rr = SC(getrlimit, res[i], &rl);
        out("getrlimit %s = %s, soft <= hard: %s\n", names[i], rv(rr),
            rl.rlim_cur <= rl.rlim_max ? "yes" : "no");
    }
    show("getrlimit 99", SC(getrlimit, 99, &rl));
    struct rlimit old;
    show("prlimit64 self NOFILE", SC(prlimit64, 0, RLIMIT_NOFILE, NULL, &old));
    SC(getrlimit, RLIMIT_NOFILE, &rl);
    fact("prlimit64 agrees with getrlimit",
         old.rlim_cur == rl.rlim_cur && old.rlim_max == rl.rlim_max);
    show("prlimit64 bad resource", SC(prlimit64, 0, 99, NULL, &old));

    section("system");
    struct sysinfo si;
    show("sysinfo", SC(sysinfo, &si));
    fact("uptime > 0", si.uptime > 0);
    fact("totalram > 0", si.totalram > 0);
    fact("mem_unit > 0", si.mem_unit > 0);
    fact("procs > 0", si.procs > 0);
    struct tms t;
    long ticks = SC(times, &t);
    fact("times returns a clock", ticks != -1);
    struct rusage ru;
    show("getrusage SELF", SC(getrusage, RUSAGE_SELF, &ru));
    fact("maxrss > 0", ru.ru_maxrss > 0);
    show("getrusage 99", SC(getrusage, 99, &ru));
    show("umask 027", SC(umask, 027) >= 0 ? 0 : -1);
    show("umask returns the previous", SC(umask, 022) == 027 ? 0 : -1);

    section("getrandom");
    unsigned char rb[64], rb2[64];
    show("getrandom 64", SC(getrandom, rb, sizeof rb, 0));
    show("getrandom NONBLOCK", SC(getrandom, rb2, sizeof rb2, 1 /* GRND_NONBLOCK */));
    fact("two draws differ", memcmp(rb, rb2, sizeof rb) != 0);
    show("getrandom 0 bytes", SC(getrandom, rb, 0, 0));
    show("getrandom bad flags", SC(getrandom, rb, 8, 0x100));
    show("getrandom bad pointer", SC(getrandom, (void *)8, 8, 0));
    section("robust list");
    void *head = 0, *mine[3] = { 0, 0, 0 };
    size_t len = 0;
    show("get_robust_list", SC(get_robust_list, 0, &head, &len));
    fact("size is that of struct robust_list_head", len == 24);
    out("libc registered a head: %s\n", head ? "yes" : "no"); /* glibc does, musl not yet */
    void *libc_head = head;
    show("set_robust_list", SC(set_robust_list, mine, 24));
    show("get_robust_list self", SC(get_robust_list, pid, &head, &len));
    fact("the head set is reported", head == (void *)mine);
    show("get_robust_list no such pid", SC(get_robust_list, 0x7ffffff0, &head, &len));
    show("set_robust_list back", SC(set_robust_list, libc_head, 24));

    return done();
}
