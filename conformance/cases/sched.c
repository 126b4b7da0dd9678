/* sched: scheduling policy and priority, CPU affinity, the session the process
 * leads, and memory locking. CPU numbers and counts vary by machine: only facts
 * about them are printed. Ends with an explicit exit_group after done().
 *
 * covers: sched_yield getcpu sched_getaffinity sched_setaffinity sched_getscheduler
 * covers: sched_getparam sched_setparam sched_get_priority_max sched_get_priority_min
 * covers: sched_rr_get_interval getpriority setpriority getpgid getpgrp getsid setpgid setsid
 * covers: mlock mlock2 munlock munlockall mmap munmap getpid exit_group ioprio_get ioprio_set
 * covers: sched_getattr sched_setattr
 */
#include "sys.h"
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01 /* linux/mman.h */
#endif
#ifndef SCHED_BATCH
#define SCHED_BATCH 3
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif

#define NOPID 0x3fffffff /* above pid_max: no such process */

static void priorities(void)
{
    section("policy");
    show("sched_yield", SC(sched_yield));
    show("sched_getscheduler 0", SC(sched_getscheduler, 0));
    long self = SC(getpid);
    show("sched_getscheduler self", SC(sched_getscheduler, self));
    show("sched_getscheduler -1", SC(sched_getscheduler, -1));
    show("sched_getscheduler no such pid", SC(sched_getscheduler, NOPID));
    struct sched_param sp = { .sched_priority = 7 };
    show("sched_getparam 0", SC(sched_getparam, 0, &sp));
    out("priority %d\n", sp.sched_priority);
    show("sched_getparam no such pid", SC(sched_getparam, NOPID, &sp));
    show("sched_getparam -1", SC(sched_getparam, -1, &sp));
    sp.sched_priority = 0;
    show("sched_setparam 0 priority 0", SC(sched_setparam, 0, &sp));
    sp.sched_priority = 5;
    show("sched_setparam 0 priority 5 (SCHED_OTHER)", SC(sched_setparam, 0, &sp));
    show("sched_setparam no such pid", SC(sched_setparam, NOPID, &sp));
    static const struct {
        const char *name;
        int policy;
    } pols[] = { { "OTHER", SCHED_OTHER },
                 { "FIFO", SCHED_FIFO },
                 { "RR", SCHED_RR },
                 { "BATCH", SCHED_BATCH },
                 { "IDLE", SCHED_IDLE },
                 { "99", 99 },
                 { "-1", -1 } };
    for (unsigned i = 0; i < sizeof pols / sizeof pols[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "sched_get_priority_min %s", pols[i].name);
        show(what, SC(sched_get_priority_min, pols[i].policy));
        snprintf(what, sizeof what, "sched_get_priority_max %s", pols[i].name);
        show(what, SC(sched_get_priority_max, pols[i].policy));
    }
    struct timespec ts = { -1, -1 };
    show("sched_rr_get_interval 0", SC(sched_rr_get_interval, 0, &ts));
    fact("interval is a valid timespec",
         ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
    show("sched_rr_get_interval no such pid", SC(sched_rr_get_interval, NOPID, &ts));
    show("sched_rr_get_interval -1", SC(sched_rr_get_interval, -1, &ts));

    section("priority");
    long p = SC(getpriority, PRIO_PROCESS, 0);
    fact("getpriority in 1..40", p >= 1 && p <= 40);
    long nice = 20 - p;
    show("setpriority same nice", SC(setpriority, PRIO_PROCESS, 0, nice));
    fact("getpriority unchanged", SC(getpriority, PRIO_PROCESS, 0) == p);
    if (nice < 19) {
        show("setpriority nice+1", SC(setpriority, PRIO_PROCESS, 0, nice + 1));
        fact("getpriority one lower", SC(getpriority, PRIO_PROCESS, 0) == p - 1);
    } else {
        out("setpriority nice+1 = 0\ngetpriority one lower: yes\n");
    }
    fact("getpriority self pid agrees",
         SC(getpriority, PRIO_PROCESS, self) == SC(getpriority, PRIO_PROCESS, 0));
    show("setpriority nice 100 (clamped)", SC(setpriority, PRIO_PROCESS, 0, 100));
    show("getpriority after clamp", SC(getpriority, PRIO_PROCESS, 0));

    /* I/O priority of this process only: natively a process group or a user
     * may hold other processes (IOPRIO_WHO_USER 0 is root, not the caller). */
    section("ioprio");
    show("ioprio_set none", SC(ioprio_set, 1, 0, 0));
    show("ioprio_get none", SC(ioprio_get, 1, 0));
    show("ioprio_set best-effort 6", SC(ioprio_set, 1, 0, 2 << 13 | 6));
    show("ioprio_get best-effort 6", SC(ioprio_get, 1, self));
    show("ioprio_set idle", SC(ioprio_set, 1, self, 3 << 13));
    show("ioprio_get idle", SC(ioprio_get, 1, 0));
    show("ioprio_set none with a level", SC(ioprio_set, 1, 0, 3));
    show("ioprio_set class 4", SC(ioprio_set, 1, 0, 4 << 13));
    show("ioprio_set bad which", SC(ioprio_set, 0, 0, 0));
    show("ioprio_get no such pid", SC(ioprio_get, 1, NOPID));

    /* struct sched_attr (VER1, 56 bytes); the default fair slice is the
     * host's, so it is only compared with itself. */
    section("sched_attr");
    struct {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t prio;
        uint64_t runtime, deadline, period;
        uint32_t umin, umax;
    } a, b;
    memset(&a, 0, sizeof a);
    show("sched_getattr", SC(sched_getattr, 0, &a, sizeof a, 0));
    out("size %u policy %u flags %llu nice %d prio %u\n", a.size, a.policy,
        (unsigned long long)a.flags, a.nice, a.prio);
    uint64_t slice = a.runtime;
    show("sched_getattr size 47", SC(sched_getattr, 0, &a, 47, 0));
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.policy = SCHED_BATCH;
    a.nice = 12;
    a.runtime = 3000000;
    show("sched_setattr batch nice 12 slice 3ms", SC(sched_setattr, 0, &a, 0));
    memset(&b, 0, sizeof b);
    SC(sched_getattr, 0, &b, sizeof b, 0);
    out("policy %u nice %d runtime %llu\n", b.policy, b.nice, (unsigned long long)b.runtime);
    a.runtime = 0;
    a.policy = SCHED_OTHER;
    show("sched_setattr default slice", SC(sched_setattr, 0, &a, 0));
    SC(sched_getattr, 0, &b, sizeof b, 0);
    fact("the default slice is back", b.runtime == slice);
    a.size = 40;
    show("sched_setattr size 40", SC(sched_setattr, 0, &a, 0));
    out("size written back %u\n", a.size);
    a.policy = SCHED_FIFO;
    a.prio = 0;
    show("sched_setattr fifo priority 0", SC(sched_setattr, 0, &a, 0));
    show("getpriority bad which", SC(getpriority, 7, 0));
    show("setpriority bad which", SC(setpriority, 7, 0, 0));
    show("getpriority no such pid", SC(getpriority, PRIO_PROCESS, NOPID));
    show("setpriority no such pid", SC(setpriority, PRIO_PROCESS, NOPID, 0));
}

static void cpus(void)
{
    section("affinity");
    unsigned long mask[16];
    memset(mask, 0, sizeof mask);
    long r = SC(sched_getaffinity, 0, sizeof mask, mask);
    fact("sched_getaffinity returns a positive multiple of 8", r > 0 && r % 8 == 0);
    int n = 0;
    for (unsigned i = 0; i < sizeof mask * 8; i++)
        n += (mask[i / 64] >> (i % 64)) & 1;
    fact("at least one CPU allowed", n >= 1);
    unsigned cpu = ~0u, node = ~0u;
    show("getcpu", SC(getcpu, &cpu, &node, NULL));
    fact("getcpu cpu is in the affinity mask",
         cpu < sizeof mask * 8 && ((mask[cpu / 64] >> (cpu % 64)) & 1));
    fact("getcpu node set", node != ~0u);
    show("getcpu NULL NULL", SC(getcpu, NULL, NULL, NULL));
    show("sched_setaffinity same mask", SC(sched_setaffinity, 0, sizeof mask, mask));
    unsigned long one[16];
    memset(one, 0, sizeof one);
    one[cpu / 64] = 1UL << (cpu % 64);
    show("sched_setaffinity current CPU only", SC(sched_setaffinity, 0, sizeof one, one));
    unsigned long got[16];
    memset(got, 0, sizeof got);
    SC(sched_getaffinity, 0, sizeof got, got);
    fact("mask is that CPU only", memcmp(got, one, sizeof one) == 0);
    unsigned cpu2 = ~0u;
    SC(getcpu, &cpu2, NULL, NULL);
    fact("now running on it", cpu2 == cpu);
    show("sched_setaffinity restore", SC(sched_setaffinity, 0, sizeof mask, mask));
    unsigned long none[16];
    memset(none, 0, sizeof none);
    show("sched_setaffinity empty mask", SC(sched_setaffinity, 0, sizeof none, none));
    show("sched_getaffinity size 3", SC(sched_getaffinity, 0, 3, got));
    show("sched_getaffinity no such pid", SC(sched_getaffinity, NOPID, sizeof got, got));
    show("sched_setaffinity no such pid", SC(sched_setaffinity, NOPID, sizeof mask, mask));
}

static void session(void)
{
    /* abi conform starts every case in a session of its own (its leader). */
    section("session");
    long pid = SC(getpid);
#ifdef SYS_getpgrp
    fact("getpgrp == getpid", SC(getpgrp) == pid);
#endif
    fact("getpgid 0 == getpid", SC(getpgid, 0) == pid);
    fact("getpgid self == getpid", SC(getpgid, pid) == pid);
    fact("getsid 0 == getpid", SC(getsid, 0) == pid);
    fact("getsid self == getpid", SC(getsid, pid) == pid);
    show("getpgid no such pid", SC(getpgid, NOPID));
    show("getsid no such pid", SC(getsid, NOPID));
    long r = SC(setsid);
    if (r >= 0)
        out("setsid = <pid> (not started as a session leader)\n");
    else
        show("setsid (already a leader)", r);
    show("setpgid 0 0 (session leader)", SC(setpgid, 0, 0));
    show("setpgid 0 -1", SC(setpgid, 0, -1));
    show("setpgid no such pid", SC(setpgid, NOPID, 0));
}

static void locking(void)
{
    section("mlock");
    long p = SC(mmap, 0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *m = (char *)p;
    show("mlock 1 page", SC(mlock, m, 4096));
    show("mlock unaligned start", SC(mlock, m + 100, 10));
    show("munlock 1 page", SC(munlock, m, 4096));
    show("mlock2 0", SC(mlock2, m, 4096, 0));
    show("mlock2 ONFAULT", SC(mlock2, m + 4096, 4096, MLOCK_ONFAULT));
    show("mlock2 bad flags", SC(mlock2, m, 4096, 0x10));
    show("munlock 3 pages", SC(munlock, m, 3 * 4096));
    show("munlockall", SC(munlockall));
    SC(munmap, m + 4096, 4096);
    show("mlock over a hole", SC(mlock, m, 3 * 4096));
    show("munlock over a hole", SC(munlock, m, 3 * 4096));
    show("mlock2 over a hole", SC(mlock2, m, 3 * 4096, 0));
    show("mlock length 0", SC(mlock, m, 0));
    SC(munmap, m, 3 * 4096);
}

int main(void)
{
    priorities();
    cpus();
    session();
    locking();
    done();
    SC(exit_group, 0);
    return 1; /* not reached */
}
