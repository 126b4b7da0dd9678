"""Extended attributes against Linux's tmpfs: the same sequence of setxattr,
getxattr, listxattr and removexattr calls (path, l- and f- forms) on a
fresh tmpfs directory and on the kernel's ramfs; results, values, lists and
errnos must match. Credential-dropping sequences run natively in a forked
child (native_child.in_child). Every test ends with a reset that must find
no heap leak, so the attributes are freed with their inodes."""

from __future__ import annotations

import ctypes
import random
import struct

import pytest
from native_child import in_child
from sides import (
    PAGE,
    F,
    Side,
    both,
    res,
)

AT_FDCWD = -100
BIG = 70000  # more than XATTR_SIZE_MAX
S_IFIFO = 0o010000


class X:
    """The xattr calls of one side on paths under its root or on fds."""

    def __init__(self, s: Side) -> None:
        self.s = s

    def target(self, call: str, where: str | int) -> int:
        return where if call.startswith("f") else self.s.path(str(where))

    def set(self, call: str, where: str | int, name: bytes, value: bytes | None,
            flags: int = 0, size: int | None = None) -> int | str:
        v = self.s.mem(value) if value else 0
        n = len(value or b"") if size is None else size
        return res(self.s(call, self.target(call, where), self.s.mem(name + b"\0"), v, n,
                          flags))

    def get(self, call: str, where: str | int, name: bytes, size: int = 256) -> object:
        buf = self.s.zeros(min(size, BIG) or 16)
        r = self.s(call, self.target(call, where), self.s.mem(name + b"\0"), buf if size else 0,
                   size)
        return (r, self.s.peek(buf, r)) if r > 0 and size else res(r)

    def list(self, call: str, where: str | int, size: int = 4096) -> object:
        buf = self.s.zeros(min(size, BIG) or 16)
        r = self.s(call, self.target(call, where), buf if size else 0, size)
        return (r, self.s.peek(buf, r)) if r > 0 and size else res(r)

    def remove(self, call: str, where: str | int, name: bytes) -> int | str:
        return res(self.s(call, self.target(call, where), self.s.mem(name + b"\0")))


def make_tree(s: Side) -> None:
    assert s("close", s.open("f", F["O_CREAT"] | F["O_WRONLY"], 0o644)) == 0
    assert s("mkdir", s.path("d"), 0o755) == 0
    assert s("symlink", s.name_("f"), s.path("l")) == 0
    assert s("symlink", s.name_("nowhere"), s.path("dangling")) == 0
    assert s("mknod", s.path("p"), S_IFIFO | 0o644, 0) == 0


def test_set_get_remove(sides: tuple[Side, Side]) -> None:
    def go(s: Side) -> list[object]:
        make_tree(s)
        x = X(s)
        out: list[object] = []
        for name, value in [(b"user.a", b"hello"), (b"trusted.t", b"tv"),
                            (b"security.s", b"sv"), (b"user.empty", b""),
                            (b"user.big", b"v" * 65536), (b"user.big2", b"v" * 65537),
                            (b"user." + b"n" * 250, b"255"), (b"user." + b"n" * 251, b"256"),
                            (b"user.", b"x"), (b"trusted.", b"x"), (b"security.", b"x"),
                            (b"system.", b"x"), (b"system.foo", b"x"), (b"foo.x", b"x"),
                            (b"user", b"x"), (b"", b"x")]:
            out.append((name[:20], x.set("setxattr", "f", name, value)))
        out.append(x.set("setxattr", "f", b"user.null", None))  # size 0: an empty value
        out.append(x.set("setxattr", "f", b"user.toobig", None, size=1 << 40))
        for flags in (F["XATTR_CREATE"], F["XATTR_REPLACE"], 3, 4):
            out += [x.set("setxattr", "f", b"user.a", b"new", flags),
                    x.set("setxattr", "f", b"user.fresh", b"v", flags)]
        out.append(x.list("listxattr", "f", 0))
        out.append(x.list("listxattr", "f"))
        out.append(x.list("listxattr", "f", 10))
        out.append(x.list("listxattr", "f", 1 << 40))
        for name in (b"user.a", b"trusted.t", b"security.s", b"user.empty", b"user.null",
                     b"user.missing", b"user." + b"n" * 250, b"user." + b"n" * 251, b"user.",
                     b"foo.x", b"system.foo", b"", b"user"):
            out.append((name[:20], x.get("getxattr", "f", name), x.get("getxattr", "f", name, 0),
                        x.get("getxattr", "f", name, 2)))
        out.append(x.get("getxattr", "f", b"user.big", 1 << 40)[0])
        out.append(x.get("getxattr", "f", b"user.big", 65535))
        for name in (b"user.a", b"user.a", b"user.missing", b"foo.x", b"user.", b"",
                     b"trusted.t", b"security.s"):
            out.append(x.remove("removexattr", "f", name))
        out.append(x.list("listxattr", "f"))
        return out

    both(sides, go)


