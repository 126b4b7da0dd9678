"""fcntl against Linux: record locks (POSIX and OFD: conflicts, F_GETLK
reports, splitting and merging, what a close drops, F_SETLKW waking from
another thread), owners and signals, leases, F_NOTIFY, write hints, memfd
seals and the small queries. Each case runs on both sides and everything
must match: results, errnos, the struct flock Linux writes back. Cases that
change the process (signal dispositions, the session) run natively in a
forked child (native_child.in_child). Nothing here is an expected value
written down by hand: what Linux does is the expectation."""

from __future__ import annotations

import fcntl as pyfcntl
import os
import signal
import struct
import threading
import time
from itertools import count
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from native_child import in_child
from sides import F, Side, both, errno_of, res

O_RDONLY, O_WRONLY, O_RDWR = F["O_RDONLY"], F["O_WRONLY"], F["O_RDWR"]
O_CREAT, O_PATH, O_NONBLOCK = F["O_CREAT"], F["O_PATH"], F["O_NONBLOCK"]
C = {n: F[n] for n in F if n.startswith("F_")}
RD, WR, UN = pyfcntl.F_RDLCK, pyfcntl.F_WRLCK, pyfcntl.F_UNLCK
GETLK, SETLK, SETLKW = C["F_GETLK"], C["F_SETLK"], C["F_SETLKW"]
OGETLK, OSETLK, OSETLKW = C["F_OFD_GETLK"], C["F_OFD_SETLK"], C["F_OFD_SETLKW"]
FLOCK = struct.Struct("<hhxxxxqqi4x")  # struct flock, x86_64
# uapi fcntl.h
F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE = 1, 2, 4, 8
F_SEAL_FUTURE_WRITE, F_SEAL_EXEC = 16, 32
F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP = 0, 1, 2
MFD_ALLOW_SEALING, MFD_NOEXEC_SEAL, MFD_EXEC = F["MFD_ALLOW_SEALING"], 8, 16
FASYNC = F["FASYNC"]
_names = count()


def fresh(s: Side, data: bytes = b"") -> str:
    """A new file under s's root holding data; its name."""
    name = f"f{next(_names)}"
    fd = s.open(name, O_CREAT | O_RDWR, 0o644)
    assert fd >= 0, errno_of(fd)
    if data:
        assert s("write", fd, s.mem(data), len(data)) == len(data)
    s("close", fd)
    return name


def lk(s: Side, fd: int, cmd: int, typ: int, whence: int = 0, start: int = 0, length: int = 0,
       pid: int = 0) -> tuple[object, ...]:
    """fcntl(fd, cmd, &flock) as (errno, the struct flock afterwards); an
    l_pid that is the caller's own pid shows as "self"."""
    buf = s.mem(FLOCK.pack(typ, whence, start, length, pid))
    r = s("fcntl", fd, cmd, buf)
    t, w, st_, ln, p = FLOCK.unpack(s.peek(buf, FLOCK.size))
    return (errno_of(r), t, w, st_, ln, "self" if p == s("getpid") and p else p)


# --- Record locks --------------------------------------------------------------------


def test_lock_argument_errors(sides: tuple[Side, Side]) -> None:
    """EINVAL, EOVERFLOW and EBADF in Linux's order of checks."""
    def go(s: Side) -> object:
        name = fresh(s, b"0123456789")
        rw, ro, wo = s.open(name, O_RDWR), s.open(name, O_RDONLY), s.open(name, O_WRONLY)
        pth = s.open(name, O_PATH)
        big = 2**63 - 1
        out = [
            lk(s, rw, GETLK, UN), lk(s, rw, OGETLK, UN), lk(s, rw, GETLK, 5),
            lk(s, rw, OGETLK, 5), lk(s, rw, OGETLK, RD, pid=5), lk(s, rw, OSETLK, RD, pid=5),
            lk(s, rw, SETLK, RD, pid=5), lk(s, rw, SETLK, RD, 3), lk(s, rw, SETLK, 7, 3),
            lk(s, rw, SETLK, 7), lk(s, rw, SETLK, RD, 0, -1), lk(s, rw, SETLK, RD, 0, big, 2),
            lk(s, rw, SETLK, 9, 0, big, 2), lk(s, rw, SETLK, RD, 0, big, 1),
            lk(s, rw, SETLK, RD, 0, 1, big), lk(s, rw, SETLK, RD, 0, 5, -6),
            lk(s, rw, SETLK, RD, 0, 5, -5), lk(s, rw, SETLK, UN, 0, 5, -2**63),
            lk(s, rw, SETLK, RD, 2, -11), lk(s, rw, SETLK, RD, 2, -10, -1),
            lk(s, rw, SETLK, RD, 1, big), lk(s, ro, SETLK, WR), lk(s, wo, SETLK, RD),
            lk(s, ro, OSETLK, WR), lk(s, wo, OSETLK, RD), lk(s, ro, SETLK, UN),
            lk(s, wo, OGETLK, RD), lk(s, pth, GETLK, RD), lk(s, pth, SETLK, UN),
            lk(s, 999, SETLK, RD), res(s("fcntl", rw, SETLK, 0)), res(s("fcntl", rw, GETLK, 0)),
        ]
        s("lseek", rw, 100, 0)
        out += [lk(s, rw, SETLK, RD, 1, -101), lk(s, rw, SETLK, RD, 1, big - 99)]
        for fd in (rw, ro, wo, pth):
            s("close", fd)
        return out

    both(sides, go)


