"""Pipes, eventfd, timerfd and ioctl against Linux. Every check runs the
same calls on both sides and compares results (success or errno, byte
counts, contents, flags, poll bits); descriptor numbers differ between the
sides and are never compared. Blocking cannot be exercised without
threads, so the tests use nonblocking descriptors and timeouts."""

from __future__ import annotations

import ctypes
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sides import (
    PAGE,
    F,
    Side,
    both,
    errno_of,
    res,
    unpack_stat,
)

SIGPIPE = 13
EFD_MAX = (1 << 64) - 1


class Fds:
    """Descriptors a side opened, closed at the end (the native side is
    this very process)."""

    def __init__(self, s: Side) -> None:
        self.s = s
        self.fds: list[int] = []

    def add(self, *fds: int) -> None:
        self.fds.extend(fd for fd in fds if fd >= 0)

    def close(self) -> None:
        for fd in self.fds:
            self.s("close", fd)
        self.fds.clear()


@pytest.fixture
def fds(sides: tuple[Side, Side]) -> Iterator[dict[str, Fds]]:
    linux, abi = sides
    d = {"linux": Fds(linux), "abi": Fds(abi)}
    yield d
    for f in d.values():
        f.close()


def pipe(s: Side, fds: dict[str, Fds], flags: int = 0) -> tuple[int, int]:
    buf = s.zeros(8)
    r = s("pipe2", buf, flags)
    assert r == 0, errno_of(r)
    rd, wr = struct.unpack("<ii", s.peek(buf, 8))
    fds[s.name].add(rd, wr)
    return rd, wr


def write(s: Side, fd: int, data: bytes) -> int | str:
    return res(s("write", fd, s.mem(data), len(data)))


def read(s: Side, fd: int, n: int) -> bytes | str:
    buf = s.zeros(n)
    r = s("read", fd, buf, n)
    return errno_of(r) if r < 0 else s.peek(buf, r)


def ioctl_int(s: Side, fd: int, cmd: int) -> int | str:
    buf = s.zeros(8)
    r = s("ioctl", fd, cmd, buf)
    return errno_of(r) if r < 0 else struct.unpack("<i", s.peek(buf, 4))[0]


def poll1(s: Side, fd: int, events: int) -> tuple[int | str, int]:
    buf = s.mem(struct.pack("<iHH", fd, events, 0))
    r = s("poll", buf, 1, 0)
    return res(r), struct.unpack("<ihh", s.peek(buf, 8))[2] & 0xFFFF


def fstat(s: Side, fd: int) -> tuple[int, ...] | str:
    st = s.zeros(144)
    r = s("fstat", fd, st)
    return errno_of(r) if r < 0 else unpack_stat(s.peek(st, 144))


ALL_POLL = F["POLLIN"] | F["POLLOUT"] | F["POLLPRI"] | F["POLLRDNORM"] | F["POLLWRNORM"]


# --- pipes -----------------------------------------------------------------


@pytest.mark.parametrize("flags", [0, F["O_CLOEXEC"], F["O_NONBLOCK"], F["O_DIRECT"],
                                   F["O_CLOEXEC"] | F["O_NONBLOCK"] | F["O_DIRECT"],
                                   F["O_APPEND"], F["O_RDWR"], 0x1, F["O_NOATIME"]])
def test_pipe2_flags(sides: tuple[Side, Side], fds: dict[str, Fds], flags: int) -> None:
    def go(s: Side) -> object:
        buf = s.zeros(8)
        r = s("pipe2", buf, flags)
        if r < 0:
            return errno_of(r)
        rd, wr = struct.unpack("<ii", s.peek(buf, 8))
        fds[s.name].add(rd, wr)
        return [(s("fcntl", fd, F["F_GETFL"]), s("fcntl", fd, F["F_GETFD"]), fstat(s, fd),
                 res(s("lseek", fd, 0, F["SEEK_CUR"])),
                 res(s("pread64", fd, s.zeros(8), 8, 0)),
                 res(s("pwrite64", fd, s.mem(b"x"), 1, 0)), poll1(s, fd, ALL_POLL))
                for fd in (rd, wr)]

    both(sides, go)


