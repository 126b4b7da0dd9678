"""Identity, limits, clocks and randomness against Linux: errnos must match;
values must match where both sides can agree (ids under ABI_BOOT_HOST_CREDS,
clock resolutions, uname's fixed fields), and be plausible otherwise (pids,
clock readings, random bytes)."""

from __future__ import annotations

import ctypes
import struct

from sides import (
    BOOT_ARGS_UTS,
    NR,
    F,
    Side,
    errno_of,
)

# CPU clocks of the caller: ~0 << 3 | 4 (thread) | which (0 PROF, 1 VIRT, 2 SCHED, 3 bad)
CPU_CLOCKS = list(range(-8, 0))
CLOCKS = [*range(12), *CPU_CLOCKS, 100]
# process CPU clocks: a relative sleep on them waits for CPU time a sleeper never uses
PROCESS_CPU = (2, -8, -7, -6)
ALARMS = (F["CLOCK_REALTIME_ALARM"], F["CLOCK_BOOTTIME_ALARM"])


def test_ids(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    for call in ("getuid", "geteuid", "getgid", "getegid"):
        assert abi(call) == linux(call), call
    for s in sides:
        assert s("getpid") > 0 and s("gettid") == s("getpid") and s("getppid") > 0
    for call in ("getresuid", "getresgid"):
        got = [s.peek(b, 12) for s in sides if s(call, b := s.zeros(12), b + 4, b + 8) == 0]
        assert len(got) == 2 and got[0] == got[1], call
    for size in (-1, 0, 64):
        r = [errno_of(s("getgroups", size, s.zeros(256))) for s in sides]
        assert r[0] == r[1], size


def test_uname(sides: tuple[Side, Side]) -> None:
    fields = []
    for s in sides:
        buf = s.zeros(390)
        assert s("uname", buf) == 0
        fields.append([f.split(b"\0")[0] for f in struct.unpack("65s" * 6, s.peek(buf, 390))])
    (lsys, _lnode, lrel, _lver, lmach, _ldom), (asys, anode, arel, _aver, amach, adom) = fields
    assert (asys, amach) == (lsys, lmach) == (b"Linux", b"x86_64")
    assert arel == b"6.1.0-abi" and anode == b"abi" and adom == b"(none)"
    assert lrel  # the host's own release, whatever it is


def test_uname_release_is_configurable(lib: ctypes.CDLL) -> None:
    args = BOOT_ARGS_UTS.build(dict(size=BOOT_ARGS_UTS.sizeof(), flags=0, uid=0, gid=0,
                                    umask=0o22, nofile=0, guest_base=0, guest_size=0,
                                    release="5.15.0-test", nodename="box"))
    buf = ctypes.create_string_buffer(args)
    assert lib.abi_boot(ctypes.addressof(buf)) == 0
    try:
        page = lib.abi_syscall(NR["mmap"], 0, 4096, F["PROT_READ"] | F["PROT_WRITE"],
                               F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        assert page > 0
        assert lib.abi_syscall(NR["uname"], page, 0, 0, 0, 0, 0) == 0
        raw = ctypes.string_at(page, 390)
        assert raw[65:68] == b"box" and raw[130:141] == b"5.15.0-test"
    finally:
        lib.abi_reset()


def test_rlimits(sides: tuple[Side, Side]) -> None:
    for resource in range(18):
        r = [errno_of(s("getrlimit", resource, s.zeros(16))) for s in sides]
        assert r[0] == r[1], resource
        r = [errno_of(s("prlimit64", 0, resource, 0, s.zeros(16))) for s in sides]
        assert r[0] == r[1], resource
    for s_pair in [sides]:
        bad = [s.mem(struct.pack("<QQ", 10, 5)) for s in s_pair]  # cur > max
        r = [errno_of(s("setrlimit", F["RLIMIT_CORE"], b)) for s, b in zip(s_pair, bad,
                                                                             strict=True)]
        assert r == ["EINVAL", "EINVAL"]
        huge = [s.mem(struct.pack("<QQ", 1 << 21, 1 << 21)) for s in s_pair]  # > fs.nr_open
        r = [errno_of(s("setrlimit", F["RLIMIT_NOFILE"], b)) for s, b in zip(s_pair, huge,
                                                                               strict=True)]
        assert r[0] == r[1]
        r = [errno_of(s("prlimit64", 0x7ffffff0, F["RLIMIT_CORE"], 0, 0)) for s in s_pair]
        assert r[0] == r[1] == "ESRCH"


def test_nofile_limit_gives_emfile(sides: tuple[Side, Side]) -> None:
    _linux, abi = sides
    lim = abi.zeros(16)
    assert abi("getrlimit", F["RLIMIT_NOFILE"], lim) == 0
    assert abi("setrlimit", F["RLIMIT_NOFILE"], abi.mem(struct.pack("<QQ", 4, 1 << 20))) == 0
    fds = [abi.open("", F["O_RDONLY"] | F["O_DIRECTORY"]) for _ in range(5)]
    assert fds[:4] == [0, 1, 2, 3] and errno_of(fds[4]) == "EMFILE"
    assert errno_of(abi("dup", 0)) == "EMFILE"
    assert errno_of(abi("fcntl", 0, F["F_DUPFD"], 4)) == "EINVAL"


def test_clocks(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    for clock in CLOCKS:
        r = [errno_of(s("clock_gettime", clock, s.zeros(16))) for s in sides]
        if clock in ALARMS and r[0] == "ok":
            continue  # this host has an RTC wake alarm; the kernel has none
        assert r[0] == r[1], clock
        res = []
        for s in sides:
            buf = s.zeros(16)
            res.append((errno_of(s("clock_getres", clock, buf)), s.peek(buf, 16)))
        assert res[0] == res[1], clock
        assert errno_of(abi("clock_getres", clock, 0)) == errno_of(linux("clock_getres", clock, 0))
    now = []
    for s in sides:
        buf = s.zeros(16)
        assert s("clock_gettime", F["CLOCK_REALTIME"], buf) == 0
        now.append(struct.unpack("<qq", s.peek(buf, 16))[0])
    assert abs(now[0] - now[1]) <= 1
    t = [s("time", 0) for s in sides]
    assert abs(t[0] - t[1]) <= 1
    for s in sides:
        tv = s.zeros(16)
        assert s("gettimeofday", tv, 0) == 0
        assert abs(struct.unpack("<q", s.peek(tv, 8))[0] - t[0]) <= 1


def test_cpu_clocks_by_pid(sides: tuple[Side, Side]) -> None:
    """CPU clock ids naming the caller's pid work like pid 0; a pid nobody has is EINVAL."""
    for which in range(8):
        for pid_of in (lambda s: s("getpid"), lambda s: 0x3FFFFFF0):
            r = [errno_of(s("clock_getres", (~pid_of(s) << 3) | which, s.zeros(16)))
                 for s in sides]
            assert r[0] == r[1], which


def test_sleeps(sides: tuple[Side, Side]) -> None:
    cases = [(0, 0), (0, 1000), (0, 1_000_000_000), (-1, 0), (0, -1)]
    for sec, nsec in cases:
        r = [errno_of(s("nanosleep", s.mem(struct.pack("<qq", sec, nsec)), 0)) for s in sides]
        assert r[0] == r[1], (sec, nsec)
    for clock in CLOCKS:
        for flags in (0, F["TIMER_ABSTIME"]):
            if clock in PROCESS_CPU and flags == 0:
                continue  # Linux waits for CPU time a sleeping process never uses
            r = [errno_of(s("clock_nanosleep", clock, flags, s.mem(struct.pack("<qq", 0, 1000)),
                            0)) for s in sides]
            if clock in ALARMS and r[0] == "ok":
                continue  # this host has an RTC wake alarm; the kernel has none
            assert r[0] == r[1], (clock, flags)


def test_random_times_rusage(sides: tuple[Side, Side]) -> None:
    for flags in (0, F["GRND_NONBLOCK"], F["GRND_RANDOM"], F["GRND_INSECURE"],
                  F["GRND_RANDOM"] | F["GRND_INSECURE"], 0x40):
        r = [s("getrandom", s.zeros(64), 64, flags) for s in sides]
        assert errno_of(r[0]) == errno_of(r[1]), flags
    a, b = sides[1].zeros(64), sides[1].zeros(64)
    sides[1]("getrandom", a, 64, 0)
    sides[1]("getrandom", b, 64, 0)
    assert sides[1].peek(a, 64) != sides[1].peek(b, 64)
    for s in sides:
        assert s("times", 0) > 0
    for who in (F["RUSAGE_SELF"], F["RUSAGE_CHILDREN"], F["RUSAGE_THREAD"], 7):
        r = [errno_of(s("getrusage", who, s.zeros(144))) for s in sides]
        assert r[0] == r[1], who


RUSAGE = struct.Struct("<18q")  # two timevals, then 14 longs
# ru_maxrss, minflt, majflt, inblock, oublock, nvcsw, nivcsw: the counters
# Linux keeps (the others are always 0), all monotonic
COUNTERS = (4, 8, 9, 10, 11, 14, 15)


def test_rusage_is_the_host_process_accounting(sides: tuple[Side, Side]) -> None:
    """The library kernel runs in this very process, so what it reports for
    RUSAGE_SELF and RUSAGE_THREAD must lie between two native readings taken
    around it, field by field (times() likewise, in ticks)."""
    linux, abi = sides

    def usage(s: Side, who: int) -> list[int]:
        buf = s.zeros(144)
        assert s("getrusage", who, buf) == 0
        v = RUSAGE.unpack(s.peek(buf, 144))
        return [v[0] * 10**6 + v[1], v[2] * 10**6 + v[3]] + [v[i] for i in COUNTERS]

    def ticks(s: Side) -> list[int]:
        buf = s.zeros(32)
        assert s("times", buf) > 0
        return list(struct.unpack("<4q", s.peek(buf, 32)))

    for who in (F["RUSAGE_SELF"], F["RUSAGE_THREAD"]):
        before, mine, after = usage(linux, who), usage(abi, who), usage(linux, who)
        assert all(b <= m <= a for b, m, a in zip(before, mine, after, strict=True)), \
            (who, before, mine, after)
    before, mine, after = ticks(linux), ticks(abi), ticks(linux)
    assert all(before[i] <= mine[i] <= after[i] for i in (0, 1)), (before, mine, after)
    assert mine[2:] == [0, 0]  # no children, ever (pytest has had some)
    buf = abi.zeros(144)
    assert abi("getrusage", F["RUSAGE_CHILDREN"], buf) == 0 and abi.peek(buf, 144) == bytes(144)