def test_lock_conflicts_and_reports(sides: tuple[Side, Side]) -> None:
    """POSIX locks of the one process never conflict with each other; OFD
    locks conflict with other descriptions' and with the POSIX ones; F_GETLK
    reports the first conflicting lock (l_pid -1 for OFD locks)."""
    def go(s: Side) -> object:
        name = fresh(s)
        f, g, h = s.open(name, O_RDWR), s.open(name, O_RDWR), s.open(name, O_RDONLY)
        out = [
            lk(s, f, OSETLK, WR, 0, 10, 10), lk(s, g, GETLK, RD), lk(s, g, OGETLK, RD),
            lk(s, f, OGETLK, RD), lk(s, f, OGETLK, UN), lk(s, g, OGETLK, UN),
            lk(s, f, GETLK, WR), lk(s, g, SETLK, RD, 0, 0, 5), lk(s, g, OGETLK, WR),
            lk(s, g, OGETLK, UN), lk(s, f, OGETLK, WR), lk(s, h, GETLK, WR),
            lk(s, g, SETLK, WR, 0, 12, 1), lk(s, g, OSETLK, WR, 0, 12, 1),
            lk(s, f, OSETLK, WR, 0, 2, 1), lk(s, g, SETLK, WR, 0, 3, 1),
            lk(s, h, SETLK, RD, 0, 2, 1), lk(s, g, GETLK, WR, 0, 0, 3),
            lk(s, f, OSETLK, UN, 0, 15, 0), lk(s, g, SETLK, WR, 0, 15, 100),
            lk(s, f, OGETLK, RD, 0, 30, 0), lk(s, f, OGETLK, WR, 1, 3, 4),
        ]
        s("lseek", f, 100, 0)
        out += [lk(s, f, OSETLK, RD, 1, -50, 10), lk(s, g, OGETLK, WR, 0, 40, 0),
                lk(s, f, OSETLK, RD, 2, 3, 0), lk(s, g, OGETLK, WR, 0, 60, 0)]
        for fd in (f, g, h):
            s("close", fd)
        return out

    both(sides, go)


def lock_map(s: Side, probe: int, upto: int = 24) -> list[tuple[object, ...]]:
    """What another description (probe, which holds no locks) sees at each
    byte: the lock F_OFD_GETLK reports there (type, start, length, pid),
    which shows merges and splits. (Closing a probe would drop the POSIX
    locks.)"""
    return [lk(s, probe, OGETLK, WR, 0, i, 1)[1:] for i in range(upto)]


@pytest.mark.parametrize("ofd", [False, True])
def test_lock_split_and_merge(sides: tuple[Side, Side], ofd: bool) -> None:
    """One owner's locks: overlapping and adjacent ones of the same type
    merge, another type trims or splits them, unlocking punches holes."""
    steps = [(RD, 2, 4), (RD, 6, 2), (WR, 3, 2), (RD, 8, 3), (UN, 9, 1), (WR, 0, 20),
             (RD, 5, 5), (UN, 0, 3), (RD, 14, 0), (WR, 12, 1), (UN, 13, 2), (RD, 12, -4),
             (WR, 20, -3), (UN, 4, 1), (RD, 4, 1)]

    def go(s: Side) -> object:
        name = fresh(s)
        fd, probe = s.open(name, O_RDWR), s.open(name, O_RDWR)
        out = []
        for typ, start, length in steps:
            out.append(lk(s, fd, OSETLK if ofd else SETLK, typ, 0, start, length))
            out.append(lock_map(s, probe))
        closing(s, fd, probe)
        return out

    both(sides, go)


def test_close_drops_posix_locks(sides: tuple[Side, Side]) -> None:
    """Closing any descriptor of the inode drops all the process's POSIX
    locks on it (not an O_PATH one); OFD locks stay until the description's
    last close; dup2 over a descriptor closes it."""
    def go(s: Side) -> object:
        name, other = fresh(s), fresh(s)
        a, b = s.open(name, O_RDWR), s.open(name, O_RDONLY)
        c = s("dup", a)
        x = s.open(other, O_RDWR)
        p1, p2 = s.open(name, O_RDWR), s.open(other, O_RDWR)
        out = [lk(s, a, SETLK, WR, 0, 0, 5), lk(s, c, OSETLK, WR, 0, 10, 5),
               lk(s, x, SETLK, WR, 0, 0, 5), lock_map(s, p1), lock_map(s, p2)]
        pth = s.open(name, O_PATH)
        s("close", pth)
        out.append(lock_map(s, p1))
        s("close", b)  # another description of the same inode
        out += [lock_map(s, p1), lock_map(s, p2)]
        out.append(lk(s, a, SETLK, RD, 0, 0, 5))
        s("dup2", x, c)  # c was a's description: closing it drops the POSIX lock
        out += [lock_map(s, p1), lock_map(s, p2)]
        out.append(lk(s, a, SETLK, RD, 0, 0, 5))
        s("close", a)  # the OFD lock's last descriptor, and the POSIX lock
        out.append(lock_map(s, p1))
        out.append(lk(s, x, OSETLK, WR, 0, 20, 1))
        s("dup2", p2, p2)  # the same descriptor: nothing is closed
        out.append(lock_map(s, p1))
        s("dup2", x, p2)  # p2 was another description: x's POSIX lock goes
        out += [lock_map(s, p1), lock_map(s, x)]
        closing(s, c, x, p1, p2)
        return out

    both(sides, go)


