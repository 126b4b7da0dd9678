"""sethostname, setdomainname and chroot against Linux. The native side runs
in a forked child (native_child.in_child), never in pytest itself: the UTS
names are changed only after unshare(CLONE_NEWUTS) succeeded there (the
host's names are never touched), and the chroot happens in the child."""

from __future__ import annotations

import struct

import pytest
from native_child import in_child
from sides import (
    PAGE,
    F,
    Side,
    errno_of,
    res,
)

CLONE_NEWUTS = F["CLONE_NEWUTS"]


def bad_pages(s: Side) -> tuple[int, int]:
    """An unmapped page (a hole) and a read-only one of zeros."""
    ro = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    # two pages, the second unmapped: the hole follows a page that stays mapped
    hole = s("mmap", 0, 2 * PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    s("munmap", hole + PAGE, PAGE)
    s("munmap", hole, PAGE)
    return hole + PAGE, ro


def uts_field(s: Side, call: str) -> bytes:
    buf = s.zeros(390)
    assert s("uname", buf) == 0
    fields = struct.unpack("65s" * 6, s.peek(buf, 390))
    return fields[1] if call == "sethostname" else fields[5]


def uts_root(s: Side) -> list[object]:
    """As root (in a new UTS namespace on the native side)."""
    hole, ro = bad_pages(s)
    out: list[object] = []
    for call in ("sethostname", "setdomainname"):
        for name, length in [(b"box", 3), (b"y" * 64, 64), (b"z" * 65, 65), (b"a", -1),
                             (b"a", -(1 << 31)), (b"", 0), (b"abcdef", 2), (b"n\0m", 3)]:
            out.append((call, length, res(s(call, s.mem(name + b"\0"), length)),
                        uts_field(s, call)))
        # bad pointers: a hole, the read-only page of zeros, NULL with and without a length
        for bad, length in [(hole, 3), (ro, 3), (0, 3), (0, 0), (hole, 65)]:
            out.append((call, bad == hole, length, res(s(call, bad, length)), uts_field(s, call)))
    s("munmap", ro, PAGE)
    return out


def uts_nonroot(s: Side) -> list[object]:
    hole, ro = bad_pages(s)
    assert s("setresuid", 1000, 1000, 1000) == 0
    out = [res(s(call, p, n)) for call in ("sethostname", "setdomainname")
           for p, n in [(s.mem(b"box\0"), 3), (s.mem(b"x\0"), -1), (s.mem(b"x\0"), 65),
                        (hole, 3), (0, 3)]]
    s("munmap", ro, PAGE)
    return out


def test_sethostname_setdomainname(sides: tuple[Side, Side]) -> None:
    linux, abi = sides

    def native_root() -> list[object] | None:
        if linux("unshare", CLONE_NEWUTS) != 0:
            return None  # no namespace of our own: never touch the host's names
        return uts_root(linux)

    want = in_child(native_root)
    got = uts_root(abi)
    if want is None:
        pytest.skip("unshare(CLONE_NEWUTS) failed natively")
    assert got == want
    assert uts_field(abi, "sethostname").rstrip(b"\0") == b"" and \
        uts_field(abi, "setdomainname").rstrip(b"\0") == b""


def test_uts_needs_cap_sys_admin(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    want = in_child(lambda: uts_nonroot(linux))
    assert uts_nonroot(abi) == want == ["EPERM"] * 10


def test_uts_efault(sides: tuple[Side, Side]) -> None:
    """Bad name pointers (hole, read-only zeros, NULL) as root, natively in a
    UTS namespace of the child's own."""
    linux, abi = sides

    def go(s: Side) -> list[object] | None:
        if s is linux and s("unshare", CLONE_NEWUTS) != 0:
            return None
        for call in ("sethostname", "setdomainname"):  # the same names on both sides
            assert s(call, s.mem(b"start\0"), 5) == 0
        hole, ro = bad_pages(s)
        out = [(res(s(call, bad, n)), uts_field(s, call))
               for call in ("sethostname", "setdomainname")
               for bad, n in [(hole, 1), (hole - 1, 2), (0, 1), (ro, 4)]]
        s("munmap", ro, PAGE)
        return out

    want = in_child(lambda: go(linux))
    got = go(abi)
    if want is None:
        pytest.skip("unshare(CLONE_NEWUTS) failed natively")
    assert got == want


def chroot_setup(s: Side) -> None:
    assert s("chmod", s.path(""), 0o755) == 0
    for d in ("jail", "jail/sub", "jail/sub/deeper", "locked"):
        assert s("mkdir", s.path(d), 0o755) == 0
    assert s("chmod", s.path("locked"), 0o700) == 0
    for f in ("file", "jail/inside", "jail/sub/subfile"):
        assert s("close", s.open(f, F["O_CREAT"] | F["O_WRONLY"], 0o644)) == 0
    assert s("symlink", s.name_("jail"), s.path("tojail")) == 0
    assert s("symlink", s.name_("/sub"), s.path("jail/abs")) == 0


def names(s: Side, path: bytes) -> object:
    fd = s("openat", -100, s.mem(path + b"\0"), F["O_RDONLY"] | F["O_DIRECTORY"], 0)
    if fd < 0:
        return errno_of(fd)
    out = s.dirents(fd)
    s("close", fd)
    return sorted(out) if isinstance(out, list) else out


def chroot_root(s: Side) -> list[object]:
    """As root: the errors, then into the jail and around in it."""
    hole, ro = bad_pages(s)
    out: list[object] = [res(s("chroot", s.path(p))) for p in ("nope", "file", "file/x",
                                                              "jail/inside")]
    out += [res(s("chroot", s.mem(b"\0"))), res(s("chroot", hole)), res(s("chroot", 0)),
            res(s("chroot", ro))]
    out.append(res(s("chroot", s.path("tojail"))))  # through a symlink
    for p in (b"/", b"/..", b"/../..", b"/sub/../..", b"/abs", b"/abs/.."):
        out.append((p, names(s, p)))
    out += [res(s("newfstatat", -100, s.mem(b"/inside\0"), s.zeros(144), 0)),
            res(s("newfstatat", -100, s.path("file"), s.zeros(144), 0)),
            res(s("chdir", s.mem(b"/sub\0")))]
    cwd = s.zeros(256)
    out += [res(s("getcwd", cwd, 256)), s.peek(cwd, 8).split(b"\0")[0]]
    out += [res(s("chroot", s.mem(b"deeper\0"))), names(s, b"/"), names(s, b"/..")]
    s("munmap", ro, PAGE)
    return out


def chroot_nonroot(s: Side) -> list[object]:
    assert s("setresuid", 1000, 1000, 1000) == 0
    return [res(s("chroot", s.path(p))) for p in ("jail", "nope", "locked", "file", "locked/x")]


def test_chroot(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    for s in sides:
        chroot_setup(s)
    want = in_child(lambda: chroot_root(linux))
    assert chroot_root(abi) == want


def test_chroot_needs_cap_sys_chroot(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    if linux("geteuid") != 0:
        pytest.skip("the native side needs root to compare both")
    for s in sides:
        chroot_setup(s)
    want = in_child(lambda: chroot_nonroot(linux))
    assert chroot_nonroot(abi) == want


def test_chroot_efault(sides: tuple[Side, Side]) -> None:
    """A bad pointer for chroot (its one pointer): hole, read-only zeros, NULL."""
    linux, abi = sides

    def go(s: Side) -> list[object]:
        hole, ro = bad_pages(s)
        out = [res(s("chroot", hole)), res(s("chroot", 0)), res(s("chroot", ro)),
               res(s("chroot", hole - 1))]
        s("munmap", ro, PAGE)
        return out

    assert go(abi) == in_child(lambda: go(linux))


def test_chroot_leaves_the_cwd(sides: tuple[Side, Side]) -> None:
    """chroot does not move the working directory: getcwd reports it as
    "(unreachable)" and ".." from it still walks up outside the new root."""
    linux, abi = sides
    for s in sides:
        chroot_setup(s)

    def go(s: Side) -> list[object]:
        assert s("chdir", s.path("jail/sub")) == 0
        out: list[object] = [res(s("chroot", s.path("jail/sub/deeper")))]
        cwd = s.zeros(256)
        n = s("getcwd", cwd, 256)
        out.append(s.peek(cwd, n).replace(s.root, b"ROOT") if n > 0 else errno_of(n))
        out += [names(s, b".."), names(s, b"../.."), names(s, b"/"), names(s, b"/..")]
        return out

    assert go(abi) == in_child(lambda: go(linux))