def test_file_types_and_links(sides: tuple[Side, Side]) -> None:
    def go(s: Side) -> list[object]:
        make_tree(s)
        x = X(s)
        out: list[object] = []
        for where in ("d", "l", "p", "dangling"):
            for name in (b"user.u", b"trusted.t", b"security.s", b"foo.x"):
                out.append((where, name, x.set("lsetxattr", where, name, b"v"),
                            x.get("lgetxattr", where, name), x.list("llistxattr", where)))
        # through the symlink: the file's attributes
        out += [x.set("setxattr", "l", b"user.via", b"link"), x.get("getxattr", "f", b"user.via"),
                x.list("listxattr", "l"), x.list("llistxattr", "l"),
                x.remove("lremovexattr", "l", b"user.u"), x.remove("lremovexattr", "l",
                                                                   b"trusted.t"),
                x.remove("removexattr", "l", b"user.via"), x.get("getxattr", "dangling",
                                                                 b"user.a"),
                x.set("setxattr", "dangling", b"user.a", b"v"),
                x.get("getxattr", "nope", b"foo.x"), x.get("getxattr", "f/x", b"user.a"),
                x.list("listxattr", "nope"), x.remove("removexattr", "nope", b"user.a"),
                # the arguments are read before the path is looked up
                x.set("setxattr", "nope", b"user.a", b"v", 9), x.set("setxattr", "nope", b"",
                                                                     b"v"),
                x.set("setxattr", "nope", b"user.a", b"v", size=BIG)]
        for name in (b"user.a", b"trusted.a"):  # a directory's attributes
            out += [x.set("setxattr", "d", name, b"dir"), x.get("getxattr", "d", name)]
        out.append(x.list("listxattr", "d"))
        return out

    both(sides, go)


def test_fd_forms(sides: tuple[Side, Side]) -> None:
    def go(s: Side) -> list[object]:
        make_tree(s)
        x = X(s)
        fds = [s.open("f", F["O_RDONLY"]), s.open("f", F["O_PATH"]),
               s.open("d", F["O_RDONLY"] | F["O_DIRECTORY"])]
        pipe = s.zeros(8)
        assert s("pipe2", pipe, 0) == 0
        fds += list(ctypes.cast(pipe, ctypes.POINTER(ctypes.c_int))[0:2])
        efd = s("eventfd2", 0, 0)
        fds.append(efd)
        out: list[object] = []
        try:
            for fd in (*fds, 999, -1):
                for name in (b"user.fd", b"trusted.fd", b"foo.fd", b"user.", b""):
                    out.append((name, x.set("fsetxattr", fd, name, b"v"),
                                x.get("fgetxattr", fd, name), x.get("fgetxattr", fd, name, 0),
                                x.list("flistxattr", fd)))
                out.append((x.remove("fremovexattr", fd, b"trusted.fd"),
                            x.remove("fremovexattr", fd, b"user.fd"),
                            x.set("fsetxattr", fd, b"user.x", b"v", 9)))
            out.append(x.list("listxattr", "f"))
        finally:
            for fd in fds:
                s("close", fd)
        return out

    both(sides, go)


def test_acl_and_capability_names(sides: tuple[Side, Side]) -> None:
    def go(s: Side) -> list[object]:
        make_tree(s)
        x = X(s)
        out: list[object] = []
        for acl in (b"system.posix_acl_access", b"system.posix_acl_default"):
            for where in ("f", "d"):
                out += [x.get("getxattr", where, acl), x.remove("removexattr", where, acl),
                        x.set("setxattr", where, acl, b"\x02\0\0\0"),
                        x.set("setxattr", where, acl, None),
                        x.set("setxattr", where, acl, b"\x01\0\0\0"),
                        x.set("setxattr", where, acl, b"\x02\0\0"),
                        x.set("setxattr", where, acl, b"\x02\0\0\0\0")]
            out += [x.get("lgetxattr", "l", acl), x.remove("lremovexattr", "l", acl),
                    x.set("lsetxattr", "l", acl, b"\x02\0\0\0")]
        out += [x.set("setxattr", "f", b"security.capability", b"v"),
                x.set("setxattr", "f", b"security.capability", None),
                x.list("listxattr", "f")]
        return out

    both(sides, go)