def test_flock_and_record_locks_apart(sides: tuple[Side, Side]) -> None:
    """flock and record locks do not see each other; LOCK_UN leaves the
    description's OFD lock."""
    def go(s: Side) -> object:
        name = fresh(s)
        a, b = s.open(name, O_RDWR), s.open(name, O_RDWR)
        out = [lk(s, a, OSETLK, WR), res(s("flock", b, F["LOCK_EX"] | F["LOCK_NB"])),
               res(s("flock", a, F["LOCK_SH"] | F["LOCK_NB"])), lk(s, b, OGETLK, RD),
               res(s("flock", a, F["LOCK_UN"])), lk(s, b, OGETLK, RD), lk(s, b, OSETLK, RD)]
        closing(s, a, b)
        return out

    both(sides, go)


def test_locks_on_other_files(sides: tuple[Side, Side]) -> None:
    """Directories and pipes take record locks too, by their access mode."""
    def go(s: Side) -> object:
        s("mkdir", s.path("d"), 0o755)
        d = s.open("d", O_RDONLY)
        buf = s.zeros(8)
        s("pipe2", buf, 0)
        r, w = struct.unpack("<ii", s.peek(buf, 8))
        out = [lk(s, d, SETLK, RD), lk(s, d, SETLK, WR), lk(s, d, OSETLK, RD),
               lk(s, r, SETLK, RD), lk(s, w, SETLK, WR), lk(s, w, SETLK, RD),
               lk(s, w, OSETLK, WR), lk(s, r, OGETLK, RD)]
        for fd in (d, r, w):
            s("close", fd)
        return out

    both(sides, go)


def test_setlkw_waits_for_release(sides: tuple[Side, Side]) -> None:
    """F_OFD_SETLKW and F_SETLKW sleep while another description's lock
    conflicts and take the lock once it goes (the waiter is a second host
    thread; F_SETLK meanwhile gives EAGAIN)."""
    def go(s: Side) -> object:
        name = fresh(s)
        holder, waiter, posix = s.open(name, O_RDWR), s.open(name, O_RDWR), s.open(name, O_RDWR)
        out: list[object] = [lk(s, holder, OSETLK, WR, 0, 0, 10)]
        got: dict[str, object] = {}

        def wait(key: str, fd: int, cmd: int) -> None:
            got[key] = lk(s, fd, cmd, WR, 0, 5, 10)

        threads = [threading.Thread(target=wait, args=("ofd", waiter, OSETLKW)),
                   threading.Thread(target=wait, args=("posix", posix, SETLKW))]
        for t in threads:
            t.start()
        time.sleep(0.2)
        out += [[t.is_alive() for t in threads], lk(s, waiter, OSETLK, WR, 0, 5, 1)]
        out.append(lk(s, holder, OSETLK, UN, 0, 0, 5))  # [5, 10) still held
        time.sleep(0.1)
        out.append([t.is_alive() for t in threads])
        out.append(lk(s, holder, OSETLK, UN, 0, 0, 0))
        for t in threads:
            t.join(5)
        # exactly one waiter won (either may): the other waits on its lock,
        # which a third description sees
        out.append(sorted(t.is_alive() for t in threads))
        winner = "ofd" if "ofd" in got else "posix"
        out.append(got[winner])
        probe = s.open(name, O_RDWR)
        seen = lk(s, probe, OGETLK, WR)
        out += [seen[:5], seen[5] == (-1 if winner == "ofd" else "self")]
        # the loser gets it when the winner lets go
        if winner == "ofd":
            out.append(lk(s, waiter, OSETLK, UN))
        else:
            out.append(lk(s, posix, SETLK, UN))
        for t in threads:
            t.join(5)
        out.append(sorted(got))
        seen = lk(s, probe, OGETLK, WR)
        out += [seen[:5], seen[5] == (-1 if winner == "posix" else "self")]
        for fd in (holder, waiter, posix, probe):
            s("close", fd)
        return out

    both(sides, go)


# hypothesis: random lock sequences on a few descriptors of two files
FD_SPECS = [(0, O_RDWR), (0, O_RDWR), (0, O_RDONLY), (0, O_WRONLY), (1, O_RDWR), (1, O_RDONLY)]
# one op: a kind (locking weighted up) and every argument any kind may use
lock_ops = st.tuples(
    st.sampled_from(["lk"] * 6 + ["close", "seek", "size", "probe"]),
    st.integers(0, len(FD_SPECS) - 1),
    st.sampled_from([SETLK, SETLK, OSETLK, OSETLK, GETLK, OGETLK]),
    st.sampled_from([RD, WR, UN]), st.sampled_from([0, 0, 0, 0, 1, 2]),
    # small ranges, so that locks meet, touch and split often
    st.sampled_from([*range(9), -1, -2]), st.sampled_from([1, 1, 2, 2, 3, 3, 4, 0, -1, -3]),
    st.integers(0, 8))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(ops=st.lists(lock_ops, min_size=4, max_size=40))
def test_lock_sequences(sides: tuple[Side, Side], ops: list[tuple[Any, ...]]) -> None:
    """Random F_SETLK / F_OFD_SETLK / F_GETLK / F_OFD_GETLK / close
    sequences on descriptors of two files, with seeks and size changes for
    SEEK_CUR and SEEK_END; every result and the final lock maps match."""
    def go(s: Side) -> object:
        names = [fresh(s), fresh(s)]
        fds = [s.open(names[i], mode) for i, mode in FD_SPECS]
        probes = [s.open(n, O_RDWR) for n in names]
        out: list[object] = []
        try:
            for kind, i, cmd, typ, whence, start, length, n in ops:
                file = FD_SPECS[i][0]
                if kind == "lk":
                    out.append(lk(s, fds[i], cmd, typ, whence, start, length))
                elif kind == "close":
                    s("close", fds[i])
                    fds[i] = s.open(names[file], FD_SPECS[i][1])
                elif kind == "seek":
                    s("lseek", fds[i], n, 0)
                elif kind == "size":
                    out.append(res(s("truncate", s.path(names[file]), n)))
                else:
                    out.append(lock_map(s, probes[file], 16))
            out += [lock_map(s, p, 16) for p in probes]
        finally:
            closing(s, *fds, *probes)
        return out

    both(sides, go)


