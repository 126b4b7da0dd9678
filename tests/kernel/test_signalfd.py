"""signalfd and signalfd4 against Linux: signals sent to the process itself
while blocked, read back through the descriptor (struct signalfd_siginfo),
its poll readiness, a new mask for an existing signalfd, and the errors.

The native side runs in a forked child (it blocks and raises signals).
Normalisations: pids differ, so ssi_pid is compared with the side's own."""

from __future__ import annotations

import struct

import pytest
from native_child import in_child
from sides import AT_FDCWD, F, Side, errno_of

SSI = struct.Struct("<IiiIIiIIIIiiQQQQHHiQI28x")
assert SSI.size == 128


def sigset(*sigs: int) -> int:
    return sum(1 << (s - 1) for s in sigs)


def read_ssi(s: Side, fd: int, count: int = 128) -> object:
    buf = s.zeros(count)
    n = s("read", fd, buf, count)
    if n < 0:
        return errno_of(n)
    me = s("getpid")
    out = []
    for off in range(0, n, 128):
        f = SSI.unpack(s.peek(buf + off, 128))
        # signo, errno, code, pid is ours, uid, the rest of the fields
        out.append((f[0], f[1], f[2], f[3] == me, f[4], f[5:]))
    return out


def poll_in(s: Side, fd: int) -> object:
    pfd = s.mem(struct.pack("<ihh", fd, F["POLLIN"], 0))
    r = s("poll", pfd, 1, 0)
    return (r, struct.unpack("<ihh", s.peek(pfd, 8))[2]) if r >= 0 else errno_of(r)


