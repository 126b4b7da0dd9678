/* pipes: pipe2, non-blocking I/O, EPIPE, poll and epoll (level and edge) in one thread.
 *
 * covers: pipe pipe2 read write close poll ppoll epoll_create1 epoll_create epoll_ctl
 * covers: epoll_wait epoll_pwait ioctl rt_sigprocmask rt_sigpending fcntl
 */
#include "sys.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

static void poll_facts(const char *what, int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
#ifdef SYS_poll
    long r = SC(poll, &p, 1, 0);
#else /* aarch64 has only ppoll */
    struct timespec zero = { 0, 0 };
    long r = SC(ppoll, &p, 1, &zero, NULL, 8);
#endif
    out("%s: poll = %s revents =%s%s%s%s%s\n", what, rv(r), p.revents & POLLIN ? " IN" : "",
        p.revents & POLLOUT ? " OUT" : "", p.revents & POLLHUP ? " HUP" : "",
        p.revents & POLLERR ? " ERR" : "", p.revents & POLLNVAL ? " NVAL" : "");
}

static void epoll_facts(const char *what, long ep)
{
    struct epoll_event ev[4];
    memset(ev, 0, sizeof ev);
    long n = SC(epoll_pwait, ep, ev, 4, 0, NULL, 8);
    out("%s: epoll_pwait = %s", what, rv(n));
    for (long i = 0; i < n; i++)
        out(" [data=%lu%s%s%s%s]", (unsigned long)ev[i].data.u64,
            ev[i].events & EPOLLIN ? " IN" : "", ev[i].events & EPOLLOUT ? " OUT" : "",
            ev[i].events & EPOLLHUP ? " HUP" : "", ev[i].events & EPOLLERR ? " ERR" : "");
    out("\n");
}

int main(void)
{
    int p[2], q[2];
    char buf[256];

    section("pipe2");
    show("pipe2 flags 0", SC(pipe2, p, 0));
    out("fds %d %d\n", p[0], p[1]);
    show("write abc", SC(write, p[1], "abc", 3));
    int avail = -1;
    show("FIONREAD", SC(ioctl, p[0], FIONREAD, &avail));
    out("FIONREAD says %d\n", avail);
    long n = show("read", SC(read, p[0], buf, sizeof buf));
    bytes("data", buf, n);
    show("read from write end", SC(read, p[1], buf, 1));
    show("write to read end", SC(write, p[0], "x", 1));
    show("pipe2 bad flags", SC(pipe2, q, 0x1));
#ifdef SYS_pipe
    show("pipe", SC(pipe, q));
    SC(close, q[0]);
    SC(close, q[1]);
#endif

    section("poll");
    poll_facts("empty read end", p[0], POLLIN);
    poll_facts("write end", p[1], POLLOUT);
    SC(write, p[1], "z", 1);
    poll_facts("read end with data", p[0], POLLIN);
    struct pollfd bad = { .fd = 999, .events = POLLIN };
    struct timespec zero = { 0, 0 };
#ifdef SYS_poll
    show("poll on a closed fd", SC(poll, &bad, 1, 0));
#else
    show("poll on a closed fd", SC(ppoll, &bad, 1, &zero, NULL, 8));
#endif
    out("revents NVAL: %s\n", bad.revents & POLLNVAL ? "yes" : "no");
    struct pollfd pp = { .fd = p[0], .events = POLLIN };
    show("ppoll", SC(ppoll, &pp, 1, &zero, NULL, 8));
    SC(read, p[0], buf, 1);

    section("nonblocking");
    show("pipe2 O_NONBLOCK|O_CLOEXEC", SC(pipe2, q, O_NONBLOCK | O_CLOEXEC));
    show("read empty", SC(read, q[0], buf, sizeof buf));
    long total = 0;
    memset(buf, 'f', sizeof buf);
    for (;;) {
        long w = SC(write, q[1], buf, sizeof buf);
        if (w < 0) {
            out("fill until %s: %ld bytes\n", rv(w), total);
            break;
        }
        total += w;
    }
    poll_facts("full write end", q[1], POLLOUT);
    show("F_GETPIPE_SZ", SC(fcntl, q[1], F_GETPIPE_SZ));

    section("EOF and EPIPE");
    show("close write end", SC(close, p[1]));
    poll_facts("read end after writer closed", p[0], POLLIN);
    show("read at EOF", SC(read, p[0], buf, sizeof buf));
    uint64_t set = 1UL << (SIGPIPE - 1); /* the kernel's 8-byte sigset */
    show("block SIGPIPE", SC(rt_sigprocmask, SIG_BLOCK, &set, NULL, 8));
    show("close read end of q", SC(close, q[0]));
    show("write with no reader", SC(write, q[1], "x", 1));
    uint64_t pending = 0;
    show("rt_sigpending", SC(rt_sigpending, &pending, 8));
    fact("SIGPIPE pending", (pending >> (SIGPIPE - 1)) & 1);
    poll_facts("write end with no reader", q[1], POLLOUT);
    SC(close, q[1]);
    SC(close, p[0]);

    section("epoll level");
    long ep = show("epoll_create1", SC(epoll_create1, EPOLL_CLOEXEC));
    show("epoll_create1 bad flags", SC(epoll_create1, 0x1));
#ifdef SYS_epoll_create
    show("epoll_create 0", SC(epoll_create, 0));
#endif
    SC(pipe2, p, O_NONBLOCK);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };
    show("epoll_ctl ADD", SC(epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev));
    show("epoll_ctl ADD again", SC(epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev));
    show("epoll_ctl DEL unregistered", SC(epoll_ctl, ep, EPOLL_CTL_DEL, p[1], &ev));
    show("epoll_ctl ADD itself", SC(epoll_ctl, ep, EPOLL_CTL_ADD, ep, &ev));
    show("epoll_ctl on a closed fd", SC(epoll_ctl, ep, EPOLL_CTL_ADD, 999, &ev));
    epoll_facts("empty", ep);
    SC(write, p[1], "ab", 2);
    epoll_facts("after write", ep);
    epoll_facts("again (level)", ep);
#ifdef SYS_epoll_wait
    struct epoll_event one;
    show("epoll_wait", SC(epoll_wait, ep, &one, 1, 0));
#endif
    SC(read, p[0], buf, sizeof buf);
    epoll_facts("after drain", ep);

    section("epoll edge");
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = 9;
    show("epoll_ctl MOD to EPOLLET", SC(epoll_ctl, ep, EPOLL_CTL_MOD, p[0], &ev));
    SC(write, p[1], "c", 1);
    epoll_facts("after write", ep);
    epoll_facts("again (edge: nothing new)", ep);
    SC(write, p[1], "d", 1);
    epoll_facts("after second write", ep);
    ev.events = EPOLLOUT;
    ev.data.u64 = 11;
    show("epoll_ctl ADD write end EPOLLOUT", SC(epoll_ctl, ep, EPOLL_CTL_ADD, p[1], &ev));
    epoll_facts("both", ep);
    show("epoll_ctl DEL read end", SC(epoll_ctl, ep, EPOLL_CTL_DEL, p[0], NULL));
    SC(close, p[0]);
    epoll_facts("write end after reader closed", ep);
    show("epoll_pwait maxevents 0", SC(epoll_pwait, ep, &ev, 0, 0, NULL, 8));
    show("epoll_pwait on a pipe fd", SC(epoll_pwait, p[1], &ev, 1, 0, NULL, 8));
    return done();
}