# --- Owners, signals, notify, hints, queries ------------------------------------------


def test_owner_and_signal(sides: tuple[Side, Side]) -> None:
    """F_SETOWN and F_SETOWN_EX accept only processes that exist (here: the
    process itself, its group as -pgid, its main thread); F_GETOWN,
    F_GETOWN_EX, F_GETOWNER_UIDS and F_GETSIG report what was set. The native
    side runs as a session leader, as the kernel presents its process."""
    def go(s: Side) -> object:
        pid = s("getpid")
        norm = {pid: "pid", -pid: "-pid"}
        fd = s.open(fresh(s), O_RDWR)
        ex, ids = s.zeros(8), s.zeros(8)

        def state() -> tuple[object, ...]:
            r = s("fcntl", fd, C["F_GETOWN_EX"], ex)
            t, p = struct.unpack("<ii", s.peek(ex, 8))
            u = s("fcntl", fd, C["F_GETOWNER_UIDS"], ids)
            return (norm.get(own := s("fcntl", fd, C["F_GETOWN"]), own), res(r), t, norm.get(p, p),
                    res(u), struct.unpack("<II", s.peek(ids, 8)), s("fcntl", fd, C["F_GETSIG"]))

        out: list[object] = [state()]
        for who in (pid, 0, -pid, 4194304, -4194304, -(2**31), 2**31, 2**32 + pid, -pid + 2**32):
            out += [(res(s("fcntl", fd, C["F_SETOWN"], who & (2**64 - 1))), state())]
        for typ, who in ((F_OWNER_TID, pid), (F_OWNER_PID, pid), (F_OWNER_PGRP, pid), (3, pid),
                         (-1, pid), (F_OWNER_TID, 0), (F_OWNER_PGRP, 0), (F_OWNER_TID, -pid),
                         (F_OWNER_PID, 4194304), (F_OWNER_PID, 0)):
            r = s("fcntl", fd, C["F_SETOWN_EX"], s.mem(struct.pack("<ii", typ, who)))
            out += [(res(r), state())]
        for sig in (0, 1, 29, 64, 65, -1, 2**32 + 5, 2**31):
            out += [(res(s("fcntl", fd, C["F_SETSIG"], sig & (2**64 - 1))), state())]
        dup = s("dup", fd)  # the description's, shared
        out.append((res(s("fcntl", dup, C["F_GETSIG"])), norm.get(s("fcntl", dup, C["F_GETOWN"]))))
        other = s.open("f_other", O_CREAT | O_RDWR)
        out.append(res(s("fcntl", other, C["F_GETSIG"])))
        for x in (fd, dup, other):
            s("close", x)
        return out

    def native() -> object:
        os.setsid()
        return go(sides[0])

    assert go(sides[1]) == in_child(native)


def test_notify(sides: tuple[Side, Side]) -> None:
    """F_NOTIFY: directories only (an empty mask is accepted anywhere); it
    makes the caller the owner when there is none."""
    def go(s: Side) -> object:
        pid = s("getpid")
        s("mkdir", s.path("d"), 0o755)
        d, d2 = s.open("d", O_RDONLY), s.open("d", O_RDONLY)
        f = s.open(fresh(s), O_RDWR)
        buf = s.zeros(8)
        s("pipe2", buf, 0)
        r, w = struct.unpack("<ii", s.peek(buf, 8))
        out: list[object] = [res(s("fcntl", d2, C["F_SETOWN"], 0))]
        for mask in (0, 1, 0x80000000, 0x3F, 0x40, 0x100, 0x8000003F, 2**32 + 1):
            out.append(res(s("fcntl", d, C["F_NOTIFY"], mask)))
        out += [s("fcntl", d, C["F_GETOWN"]) == pid, res(s("fcntl", f, C["F_NOTIFY"], 1)),
                res(s("fcntl", f, C["F_NOTIFY"], 0)), res(s("fcntl", r, C["F_NOTIFY"], 1)),
                res(s("fcntl", d, C["F_GETFL"]))]
        for x in (d, d2, f, r, w):
            s("close", x)
        return out

    both(sides, go)


