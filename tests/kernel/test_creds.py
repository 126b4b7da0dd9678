"""Credential setters and capget against Linux.

The tests run as root and must never change the pytest process's own
credentials, so every native sequence runs in a forked child
(native_child.in_child); the kernel side runs the same sequence on a kernel
booted with the host's credentials (root). Each step records the result
and the ids afterwards (getresuid, getresgid, the fsuid and fsgid as
setfsuid/setfsgid(-1) report them, the groups), so any divergence in
Linux's rules for privileged and unprivileged callers shows.

capget: this kernel's root holds all 41 capabilities while the host (a
container) may lack some, so root's sets are compared as a superset of the
host's; once the process has dropped root they must be equal."""

from __future__ import annotations

import struct
from collections.abc import Callable

from native_child import in_child
from sides import (
    Side,
    errno_of,
)

NOID = 0xFFFFFFFF
CAP_V1, CAP_V2, CAP_V3 = 0x19980330, 0x20071026, 0x20080522


def ids(s: Side) -> tuple[object, ...]:
    b = s.zeros(24)
    assert s("getresuid", b, b + 4, b + 8) == 0 and s("getresgid", b + 12, b + 16, b + 20) == 0
    groups = s.zeros(256)
    n = s("getgroups", 64, groups)
    return (struct.unpack("<6I", s.peek(b, 24)), s("setfsuid", NOID), s("setfsgid", NOID),
            s.peek(groups, 4 * n) if n >= 0 else errno_of(n))


Step = tuple[str, tuple[int, ...]]


def run(s: Side, steps: list[Step]) -> list[object]:
    # Normalisation: both sides start with no supplementary groups (the
    # kernel boots with none; the host process may have some).
    assert s("setgroups", 0, 0) == 0
    out: list[object] = []
    for call, args in steps:
        if call == "setgroups":
            r = s(call, len(args), s.mem(struct.pack(f"<{len(args)}I", *args)))
        else:
            r = s(call, *args)
        out.append((call, args, r if call in ("setfsuid", "setfsgid") else errno_of(r), ids(s)))
    return out


def compare(sides: tuple[Side, Side], steps: list[Step]) -> None:
    linux, abi = sides
    expected = in_child(lambda: run(linux, steps))
    got = run(abi, steps)
    for e, g in zip(expected, got, strict=True):
        assert g == e


def test_setuid_root_then_unprivileged(sides: tuple[Side, Side]) -> None:
    compare(sides, [
        ("setuid", (NOID,)), ("setgid", (NOID,)),
        ("setgid", (1000,)), ("setuid", (1000,)),          # all ids: no way back
        ("setuid", (0,)), ("setgid", (0,)), ("setuid", (1000,)), ("setgid", (1000,)),
        ("setuid", (1001,)), ("setgroups", ()), ("setfsuid", (0,)), ("setfsuid", (1000,)),
    ])


def test_saved_uid_lets_root_come_back(sides: tuple[Side, Side]) -> None:
    compare(sides, [
        ("setresgid", (NOID, 1000, NOID)), ("setresuid", (1000, 1000, 0)),
        ("setuid", (2000,)), ("setresuid", (NOID, 0, NOID)), ("setuid", (1000,)),
        ("setuid", (0,)), ("setreuid", (NOID, 1000)), ("setreuid", (0, NOID)),
        ("setreuid", (NOID, 0)), ("setreuid", (1000, 3000)), ("setreuid", (3000, 1000)),
        ("setreuid", (NOID, 3000)), ("setreuid", (NOID, NOID)), ("setreuid", (0, 0)),
    ])


def test_setre_and_setres_gid(sides: tuple[Side, Side]) -> None:
    compare(sides, [
        ("setregid", (10, 20)), ("setregid", (NOID, 30)), ("setresgid", (1, 2, 3)),
        ("setresgid", (NOID, NOID, NOID)), ("setresuid", (1000, 1000, 1000)),
        ("setregid", (3, 1)), ("setregid", (4, NOID)), ("setresgid", (2, 2, 2)),
        ("setresgid", (5, NOID, NOID)), ("setgid", (2,)), ("setgid", (9,)),
        ("setfsgid", (9,)), ("setfsgid", (2,)), ("setfsgid", (0,)),
    ])