def test_proc_and_pipes_have_no_store(sides: tuple[Side, Side]) -> None:
    def go(s: Side) -> list[object]:
        out: list[object] = []
        status = s.mem(b"/proc/self/status\0")
        for name in (b"user.a", b"trusted.a", b"security.a", b"foo.a"):
            buf = s.zeros(64)
            out += [res(s("getxattr", status, s.mem(name + b"\0"), buf, 64)),
                    res(s("setxattr", status, s.mem(name + b"\0"), s.mem(b"v"), 1, 0)),
                    res(s("removexattr", status, s.mem(name + b"\0")))]
        out.append(res(s("listxattr", status, s.zeros(64), 64)))
        return out

    both(sides, go)


def nonroot_script(s: Side, acl: bytes | None = None) -> list[object]:
    """As uid/gid 1000 on the tree root_setup made, "open/mine" its own; with
    acl (an ACL with entries, which hostfs stores and ramfs refuses), also
    setting it and the security namespace."""
    x = X(s)
    out: list[object] = []
    assert s("setresgid", 1000, 1000, 1000) == 0 and s("setresuid", 1000, 1000, 1000) == 0
    for name in (b"user.a", b"trusted.t", b"security.s", b"foo.x", b"system.posix_acl_access"):
        out += [x.get("getxattr", "f", name), x.get("getxattr", "private", name),
                x.set("setxattr", "f", name, b"w"), x.remove("removexattr", "f", name)]
        if acl:
            out.append(x.set("setxattr", "f", name, acl))
    out += [x.list("listxattr", "f"), x.list("listxattr", "private"),
            x.set("setxattr", "sticky", b"user.a", b"v"), x.get("getxattr", "sticky", b"user.a"),
            x.set("setxattr", "open", b"user.a", b"v"), x.get("getxattr", "open", b"user.a")]
    fd = s.open("open/mine", F["O_CREAT"] | F["O_RDWR"], 0o600)
    out += [fd >= 0, x.set("fsetxattr", fd, b"user.mine", b"m"), x.list("flistxattr", fd),
            x.set("fsetxattr", fd, b"trusted.mine", b"m")]
    if acl:
        out += [x.set("fsetxattr", fd, b"security.mine", b"m"),
                x.set("fsetxattr", fd, b"system.posix_acl_access", acl),
                x.get("fgetxattr", fd, b"system.posix_acl_access"), x.list("flistxattr", fd)]
    out += [x.remove("fremovexattr", fd, b"system.posix_acl_access"),
            x.remove("fremovexattr", fd, b"user.mine")]
    if acl:
        out.append(x.list("flistxattr", fd))
    s("close", fd)
    return out


def root_setup(s: Side) -> None:
    x = X(s)
    assert s("chmod", s.path(""), 0o755) == 0
    for name, mode in (("f", 0o644), ("private", 0o600)):
        assert s("close", s.open(name, F["O_CREAT"] | F["O_WRONLY"], mode)) == 0
        assert s("chmod", s.path(name), mode) == 0
        for attr in (b"user.a", b"trusted.t", b"security.s"):
            assert x.set("setxattr", name, attr, b"root") == 0
    for name, mode in (("sticky", 0o1777), ("open", 0o777)):
        assert s("mkdir", s.path(name), 0o755) == 0
        assert s("chmod", s.path(name), mode) == 0