def test_rw_hints_and_queries(sides: tuple[Side, Side]) -> None:
    """F_SET_RW_HINT stores a per-inode hint (0..5); the F_*_FILE_RW_HINT
    forms are gone (EINVAL); F_DUPFD_QUERY and F_CREATED_QUERY; unknown
    commands; what an O_PATH descriptor allows."""
    def go(s: Side) -> object:
        name = fresh(s)
        f, g = s.open(name, O_RDWR), s.open(name, O_RDONLY)
        h = s.zeros(8)
        out: list[object] = [res(s("fcntl", f, C["F_GET_RW_HINT"], h)), s.peek(h, 8)]
        for v in (1, 5, 6, 2**32 + 1, -1, 0, 3):
            r = s("fcntl", f, C["F_SET_RW_HINT"], s.mem(struct.pack("<q", v)))
            out += [res(r), res(s("fcntl", g, C["F_GET_RW_HINT"], h)), s.peek(h, 8)]
        out += [res(s("fcntl", f, C["F_GET_FILE_RW_HINT"], h)),
                res(s("fcntl", f, C["F_SET_FILE_RW_HINT"], s.mem(struct.pack("<q", 1))))]
        made = s.open("new", O_CREAT | O_RDWR)
        again = s.open("new", O_CREAT | O_RDWR)
        pth = s.open(name, O_PATH)
        dup = s("dup", f)
        q, cq = C["F_DUPFD_QUERY"], C["F_CREATED_QUERY"]
        out += [res(s("fcntl", f, q, dup)), res(s("fcntl", f, q, g)), res(s("fcntl", f, q, 999)),
                res(s("fcntl", pth, q, pth)), res(s("fcntl", f, cq)), res(s("fcntl", made, cq)),
                res(s("fcntl", s("dup", made), cq)), res(s("fcntl", again, cq)),
                res(s("fcntl", pth, cq))]
        for cmd in ("F_GETOWN", "F_SETSIG", "F_GETLEASE", "F_NOTIFY", "F_GET_SEALS",
                    "F_GETPIPE_SZ", "F_GET_RW_HINT", "F_GETFL", "F_SETFD", "F_DUPFD"):
            r = s("fcntl", pth, C[cmd], 0)
            out.append((cmd, res(r) if cmd != "F_DUPFD" else errno_of(r)))
            if cmd == "F_DUPFD" and r >= 0:
                s("close", r)
        out += [res(s("fcntl", f, cmd, 0)) for cmd in (12, 13, 14, 18, 35, 39, 1029, 1039, 1040)]
        out.append(res(s("fcntl", f, 2**32 + C["F_GETFL"], 0)))
        closing(s, f, g, made, again, pth, dup)
        return out

    both(sides, go)


def test_unprivileged(sides: tuple[Side, Side]) -> None:
    """After dropping root: write hints and leases need the file's owner;
    F_GETOWNER_UIDS reports who set the owner."""
    def go(s: Side) -> object:
        s("chmod", s.mem(s.root + b"\0"), 0o755)
        s("mkdir", s.path("u"), 0o777)
        s("chmod", s.path("u"), 0o777)
        root_file = fresh(s)
        s("chmod", s.path(root_file), 0o666)
        ro, rw = s.open(root_file, O_RDONLY), s.open(root_file, O_RDWR)
        ids = s.zeros(8)
        out: list[object] = [res(s("setresgid", 1000, 1000, 1000)),
                             res(s("setresuid", 1000, 1000, 1000))]
        out += [res(s("fcntl", rw, C["F_SET_RW_HINT"], s.mem(struct.pack("<q", 2)))),
                res(s("fcntl", rw, C["F_SET_RW_HINT"], 0)),
                res(s("fcntl", rw, C["F_SET_RW_HINT"], s.mem(struct.pack("<q", 9)))),
                res(s("fcntl", rw, C["F_GET_RW_HINT"], ids)),
                res(s("fcntl", ro, C["F_SETLEASE"], RD)), res(s("fcntl", ro, C["F_SETLEASE"], UN)),
                res(s("fcntl", ro, C["F_SETLEASE"], 3)), res(s("fcntl", ro, C["F_GETLEASE"])),
                res(s("fcntl", rw, C["F_SETOWN"], s("getpid"))),
                res(s("fcntl", rw, C["F_GETOWNER_UIDS"], ids)),
                struct.unpack("<II", s.peek(ids, 8))]
        own = s.open("u/mine", O_CREAT | O_RDONLY, 0o644)
        out += [res(s("fcntl", own, C["F_SETLEASE"], RD)), res(s("fcntl", own, C["F_GETLEASE"])),
                res(s("fcntl", own, C["F_SETLEASE"], UN)),
                res(s("fcntl", own, C["F_SET_RW_HINT"], s.mem(struct.pack("<q", 2))))]
        closing(s, ro, rw, own)
        return out

    assert go(sides[1]) == in_child(lambda: go(sides[0]))


def test_setfl_fasync(sides: tuple[Side, Side]) -> None:
    """F_SETFL's FASYNC sticks only where Linux has a fasync op (pipes),
    not on regular files."""
    def go(s: Side) -> object:
        f = s.open(fresh(s), O_RDWR)
        buf = s.zeros(8)
        s("pipe2", buf, 0)
        r, w = struct.unpack("<ii", s.peek(buf, 8))
        out = []
        for fd in (f, r):
            out += [res(s("fcntl", fd, C["F_SETFL"], FASYNC | O_NONBLOCK)),
                    res(s("fcntl", fd, C["F_GETFL"])), res(s("fcntl", fd, C["F_SETFL"], 0)),
                    res(s("fcntl", fd, C["F_GETFL"]))]
        for x in (f, r, w):
            s("close", x)
        return out

    both(sides, go)


# --- Leases --------------------------------------------------------------------------