def probe(s: Side) -> list[object]:
    usr1, usr2 = F["SIGUSR1"], F["SIGUSR2"]
    out: list[object] = []
    mask = s.mem(struct.pack("<Q", sigset(usr1, usr2)))
    assert s("rt_sigprocmask", F["SIG_BLOCK"], mask, 0, 8) == 0
    fd = s("signalfd4", -1, mask, 8, F["SFD_NONBLOCK"] | F["SFD_CLOEXEC"])
    assert fd >= 0, errno_of(fd)
    out += [s("fcntl", fd, F["F_GETFL"]) & (F["O_NONBLOCK"] | 3), s("fcntl", fd, F["F_GETFD"])]
    link = s.zeros(64)
    n = s("readlinkat", AT_FDCWD, s.mem(b"/proc/self/fd/%d\0" % fd), link, 64)
    out.append(s.peek(link, n) if n > 0 else errno_of(n))
    out += [read_ssi(s, fd), poll_in(s, fd)]
    me = s("getpid")
    # one signal, then two read at once (lowest number first), coalescing
    out += [s("kill", me, usr1), poll_in(s, fd), read_ssi(s, fd), read_ssi(s, fd)]
    out += [s("kill", me, usr2), s("kill", me, usr1), s("kill", me, usr1), read_ssi(s, fd, 512)]
    # a buffer too small for one record; a bad buffer loses the signal
    out += [s("kill", me, usr1), read_ssi(s, fd, 100)]
    bad = s("mmap", 0, 4096, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    out += [errno_of(s("read", fd, bad, 128)), read_ssi(s, fd)]
    # a new mask: SIGUSR1 pending stays pending, unread
    only2 = s.mem(struct.pack("<Q", sigset(usr2)))
    out += [s("kill", me, usr1), s("signalfd4", fd, only2, 8, 0) == fd, poll_in(s, fd),
            read_ssi(s, fd)]
    pend = s.zeros(8)
    out += [s("rt_sigpending", pend, 8), s.peek(pend, 8)]
    # back to both: the pending SIGUSR1 is read, and is no longer pending
    out += [s("signalfd", fd, mask, 8) == fd, read_ssi(s, fd), s("rt_sigpending", pend, 8),
            s.peek(pend, 8)]
    # a blocking signalfd whose signal is already pending returns it at once
    fd2 = s("signalfd4", -1, mask, 8, 0)
    out += [fd2 >= 0, s("fcntl", fd2, F["F_GETFL"]) & F["O_NONBLOCK"],
            s("fcntl", fd2, F["F_GETFD"]), s("kill", me, usr2), read_ssi(s, fd2)]
    # SIGKILL and SIGSTOP are never taken
    kill_only = s.mem(struct.pack("<Q", sigset(F["SIGKILL"], F["SIGSTOP"])))
    fd3 = s("signalfd4", -1, kill_only, 8, F["SFD_NONBLOCK"])
    out += [fd3 >= 0, s("kill", me, usr1), read_ssi(s, fd3), poll_in(s, fd3), read_ssi(s, fd)]
    # errors
    efd = s("eventfd2", 0, 0)
    hole = s("mmap", 0, 4096, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    assert s("munmap", hole, 4096) == 0
    out += [errno_of(s("signalfd4", -1, mask, 8, 1)), errno_of(s("signalfd4", -1, mask, 4, 0)),
            errno_of(s("signalfd4", -1, mask, 16, 0)), errno_of(s("signalfd4", -1, hole, 8, 0)),
            errno_of(s("signalfd4", 999, mask, 8, 0)), errno_of(s("signalfd4", -2, mask, 8, 0)),
            errno_of(s("signalfd4", efd, mask, 8, 0)), errno_of(s("signalfd4", fd, mask, 8, 1)),
            errno_of(s("signalfd", -1, mask, 7)), errno_of(s("write", fd, mask, 8)),
            errno_of(s("pread64", fd, s.zeros(128), 128, 0)), s("lseek", fd, 0, 0)]
    for x in (fd, fd2, fd3, efd):
        s("close", x)
    return out


@pytest.mark.parametrize("user", ["root", "nobody"])
def test_signalfd_like_linux(sides: tuple[Side, Side], user: str) -> None:
    def run(s: Side) -> list[object]:
        if user == "nobody":  # ssi_uid is the sender's
            assert s("setresgid", 65534, 65534, 65534) == 0
            assert s("setresuid", 65534, 65534, 65534) == 0
        return probe(s)

    linux, abi = sides
    want = in_child(lambda: run(linux))
    assert run(abi) == want


def test_signalfd_epoll(sides: tuple[Side, Side]) -> None:
    """An epoll watching a signalfd reports it once a signal of its mask is
    pending, and no longer once it is read."""

    def run(s: Side) -> list[object]:
        usr1 = F["SIGUSR1"]
        mask = s.mem(struct.pack("<Q", sigset(usr1)))
        assert s("rt_sigprocmask", F["SIG_BLOCK"], mask, 0, 8) == 0
        fd = s("signalfd4", -1, mask, 8, F["SFD_NONBLOCK"])
        ep = s("epoll_create1", 0)
        ev = s.mem(struct.pack("<IQ", F["EPOLLIN"], 7))
        out: list[object] = [s("epoll_ctl", ep, F["EPOLL_CTL_ADD"], fd, ev)]
        evs = s.zeros(12 * 4)
        out.append(s("epoll_wait", ep, evs, 4, 0))
        out.append(s("kill", s("getpid"), usr1))
        n = s("epoll_wait", ep, evs, 4, 0)
        out.append((n, s.peek(evs, 12) if n > 0 else b""))
        out.append(read_ssi(s, fd))
        out.append(s("epoll_wait", ep, evs, 4, 0))
        s("close", ep)
        s("close", fd)
        return out

    linux, abi = sides
    want = in_child(lambda: run(linux))
    assert run(abi) == want


def test_signalfd_efault(sides: tuple[Side, Side]) -> None:
    """A mask at a bad address (a hole) is EFAULT for both calls; a read
    into a bad buffer is checked in probe."""

    def run(s: Side) -> list[str]:
        hole = s("mmap", 0, 4096, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        assert hole > 0 and s("munmap", hole, 4096) == 0
        return [errno_of(s("signalfd", -1, hole, 8)), errno_of(s("signalfd4", -1, hole, 8, 0)),
                errno_of(s("signalfd4", -1, hole + 4092, 8, 0))]

    linux, abi = sides
    assert run(abi) == run(linux) == ["EFAULT"] * 3