def test_nonroot(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    if linux("geteuid") != 0:
        pytest.skip("the native side needs root to compare both")
    for s in sides:
        root_setup(s)
    want = in_child(lambda: nonroot_script(linux))
    assert nonroot_script(abi) == want


def test_freed_with_the_inode(lib: ctypes.CDLL, sides: tuple[Side, Side]) -> None:
    _linux, abi = sides
    x = X(abi)
    fd = abi.open("gone", F["O_CREAT"] | F["O_RDWR"], 0o644)
    for i in range(50):
        assert x.set("fsetxattr", fd, b"user.k%d" % i, b"v" * (i * 100)) == 0
    assert abi("unlink", abi.path("gone")) == 0
    assert x.get("fgetxattr", fd, b"user.k3", 1000) == (300, b"v" * 300)
    assert abi("close", fd) == 0
    assert x.set("setxattr", "", b"user.dir", b"d") == 0
    assert x.set("setxattr", "", b"user.dir", b"longer value") == 0
    assert abi("rmdir", abi.path("")) == 0  # the leak check of the fixture follows


def test_xattr_efault(sides: tuple[Side, Side]) -> None:
    """A bad (unmapped, read-only or NULL) pointer in each position."""
    def go(s: Side) -> list[object]:
        make_tree(s)
        x = X(s)
        assert x.set("setxattr", "f", b"user.a", b"value") == 0
        fd = s.open("f", F["O_RDONLY"])
        ro = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        hole = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        s("munmap", hole, PAGE)  # nothing is mapped after this: it stays a hole
        out: list[object] = []
        try:
            for bad in (hole, ro, 0):
                path, name, val = s.path("f"), s.mem(b"user.a\0"), s.mem(b"value")
                buf = s.zeros(64)
                for call in ("setxattr", "lsetxattr", "fsetxattr"):
                    first = fd if call == "fsetxattr" else path
                    if call != "fsetxattr":
                        out.append(res(s(call, bad, name, val, 5, 0)))
                    out += [res(s(call, first, bad, val, 5, 0)),
                            res(s(call, first, name, bad, 5, 0))]
                for call in ("getxattr", "lgetxattr", "fgetxattr"):
                    first = fd if call == "fgetxattr" else path
                    if call != "fgetxattr":
                        out.append(res(s(call, bad, name, buf, 64)))
                    out += [res(s(call, first, bad, buf, 64)),
                            res(s(call, first, name, bad, 64)), res(s(call, first, name, bad, 0))]
                for call in ("listxattr", "llistxattr", "flistxattr"):
                    first = fd if call == "flistxattr" else path
                    if call != "flistxattr":
                        out.append(res(s(call, bad, buf, 64)))
                    out += [res(s(call, first, bad, 64)), res(s(call, first, bad, 0))]
                for call in ("removexattr", "lremovexattr", "fremovexattr"):
                    first = fd if call == "fremovexattr" else path
                    if call != "fremovexattr":
                        out.append(res(s(call, bad, name)))
                    out.append(res(s(call, first, bad)))
                out.append(x.get("getxattr", "f", b"user.a"))
        finally:
            s("close", fd)
            s("munmap", ro, PAGE)
        return out

    both(sides, go)


def test_capability_values(sides: tuple[Side, Side]) -> None:
    """security.capability: v2 (20 bytes) and v3 (24) headers are accepted
    (v3 for root id 0 becomes v2), anything else is EINVAL."""
    def go(s: Side) -> list[object]:
        make_tree(s)
        x = X(s)
        out: list[object] = []
        for value in (struct.pack("<5I", 0x02000000, 1, 0, 0, 0),
                      struct.pack("<5I", 0x02000001, 1, 0, 0, 0),
                      struct.pack("<5I", 0x03000000, 1, 0, 0, 0),
                      struct.pack("<6I", 0x03000001, 1, 0, 0, 0, 0),
                      struct.pack("<6I", 0x03000000, 7, 0, 0, 0, 5),
                      struct.pack("<4I", 0x02000000, 1, 0, 0), b"\0" * 20):
            out += [x.set("setxattr", "f", b"security.capability", value),
                    x.get("getxattr", "f", b"security.capability")]
        out.append(x.list("listxattr", "f"))
        return out

    both(sides, go)


def test_random_sequence(sides: tuple[Side, Side]) -> None:
    """A seeded random mix of set (with flags), get, list and remove over
    names with high bytes: values, errnos and the listing order must match."""
    rng = random.Random(5)
    names = [b"user." + bytes(rng.choice(b"abcXYZ09_.\xff\x80") for _ in range(rng.randint(1, 6)))
             for _ in range(30)] + [b"trusted.x", b"security.q", b"trusted.\xff"]
    steps = [(rng.choice("ssssgglr"), rng.choice(names), rng.randint(0, 3),
              rng.choice([0, 0, 1, 2]), rng.choice([0, 3, 100]), rng.choice([0, 10, 4096]))
             for _ in range(1500)]

    def go(s: Side) -> list[object]:
        make_tree(s)
        x = X(s)
        out: list[object] = []
        for op, name, times, flags, gsize, lsize in steps:
            s.reset_arena()
            if op == "s":
                out.append(x.set("setxattr", "f", name, name * times, flags))
            elif op == "g":
                out.append(x.get("getxattr", "f", name, gsize))
            elif op == "l":
                out.append(x.list("listxattr", "f", lsize))
            else:
                out.append(x.remove("removexattr", "f", name))
        return out

    both(sides, go)