def leases(s: Side) -> object:
    """F_SETLEASE's rules and the breaks that opens and truncate start."""
    SET, GET = C["F_SETLEASE"], C["F_GETLEASE"]
    name = fresh(s)
    path = s.path(name)

    def oc(flags: int) -> object:
        fd = s("openat", -100, path, flags, 0)
        if fd >= 0:
            s("close", fd)
            return "opened"
        return errno_of(fd)

    def lease(fd: int) -> object:
        return res(s("fcntl", fd, GET))

    g, h = s.open(name, O_RDONLY), s.open(name, O_RDONLY)
    out: list[object] = [
        res(s("fcntl", g, SET, WR)), res(s("fcntl", g, SET, RD)), res(s("fcntl", h, SET, RD)),
        res(s("fcntl", h, SET, WR)), res(s("fcntl", g, SET, 3)), res(s("fcntl", g, SET, -1)),
        oc(O_RDONLY | O_NONBLOCK), oc(O_PATH), lease(g), lease(h),
        res(s("fcntl", g, C["F_GETFL"])), s("fcntl", g, C["F_GETOWN"]) == s("getpid"),
        oc(O_WRONLY | O_NONBLOCK), lease(g), lease(h),
        res(s("fcntl", g, SET, RD)), res(s("fcntl", g, SET, UN)), res(s("fcntl", h, SET, UN)),
        res(s("fcntl", h, SET, UN)), lease(g), res(s("fcntl", g, C["F_GETFL"])),
        s("fcntl", g, C["F_GETOWN"]),
    ]
    s("close", h)
    out += [res(s("fcntl", g, SET, WR)), lease(g), oc(O_PATH), lease(g),
            oc(O_RDONLY | O_NONBLOCK), lease(g), res(s("fcntl", g, SET, WR)), lease(g),
            oc(O_RDONLY | O_NONBLOCK), oc(O_WRONLY | O_NONBLOCK), lease(g),
            res(s("fcntl", g, SET, RD)), lease(g), res(s("fcntl", g, SET, UN)), lease(g)]
    # a blocking open waits for the holder to give way
    for flags, answer in ((O_RDONLY, RD), (O_RDWR, UN)):
        got: dict[str, int] = {}
        out.append(res(s("fcntl", g, SET, WR)))

        def opener(flags: int = flags, got: dict[str, int] = got) -> None:
            got["fd"] = s("openat", -100, path, flags, 0)

        t = threading.Thread(target=opener)
        t.start()
        time.sleep(0.2)
        out += [t.is_alive(), lease(g), res(s("fcntl", g, SET, answer)), lease(g)]
        t.join(5)
        out += [t.is_alive(), got["fd"] >= 0]
        s("close", got["fd"])
        s("fcntl", g, SET, UN)
    # only rename-like changes: no lease break (those break delegations)
    out += [res(s("fcntl", g, SET, RD)), res(s("rename", path, s.path(name + "x"))),
            res(s("chmod", s.path(name + "x"), 0o600)), lease(g),
            res(s("fcntl", g, SET, UN))]
    path = s.path(name + "x")
    w = s("openat", -100, path, O_WRONLY, 0)
    out.append(res(s("fcntl", w, SET, WR)))
    s("close", g)
    out += [res(s("fcntl", w, SET, WR)), lease(w), res(s("fcntl", w, SET, RD)),
            oc(O_RDWR | O_NONBLOCK), lease(w)]
    s("close", w)
    out.append(oc(O_RDWR | O_NONBLOCK))
    rw = s("openat", -100, path, O_RDWR, 0)
    dup = s("dup", rw)
    out += [res(s("fcntl", rw, SET, WR)), res(s("fcntl", rw, SET, RD))]
    s("close", rw)
    out.append(lease(dup))
    s("close", dup)
    # not a regular file, not the owner
    s("mkdir", s.path("ld"), 0o755)
    d = s.open("ld", O_RDONLY)
    buf = s.zeros(8)
    s("pipe2", buf, 0)
    pr, pw = struct.unpack("<ii", s.peek(buf, 8))
    out += [res(s("fcntl", d, SET, RD)), res(s("fcntl", pr, SET, RD)), lease(d), lease(pr),
            res(s("fcntl", d, SET, UN))]
    for x in (d, pr, pw):
        s("close", x)
    return out


def test_leases(sides: tuple[Side, Side]) -> None:
    """Leases: who may take which, what F_GETLEASE says while a break is
    pending, blocking opens released by the holder, and the owner and FASYNC
    a lease sets. Natively SIGIO (the break signal) is ignored in a child."""
    def native() -> object:
        signal.signal(signal.SIGIO, signal.SIG_IGN)
        return leases(sides[0])

    assert leases(sides[1]) == in_child(native)


# --- Seals ---------------------------------------------------------------------------


def closing(s: Side, *fds: int) -> None:
    for fd in fds:
        s("close", fd)


def memfd(s: Side, flags: int, data: bytes = b"") -> int:
    fd = s("memfd_create", s.mem(b"m\0"), flags)
    assert fd >= 0, errno_of(fd)
    if data:
        s("write", fd, s.mem(data), len(data))
    return fd


def size(s: Side, fd: int) -> int:
    return s("lseek", fd, 0, F["SEEK_END"])


