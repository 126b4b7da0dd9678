"""poll, ppoll, select, pselect6 and epoll against Linux: readiness of pipes,
eventfds, timerfds, regular files and directories, the error cases, EFAULT
for every pointer argument, timeouts (short ones: blocking cannot be woken
without threads), and a stateful property test over pipe, eventfd, poll
and epoll operations on nonblocking descriptors. Descriptor numbers differ
between the sides: results name descriptors by their index in the test's
own list, and epoll data carries that index."""

from __future__ import annotations

import ctypes
import struct
import time
from collections.abc import Iterator
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sides import (
    PAGE,
    F,
    NativeDir,
    Side,
    boot_guest,
    build_kernel,
    errno_of,
    native_release,
    native_side,
)
from test_pipes import Fds, both, pipe, poll1, read, res, write

EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE = F["EPOLLET"], F["EPOLLONESHOT"], F["EPOLLEXCLUSIVE"]
IN, OUT = F["POLLIN"], F["POLLOUT"]


@pytest.fixture
def fds(sides: tuple[Side, Side]) -> Iterator[dict[str, Fds]]:
    linux, abi = sides
    d = {"linux": Fds(linux), "abi": Fds(abi)}
    yield d
    for f in d.values():
        f.close()


def holes(s: Side) -> tuple[int, int]:
    """An unmapped page and a read-only one."""
    hole = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    ro = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    s("munmap", hole, PAGE)
    return hole, ro


def some_files(s: Side, fds: dict[str, Fds]) -> list[int]:
    """A pipe with data (both ends), an empty pipe whose reader is gone
    (write end), an eventfd with a count, an empty eventfd, a regular file,
    a directory, an O_PATH descriptor, a closed descriptor."""
    r1, w1 = pipe(s, fds, F["O_NONBLOCK"])
    write(s, w1, b"x")
    r2, w2 = pipe(s, fds, F["O_NONBLOCK"])
    s("close", r2)
    fds[s.name].fds.remove(r2)
    e1, e2 = s("eventfd2", 1, 0), s("eventfd2", 0, 0)
    f = s.open("file", F["O_CREAT"] | F["O_RDWR"])
    d = s.open("", F["O_RDONLY"] | F["O_DIRECTORY"])
    p = s.open("file", F["O_PATH"])
    fds[s.name].add(e1, e2, f, d, p)
    return [r1, w1, w2, e1, e2, f, d, p, 0x3ff0]


def pollfds(fdl: list[int], events: int) -> bytes:
    return b"".join(struct.pack("<iHH", fd, events, 0x55) for fd in fdl)


def revents(s: Side, buf: int, n: int) -> list[int]:
    return [struct.unpack_from("<ihh", s.peek(buf, 8 * n), 8 * i)[2] & 0xFFFF
            for i in range(n)]


# --- poll and ppoll --------------------------------------------------------


@pytest.mark.parametrize("events", [0, IN, OUT, IN | OUT | F["POLLPRI"] | F["POLLRDHUP"],
                                    0xFFFF])
def test_poll_readiness(sides: tuple[Side, Side], fds: dict[str, Fds], events: int) -> None:
    def go(s: Side) -> object:
        fdl = [*some_files(s, fds), -1]
        buf = s.mem(pollfds(fdl, events))
        r = s("poll", buf, len(fdl), 0)
        return res(r), revents(s, buf, len(fdl))

    both(sides, go)


