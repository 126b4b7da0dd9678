/* events: eventfd counters, timerfd timers, select/pselect6 and epoll_pwait2 readiness.
 * Timeouts are short (at most 20 ms) and printed as facts, never as durations.
 *
 * covers: eventfd eventfd2 timerfd_create timerfd_settime timerfd_gettime select pselect6
 * covers: epoll_pwait2 epoll_create1 epoll_ctl read write close fcntl pipe2
 */
#include "sys.h"
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

#ifndef EFD_SEMAPHORE
#define EFD_SEMAPHORE 1 /* linux/eventfd.h */
#endif
#ifndef EFD_CLOEXEC
#define EFD_CLOEXEC O_CLOEXEC
#endif
#ifndef EFD_NONBLOCK
#define EFD_NONBLOCK O_NONBLOCK
#endif
#ifndef TFD_NONBLOCK
#define TFD_NONBLOCK O_NONBLOCK /* linux/timerfd.h */
#endif
#ifndef TFD_CLOEXEC
#define TFD_CLOEXEC O_CLOEXEC
#endif
#ifndef TFD_TIMER_ABSTIME
#define TFD_TIMER_ABSTIME 1
#endif

struct its {
    struct timespec interval, value;
};

static void efd_read(const char *what, long fd)
{
    uint64_t v = 0;
    long r = SC(read, fd, &v, sizeof v);
    if (r < 0)
        show(what, r);
    else
        out("%s = %ld value=%llu\n", what, r, (unsigned long long)v);
}

static long efd_write(const char *what, long fd, uint64_t v)
{
    return show(what, SC(write, fd, &v, sizeof v));
}

static int ts_le(const struct timespec *t, long ns)
{
    return t->tv_sec * 1000000000L + t->tv_nsec <= ns;
}

static int ts_zero(const struct timespec *t)
{
    return t->tv_sec == 0 && t->tv_nsec == 0;
}

static void eventfds(void)
{
    section("eventfd2");
    long fd = show("eventfd2 0 NONBLOCK|CLOEXEC", SC(eventfd2, 0, EFD_NONBLOCK | EFD_CLOEXEC));
    show("F_GETFD", SC(fcntl, fd, F_GETFD));
    fact("F_GETFL has O_NONBLOCK", (SC(fcntl, fd, F_GETFL) & O_NONBLOCK) != 0);
    efd_read("read empty", fd);
    efd_write("write 3", fd, 3);
    efd_write("write 4", fd, 4);
    efd_read("read", fd);
    efd_read("read again", fd);
    uint32_t small = 0;
    show("read 4 bytes", SC(read, fd, &small, sizeof small));
    show("write 4 bytes", SC(write, fd, &small, sizeof small));
    efd_write("write ~0", fd, ~(uint64_t)0);
    efd_write("write max", fd, ~(uint64_t)0 - 1);
    efd_write("write 1 (would overflow)", fd, 1);
    efd_read("read max", fd);
    show("eventfd2 bad flags", SC(eventfd2, 0, 0x4000000));
    SC(close, fd);

    section("semaphore");
    fd = show("eventfd2 2 SEMAPHORE|NONBLOCK", SC(eventfd2, 2, EFD_SEMAPHORE | EFD_NONBLOCK));
    efd_read("read 1", fd);
    efd_read("read 2", fd);
    efd_read("read 3", fd);
    SC(close, fd);

#ifdef SYS_eventfd
    section("eventfd");
    fd = show("eventfd 5", SC(eventfd, 5));
    show("F_GETFD", SC(fcntl, fd, F_GETFD));
    fact("F_GETFL has O_NONBLOCK", (SC(fcntl, fd, F_GETFL) & O_NONBLOCK) != 0);
    efd_read("read", fd);
    SC(close, fd);
#endif
}

