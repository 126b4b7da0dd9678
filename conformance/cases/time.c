/* time: every clock id's resolution, and facts (never values) about the clocks.
 *
 * covers: clock_getres clock_gettime gettimeofday time nanosleep clock_nanosleep
 * covers: getitimer
 */
#include "sys.h"
#include <sys/time.h>
#include <time.h>

static const char *clock_names[] = {
    "REALTIME",       "MONOTONIC",       "PROCESS_CPUTIME_ID", "THREAD_CPUTIME_ID",
    "MONOTONIC_RAW",  "REALTIME_COARSE", "MONOTONIC_COARSE",   "BOOTTIME",
    "REALTIME_ALARM", "BOOTTIME_ALARM",  "SGI_CYCLE",          "TAI",
};

static long ns(const struct timespec *t)
{
    return t->tv_sec * 1000000000L + t->tv_nsec;
}

int main(void)
{
    struct timespec a, b, res;

    section("clock_getres");
    for (int id = 0; id < 12; id++) {
        memset(&res, 0xff, sizeof res);
        long r = SC(clock_getres, id, &res);
        if (r < 0)
            out("%-18s getres = %s\n", clock_names[id], rv(r));
        else
            out("%-18s getres = 0 res=%ld.%09ld\n", clock_names[id], (long)res.tv_sec, res.tv_nsec);
    }
    show("getres NULL res", SC(clock_getres, CLOCK_MONOTONIC, NULL));
    show("getres clock 99", SC(clock_getres, 99, &res));
    show("getres clock -1", SC(clock_getres, -1, &res));

    section("clock_gettime");
    for (int id = 0; id < 12; id++) {
        long r1 = SC(clock_gettime, id, &a);
        long r2 = SC(clock_gettime, id, &b);
        if (r1 < 0) {
            out("%-18s gettime = %s\n", clock_names[id], rv(r1));
            continue;
        }
        out("%-18s gettime = %s, nsec in range: %s, second read not earlier: %s\n", clock_names[id],
            rv(r2), a.tv_nsec >= 0 && a.tv_nsec < 1000000000L ? "yes" : "no",
            ns(&b) >= ns(&a) ? "yes" : "no");
    }
    show("gettime clock 99", SC(clock_gettime, 99, &a));
    show("gettime bad pointer", SC(clock_gettime, CLOCK_REALTIME, (void *)8));

    section("wall clock");
    SC(clock_gettime, CLOCK_REALTIME, &a);
    fact("REALTIME after 2020", a.tv_sec > 1577836800L);
    struct timeval tv;
    show("gettimeofday", SC(gettimeofday, &tv, NULL));
    fact("gettimeofday within 10s of REALTIME",
         tv.tv_sec - a.tv_sec < 10 && a.tv_sec - tv.tv_sec < 10);
    fact("usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
#ifdef SYS_time
    long t = SC(time, NULL);
    fact("time within 10s of REALTIME", t - a.tv_sec < 10 && a.tv_sec - t < 10);
#endif

    section("sleep");
    struct timespec ms = { 0, 2000000 }, rem;
    SC(clock_gettime, CLOCK_MONOTONIC, &a);
    show("nanosleep 2ms", SC(nanosleep, &ms, &rem));
    SC(clock_gettime, CLOCK_MONOTONIC, &b);
    fact("at least 2ms passed", ns(&b) - ns(&a) >= 2000000);
    struct timespec badts = { 0, 1000000000L };
    show("nanosleep nsec 1e9", SC(nanosleep, &badts, NULL));
    SC(clock_gettime, CLOCK_MONOTONIC, &a);
    struct timespec until = a;
    until.tv_nsec += 3000000;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    show("clock_nanosleep ABSTIME +3ms",
         SC(clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL));
    SC(clock_gettime, CLOCK_MONOTONIC, &b);
    fact("woke at or after the deadline", ns(&b) >= ns(&until));
    show("clock_nanosleep ABSTIME in the past",
         SC(clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL));
    show("clock_nanosleep THREAD_CPUTIME",
         SC(clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ms, NULL));

    section("interval timers");
    struct itimerval it;
    for (int which = 0; which < 3; which++) {
        memset(&it, 0xff, sizeof it);
        long r = SC(getitimer, which, &it);
        out("getitimer %d = %s, disarmed: %s\n", which, rv(r),
            !it.it_value.tv_sec && !it.it_value.tv_usec && !it.it_interval.tv_sec &&
                    !it.it_interval.tv_usec
                ? "yes"
                : "no");
    }
    show("getitimer 3", SC(getitimer, 3, &it));
    show("getitimer -1", SC(getitimer, -1, &it));
    show("getitimer bad pointer", SC(getitimer, ITIMER_REAL, (void *)8));
    return done();
}