def test_poll_timeouts_and_limits(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        r, _w = pipe(s, fds, F["O_NONBLOCK"])
        buf = s.mem(pollfds([r], IN))
        t0 = time.monotonic()
        out: list[object] = [res(s("poll", buf, 1, 30))]
        out.append(time.monotonic() - t0 >= 0.025)
        out.append(res(s("poll", 0, 0, 10)))
        lim = s.zeros(16)
        s("getrlimit", F["RLIMIT_NOFILE"], lim)
        cur = struct.unpack("<Q", s.peek(lim, 8))[0]
        out += [res(s("poll", buf, cur + 1, 0)), res(s("poll", buf, 1 << 31, 0))]
        ts = s.mem(struct.pack("<qq", 0, 20_000_000))
        t0 = time.monotonic()
        out.append(res(s("ppoll", buf, 1, ts, 0, 8)))
        out.append(time.monotonic() - t0 >= 0.015)
        out.append(struct.unpack("<qq", s.peek(ts, 16)))  # all of it used: {0, 0}
        ts = s.mem(struct.pack("<qq", 5, 0))
        _r2, w2 = pipe(s, fds)
        wbuf = s.mem(pollfds([w2], OUT))
        out.append(res(s("ppoll", wbuf, 1, ts, 0, 8)))
        sec, nsec = struct.unpack("<qq", s.peek(ts, 16))
        out.append((sec == 4 and nsec > 900_000_000) or (sec, nsec) == (5, 0))
        for bad in ((0, -1), (-1, 0), (0, 1_000_000_000)):
            out.append(res(s("ppoll", buf, 1, s.mem(struct.pack("<qq", *bad)), 0, 8)))
        mask = s.mem(bytes(8))
        zero = s.mem(bytes(16))
        out += [res(s("ppoll", buf, 1, zero, mask, 8)), res(s("ppoll", buf, 1, zero, mask, 4)),
                res(s("ppoll", buf, 1, zero, 0, 4)), struct.unpack("<qq", s.peek(zero, 16))]
        return out

    both(sides, go)


def test_poll_efault(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        r, _w = pipe(s, fds, F["O_NONBLOCK"])
        ro_fds = s("mmap", 0, PAGE, F["PROT_READ"] | F["PROT_WRITE"],
                   F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        hole, ro = holes(s)  # last: a later mmap could take the hole's place
        ctypes.memmove(ro_fds, pollfds([r], IN), 8)
        s("mprotect", ro_fds, PAGE, F["PROT_READ"])
        buf = s.mem(pollfds([r], IN))
        zero = s.mem(bytes(16))
        out = [res(s("poll", hole, 1, 0)), res(s("poll", ro_fds, 1, 0)), res(s("poll", 0, 1, 0)),
               res(s("poll", hole, 0, 0)),
               res(s("ppoll", hole, 1, zero, 0, 8)), res(s("ppoll", ro_fds, 1, zero, 0, 8)),
               res(s("ppoll", buf, 1, hole, 0, 8)), res(s("ppoll", buf, 1, zero, hole, 8)),
               res(s("ppoll", buf, 1, zero, ro, 8)),
               # the time left is not written back to a read-only timespec: no error
               res(s("ppoll", buf, 1, ro, 0, 8))]
        s("munmap", ro, PAGE)
        s("munmap", ro_fds, PAGE)
        return out

    both(sides, go)


# --- select and pselect6 ---------------------------------------------------


def fdset(fdl: list[int]) -> bytes:
    bits = 0
    for fd in fdl:
        bits |= 1 << fd
    return bits.to_bytes(128, "little")


def members(raw: bytes, fdl: list[int]) -> list[int]:
    """Which of fdl (by index) are in the set."""
    bits = int.from_bytes(raw, "little")
    return [i for i, fd in enumerate(fdl) if bits >> fd & 1]


def test_select_readiness(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        fdl = some_files(s, fds)[:7]  # not the O_PATH one, nor the closed one
        n = max(fdl) + 1
        sets = [s.mem(fdset(fdl)) for _ in range(3)]
        tv = s.mem(struct.pack("<qq", 0, 0))
        r = s("select", n, *sets, tv)
        out: list[object] = [res(r), *[members(s.peek(b, 128), fdl) for b in sets]]
        sets = [s.mem(fdset(fdl)), 0, s.mem(fdset(fdl))]
        ts = s.mem(struct.pack("<qq", 0, 0))
        r = s("pselect6", n, *sets, ts, 0)
        out += [res(r), members(s.peek(sets[0], 128), fdl), members(s.peek(sets[2], 128), fdl)]
        return out

    both(sides, go)


def test_select_errors_and_timeouts(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        r, w = pipe(s, fds, F["O_NONBLOCK"])
        n = max(r, w) + 1
        out: list[object] = []
        # a descriptor just closed: inside both fd tables (Linux ignores bits past its
        # table's capacity, which depends on what the native process has had open)
        gone, _w2 = pipe(s, fds, F["O_NONBLOCK"])
        s("close", gone)
        out.append(res(s("select", max(n, gone + 1), s.mem(fdset([gone])), 0, 0,
                         s.mem(bytes(16)))))
        out.append(res(s("select", -1, 0, 0, 0, 0)))
        for bad in ((0, -1), (-1, 0), (-5, 999_999), (0, 1_000_000_000)):
            tv = s.mem(struct.pack("<qq", *bad))
            if bad[1] < 1_000_000:  # select takes tv_usec >= 10^6 as whole seconds
                out.append(res(s("select", n, s.mem(fdset([r])), 0, 0, tv)))
            out.append(res(s("pselect6", n, s.mem(fdset([r])), 0, 0, tv, 0)))
        rs = s.mem(fdset([r]))
        t0 = time.monotonic()
        tv = s.mem(struct.pack("<qq", 0, 20_000))
        out.append(res(s("select", n, rs, 0, 0, tv)))
        out.append((time.monotonic() - t0 >= 0.015, s.peek(tv, 16) == bytes(16),
                    members(s.peek(rs, 128), [r])))
        out.append(res(s("select", 0, 0, 0, 0, s.mem(struct.pack("<qq", 0, 10_000)))))
        mask = s.mem(bytes(8))
        for pack in ((mask, 8), (mask, 4), (0, 4), (0, 0)):
            sig = s.mem(struct.pack("<QQ", *pack))
            out.append(res(s("pselect6", n, s.mem(fdset([w])), 0, 0, s.mem(bytes(16)), sig)))
        return out

    both(sides, go)


def test_select_efault(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        r, w = pipe(s, fds, F["O_NONBLOCK"])
        n = max(r, w) + 1
        ro_set = s("mmap", 0, PAGE, F["PROT_READ"] | F["PROT_WRITE"],
                   F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        hole, ro = holes(s)
        ctypes.memmove(ro_set, fdset([w]), 128)
        s("mprotect", ro_set, PAGE, F["PROT_READ"])
        zero = s.mem(bytes(16))
        good = s.mem(fdset([w]))
        mask = s.mem(bytes(8))
        out = []
        for i in range(3):
            args = [0, 0, 0]
            args[i] = hole
            out.append(res(s("select", n, *args, zero)))
            out.append(res(s("pselect6", n, *args, zero, 0)))
            args[i] = ro_set
            out.append(res(s("select", n, *args, zero)))
        out += [res(s("select", n, 0, good, 0, hole)), res(s("pselect6", n, 0, good, 0, hole, 0)),
                res(s("pselect6", n, 0, good, 0, zero, hole)),
                res(s("pselect6", n, 0, good, 0, zero, s.mem(struct.pack("<QQ", hole, 8)))),
                res(s("select", n, 0, good, 0, ro)), res(s("pselect6", n, 0, good, 0, ro, 0)),
                res(s("pselect6", n, 0, s.mem(fdset([w])), 0, zero, s.mem(struct.pack(
                    "<QQ", mask, 8))))]
        s("munmap", ro, PAGE)
        s("munmap", ro_set, PAGE)
        return out

    both(sides, go)


# --- epoll -----------------------------------------------------------------


def ev(events: int, data: int) -> bytes:
    return struct.pack("<IQ", events, data)


def ep_wait(s: Side, ep: int, maxevents: int = 16, timeout: int = 0) -> list[tuple[int, int]] | str:
    buf = s.zeros(12 * max(maxevents, 1))
    r = s("epoll_wait", ep, buf, maxevents, timeout)
    if r < 0:
        return errno_of(r)
    return [struct.unpack_from("<IQ", s.peek(buf, 12 * r), 12 * i) for i in range(r)]


def test_epoll_create(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        out = []
        for size in (0, -1, 1, 1000):
            fd = s("epoll_create", size)
            fds[s.name].add(fd)
            out.append(fd if fd < 0 else "ok")
        for flags in (0, F["EPOLL_CLOEXEC"], 1, F["O_NONBLOCK"]):
            fd = s("epoll_create1", flags)
            fds[s.name].add(fd)
            out.append(errno_of(fd) if fd < 0 else (s("fcntl", fd, F["F_GETFL"]),
                                                    s("fcntl", fd, F["F_GETFD"]),
                                                    res(s("lseek", fd, 0, F["SEEK_CUR"])),
                                                    res(s("read", fd, s.zeros(8), 8)),
                                                    res(s("write", fd, s.mem(b"x"), 1)),
                                                    poll1(s, fd, 0xFFFF)))
        return out

    both(sides, go)


def test_epoll_ctl_errors(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        ep, ep2 = s("epoll_create1", 0), s("epoll_create1", 0)
        fds[s.name].add(ep, ep2)
        fdl = some_files(s, fds)
        e = s.mem(ev(IN, 1))
        add, mod, dele = F["EPOLL_CTL_ADD"], F["EPOLL_CTL_MOD"], F["EPOLL_CTL_DEL"]
        out: list[object] = []
        for fd in fdl:
            out.append([res(s("epoll_ctl", ep, op, fd, e)) for op in (add, add, mod, dele, dele,
                                                                    mod, 9)])
        r = fdl[0]
        out += [res(s("epoll_ctl", ep, add, ep, e)), res(s("epoll_ctl", r, add, fdl[1], e)),
                res(s("epoll_ctl", 0x3ff0, add, r, e)), res(s("epoll_ctl", ep, add, r, 0)),
                res(s("epoll_ctl", ep, dele, r, 0)), res(s("epoll_ctl", fdl[5], add, r, e)),
                res(s("epoll_ctl", fdl[7], add, r, e))]
        out += [res(s("epoll_ctl", ep, add, ep2, e)), res(s("epoll_ctl", ep2, add, ep, e)),
                res(s("epoll_ctl", ep, add, r, s.mem(ev(IN | EPOLLEXCLUSIVE, 0)))),
                res(s("epoll_ctl", ep, mod, r, s.mem(ev(IN | EPOLLEXCLUSIVE, 0)))),
                res(s("epoll_ctl", ep, mod, r, e)),
                res(s("epoll_ctl", ep2, add, r, s.mem(ev(IN | F["POLLPRI"] | EPOLLEXCLUSIVE,
                                                           0)))),
                res(s("epoll_ctl", ep2, add, ep2, s.mem(ev(IN | EPOLLEXCLUSIVE, 0)))),
                res(s("epoll_ctl", ep, add, fdl[1], s.mem(ev(0xFFFFFFFF, 3)))), ep_wait(s, ep)]
        return out

    both(sides, go)


def test_epoll_wait_errors(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        ep = s("epoll_create1", 0)
        fds[s.name].add(ep)
        r, w = pipe(s, fds, F["O_NONBLOCK"])
        hole, ro = holes(s)
        buf = s.zeros(120)
        mask = s.mem(bytes(8))
        out: list[object] = [ep_wait(s, ep, 0), ep_wait(s, ep, -1), ep_wait(s, r, 1),
                             ep_wait(s, 0x3ff0, 1), res(s("epoll_wait", ep, hole, 1, 0)),
                             res(s("epoll_wait", ep, buf, 1 << 30, 0))]
        t0 = time.monotonic()
        out += [ep_wait(s, ep, 4, 20), time.monotonic() - t0 >= 0.015]
        s("epoll_ctl", ep, F["EPOLL_CTL_ADD"], w, s.mem(ev(OUT, 7)))
        out += [res(s("epoll_wait", ep, hole, 1, 0)), res(s("epoll_wait", ep, ro, 1, 0)),
                res(s("epoll_wait", ep, 0, 1, 0))]
        out += [res(s("epoll_pwait", ep, buf, 4, 0, mask, 8)),
                res(s("epoll_pwait", ep, buf, 4, 0, mask, 4)),
                res(s("epoll_pwait", ep, buf, 4, 0, hole, 8)),
                res(s("epoll_pwait", ep, buf, 0, 0, mask, 4)),
                res(s("epoll_pwait", ep, hole, 4, 0, 0, 8))]
        for ts in ((0, 0), (0, -1), (-1, 0), (0, 10**9), (1, 0)):
            out.append(res(s("epoll_pwait2", ep, buf, 4, s.mem(struct.pack("<qq", *ts)), 0, 8)))
        out += [res(s("epoll_pwait2", ep, buf, 4, 0, 0, 8)),
                res(s("epoll_pwait2", ep, buf, 4, hole, 0, 8)),
                res(s("epoll_pwait2", ep, buf, 4, s.mem(bytes(16)), hole, 8)),
                res(s("epoll_pwait2", ep, hole, 4, s.mem(bytes(16)), 0, 8)),
                res(s("epoll_pwait2", ep, ro, 4, s.mem(bytes(16)), 0, 8))]
        out.append(res(s("epoll_ctl", ep, F["EPOLL_CTL_MOD"], w, hole)))
        out.append(res(s("epoll_ctl", ep, F["EPOLL_CTL_DEL"], w, hole)))
        s("munmap", ro, PAGE)
        return out

    both(sides, go)


def test_epoll_level_edge_oneshot(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        ep = s("epoll_create1", 0)
        fds[s.name].add(ep)
        r1, w1 = pipe(s, fds, F["O_NONBLOCK"])
        r2, w2 = pipe(s, fds, F["O_NONBLOCK"])
        r3, w3 = pipe(s, fds, F["O_NONBLOCK"])
        add = F["EPOLL_CTL_ADD"]
        s("epoll_ctl", ep, add, r1, s.mem(ev(IN, 1)))
        s("epoll_ctl", ep, add, r2, s.mem(ev(IN | EPOLLET, 2)))
        s("epoll_ctl", ep, add, r3, s.mem(ev(IN | EPOLLONESHOT, 3)))
        out: list[object] = [ep_wait(s, ep)]
        for w in (w3, w2, w1):
            write(s, w, b"a")
        out += [ep_wait(s, ep), ep_wait(s, ep), ep_wait(s, ep, 1), ep_wait(s, ep, 1)]
        write(s, w2, b"b")  # a new edge although r2 is still readable
        write(s, w3, b"b")  # r3 is disabled until EPOLL_CTL_MOD
        out += [ep_wait(s, ep), ep_wait(s, ep)]
        s("epoll_ctl", ep, F["EPOLL_CTL_MOD"], r3, s.mem(ev(IN | EPOLLONESHOT, 33)))
        out += [ep_wait(s, ep), ep_wait(s, ep)]
        read(s, r1, 10)
        out.append(ep_wait(s, ep))
        s("close", w1)
        fds[s.name].fds.remove(w1)
        out += [ep_wait(s, ep), ep_wait(s, ep)]
        # a closed descriptor whose file lives on (a dup) stays registered
        d = s("dup", r2)
        s("close", r2)
        fds[s.name].fds.remove(r2)
        fds[s.name].add(d)
        write(s, w2, b"c")
        out.append(ep_wait(s, ep))
        out.append(res(s("epoll_ctl", ep, F["EPOLL_CTL_DEL"], d, 0)))
        return out

    both(sides, go)


def test_epoll_nested_and_timerfd(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        outer, inner = s("epoll_create1", 0), s("epoll_create1", 0)
        fds[s.name].add(outer, inner)
        r, w = pipe(s, fds, F["O_NONBLOCK"])
        e = s("eventfd2", 0, F["EFD_NONBLOCK"])
        t = s("timerfd_create", F["CLOCK_MONOTONIC"], F["TFD_NONBLOCK"])
        fds[s.name].add(e, t)
        add = F["EPOLL_CTL_ADD"]
        out: list[object] = [res(s("epoll_ctl", inner, add, r, s.mem(ev(IN, 1)))),
                             res(s("epoll_ctl", outer, add, inner, s.mem(ev(IN, 2)))),
                             res(s("epoll_ctl", outer, add, e, s.mem(ev(IN | OUT | EPOLLET, 3)))),
                             res(s("epoll_ctl", outer, add, t, s.mem(ev(IN, 4))))]
        out += [ep_wait(s, outer), poll1(s, inner, 0xFFFF)]
        write(s, w, b"x")
        out += [poll1(s, inner, 0xFFFF), ep_wait(s, outer), ep_wait(s, inner)]
        write(s, e, struct.pack("<Q", 5))
        out += [ep_wait(s, outer), ep_wait(s, outer)]
        s("timerfd_settime", t, 0, s.mem(struct.pack("<qqqq", 0, 0, 0, 15_000_000)), 0)
        t0 = time.monotonic()
        got = ep_wait(s, outer, 16, 1000)
        out += [[x for x in got if x[1] != 2] if isinstance(got, list) else got,
                time.monotonic() - t0 < 0.5, read(s, t, 8)]
        return out

    both(sides, go)


# --- the stateful property test ---------------------------------------------


class PollMachine(RuleBasedStateMachine):
    """Random pipe, eventfd and epoll operations on both sides; every result
    (counts, errnos, bytes read, poll bits, epoll events whose data is the
    descriptor's index) must agree. Everything is nonblocking."""

    def __init__(self) -> None:
        super().__init__()
        self.lib = build_kernel()
        self.dir = NativeDir()
        self.linux = native_side(self.dir.path)
        self.abi = boot_guest(self.lib)
        self.sides = (self.linux, self.abi)
        # per side: index -> fd (None once closed); kinds are the same on both
        self.fd: dict[str, list[int | None]] = {"linux": [], "abi": []}
        self.kind: list[str] = []
        self.eps: list[int] = []

    def _new(self, kind: str, per_side: dict[str, int]) -> None:
        for s in self.sides:
            self.fd[s.name].append(per_side[s.name])
        self.kind.append(kind)

    def _both(self, fn: Any) -> Any:
        return both(self.sides, fn)

    def _of(self, s: Side, i: int) -> int:
        fd = self.fd[s.name][i]
        return 0x3ff0 if fd is None else fd

    @initialize()
    def start(self) -> None:
        self.add_pipe(0)
        self.add_epoll()

    @rule(flags=st.sampled_from([0, F["O_DIRECT"]]))
    def add_pipe(self, flags: int) -> None:
        if len(self.kind) > 24:
            return
        got = {}
        for s in self.sides:
            buf = s.zeros(8)
            assert s("pipe2", buf, flags | F["O_NONBLOCK"]) == 0
            got[s.name] = struct.unpack("<ii", s.peek(buf, 8))
        self._new("r", {k: v[0] for k, v in got.items()})
        self._new("w", {k: v[1] for k, v in got.items()})

    @rule(count=st.integers(0, 3), sem=st.booleans())
    def add_eventfd(self, count: int, sem: bool) -> None:
        if len(self.kind) > 24:
            return
        flags = F["EFD_NONBLOCK"] | (F["EFD_SEMAPHORE"] if sem else 0)
        self._new("e", {s.name: s("eventfd2", count, flags) for s in self.sides})

    @rule()
    def add_epoll(self) -> None:
        if len(self.kind) > 24:
            return
        self._new("ep", {s.name: s("epoll_create1", 0) for s in self.sides})
        self.eps.append(len(self.kind) - 1)

    @rule(data=st.data())
    def write_some(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(self.kind) - 1))
        size = data.draw(st.sampled_from([1, 7, 8, 100, 4096, 4097, 20000, 70000]))
        if self.kind[i] == "e":
            payload = struct.pack("<Q", data.draw(st.sampled_from([0, 1, 2, (1 << 64) - 2])))
        else:
            payload = bytes([i % 251 + 1]) * size
        self._both(lambda s: write(s, self._of(s, i), payload))

    @rule(data=st.data())
    def read_some(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(self.kind) - 1))
        size = data.draw(st.sampled_from([1, 8, 100, 5000, 70000]))
        self._both(lambda s: read(s, self._of(s, i), size))

    @rule(data=st.data())
    def close_one(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(self.kind) - 1))
        self._both(lambda s: res(s("close", self._of(s, i))))
        for s in self.sides:
            self.fd[s.name][i] = None

    @rule(data=st.data())
    def ctl(self, data: st.DataObject) -> None:
        e = data.draw(st.sampled_from(self.eps))
        i = data.draw(st.integers(0, len(self.kind) - 1))
        op = data.draw(st.sampled_from([F["EPOLL_CTL_ADD"], F["EPOLL_CTL_MOD"],
                                        F["EPOLL_CTL_DEL"]]))
        events = data.draw(st.sampled_from([IN, OUT, IN | OUT, IN | EPOLLET, OUT | EPOLLET,
                                            IN | OUT | EPOLLET, IN | EPOLLONESHOT,
                                            IN | OUT | EPOLLONESHOT | EPOLLET, 0]))
        self._both(lambda s: res(s("epoll_ctl", self._of(s, e), op, self._of(s, i),
                                   s.mem(ev(events, i)))))

    @rule(data=st.data())
    def wait(self, data: st.DataObject) -> None:
        e = data.draw(st.sampled_from(self.eps))
        n = data.draw(st.sampled_from([1, 2, 16]))
        self._both(lambda s: ep_wait(s, self._of(s, e), n))

    @rule(data=st.data())
    def poll_all(self, data: st.DataObject) -> None:
        events = data.draw(st.sampled_from([IN, OUT, IN | OUT, 0]))

        def go(s: Side) -> object:
            fdl = [self._of(s, i) for i in range(len(self.kind))]
            buf = s.mem(pollfds(fdl, events))
            return res(s("poll", buf, len(fdl), 0)), revents(s, buf, len(fdl))

        self._both(go)

    @invariant()
    def fionread_agrees(self) -> None:
        for i, k in enumerate(self.kind):
            if k == "r":
                self._both(lambda s, i=i: res(s("ioctl", self._of(s, i), F["FIONREAD"],
                                                 s.zeros(8))))

    def teardown(self) -> None:
        for fd in self.fd["linux"]:
            if fd is not None:
                self.linux("close", fd)
        native_release(self.linux)
        self.dir.remove()
        self.lib.abi_reset()
        assert self.lib.abi_reset_leaked() == 0


PollMachine.TestCase.settings = settings(
    settings(), stateful_step_count=40, deadline=None,
    max_examples=min(settings().max_examples, 100))
test_poll_machine = PollMachine.TestCase