static void timerfds(void)
{
    struct its v, old;
    uint64_t n = 0;

    section("timerfd");
    long fd = show("timerfd_create MONOTONIC NONBLOCK|CLOEXEC",
                   SC(timerfd_create, CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    show("F_GETFD", SC(fcntl, fd, F_GETFD));
    show("timerfd_create bad clock", SC(timerfd_create, 99, 0));
    show("timerfd_create bad flags", SC(timerfd_create, CLOCK_MONOTONIC, 0x1));
    memset(&v, 0xff, sizeof v);
    show("timerfd_gettime unarmed", SC(timerfd_gettime, fd, &v));
    fact("unarmed value and interval zero", ts_zero(&v.value) && ts_zero(&v.interval));
    show("read unarmed", SC(read, fd, &n, sizeof n));

    memset(&v, 0, sizeof v);
    v.value.tv_sec = 100;
    v.interval.tv_nsec = 5000000;
    show("settime 100 s, interval 5 ms", SC(timerfd_settime, fd, 0, &v, NULL));
    show("timerfd_gettime", SC(timerfd_gettime, fd, &old));
    fact("remaining <= 100 s", ts_le(&old.value, 100000000000L));
    fact("remaining > 99 s", !ts_le(&old.value, 99000000000L));
    out("interval %lld.%09ld\n", (long long)old.interval.tv_sec, old.interval.tv_nsec);

    memset(&v, 0, sizeof v);
    v.value.tv_nsec = 1000000;
    memset(&old, 0, sizeof old);
    show("settime 1 ms, old value back", SC(timerfd_settime, fd, 0, &v, &old));
    fact("old value was armed", !ts_zero(&old.value));
    out("old interval %lld.%09ld\n", (long long)old.interval.tv_sec, old.interval.tv_nsec);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    struct timespec t20 = { 0, 20000000 };
    show("pselect6 until the 1 ms timer fires (20 ms timeout)",
         SC(pselect6, fd + 1, &rd, NULL, NULL, &t20, NULL));
    fact("timerfd in read set", FD_ISSET(fd, &rd));
    long r = show("read expirations", SC(read, fd, &n, sizeof n));
    fact("expirations == 1", r == 8 && n == 1);
    show("read again", SC(read, fd, &n, sizeof n));
    show("read 4 bytes", SC(read, fd, &n, 4));
    show("timerfd_gettime after expiry", SC(timerfd_gettime, fd, &v));
    fact("one-shot disarmed", ts_zero(&v.value) && ts_zero(&v.interval));

    struct timespec now;
    SC(clock_gettime, CLOCK_MONOTONIC, &now);
    memset(&v, 0, sizeof v);
    v.value.tv_sec = now.tv_sec > 1 ? now.tv_sec - 1 : 0;
    v.value.tv_nsec = 1;
    show("settime ABSTIME in the past", SC(timerfd_settime, fd, TFD_TIMER_ABSTIME, &v, NULL));
    r = show("read expirations", SC(read, fd, &n, sizeof n));
    fact("expirations == 1", r == 8 && n == 1);

    memset(&v, 0, sizeof v);
    v.value.tv_sec = 100;
    SC(timerfd_settime, fd, 0, &v, NULL);
    memset(&v, 0, sizeof v);
    show("settime zero (disarm)", SC(timerfd_settime, fd, 0, &v, &old));
    fact("old value was armed", !ts_zero(&old.value));
    SC(timerfd_gettime, fd, &v);
    fact("disarmed", ts_zero(&v.value));
    v.value.tv_nsec = 1000000000;
    show("settime nsec 1e9", SC(timerfd_settime, fd, 0, &v, NULL));
    v.value.tv_nsec = -1;
    show("settime nsec -1", SC(timerfd_settime, fd, 0, &v, NULL));
    v.value.tv_nsec = 0;
    show("settime bad flags", SC(timerfd_settime, fd, 0x80, &v, NULL));
    show("settime bad fd", SC(timerfd_settime, 99, 0, &v, NULL));
    show("gettime bad fd", SC(timerfd_gettime, 99, &v));
    int p[2];
    SC(pipe2, p, 0);
    show("gettime on a pipe", SC(timerfd_gettime, p[0], &v));
    SC(close, p[0]);
    SC(close, p[1]);
    SC(close, fd);
}

static void selects(void)
{
    int p[2];
    fd_set rd, wr;

    section("select");
    SC(pipe2, p, 0);
    long efd = SC(eventfd2, 0, EFD_NONBLOCK);
    long nfds = (efd > p[1] ? efd : p[1]) + 1;
#ifdef SYS_select
    struct timeval tv = { 0, 10000 };
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    FD_SET(efd, &rd);
    show("select empty, 10 ms", SC(select, nfds, &rd, NULL, NULL, &tv));
    fact("sets cleared", !FD_ISSET(p[0], &rd) && !FD_ISSET(efd, &rd));
    fact("timeout left <= 10 ms", tv.tv_sec == 0 && tv.tv_usec <= 10000);
    efd_write("eventfd write 1", efd, 1);
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(p[0], &rd);
    FD_SET(efd, &rd);
    FD_SET(p[1], &wr);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    show("select eventfd readable, pipe writable", SC(select, nfds, &rd, &wr, NULL, &tv));
    fact("eventfd readable", FD_ISSET(efd, &rd));
    fact("pipe read end readable", FD_ISSET(p[0], &rd));
    fact("pipe write end writable", FD_ISSET(p[1], &wr));
    show("select nfds -1", SC(select, -1, NULL, NULL, NULL, &tv));
    FD_ZERO(&rd);
    FD_SET(60, &rd);
    show("select closed fd 60", SC(select, 61, &rd, NULL, NULL, &tv));
    tv.tv_usec = 1000000;
    show("select usec 1e6", SC(select, 0, NULL, NULL, NULL, &tv));
    tv.tv_usec = 1000;
    show("select nothing, 1 ms", SC(select, 0, NULL, NULL, NULL, &tv));
    efd_read("eventfd drain", efd);
#else
    efd_write("eventfd write 1", efd, 1);
    efd_read("eventfd drain", efd);
#endif

    section("pselect6");
    struct timespec ts = { 0, 10000000 };
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    FD_SET(efd, &rd);
    show("pselect6 empty, 10 ms", SC(pselect6, nfds, &rd, NULL, NULL, &ts, NULL));
    fact("sets cleared", !FD_ISSET(p[0], &rd) && !FD_ISSET(efd, &rd));
    fact("timeout left <= 10 ms", ts.tv_sec == 0 && ts.tv_nsec <= 10000000);
    show("pipe write", SC(write, p[1], "x", 1));
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(p[0], &rd);
    FD_SET(efd, &rd);
    FD_SET(p[1], &wr);
    ts.tv_sec = 0;
    ts.tv_nsec = 0;
    unsigned long mask = 0;
    struct {
        const void *set;
        size_t size;
    } sig = { &mask, 8 };
    show("pselect6 pipe readable and writable, sigmask",
         SC(pselect6, nfds, &rd, &wr, NULL, &ts, &sig));
    fact("pipe readable", FD_ISSET(p[0], &rd));
    fact("eventfd readable", FD_ISSET(efd, &rd));
    fact("pipe writable", FD_ISSET(p[1], &wr));
    sig.size = 4;
    show("pselect6 bad sigset size", SC(pselect6, nfds, &rd, &wr, NULL, &ts, &sig));
    ts.tv_nsec = 1000000000;
    show("pselect6 nsec 1e9", SC(pselect6, 0, NULL, NULL, NULL, &ts, NULL));
    ts.tv_nsec = 0;
    show("pselect6 nfds -1", SC(pselect6, -1, NULL, NULL, NULL, &ts, NULL));
    FD_ZERO(&rd);
    FD_SET(60, &rd);
    show("pselect6 closed fd 60", SC(pselect6, 61, &rd, NULL, NULL, &ts, NULL));

    section("epoll_pwait2");
    long ep = show("epoll_create1", SC(epoll_create1, EPOLL_CLOEXEC));
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, got[4];
    show("epoll_ctl ADD eventfd", SC(epoll_ctl, ep, EPOLL_CTL_ADD, efd, &ev));
    ts.tv_sec = 0;
    ts.tv_nsec = 0;
    show("epoll_pwait2 zero timeout", SC(epoll_pwait2, ep, got, 4, &ts, NULL, 8));
    ts.tv_nsec = 10000000;
    show("epoll_pwait2 10 ms", SC(epoll_pwait2, ep, got, 4, &ts, NULL, 8));
    efd_write("eventfd write 7", efd, 7);
    memset(got, 0, sizeof got);
    long r = show("epoll_pwait2 NULL timeout, ready", SC(epoll_pwait2, ep, got, 4, NULL, NULL, 8));
    if (r > 0)
        out("event 0: events=0x%x data=%llu\n", got[0].events, (unsigned long long)got[0].data.u64);
    show("epoll_pwait2 with sigmask", SC(epoll_pwait2, ep, got, 4, &ts, &mask, 8));
    show("epoll_pwait2 bad sigset size", SC(epoll_pwait2, ep, got, 4, &ts, &mask, 4));
    show("epoll_pwait2 maxevents 0", SC(epoll_pwait2, ep, got, 0, &ts, NULL, 8));
    ts.tv_nsec = -1;
    show("epoll_pwait2 nsec -1", SC(epoll_pwait2, ep, got, 4, &ts, NULL, 8));
    ts.tv_nsec = 0;
    show("epoll_pwait2 not epoll", SC(epoll_pwait2, efd, got, 4, &ts, NULL, 8));
    show("epoll_pwait2 bad fd", SC(epoll_pwait2, 99, got, 4, &ts, NULL, 8));
    SC(close, ep);
    SC(close, efd);
    SC(close, p[0]);
    SC(close, p[1]);
}

int main(void)
{
    eventfds();
    timerfds();
    selects();
    return done();
}
