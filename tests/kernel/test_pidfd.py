"""pidfd_open and pidfd_send_signal against Linux, for the process itself
(the only one the kernel has): the descriptor's flags, name and mode, the
errors, and signals sent through it while blocked (so they stay pending
and can be read back with a signalfd).

The native side runs in a forked child. A pid that is not ours is one that
exists nowhere (0x7ffffff0)."""

from __future__ import annotations

import struct

from native_child import in_child
from sides import AT_FDCWD, STAT, F, Side, errno_of

NOPID = 0x7FFFFFF0
SI = struct.Struct("<iiii iI Q 96x")  # si_signo, si_errno, si_code, pad, pid, uid, value


def bad_pointer(s: Side) -> int:
    page = s("mmap", 0, 4096, F["PROT_READ"] | F["PROT_WRITE"],
             F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    assert page > 0 and s("munmap", page, 4096) == 0
    return page


def res(r: int) -> object:
    return errno_of(r) if r < 0 else "fd"


def fd_facts(s: Side, fd: int) -> list[object]:
    st = s.zeros(STAT.sizeof())
    assert s("fstat", fd, st) == 0
    stat = STAT.parse(s.peek(st, STAT.sizeof()))
    link = s.zeros(64)
    n = s("readlinkat", AT_FDCWD, s.mem(b"/proc/self/fd/%d\0" % fd), link, 64)
    return [s("fcntl", fd, F["F_GETFL"]), s("fcntl", fd, F["F_GETFD"]), stat.st_mode,
            stat.st_uid, s.peek(link, n) if n > 0 else errno_of(n),
            errno_of(s("read", fd, s.zeros(8), 8)), errno_of(s("write", fd, s.zeros(8), 8))]


def siginfo(s: Side, sig: int, code: int, value: int = 0) -> int:
    return s.mem(SI.pack(sig, 0, code, 0, s("getpid"), s("getuid"), value))


def pending(s: Side) -> int:
    p = s.zeros(8)
    assert s("rt_sigpending", p, 8) == 0
    return int.from_bytes(s.peek(p, 8), "little")


def read_signals(s: Side, mask: int) -> list[tuple[int, int, bool, int]]:
    """Every pending signal of mask, through a signalfd: (signo, code,
    pid is ours, ssi_int)."""
    fd = s("signalfd4", -1, mask, 8, F["SFD_NONBLOCK"])
    assert fd >= 0
    buf = s.zeros(128 * 8)
    n = s("read", fd, buf, 128 * 8)
    s("close", fd)
    out = []
    for off in range(0, max(n, 0), 128):
        f = struct.unpack("<IiiI", s.peek(buf + off, 16))
        ssi_int = struct.unpack("<i", s.peek(buf + off + 44, 4))[0]
        out.append((f[0], f[2], f[3] == s("getpid"), ssi_int))
    return out


def probe(s: Side) -> list[object]:
    me = s("getpid")
    out: list[object] = []
    out += [res(s("pidfd_open", me, f)) for f in (0, F["PIDFD_NONBLOCK"], F["PIDFD_THREAD"], 1,
                                                  F["O_CLOEXEC"], 0x80000000)]
    out += [res(s("pidfd_open", p, 0)) for p in (0, -1, -me, NOPID)]
    fd = s("pidfd_open", me, 0)
    nb = s("pidfd_open", me, F["PIDFD_NONBLOCK"])
    th = s("pidfd_open", s("gettid"), F["PIDFD_THREAD"])
    out += [fd_facts(s, fd), fd_facts(s, nb), fd_facts(s, th)]
    pfd = s.mem(struct.pack("<ihh", fd, F["POLLIN"], 0))
    out.append(s("poll", pfd, 1, 0))

    usr1, usr2, rt = F["SIGUSR1"], F["SIGUSR2"], 40
    mask = s.mem(struct.pack("<Q", (1 << (usr1 - 1)) | (1 << (usr2 - 1)) | (1 << (rt - 1))))
    assert s("rt_sigprocmask", F["SIG_BLOCK"], mask, 0, 8) == 0
    send = lambda *a: errno_of(s("pidfd_send_signal", *a)) if s("pidfd_send_signal", *a) < 0 else 0  # noqa: E731
    out += [send(fd, 0, 0, 0), send(fd, usr1, 0, 0), pending(s)]
    out += [read_signals(s, mask)]
    # each scope: the thread's (SI_TKILL) or the process's (SI_USER)
    for target, sig, flags in [(th, usr2, 0), (fd, usr2, F["PIDFD_SIGNAL_THREAD"]),
                               (th, usr1, F["PIDFD_SIGNAL_THREAD_GROUP"]),
                               (F["PIDFD_SELF_THREAD_GROUP"], usr1, 0),
                               (F["PIDFD_SELF_THREAD"], usr2, 0)]:
        out += [send(target, sig, 0, flags), read_signals(s, mask)]
    # a siginfo of our own: allowed to ourselves, with its value
    out += [send(fd, rt, siginfo(s, rt, F["SI_QUEUE"], 1234), 0), read_signals(s, mask),
            send(fd, rt, siginfo(s, rt, F["SI_USER"]), 0), read_signals(s, mask)]
    # errors, in Linux's order
    efd = s("eventfd2", 0, 0)
    out += [send(fd, usr1, 0, 8), send(fd, usr1, 0, 3), send(999, usr1, 0, 0),
            send(-1, usr1, 0, 0), send(efd, usr1, 0, 0), send(fd, 65, 0, 0), send(fd, -1, 0, 0),
            send(fd, usr1, siginfo(s, usr2, F["SI_QUEUE"]), 0),
            send(fd, usr1, bad_pointer(s), 0)]
    out.append(pending(s))
    for x in (fd, nb, th, efd):
        s("close", x)
    return out


def test_pidfd_like_linux(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    want = in_child(lambda: probe(linux))
    assert probe(abi) == want


def test_pidfd_as_nobody(sides: tuple[Side, Side]) -> None:
    """An ordinary user's pidfds: the same, the inode still root's."""

    def run(s: Side) -> list[object]:
        assert s("setresgid", 65534, 65534, 65534) == 0
        assert s("setresuid", 65534, 65534, 65534) == 0
        return probe(s)

    linux, abi = sides
    want = in_child(lambda: run(linux))
    assert run(abi) == want
