"""Process groups, sessions, scheduling, priorities, I/O priorities,
personality and membarrier against Linux.

The kernel's one process is presented as abi-run presents it: the leader of
its own process group and session (kernel/core/session.c). The pytest
process is not a session leader, so the native side of those comparisons
runs in a forked child that calls setsid() first and is then in the same
state. Anything else that would change the pytest process (nice values,
policies, registrations) also runs natively in a forked child.

Normalisations: pids differ, so "my own pid" is compared as such; the CPU
number getcpu reports is only checked to be an allowed CPU; a foreign pid
is one that does not exist (0x7ffffff0) on both sides."""

from __future__ import annotations

import ctypes
import struct

from native_child import in_child
from sides import (
    F,
    Side,
    errno_of,
)

NOPID = 0x7FFFFFF0
SCHED_RESET_ON_FORK = 0x40000000


def bad_pointer(s: Side) -> int:
    """An address that is mapped nowhere on this side (a page unmapped)."""
    page = s("mmap", 0, 4096, F["PROT_READ"] | F["PROT_WRITE"],
             F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    assert page > 0 and s("munmap", page, 4096) == 0
    return page


def session_leader_results(sides: tuple[Side, Side], fn: object) -> list[object]:
    """[fn(linux), fn(abi)], without comparing them (the caller normalises
    first): fn runs natively in a forked child, made a session leader like the
    kernel's process (alone in its process group: PRIO_PGRP then names it
    alone), and on the kernel. sides.both is the comparing helper."""
    linux, abi = sides
    assert callable(fn)

    def native() -> object:
        assert linux("setsid") > 0
        return fn(linux)

    return [in_child(native), fn(abi)]


# --- sessions and process groups ---------------------------------------------


def session_probe(s: Side) -> list[object]:
    """Run on a session leader: the kernel's process as booted, a native
    child after setsid()."""
    me = s("getpid")
    rel = lambda r: "self" if r == me else errno_of(r)  # noqa: E731
    return [
        rel(s("getpgid", 0)), rel(s("getpgid", me)), rel(s("getpgrp")),
        rel(s("getsid", 0)), rel(s("getsid", me)),
        errno_of(s("getpgid", NOPID)), errno_of(s("getsid", NOPID)),
        errno_of(s("getpgid", -1)), errno_of(s("getsid", -1)),
        errno_of(s("setsid")),
        errno_of(s("setpgid", 0, 0)), errno_of(s("setpgid", me, me)),
        errno_of(s("setpgid", 0, -1)), errno_of(s("setpgid", NOPID, 0)),
        errno_of(s("setpgid", 0, NOPID)),
        rel(s("getpgid", 0)), rel(s("getsid", 0)),
    ]


def test_session_leader(sides: tuple[Side, Side]) -> None:
    linux, abi = sides

    def native() -> list[object]:
        assert linux("setsid") > 0  # a forked child is not a group leader: allowed
        return session_probe(linux)

    expected = in_child(native)
    assert session_probe(abi) == expected
    assert expected[:5] == ["self"] * 5


def test_pytest_process_is_not_a_session_leader(sides: tuple[Side, Side]) -> None:
    """The reason for the child above: natively, here, getsid differs from
    the pid (the comparison would not be like for like)."""
    linux, _abi = sides
    assert linux("getsid", 0) != linux("getpid")


# --- scheduling ----------------------------------------------------------------


def test_priority_ranges(sides: tuple[Side, Side]) -> None:
    # policy 7 (SCHED_EXT, Linux 6.12+) depends on the host's version
    for policy in (-1, 0, 1, 2, 3, 4, 5, 6, 8, 100):
        for call in ("sched_get_priority_max", "sched_get_priority_min"):
            r = [s(call, policy) for s in sides]
            assert r[0] == r[1], (call, policy)


def test_yield_and_getscheduler(sides: tuple[Side, Side]) -> None:
    for args in [(0,), (-1,), (NOPID,)]:
        r = [s("sched_getscheduler", *args) for s in sides]
        assert r[0] == r[1], args
    assert [s("sched_yield") for s in sides] == [0, 0]


def test_getparam(sides: tuple[Side, Side]) -> None:
    for s in sides:
        assert s("sched_getparam", 0, s.mem(b"\xff" * 4)) == 0
    got = []
    for s in sides:
        p = s.mem(b"\xff" * 4)
        r = s("sched_getparam", 0, p)
        got.append((r, s.peek(p, 4)))
        got.append(tuple(errno_of(s("sched_getparam", *a)) for a in
                         [(0, 0), (-1, p), (NOPID, p), (0, bad_pointer(s))]))
    assert got[0] == got[2] and got[1] == got[3]


def setscheduler_probe(s: Side) -> list[object]:
    def param(prio: int) -> int:
        return s.mem(struct.pack("<i", prio))

    out: list[object] = []
    for policy, prio in [(F["SCHED_NORMAL"], 0), (F["SCHED_NORMAL"], 1), (F["SCHED_BATCH"], 0),
                         (F["SCHED_IDLE"], 0), (F["SCHED_NORMAL"], 0),
                         (F["SCHED_FIFO"], 0), (F["SCHED_FIFO"], 100), (F["SCHED_RR"], -1),
                         (4, 0), (-1, 0), (99, 0),
                         (F["SCHED_BATCH"] | SCHED_RESET_ON_FORK, 0)]:
        out.append((policy, prio, errno_of(s("sched_setscheduler", 0, policy, param(prio))),
                    s("sched_getscheduler", 0)))
    out.append(errno_of(s("sched_setscheduler", 0, 0, 0)))
    out.append(errno_of(s("sched_setscheduler", -1, 0, param(0))))
    out.append(errno_of(s("sched_setscheduler", NOPID, 0, param(0))))
    out.append(errno_of(s("sched_setscheduler", 0, 0, bad_pointer(s))))
    for prio in (0, 1, -1):
        out.append((prio, errno_of(s("sched_setparam", 0, param(prio)))))
    out.append(errno_of(s("sched_setparam", 0, 0)))
    out.append(errno_of(s("sched_setparam", 0, bad_pointer(s))))
    out.append(errno_of(s("sched_setparam", NOPID, param(0))))
    return out


def test_setscheduler_as_unprivileged(sides: tuple[Side, Side]) -> None:
    """The normal policies, the priority checks and (without CAP_SYS_NICE
    and with RLIMIT_RTPRIO 0) EPERM for the real-time ones: the kernel
    refuses those to everyone, so the comparison runs as uid 1000."""
    def probe(s: Side) -> list[object]:
        assert s("setresuid", 1000, 1000, 1000) == 0
        return setscheduler_probe(s)

    lin, abi = session_leader_results(sides, probe)
    assert abi == lin


def test_rr_interval(sides: tuple[Side, Side]) -> None:
    got = []
    for s in sides:
        ts = s.zeros(16)
        got.append((s("sched_rr_get_interval", 0, ts), s.peek(ts, 16)))
        got.append(tuple(errno_of(s("sched_rr_get_interval", *a)) for a in
                         [(-1, ts), (NOPID, ts), (0, bad_pointer(s)), (0, 0)]))
    assert got[0] == got[2] and got[1] == got[3]


def test_affinity(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    masks = []
    for s in sides:
        buf = s.mem(b"\xee" * 128)
        r = [s("sched_getaffinity", 0, size, buf) for size in (0, 4, 7, 12, 8)]
        masks.append((r, s.peek(buf, 8)))
        # past nr_cpu_ids' longs, Linux copies cpumask_size() bytes, a
        # configuration constant of the host kernel, zero past the CPUs
        masks.append((s("sched_getaffinity", 0, 128, buf), s.peek(buf, 128)))
        errs = [errno_of(s("sched_getaffinity", *a)) for a in
                [(NOPID, 8, buf), (0, 8, bad_pointer(s)), (0, 8, 0), (-1, 8, buf)]]
        masks.append(errs)
    assert masks[0] == masks[3] and masks[1] == masks[4] and masks[2] == masks[5]

    def probe(s: Side) -> list[object]:
        out: list[object] = []
        for m in (0, 1, 1 << 63, 0xFF, 1):
            r = s("sched_setaffinity", 0, 8, s.mem(struct.pack("<Q", m)))
            got = s.mem(bytes(8))
            out.append((m, errno_of(r), s("sched_getaffinity", 0, 8, got), s.peek(got, 8)))
        out.append(errno_of(s("sched_setaffinity", 0, 8, bad_pointer(s))))
        out.append(errno_of(s("sched_setaffinity", NOPID, 8, s.mem(bytes([1]) * 8))))
        out.append(errno_of(s("sched_setaffinity", 0, 1, s.mem(b"\x01"))))  # short mask
        return out

    lin, ab = session_leader_results(sides, probe)
    assert ab == lin
    del linux, abi


def test_getcpu(sides: tuple[Side, Side]) -> None:
    for s in sides:
        cpu = s.mem(b"\xff" * 8)
        assert s("getcpu", cpu, cpu + 4, 0) == 0
        n, node = struct.unpack("<II", s.peek(cpu, 8))
        mask = s.zeros(8)
        assert s("sched_getaffinity", 0, 8, mask) == 8
        assert struct.unpack("<Q", s.peek(mask, 8))[0] >> n & 1 and node == 0
        assert s("getcpu", 0, 0, 0) == 0
    r = [[errno_of(s("getcpu", *a)) for a in [(bad_pointer(s), 0, 0), (0, bad_pointer(s), 0)]]
         for s in sides]
    assert r[0] == r[1]


def test_getpriority(sides: tuple[Side, Side]) -> None:
    # PRIO_USER with who 0 scans every process of the user natively: not compared
    for args in [(F["PRIO_PROCESS"], 0), (F["PRIO_PGRP"], 0), (F["PRIO_PROCESS"], NOPID),
                 (F["PRIO_PGRP"], NOPID), (F["PRIO_USER"], 54321), (3, 0), (-1, 0)]:
        r = [s("getpriority", *args) for s in sides]
        assert r[0] == r[1], args


def nice_probe(s: Side) -> list[object]:
    out: list[object] = []
    for which, nice in [(F["PRIO_PROCESS"], 5), (F["PRIO_PROCESS"], 10), (F["PRIO_PROCESS"], 7),
                        (F["PRIO_PROCESS"], 100), (F["PRIO_PGRP"], -100), (3, 0),
                        (F["PRIO_PROCESS"], 0)]:
        out.append((which, nice, errno_of(s("setpriority", which, 0, nice)),
                    s("getpriority", F["PRIO_PROCESS"], 0)))
    out.append(errno_of(s("setpriority", F["PRIO_PROCESS"], NOPID, 0)))
    return out


def test_setpriority_root(sides: tuple[Side, Side]) -> None:
    lin, abi = session_leader_results(sides, nice_probe)
    assert abi == lin


def test_setpriority_unprivileged(sides: tuple[Side, Side]) -> None:
    """Lowering the nice value beyond RLIMIT_NICE (0) is EACCES."""
    def probe(s: Side) -> list[object]:
        assert s("setresuid", 1000, 1000, 1000) == 0
        return nice_probe(s)

    lin, abi = session_leader_results(sides, probe)
    assert abi == lin


IOPRIO_VALUES = [
    0x4007, 0x4008, 0x6000, 0x6005, 0x2000, 0x2008, 0x0, 0x3, 0x8, 0x8000, 0xA000, 0xE000,
    0x4401, 0x7FF8, 0x10000, 0x12000, 0x1E000, -1, 7, 0x2003,
]  # classes NONE, RT, BE, IDLE and invalid; hints; bits above 16


def ioprio_probe(s: Side, alone_as_user: bool) -> list[object]:
    """Run alone in its process group (and, unprivileged, as the only process
    of its user), so PGRP and USER name just this process on both sides.
    A native child inherits pytest's I/O priority, so it starts by clearing
    it. IOPRIO_WHO_USER's who is a uid even when 0 (root: on Linux that
    reaches every root process of the machine), so only the unprivileged
    run names a user, its own."""
    user = [(3, 4242)] * alone_as_user
    get, put = (lambda *a: s("ioprio_get", *a)), (lambda *a: s("ioprio_set", *a))
    me = s("getpid")
    assert put(1, 0, 0) == 0
    out: list[object] = [get(w, who) for w, who in
                         [(1, 0), (1, me), (1, NOPID), (2, 0), (2, me), (2, NOPID), (3, 54321),
                          (0, 0), (4, 0), (-1, 0), *user]]
    for v in IOPRIO_VALUES:
        out.append((v, put(1, 0, v), get(1, 0), get(2, 0), [get(*a) for a in user]))
    out += [put(w, who, 0x4001) for w, who in [(2, 0), (1, NOPID), (2, NOPID), (0, 0), (4, 0),
                                              (1, me), *user]]
    out += [put(1, 0, 0), s("setpriority", F["PRIO_PROCESS"], 0, 7), get(1, 0), get(2, 0)]
    out += [put(1, 0, 0x8), get(2, 0)]  # a hint on an unset class is not effective
    out += [s("sched_setscheduler", 0, F["SCHED_IDLE"], s.mem(bytes(4))), get(2, 0), get(1, 0)]
    return out


def test_ioprio_root(sides: tuple[Side, Side]) -> None:
    lin, abi = session_leader_results(sides, lambda s: ioprio_probe(s, alone_as_user=False))
    assert abi == lin


def test_ioprio_unprivileged(sides: tuple[Side, Side]) -> None:
    """The RT class needs CAP_SYS_NICE (EPERM); the others do not."""
    def probe(s: Side) -> list[object]:
        assert s("setresuid", 4242, 4242, 4242) == 0
        return ioprio_probe(s, alone_as_user=True)

    lin, abi = session_leader_results(sides, probe)
    assert abi == lin


SCHED_ATTR = struct.Struct("<IIQiIQQQII")  # struct sched_attr, SCHED_ATTR_SIZE_VER1 = 56


def sched_attr_probe(s: Side) -> list[object]:
    """sched_getattr sizes and errors, then sched_setattr with each case
    followed by what sched_getattr reports (whole bytes: the default slice
    is the host's on both sides)."""
    buf = s.zeros(8192)

    def get(size: int = 56, pid: int = 0, flags: int = 0) -> tuple[object, bytes]:
        ctypes.memmove(buf, b"\xaa" * 128, 128)
        return errno_of(s("sched_getattr", pid, buf, size, flags)), s.peek(buf, 72)

    def put(size: int, policy: int = 0, flags: int = 0, nice: int = 0, prio: int = 0,
            runtime: int = 0, deadline: int = 0, period: int = 0, umin: int = 0,
            tail: bytes = b"", sysflags: int = 0) -> tuple[object, ...]:
        data = SCHED_ATTR.pack(size, policy, flags, nice, prio, runtime, deadline, period, umin,
                               0) + tail
        ctypes.memmove(buf, data, len(data))
        r = errno_of(s("sched_setattr", 0, buf, sysflags))
        return r, struct.unpack_from("<I", s.peek(buf, 4))[0], get()

    out: list[object] = [get(n) for n in (0, 47, 48, 56, 64, 4096, 4097)]
    out += [get(56, 0, 1), get(56, NOPID), get(56, -1),
            errno_of(s("sched_getattr", 0, 0, 56, 0)), errno_of(s("sched_setattr", 0, 0, 0)),
            errno_of(s("sched_setattr", -1, buf, 0)), errno_of(s("sched_setattr", NOPID, buf, 0))]
    out += [put(56, nice=5), put(56, nice=-30), put(56, nice=30), put(0, nice=3), put(40),
            put(57, tail=bytes(8)), put(64, tail=bytes(7) + b"\1"), put(64, tail=bytes(8)),
            put(8192), put(56, sysflags=1), put(56, 3), put(56, 5), put(56, 0, prio=1),
            put(56, 1, prio=0), put(56, 2, prio=100), put(56, 6, runtime=10**6, deadline=10**5),
            put(56, 7), put(56, 0xFFFFFFFF), put(56, 0, 1), put(56, 3, 8), put(56, 0, 0x10, nice=9),
            put(56, 0, 0x1000), put(56, 0, 0x06), put(48, 0, 0x20, umin=100),
            put(56, runtime=5 * 10**6), put(56, runtime=10), put(56, runtime=10**9), put(56, 5),
            put(56, 0, nice=2)]
    return out


def test_sched_attr_root(sides: tuple[Side, Side]) -> None:
    lin, abi = session_leader_results(sides, sched_attr_probe)
    assert abi == lin


def test_sched_attr_unprivileged(sides: tuple[Side, Side]) -> None:
    """Without CAP_SYS_NICE: lowering nice past RLIMIT_NICE (0), leaving
    SCHED_IDLE and dropping reset-on-fork are EPERM."""
    def probe(s: Side) -> list[object]:
        assert s("setresuid", 1000, 1000, 1000) == 0
        return sched_attr_probe(s)

    lin, abi = session_leader_results(sides, probe)
    assert abi == lin


def test_robust_list(sides: tuple[Side, Side]) -> None:
    """get_robust_list reports what set_robust_list registered (natively glibc
    registers its own head first, so only heads set here are compared); the
    size is written before the head, so a bad head pointer still gets it."""
    def probe(s: Side) -> list[object]:
        head, hp, lp = s.zeros(24), s.zeros(8), s.zeros(8)
        me = s("getpid")

        def got(r: int) -> tuple[object, ...]:
            h, n = struct.unpack("<QQ", s.peek(hp, 8) + s.peek(lp, 8))
            return errno_of(r), "head" if h == head else h, n

        out: list[object] = [errno_of(s("set_robust_list", head, 24)),
                             got(s("get_robust_list", 0, hp, lp)),
                             errno_of(s("set_robust_list", head + 8, 23)),
                             got(s("get_robust_list", me, hp, lp))]
        ctypes.memmove(lp, bytes(8), 8)
        out += [got(s("get_robust_list", 0, bad_pointer(s), lp)),
                errno_of(s("get_robust_list", 0, hp, bad_pointer(s))),
                errno_of(s("get_robust_list", NOPID, hp, lp)),
                errno_of(s("get_robust_list", -1, hp, lp)),
                errno_of(s("set_robust_list", 0, 24)), got(s("get_robust_list", 0, hp, lp))]
        return out

    lin, abi = session_leader_results(sides, probe)
    assert abi == lin


# --- personality and membarrier ------------------------------------------------


def test_personality(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[int]:
        return [s("personality", 0xFFFFFFFF), s("personality", 0x0040000),
                s("personality", 0xFFFFFFFF), s("personality", F["PER_LINUX"]),
                s("personality", 0xFFFFFFFF)]

    lin, abi = session_leader_results(sides, probe)
    assert abi == lin


def test_membarrier(sides: tuple[Side, Side]) -> None:
    supported = [s("membarrier", F["MEMBARRIER_CMD_QUERY"], 0, 0) for s in sides]
    assert supported[0] > 0 and supported[1] & ~supported[0] == 0

    def probe(s: Side) -> list[str]:
        cmds = ["MEMBARRIER_CMD_PRIVATE_EXPEDITED", "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED",
                "MEMBARRIER_CMD_PRIVATE_EXPEDITED", "MEMBARRIER_CMD_GLOBAL_EXPEDITED",
                "MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED", "MEMBARRIER_CMD_GLOBAL"]
        out = [errno_of(s("membarrier", F[c], 0, 0)) for c in cmds]
        out += [errno_of(s("membarrier", F["MEMBARRIER_CMD_QUERY"], 1, 0)),
                errno_of(s("membarrier", 3, 0, 0)), errno_of(s("membarrier", -1, 0, 0))]
        out.append(str(s("membarrier", 512, 0, 0)))  # MEMBARRIER_CMD_GET_REGISTRATIONS
        return out

    lin, abi = session_leader_results(sides, probe)
    assert abi == lin


def test_output_pointers_read_only(sides: tuple[Side, Side]) -> None:
    """EFAULT (never a crash) when an output buffer is mapped read-only,
    and the unused getcpu cache pointer is not touched."""
    got = []
    for s in sides:
        # setgroups(1, ro) succeeds (a zero-filled page is readable): keep the
        # groups to put back, or the pytest process would be left in group 0
        groups = s.zeros(256)
        ngroups = s("getgroups", 64, groups)
        ro = s("mmap", 0, 4096, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        assert ro > 0
        hdr_ro = s("mmap", 0, 4096, F["PROT_READ"] | F["PROT_WRITE"],
                   F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        ctypes.memmove(hdr_ro, struct.pack("<Ii", 0x20080522, 0), 8)
        assert s("mprotect", hdr_ro, 4096, F["PROT_READ"]) == 0
        bad_hdr = s.mem(struct.pack("<Ii", 1, 0))
        ok_hdr = s.mem(struct.pack("<Ii", 0x20080522, 0))
        got.append([errno_of(r) for r in [
            s("sched_getaffinity", 0, 8, ro), s("sched_getparam", 0, ro),
            s("sched_rr_get_interval", 0, ro), s("getcpu", ro, 0, 0), s("getcpu", 0, ro, 0),
            s("getcpu", s.zeros(4), s.zeros(4), bad_pointer(s)),
            s("statfs", s.path(""), ro), s("fstatfs", s.open("", F["O_RDONLY"]), ro),
            s("capget", ok_hdr, ro), s("capget", hdr_ro, s.zeros(24)),
            s("capget", hdr_ro, ro),
            # a wrong version is written back: a read-only header faults
            s("capget", ro, s.zeros(24)), s("capget", bad_hdr, bad_pointer(s)),
            s("mknodat", -100, bad_pointer(s), 0o010600, 0),
            s("setgroups", 1, ro), s("sched_setaffinity", 0, 8, ro)]])
        s("munmap", ro, 4096)
        s("munmap", hdr_ro, 4096)
        assert s("setgroups", ngroups, groups) == 0
    assert got[0] == got[1]