def test_seal_rules(sides: tuple[Side, Side]) -> None:
    """Which files have seals, which can be added, and F_SEAL_SEAL."""
    def go(s: Side) -> object:
        ADD, GET = C["F_ADD_SEALS"], C["F_GET_SEALS"]
        plain, sealable = memfd(s, 0), memfd(s, MFD_ALLOW_SEALING)
        noexec, exe = memfd(s, MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL), memfd(s, MFD_EXEC)
        noexec2 = memfd(s, MFD_NOEXEC_SEAL)
        f = s.open(fresh(s), O_RDWR)
        s("mkdir", s.path("sd"), 0o755)
        d = s.open("sd", O_RDONLY)
        buf = s.zeros(8)
        s("pipe2", buf, 0)
        pr, pw = struct.unpack("<ii", s.peek(buf, 8))
        ro = s("openat", -100, s.mem(b"/proc/self/fd/%d\0" % sealable), O_RDONLY, 0)
        wo = s("openat", -100, s.mem(b"/proc/self/fd/%d\0" % sealable), O_WRONLY, 0)
        out: list[object] = [res(s("fcntl", x, GET)) for x in
                             (plain, sealable, noexec, exe, noexec2, f, d, pr, pw)]
        dup = s("dup", sealable)
        out += [res(s("fcntl", plain, ADD, F_SEAL_SHRINK)), res(s("fcntl", f, ADD, F_SEAL_SHRINK)),
                res(s("fcntl", f, ADD, 1 << 10)), res(s("fcntl", pw, ADD, F_SEAL_SHRINK)),
                res(s("fcntl", pr, ADD, F_SEAL_SHRINK)), res(s("fcntl", d, ADD, 1)),
                res(s("fcntl", sealable, ADD, 1 << 10)), res(s("fcntl", sealable, ADD, 0)),
                res(s("fcntl", sealable, ADD, 2**32 + F_SEAL_SHRINK)), res(s("fcntl", ro, ADD, 4)),
                res(s("fcntl", ro, GET)), res(s("fcntl", wo, ADD, F_SEAL_GROW)),
                res(s("fcntl", dup, GET)),
                res(s("fcntl", sealable, ADD, F_SEAL_SEAL)), res(s("fcntl", sealable, GET)),
                res(s("fcntl", sealable, ADD, F_SEAL_WRITE)), res(s("fcntl", sealable, ADD, 0)),
                res(s("fcntl", sealable, ADD, F_SEAL_GROW))]
        # F_SEAL_EXEC: implies the write seals when the file is executable
        e1, e2 = memfd(s, MFD_ALLOW_SEALING), memfd(s, MFD_ALLOW_SEALING)
        s("fchmod", e2, 0o644)
        out += [res(s("fcntl", e1, ADD, F_SEAL_EXEC)), res(s("fcntl", e1, GET)),
                res(s("fcntl", e2, ADD, F_SEAL_EXEC)), res(s("fcntl", e2, GET)),
                res(s("fchmod", e2, 0o600)), res(s("fchmod", e2, 0o700)),
                res(s("fchmod", e1, 0o777)), res(s("fchmod", noexec, 0o777)),
                res(s("fchmod", noexec, 0o660))]
        closing(s, plain, sealable, noexec, exe, noexec2, f, d, pr, pw, ro, wo, dup, e1, e2)
        return out

    both(sides, go)


def test_seals_enforced(sides: tuple[Side, Side]) -> None:
    """SHRINK, GROW, WRITE and FUTURE_WRITE against write, pwrite, writev,
    ftruncate, truncate, O_TRUNC, fallocate and sendfile. A write that would
    grow a GROW-sealed file stops at the page it would grow, as shmem's
    write_begin does."""
    def go(s: Side) -> object:
        ADD = C["F_ADD_SEALS"]
        out: list[object] = []

        def proc(fd: int) -> int:
            return s.mem(b"/proc/self/fd/%d\0" % fd)

        m = memfd(s, MFD_ALLOW_SEALING, b"x" * 100)
        out += [res(s("fcntl", m, ADD, F_SEAL_SHRINK)), res(s("ftruncate", m, 50)),
                res(s("ftruncate", m, 200)), res(s("ftruncate", m, 200)),
                res(s("ftruncate", m, 100)), res(s("truncate", proc(m), 10)),
                errno_of(s("openat", -100, proc(m), O_RDWR | F["O_TRUNC"], 0)), size(s, m),
                res(s("fallocate", m, 0, 0, 10)), res(s("fallocate", m, 3, 0, 10)),
                res(s("write", m, s.mem(b"abc"), 3))]
        g = memfd(s, MFD_ALLOW_SEALING, b"x" * 5000)
        src = s.open(fresh(s, b"hello"), O_RDWR)
        out += [res(s("fcntl", g, ADD, F_SEAL_GROW)), res(s("ftruncate", g, 5000)),
                res(s("ftruncate", g, 6000)), res(s("ftruncate", g, 4000)),
                res(s("ftruncate", g, 5000)), size(s, g)]
        for n, at in ((10, 4995), (4000, 3000), (8000, 100), (3, 4997), (0, 6000), (1, 4096),
                      (5000, 0), (100, 8192)):
            out.append(res(s("pwrite64", g, s.mem(b"y" * n), n, at)))
        iov = struct.pack("<QQQQ", s.mem(b"a" * 4090), 4090, s.mem(b"b" * 2000), 2000)
        out += [res(s("pwritev", g, s.mem(iov), 2, 0, 0)),
                res(s("fallocate", g, 0, 0, 5000)), res(s("fallocate", g, 0, 4000, 1001)),
                res(s("fallocate", g, 1, 4000, 1001)), res(s("fallocate", g, 3, 4000, 2000)),
                res(s("sendfile", g, src, s.mem(struct.pack("<q", 0)), 5)),
                res(s("lseek", g, 4998, 0)),
                res(s("sendfile", g, src, s.mem(struct.pack("<q", 0)), 5)),
                res(s("fcntl", g, C["F_SETFL"], F["O_APPEND"])),
                res(s("write", g, s.mem(b"z"), 1)), size(s, g)]
        w = memfd(s, MFD_ALLOW_SEALING, b"x" * 10)
        w2 = s("openat", -100, proc(w), O_RDWR, 0)
        out += [res(s("fcntl", w, ADD, F_SEAL_WRITE)), res(s("write", w, s.mem(b""), 0)),
                res(s("write", w2, s.mem(b"q"), 1)), res(s("pwrite64", w, s.mem(b"q"), 1, 50)),
                res(s("writev", w2, s.mem(struct.pack("<QQ", s.mem(b"q"), 1)), 1)),
                res(s("ftruncate", w, 100)), res(s("ftruncate", w, 5)),
                res(s("fallocate", w, 0, 0, 200)), res(s("fallocate", w, 1, 0, 300)),
                res(s("fallocate", w, 3, 0, 10)),
                res(s("sendfile", w, src, s.mem(struct.pack("<q", 0)), 5)),
                errno_of(s("openat", -100, proc(w), O_RDWR | F["O_TRUNC"], 0)), size(s, w)]
        fw = memfd(s, MFD_ALLOW_SEALING, b"abc")
        out += [res(s("fcntl", fw, ADD, F_SEAL_FUTURE_WRITE)), res(s("write", fw, s.mem(b"z"), 1)),
                res(s("ftruncate", fw, 1)), res(s("fallocate", fw, 3, 0, 1)),
                res(s("fallocate", fw, 0, 0, 10)), res(s("fcntl", fw, C["F_GET_SEALS"])),
                res(s("fcntl", fw, ADD, F_SEAL_WRITE)), res(s("fcntl", fw, C["F_GET_SEALS"])),
                res(s("pread64", fw, s.zeros(8), 8, 0)), size(s, fw)]
        closing(s, m, g, src, w, w2, fw)
        return out

    both(sides, go)