def test_fsuid(sides: tuple[Side, Side]) -> None:
    compare(sides, [
        ("setfsuid", (1234,)), ("setfsuid", (0,)), ("setfsgid", (77,)),
        ("setresuid", (1000, 2000, 0)), ("setfsuid", (1000,)), ("setfsuid", (0,)),
        ("setfsuid", (3000,)), ("setfsuid", (2000,)), ("setfsuid", (NOID,)),
        ("setresuid", (NOID, 0, NOID)), ("setfsuid", (3000,)),
    ])


def test_setgroups(sides: tuple[Side, Side]) -> None:
    compare(sides, [
        ("setgroups", (5, 3, 9, 3)), ("setgroups", ()), ("setgroups", (7,)),
        ("setgroups", (1, NOID)), ("setgroups", tuple(range(40, 8, -1))),
        ("setresuid", (NOID, 1000, NOID)), ("setgroups", (1,)),
        ("setresuid", (NOID, 0, NOID)), ("setgroups", (2,)),
    ])


def test_setgroups_errors(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[str]:
        hole = s("mmap", 0, 4096, 3, 0x22, -1, 0)
        assert s("munmap", hole, 4096) == 0
        out = [errno_of(s("setgroups", n, p)) for n, p in
               [(-1, s.zeros(8)), (65537, s.zeros(8)), (1, hole), (1, 0), (0, 0), (0, hole)]]
        assert s("setresuid", 1000, 1000, 1000) == 0
        out += [errno_of(s("setgroups", n, p)) for n, p in [(1, hole), (-1, 0), (0, 0)]]
        return out

    linux, abi = sides
    assert probe(abi) == in_child(lambda: probe(linux))


def caps(s: Side, version: int = CAP_V3, pid: int = 0) -> tuple[object, ...]:
    hdr = s.mem(struct.pack("<Ii", version, pid))
    data = s.mem(b"\xee" * 24)
    r = s("capget", hdr, data)
    return (errno_of(r), hex(struct.unpack("<I", s.peek(hdr, 4))[0]), s.peek(data, 24).hex())


def cap_sets(raw_hex: object) -> tuple[int, int, int]:
    assert isinstance(raw_hex, str)
    e0, p0, i0, e1, p1, i1 = struct.unpack("<6I", bytes.fromhex(raw_hex))
    return (e1 << 32 | e0, p1 << 32 | p0, i1 << 32 | i0)


def test_capget_versions_and_errors(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[object]:
        hole = s("mmap", 0, 4096, 3, 0x22, -1, 0)
        assert s("munmap", hole, 4096) == 0
        out: list[object] = []
        for version in (CAP_V1, CAP_V2, CAP_V3, 0, 0x12345678):
            r = caps(s, version)
            out.append((r[0], r[1], r[2][24:] if version == CAP_V1 else len(r[2])))
        out.append(caps(s, CAP_V3, -1)[:2])
        out.append(caps(s, CAP_V3, 0x7FFFFFF0)[:2])
        bad_hdr = s.mem(struct.pack("<Ii", 0, 0))
        out.append(errno_of(s("capget", bad_hdr, 0)))          # probing: 0
        out.append(hex(struct.unpack("<I", s.peek(bad_hdr, 4))[0]))
        out.append(errno_of(s("capget", s.mem(struct.pack("<Ii", CAP_V3, 0)), 0)))
        out.append(errno_of(s("capget", hole, s.zeros(24))))
        out.append(errno_of(s("capget", 0, s.zeros(24))))
        out.append(errno_of(s("capget", s.mem(struct.pack("<Ii", CAP_V3, 0)), hole)))
        return out

    linux, abi = sides
    assert probe(abi) == in_child(lambda: probe(linux))


def test_capget_follows_the_uids(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[tuple[int, int, int]]:
        out = [cap_sets(caps(s)[2])]
        steps: list[Callable[[], int]] = [
            lambda: s("setfsuid", 1000), lambda: s("setfsuid", 0),
            lambda: s("setresuid", 0, 1000, 0), lambda: s("setfsuid", 0),
            lambda: s("setresuid", 0, 0, 0), lambda: s("setresuid", 1000, 1000, 1000),
        ]
        for step in steps:
            step()
            out.append(cap_sets(caps(s)[2]))
        return out

    linux, abi = sides
    expected = in_child(lambda: probe(linux))
    got = probe(abi)
    bounding = expected[0][1]  # the host's permitted set as root
    for e, g in zip(expected, got, strict=True):
        # the host may lack capabilities this kernel's root has
        assert tuple(x & bounding for x in g) == e and g[2] == 0
    assert got[-1] == (0, 0, 0)