def test_pipe_plain(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        buf = s.zeros(8)
        assert s("pipe", buf) == 0
        rd, wr = struct.unpack("<ii", s.peek(buf, 8))
        fds[s.name].add(rd, wr)
        return [write(s, wr, b"hello"), read(s, rd, 3), read(s, rd, 10),
                res(s("read", wr, s.zeros(4), 4)), res(s("write", rd, s.mem(b"x"), 1))]

    both(sides, go)


def test_pipe_capacity_and_merging(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    """Nonblocking writes of awkward sizes fill the 16 page slots as Linux
    does: merges only for the sub-page tail, EAGAIN on a full ring."""
    sizes = [1, 4095, 1, 4096, 5000, 100, 9000, 4097, 65536, 3, 1, 8192, 700]

    def go(s: Side) -> object:
        rd, wr = pipe(s, fds, F["O_NONBLOCK"])
        out: list[object] = [s("fcntl", wr, F["F_GETPIPE_SZ"])]
        for i, n in enumerate(sizes):
            out.append(write(s, wr, bytes([i + 1]) * n))
            out.append((ioctl_int(s, rd, F["FIONREAD"]), poll1(s, wr, F["POLLOUT"])))
        for n in (10, 5000, 70000, 70000, 1):
            out.append(read(s, rd, n))
        out.append(poll1(s, rd, F["POLLIN"]))
        return out

    both(sides, go)


def test_pipe_buf_atomic(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    """A write of at most PIPE_BUF is all or nothing; a larger one may be split."""
    def go(s: Side) -> object:
        rd, wr = pipe(s, fds, F["O_NONBLOCK"])
        out = [write(s, wr, b"a" * 4000) for _ in range(17)]
        out += [write(s, wr, b"b" * 96), write(s, wr, b"c" * 97), write(s, wr, b"d" * 4096),
                write(s, wr, b"e" * 8192)]
        out.append(read(s, rd, 4000))
        out += [write(s, wr, b"f" * 4097), write(s, wr, b"g" * 4096), write(s, wr, b"h")]
        total = b""
        while isinstance(chunk := read(s, rd, 65536), bytes) and chunk:
            total += chunk
        out.append(len(total))
        out.append(total.count(b"g"))
        return out

    both(sides, go)


def test_pipe_epipe_and_sigpipe(sides: tuple[Side, Side], fds: dict[str, Fds],
                                lib: ctypes.CDLL) -> None:
    def go(s: Side) -> object:
        rd, wr = pipe(s, fds)
        out = [write(s, wr, b"data")]
        s("close", rd)
        fds[s.name].fds.remove(rd)
        out += [poll1(s, wr, F["POLLOUT"]), write(s, wr, b"more"), write(s, wr, b"")]
        return out

    assert lib.abi_sigpending_mask() & (1 << (SIGPIPE - 1)) == 0
    both(sides, go)
    assert lib.abi_sigpending_mask() & (1 << (SIGPIPE - 1))


def test_pipe_read_no_writer(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        rd, wr = pipe(s, fds)
        out = [write(s, wr, b"last words")]
        s("close", wr)
        fds[s.name].fds.remove(wr)
        out += [poll1(s, rd, F["POLLIN"]), read(s, rd, 4), read(s, rd, 100), read(s, rd, 100),
                poll1(s, rd, F["POLLIN"])]
        return out

    both(sides, go)


def test_pipe_nonblock_eagain_and_fionbio(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        rd, wr = pipe(s, fds)
        out: list[object] = [s("ioctl", rd, F["FIONBIO"], s.mem(struct.pack("<i", 1))),
                             read(s, rd, 1), s("fcntl", rd, F["F_GETFL"])]
        out.append(s("ioctl", rd, F["FIONBIO"], s.mem(struct.pack("<i", 0))))
        out.append(s("fcntl", rd, F["F_GETFL"]))
        s("fcntl", wr, F["F_SETFL"], F["O_NONBLOCK"])
        out += [write(s, wr, b"z" * 70000), write(s, wr, b"z"), s("fcntl", wr, F["F_GETFL"])]
        return out

    both(sides, go)


def test_pipe_packet_mode(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        rd, wr = pipe(s, fds, F["O_DIRECT"] | F["O_NONBLOCK"])
        out = [write(s, wr, b"one"), write(s, wr, b"two!"), write(s, wr, b"x" * 5000),
               ioctl_int(s, rd, F["FIONREAD"])]
        out += [read(s, rd, 100), read(s, rd, 2), read(s, rd, 10000), read(s, rd, 10000),
                read(s, rd, 10)]
        out += [write(s, wr, b"p") for _ in range(17)]
        return out

    both(sides, go)


@pytest.mark.parametrize("size", [0, 1, 4096, 4097, 8192, 12289, 65536, 1 << 20,
                                  (1 << 32) + 8192, -1, 1 << 31, (1 << 31) + 1])
def test_pipe_setpipe_sz(sides: tuple[Side, Side], fds: dict[str, Fds], size: int) -> None:
    def go(s: Side) -> object:
        rd, wr = pipe(s, fds, F["O_NONBLOCK"])
        out: list[object] = [res(s("fcntl", rd, F["F_SETPIPE_SZ"], size)),
                             res(s("fcntl", wr, F["F_GETPIPE_SZ"]))]
        if isinstance(out[0], int) and out[0] <= 1 << 17:  # what the arena can hold
            out.append(write(s, wr, b"q" * (out[0] + 4096)))
            out.append(res(s("fcntl", rd, F["F_SETPIPE_SZ"], 4096)))
        return out

    both(sides, go)


def test_pipe_setpipe_sz_busy_and_not_pipe(sides: tuple[Side, Side],
                                           fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        rd, wr = pipe(s, fds, F["O_NONBLOCK"])
        out: list[object] = [write(s, wr, b"a" * 4096), write(s, wr, b"b" * 4096),
                             write(s, wr, b"c")]
        out += [res(s("fcntl", wr, F["F_SETPIPE_SZ"], 8192)),
                res(s("fcntl", wr, F["F_SETPIPE_SZ"], 16384)), read(s, rd, 9000)]
        f = s.open("plain", F["O_CREAT"] | F["O_RDWR"])
        fds[s.name].add(f)
        out += [res(s("fcntl", f, F["F_GETPIPE_SZ"])), res(s("fcntl", f, F["F_SETPIPE_SZ"], 4096))]
        return out

    both(sides, go)


def test_pipe_efault(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        hole = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        ro = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        s("munmap", hole, PAGE)
        out: list[object] = [res(s("pipe2", hole, 0)), res(s("pipe2", ro, 0)),
                             res(s("pipe", hole)), res(s("pipe", 0))]
        rd, wr = pipe(s, fds, F["O_NONBLOCK"])
        out += [res(s("write", wr, hole, 10)), poll1(s, rd, F["POLLIN"]),
                ioctl_int(s, rd, F["FIONREAD"]), read(s, rd, 10)]
        out += [write(s, wr, b"abc"), res(s("read", rd, hole, 3)), read(s, rd, 3),
                res(s("ioctl", rd, F["FIONREAD"], hole)), res(s("ioctl", rd, F["FIONREAD"], ro)),
                res(s("ioctl", rd, F["FIONBIO"], hole))]
        s("munmap", ro, PAGE)
        return out

    both(sides, go)


# --- eventfd ---------------------------------------------------------------


@pytest.mark.parametrize("flags", [0, F["EFD_SEMAPHORE"], F["EFD_NONBLOCK"], F["EFD_CLOEXEC"],
                                   F["EFD_SEMAPHORE"] | F["EFD_NONBLOCK"] | F["EFD_CLOEXEC"],
                                   0x2, F["O_APPEND"]])
def test_eventfd_flags(sides: tuple[Side, Side], fds: dict[str, Fds], flags: int) -> None:
    def go(s: Side) -> object:
        fd = s("eventfd2", 3, flags)
        if fd < 0:
            return errno_of(fd)
        fds[s.name].add(fd)
        return (s("fcntl", fd, F["F_GETFL"]), s("fcntl", fd, F["F_GETFD"]), fstat(s, fd),
                res(s("lseek", fd, 0, F["SEEK_CUR"])), res(s("pread64", fd, s.zeros(8), 8, 0)),
                poll1(s, fd, ALL_POLL), ioctl_int(s, fd, F["FIONREAD"]),
                ioctl_int(s, fd, F["TCGETS"]))

    both(sides, go)


def u64(v: int) -> bytes:
    return struct.pack("<Q", v)


@pytest.mark.parametrize("semaphore", [False, True])
def test_eventfd_rules(sides: tuple[Side, Side], fds: dict[str, Fds], semaphore: bool) -> None:
    flags = F["EFD_NONBLOCK"] | (F["EFD_SEMAPHORE"] if semaphore else 0)

    def go(s: Side) -> object:
        fd = s("eventfd2", 2, flags)
        fds[s.name].add(fd)
        out: list[object] = [read(s, fd, 7), read(s, fd, 8), read(s, fd, 16), read(s, fd, 8)]
        out += [write(s, fd, b"1234567"), write(s, fd, u64(EFD_MAX)), write(s, fd, u64(0)),
                poll1(s, fd, ALL_POLL), write(s, fd, u64(5) + b"junk"),
                write(s, fd, u64(EFD_MAX - 6)), poll1(s, fd, ALL_POLL),
                write(s, fd, u64(1)), write(s, fd, u64(0)), read(s, fd, 8), read(s, fd, 8)]
        out += [write(s, fd, u64(EFD_MAX - 1)), poll1(s, fd, ALL_POLL), write(s, fd, u64(1)),
                read(s, fd, 8)]
        return out

    both(sides, go)


def test_eventfd_plain_and_efault(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        fd = s("eventfd", 7)
        fds[s.name].add(fd)
        hole = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        s("munmap", hole, PAGE)
        s("fcntl", fd, F["F_SETFL"], F["O_NONBLOCK"])
        # the count is consumed before the copy faults, as on Linux
        return [s("fcntl", fd, F["F_GETFL"]), res(s("write", fd, hole, 8)),
                res(s("read", fd, hole, 8)), read(s, fd, 8)]

    both(sides, go)


# --- timerfd ---------------------------------------------------------------


def itimerspec(interval_ns: int, value_ns: int) -> bytes:
    return struct.pack("<qqqq", interval_ns // 10**9, interval_ns % 10**9,
                       value_ns // 10**9, value_ns % 10**9)


def test_timerfd_create_errors(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        out = []
        for clock in (F["CLOCK_REALTIME"], F["CLOCK_MONOTONIC"], F["CLOCK_BOOTTIME"],
                      F["CLOCK_PROCESS_CPUTIME_ID"], F["CLOCK_MONOTONIC_RAW"], -1, 77):
            for flags in (0, F["TFD_NONBLOCK"] | F["TFD_CLOEXEC"], F["TFD_TIMER_ABSTIME"], 0x4):
                fd = s("timerfd_create", clock, flags)
                if fd >= 0:
                    fds[s.name].add(fd)
                    out.append((s("fcntl", fd, F["F_GETFL"]), s("fcntl", fd, F["F_GETFD"]),
                                fstat(s, fd), res(s("lseek", fd, 0, F["SEEK_CUR"])),
                                res(s("write", fd, s.mem(u64(1)), 8))))
                else:
                    out.append(errno_of(fd))
        return out

    both(sides, go)


def test_timerfd_settime_gettime(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        fd = s("timerfd_create", F["CLOCK_MONOTONIC"], F["TFD_NONBLOCK"])
        fds[s.name].add(fd)
        old = s.zeros(32)
        out: list[object] = [read(s, fd, 8), poll1(s, fd, F["POLLIN"])]
        for flags, spec in ((0, itimerspec(0, -1)), (0, itimerspec(10**9, 10**9 + 10**9)),
                            (0x4, itimerspec(0, 10**9)), (0, itimerspec(0, 10**9)),
                            (0, itimerspec(5 * 10**9, 0))):
            out.append(res(s("timerfd_settime", fd, flags, s.mem(spec), old)))
        # a long timer: gettime shows a remaining time just under 3600 s
        assert s("timerfd_settime", fd, 0, s.mem(itimerspec(7 * 10**9, 3600 * 10**9)), old) == 0
        cur = s.zeros(32)
        out.append(res(s("timerfd_gettime", fd, cur)))
        isec, insec, vsec, _vnsec = struct.unpack("<qqqq", s.peek(cur, 32))
        out.append((isec, insec, 3590 < vsec < 3600))
        # what settime returns as the old value of a disarmed timer
        assert s("timerfd_settime", fd, 0, s.mem(itimerspec(0, 0)), old) == 0
        out.append(struct.unpack("<qqqq", s.peek(old, 32))[:2])
        out.append(res(s("timerfd_gettime", fd, cur)))
        out.append(struct.unpack("<qqqq", s.peek(cur, 32)))
        out.append(res(s("timerfd_gettime", 0x7fff, cur)))
        ev = s("eventfd2", 0, 0)
        fds[s.name].add(ev)
        out.append(res(s("timerfd_gettime", ev, cur)))
        out.append(res(s("timerfd_settime", ev, 0, s.mem(itimerspec(0, 1)), 0)))
        return out

    both(sides, go)


def test_timerfd_expirations(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    """A 20 ms periodic timer read after ~110 ms counts 5 expirations on
    both sides (checked loosely: scheduling jitter), a one-shot one; the
    absolute-time timer in the past fires at once."""
    state: dict[str, tuple[int, int]] = {}
    for s in sides:
        fd = s("timerfd_create", F["CLOCK_MONOTONIC"], F["TFD_NONBLOCK"])
        fds[s.name].add(fd)
        one = s("timerfd_create", F["CLOCK_REALTIME"], F["TFD_NONBLOCK"])
        fds[s.name].add(one)
        assert s("timerfd_settime", fd, 0, s.mem(itimerspec(20 * 10**6, 20 * 10**6)), 0) == 0
        assert s("timerfd_settime", one, 0, s.mem(itimerspec(0, 10 * 10**6)), 0) == 0
        state[s.name] = (fd, one)
    time.sleep(0.11)
    counts: dict[str, tuple[Any, ...]] = {}
    for s in sides:
        fd, one = state[s.name]
        counts[s.name] = (struct.unpack("<Q", r)[0] if isinstance(r := read(s, fd, 8), bytes)
                          else r, read(s, one, 8), read(s, one, 8), poll1(s, one, F["POLLIN"]))
    for name, (n, one_r, again, pl) in counts.items():
        assert isinstance(n, int) and 4 <= n <= 7, (name, n)
        assert one_r == u64(1) and again == "EAGAIN" and pl == (0, 0), name

    def absolute(s: Side) -> object:
        fd = s("timerfd_create", F["CLOCK_REALTIME"], F["TFD_NONBLOCK"])
        fds[s.name].add(fd)
        r = s("timerfd_settime", fd, F["TFD_TIMER_ABSTIME"], s.mem(itimerspec(0, 10**9)), 0)
        past = s("timerfd_settime", fd, F["TFD_TIMER_ABSTIME"] | F["TFD_TIMER_CANCEL_ON_SET"],
                 s.mem(itimerspec(0, 10**9)), 0)
        return [res(r), res(past), poll1(s, fd, F["POLLIN"]), read(s, fd, 8), read(s, fd, 8),
                read(s, fd, 4)]

    both(sides, absolute)


def test_timerfd_efault(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        fd = s("timerfd_create", F["CLOCK_MONOTONIC"], F["TFD_NONBLOCK"])
        fds[s.name].add(fd)
        hole = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        ro = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        s("munmap", hole, PAGE)
        good = s.mem(itimerspec(0, 10**9))
        out = [res(s("timerfd_settime", fd, 0, hole, 0)), res(s("timerfd_settime", fd, 0, 0, 0)),
               res(s("timerfd_settime", fd, 0, good, hole)),
               res(s("timerfd_settime", fd, 0, good, ro)),
               res(s("timerfd_gettime", fd, hole)), res(s("timerfd_gettime", fd, ro)),
               res(s("timerfd_gettime", fd, 0))]
        s("munmap", ro, PAGE)
        return out

    both(sides, go)


# --- ioctl -----------------------------------------------------------------


def test_ioctl_generic(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    def go(s: Side) -> object:
        f = s.open("file", F["O_CREAT"] | F["O_RDWR"])
        fds[s.name].add(f)
        s("write", f, s.mem(b"0123456789"), 10)
        s("lseek", f, 3, F["SEEK_SET"])
        d = s.open("", F["O_RDONLY"] | F["O_DIRECTORY"])
        p = s.open("file", F["O_PATH"])
        fds[s.name].add(d, p)
        rd, wr = pipe(s, fds)
        out: list[object] = []
        for fd in (f, d, p, rd, wr, 0x7ffe):
            out.append((ioctl_int(s, fd, F["FIONREAD"]), ioctl_int(s, fd, F["TCGETS"]),
                        res(s("ioctl", fd, 0x5401 + 0x1000, 0))))
            out.append((res(s("ioctl", fd, F["FIOCLEX"], 0)), res(s("fcntl", fd, F["F_GETFD"])),
                        res(s("ioctl", fd, F["FIONCLEX"], 0)), res(s("fcntl", fd, F["F_GETFD"]))))
            out.append((res(s("ioctl", fd, F["FIONBIO"], s.mem(struct.pack("<i", 7)))),
                        res(s("fcntl", fd, F["F_GETFL"]))))
        s("lseek", f, 20, F["SEEK_SET"])
        out.append(ioctl_int(s, f, F["FIONREAD"]))
        return out

    both(sides, go)


def test_timerfd_blocking_read(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    """A blocking read sleeps (vfs_lock dropped) until the timer fires: the
    one blocking path a single thread can take and see end."""
    def go(s: Side) -> object:
        fd = s("timerfd_create", F["CLOCK_MONOTONIC"], 0)
        fds[s.name].add(fd)
        s("timerfd_settime", fd, 0, s.mem(itimerspec(0, 20 * 10**6)), 0)
        t0 = time.monotonic()
        got = read(s, fd, 8)
        return got, 0.015 <= time.monotonic() - t0 < 1.0

    both(sides, go)


def test_proc_fd_names(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    """/proc/self/fd shows pipe:[N] and anon_inode:[...] (N is the inode
    number, which differs between the sides)."""
    def go(s: Side) -> object:
        rd, _wr = pipe(s, fds)
        e = s("eventfd2", 0, 0)
        t = s("timerfd_create", F["CLOCK_MONOTONIC"], 0)
        ep = s("epoll_create1", 0)
        fds[s.name].add(e, t, ep)
        out = []
        for fd in (rd, e, t, ep):
            buf = s.zeros(64)
            n = s("readlink", s.mem(b"/proc/self/fd/%d\0" % fd), buf, 64)
            name = s.peek(buf, n) if n > 0 else errno_of(n)
            out.append(name.split(b"[")[0] if isinstance(name, bytes) and
                       name.startswith(b"pipe:") else name)
        return out

    both(sides, go)


def test_fsync_and_reopen(sides: tuple[Side, Side], fds: dict[str, Fds]) -> None:
    """fsync is EINVAL on pipes and anonymous files; a pipe end reopened
    through /proc/self/fd is another reader or writer of the same pipe."""
    def go(s: Side) -> object:
        rd, wr = pipe(s, fds, F["O_NONBLOCK"])
        e = s("eventfd2", 0, 0)
        t = s("timerfd_create", F["CLOCK_MONOTONIC"], 0)
        ep = s("epoll_create1", 0)
        fds[s.name].add(e, t, ep)
        out: list[object] = [(res(s("fsync", fd)), res(s("fdatasync", fd)))
                             for fd in (rd, wr, e, t, ep)]
        w2 = s("openat", -100, s.mem(b"/proc/self/fd/%d\0" % wr), F["O_WRONLY"], 0)
        fds[s.name].add(w2)
        s("close", wr)
        fds[s.name].fds.remove(wr)
        out += [write(s, w2, b"via proc"), read(s, rd, 100), poll1(s, rd, F["POLLIN"])]
        s("close", w2)
        fds[s.name].fds.remove(w2)
        out += [poll1(s, rd, F["POLLIN"]), read(s, rd, 100)]
        return out

    both(sides, go)