def test_seal_write_busy_while_mapped(sides: tuple[Side, Side]) -> None:
    """F_SEAL_WRITE is EBUSY while a shared mapping may write the file (one
    made through a writable descriptor, even PROT_READ: mprotect could add
    PROT_WRITE); private mappings and read-only descriptors' do not count."""
    def go(s: Side) -> object:
        ADD, GET = C["F_ADD_SEALS"], C["F_GET_SEALS"]
        prot_rw, prot_r = F["PROT_READ"] | F["PROT_WRITE"], F["PROT_READ"]
        shared, private = F["MAP_SHARED"], F["MAP_PRIVATE"]
        m = memfd(s, MFD_ALLOW_SEALING)
        s("ftruncate", m, 8192)
        ro = s("openat", -100, s.mem(b"/proc/self/fd/%d\0" % m), O_RDONLY, 0)
        out: list[object] = []
        for fd, prot, flags, seal in ((m, prot_rw, shared, F_SEAL_WRITE),
                                      (m, prot_r, shared, F_SEAL_WRITE),
                                      (ro, prot_r, shared, F_SEAL_SHRINK),
                                      (m, prot_rw, private, F_SEAL_WRITE)):
            a = s("mmap", 0, 4096, prot, flags, fd, 0)
            out += [a > 0, res(s("fcntl", m, ADD, seal)), res(s("fcntl", m, GET))]
            if fd == ro:  # a read-only descriptor's mapping cannot write
                out.append(res(s("fcntl", m, ADD, F_SEAL_WRITE)))
            s("munmap", a, 4096)
        closing(s, m, ro)
        return out

    both(sides, go)


def test_write_seals_and_mappings(sides: tuple[Side, Side]) -> None:
    """A write-sealed memfd refuses a new writable shared mapping (EPERM) and
    mprotect(PROT_WRITE) on a read-only shared one (EACCES); private ones are
    fine. F_SEAL_FUTURE_WRITE can be added under a writable shared mapping,
    and MADV_REMOVE through it then fails as the hole punch does (EPERM)."""
    def go(s: Side) -> object:
        ADD = C["F_ADD_SEALS"]
        prot_rw, prot_r = F["PROT_READ"] | F["PROT_WRITE"], F["PROT_READ"]
        shared, private = F["MAP_SHARED"], F["MAP_PRIVATE"]
        out: list[object] = []
        for seal in (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE):
            m = memfd(s, MFD_ALLOW_SEALING)
            s("ftruncate", m, 8192)
            out.append(res(s("fcntl", m, ADD, seal)))
            out.append(res(s("mmap", 0, 4096, prot_rw, shared, m, 0)))
            a = s("mmap", 0, 4096, prot_r, shared, m, 0)
            out += [a > 0, res(s("mprotect", a, 4096, prot_rw))]
            s("munmap", a, 4096)
            a = s("mmap", 0, 4096, prot_rw, private, m, 0)
            out.append(a > 0)
            s("munmap", a, 4096)
            closing(s, m)
        m = memfd(s, MFD_ALLOW_SEALING)
        s("ftruncate", m, 8192)
        a = s("mmap", 0, 8192, prot_rw, shared, m, 0)
        out += [res(s("fcntl", m, ADD, F_SEAL_FUTURE_WRITE)),
                res(s("madvise", a, 4096, F["MADV_REMOVE"])), size(s, m)]
        s("munmap", a, 8192)
        closing(s, m)
        return out

    both(sides, go)


def test_seek_data_over_fallocated_pages(sides: tuple[Side, Side]) -> None:
    """tmpfs's unwritten pages: a page fallocate allocates is a hole to
    SEEK_DATA and SEEK_HOLE until it is written, or fallocated a second time;
    truncation and punching forget it."""
    def go(s: Side) -> object:
        data, hole = F["SEEK_DATA"], F["SEEK_HOLE"]
        m = memfd(s, 0)

        def seeks(*offs: int) -> list[object]:
            return [res(s("lseek", m, o, w)) for o in offs for w in (data, hole)]

        out: list[object] = [res(s("fallocate", m, 0, 0, 1)), *seeks(0)]
        out += [res(s("fallocate", m, 0, 0, 20000)), *seeks(0, 4096, 19999)]
        out += [res(s("pwrite64", m, s.mem(b"x"), 1, 8192)), *seeks(0, 4096, 8192, 12288)]
        out += [res(s("fallocate", m, 0, 0, 20000)), *seeks(4096, 12288)]
        out += [res(s("fallocate", m, F["FALLOC_FL_KEEP_SIZE"], 20480, 8192)), *seeks(16384)]
        out += [res(s("ftruncate", m, 4096)), res(s("ftruncate", m, 40000)), *seeks(0, 4096)]
        out += [res(s("fallocate", m, 0, 0, 40000)),
                res(s("fallocate", m, 3, 8192, 4096)), *seeks(0, 8192, 12288)]
        closing(s, m)
        return out

    both(sides, go)
