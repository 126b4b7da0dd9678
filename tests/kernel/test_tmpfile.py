"""O_TMPFILE and giving the file a name with linkat, against Linux.

Every case runs on both sides and the results must match: natively in a
fresh directory on tmpfs (/dev/shm), and on the kernel in its ramfs or, for
the "hostfs" parameter, in a host directory on the same tmpfs mounted
through hostfs (the kernel then asks the host for O_TMPFILE and linkat).
/proc/self/fd names are compared with the side's root replaced by ROOT and
inode numbers ("#<ino>") by "#N". Credential-changing native sequences run
in a forked child (native_child.in_child).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator

import pytest
from native_child import in_child
from sides import (
    AT_FDCWD,
    F,
    NativeDir,
    Side,
    boot_guest,
    both,
    errno_of,
    native_release,
    native_side,
    unpack_stat,
)
from test_hostfs import finish, kernel_lib, mount

O_RDONLY, O_WRONLY, O_RDWR = F["O_RDONLY"], F["O_WRONLY"], F["O_RDWR"]
O_TMPFILE, O_CREAT, O_EXCL, O_PATH = F["O_TMPFILE"], F["O_CREAT"], F["O_EXCL"], F["O_PATH"]
O_DIRECTORY, O_NOFOLLOW, O_TRUNC = F["O_DIRECTORY"], F["O_NOFOLLOW"], F["O_TRUNC"]
O_TMPFILE_BIT = O_TMPFILE & ~O_DIRECTORY  # Linux's __O_TMPFILE
AT_EMPTY_PATH, AT_SYMLINK_FOLLOW = F["AT_EMPTY_PATH"], F["AT_SYMLINK_FOLLOW"]
NOID = 0xFFFFFFFF
PAYLOAD = bytes(range(256)) * 40  # 10 KiB


@pytest.fixture(params=["ramfs", "hostfs"])
def fs(request: pytest.FixtureRequest) -> Iterator[tuple[Side, Side]]:
    """(linux, abi) with abi's /tmp/t on ramfs, or on a hostfs mount of a
    host directory twin of linux's."""
    if request.param == "ramfs":
        yield request.getfixturevalue("sides")
        return
    lib = kernel_lib()
    native, host = NativeDir(), NativeDir()
    linux = native_side(native.path)
    abi = boot_guest(lib)
    mount(lib, host.path)
    yield linux, abi
    native_release(linux)
    native.remove()
    host.remove()
    finish(lib)


def fd_name(s: Side, fd: int) -> bytes | str:
    """/proc/self/fd/<fd> with the root and inode numbers normalised."""
    buf = s.zeros(512)
    n = s("readlink", s.mem(f"/proc/self/fd/{fd}\0".encode()), buf, 512)
    if n < 0:
        return errno_of(n)
    name = s.peek(buf, n).replace(s.root, b"ROOT")
    return re.sub(rb"#\d+", b"#N", name)


def fstat(s: Side, fd: int) -> tuple[int, ...] | str:
    st = s.zeros(144)
    r = s("fstat", fd, st)
    return errno_of(r) if r < 0 else unpack_stat(s.peek(st, 144))


def ino_of(s: Side, fd: int) -> int:
    st = s.zeros(144)
    assert s("fstat", fd, st) == 0
    return int(struct.unpack_from("<Q", s.peek(st, 144), 8)[0])


def tmpfile(s: Side, rel: str, flags: int = O_RDWR, mode: int = 0o600) -> int:
    return s("openat", AT_FDCWD, s.path(rel), O_TMPFILE | flags, mode)


def opened(s: Side, fd: int) -> object:
    """What an open gave: the errno, or F_GETFL, the mode and the fd name."""
    if fd < 0:
        return errno_of(fd)
    st = fstat(s, fd)
    out = (hex(s("fcntl", fd, F["F_GETFL"], 0)), s("fcntl", fd, F["F_GETFD"], 0),
           oct(st[0]) if isinstance(st, tuple) else st, fd_name(s, fd))
    s("close", fd)
    return out


def read_at(s: Side, fd: int, size: int, at: int = 0) -> bytes | str:
    buf = s.zeros(size)
    n = s("pread64", fd, buf, size, at)
    return errno_of(n) if n < 0 else s.peek(buf, n)


def link_empty(s: Side, fd: int, rel: str) -> str:
    return errno_of(s("linkat", fd, s.mem(b"\0"), AT_FDCWD, s.path(rel), AT_EMPTY_PATH))


def link_proc(s: Side, fd: int, rel: str, flags: int = AT_SYMLINK_FOLLOW) -> str:
    return errno_of(s("linkat", AT_FDCWD, s.mem(f"/proc/self/fd/{fd}\0".encode()),
                      AT_FDCWD, s.path(rel), flags))


def names(s: Side, rel: str = "") -> list[bytes] | str:
    fd = s("openat", AT_FDCWD, s.path(rel), O_RDONLY | O_DIRECTORY, 0)
    if fd < 0:
        return errno_of(fd)
    out = s.dirents(fd)
    s("close", fd)
    return sorted(n for n, _ in out) if isinstance(out, list) else out


# --- open ------------------------------------------------------------------------


def test_tmpfile_is_an_unnamed_file(fs: tuple[Side, Side]) -> None:
    def run(s: Side) -> list[object]:
        fd = tmpfile(s, "", O_RDWR, 0o640)
        assert fd >= 0, errno_of(fd)
        out: list[object] = [fstat(s, fd), hex(s("fcntl", fd, F["F_GETFL"], 0)), fd_name(s, fd),
                             names(s), s.stat("")]
        out += [s("write", fd, s.mem(PAYLOAD), len(PAYLOAD)), fstat(s, fd),
                read_at(s, fd, 100, 5000) == PAYLOAD[5000:5100],
                s("lseek", fd, 0, F["SEEK_END"]), s("ftruncate", fd, 3000),
                s("fallocate", fd, 0, 0, 8192), fstat(s, fd)]
        # /proc/self/fd reopens the same file as a description of its own
        ro = s("openat", AT_FDCWD, s.mem(f"/proc/self/fd/{fd}\0".encode()), O_RDONLY, 0)
        out += [hex(s("fcntl", ro, F["F_GETFL"], 0)), ino_of(s, ro) == ino_of(s, fd),
                read_at(s, ro, 10, 0) == PAYLOAD[:10], fd_name(s, ro),
                errno_of(s("write", ro, s.mem(b"x"), 1)), s("close", fd), fstat(s, ro),
                s("close", ro), names(s)]
        return out

    both(fs, run)


ACC_FLAGS = [O_RDONLY, O_WRONLY, O_RDWR, 3, O_RDWR | O_CREAT, O_CREAT, O_RDWR | O_EXCL | O_CREAT,
             O_RDWR | O_EXCL, O_TRUNC, O_RDWR | O_TRUNC, O_WRONLY | F["O_APPEND"],
             O_RDWR | F["O_CLOEXEC"], O_RDWR | O_NOFOLLOW, O_RDWR | F["O_NOATIME"],
             O_RDWR | F["O_NONBLOCK"], O_RDWR | F["O_SYNC"], O_RDWR | F["O_DSYNC"],
             O_RDWR | F["O_DIRECT"], O_PATH | O_RDWR, O_PATH, O_PATH | O_CREAT]


@pytest.mark.parametrize("flags", ACC_FLAGS, ids=hex)
def test_open_flags(fs: tuple[Side, Side], flags: int) -> None:
    both(fs, lambda s: opened(s, tmpfile(s, "", flags, 0o640)))


def test_tmpfile_bit_without_o_directory(fs: tuple[Side, Side]) -> None:
    """__O_TMPFILE alone is EINVAL (O_TMPFILE carries O_DIRECTORY)."""
    both(fs, lambda s: opened(s, s("openat", AT_FDCWD, s.path(""), O_TMPFILE_BIT | O_RDWR, 0o600)))


def test_paths(fs: tuple[Side, Side]) -> None:
    def run(s: Side) -> list[object]:
        fd = s.open("file", O_CREAT | O_WRONLY, 0o644)
        s("close", fd)
        s("mkdir", s.path("sub"), 0o755)
        for target, name in [(b"sub", "lnk"), (b"file", "flnk"), (b"nope", "dang")]:
            s("symlink", s.mem(target + b"\0"), s.path(name))
        out: list[object] = []
        for rel in ["file", "missing", "sub", "lnk", "flnk", "dang", "file/", "sub/", "sub/.",
                    "sub/..", "missing/x", "file/x", "lnk/"]:
            for extra in (0, O_NOFOLLOW):
                out.append((rel, extra, opened(s, tmpfile(s, rel, O_RDWR | extra))))
        empty = s("openat", AT_FDCWD, s.mem(b"\0"), O_TMPFILE | O_RDWR, 0o600)
        dfd = s.open("sub", O_RDONLY | O_DIRECTORY)
        out += [opened(s, empty), opened(s, s("openat", dfd, s.mem(b".\0"), O_TMPFILE | O_RDWR, 0)),
                opened(s, s("openat", dfd, s.mem(b"\0"), O_TMPFILE | O_RDWR, 0)),
                opened(s, s("openat", 999, s.mem(b"x\0"), O_TMPFILE | O_RDWR, 0))]
        s("close", dfd)
        return out

    both(fs, run)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0])
def test_modes_and_umask(fs: tuple[Side, Side], umask: int) -> None:
    def run(s: Side) -> list[object]:
        old = s("umask", umask)
        out = [opened(s, tmpfile(s, "", O_RDWR, m))
               for m in [0o777, 0o7777, 0o4755, 0o2755, 0o1777, 0, 0o170777, 0o100644, 0o200]]
        s("umask", old)
        return out

    both(fs, run)


def test_filesystems(sides: tuple[Side, Side]) -> None:
    """Linux's own filesystems: tmpfs and devtmpfs make tmpfiles, procfs
    cannot (EOPNOTSUPP); the kernel's ramfs (/, /tmp, /dev, /dev/shm) can.
    (Linux's /proc/<pid> directories refuse writing with EPERM first, which
    this kernel's procfs does not model.)"""
    def run(s: Side) -> list[object]:
        return [opened(s, s("openat", AT_FDCWD, s.mem(p + b"\0"), O_TMPFILE | O_RDWR, 0o600))
                for p in [b"/proc", b"/proc/self/fd", b"/dev", b"/dev/shm", b"/", b"/tmp"]]

    both(sides, run)


def test_removed_directory(fs: tuple[Side, Side]) -> None:
    """A directory already removed still takes a tmpfile (Linux does not
    check), which cannot be linked there but can be elsewhere."""
    def run(s: Side) -> list[object]:
        s("mkdir", s.path("gone"), 0o755)
        g = s.open("gone", O_RDONLY | O_DIRECTORY)
        s("rmdir", s.path("gone"))
        fd = s("openat", g, s.mem(b".\0"), O_TMPFILE | O_RDWR, 0o600)
        out: list[object] = [errno_of(fd)]
        if fd >= 0:
            out += [fd_name(s, fd), fstat(s, fd),
                    errno_of(s("linkat", fd, s.mem(b"\0"), g, s.mem(b"x\0"), AT_EMPTY_PATH)),
                    link_empty(s, fd, "from-gone"), fstat(s, fd), names(s)]
            s("close", fd)
        s("close", g)
        return out

    both(fs, run)


# --- linkat ------------------------------------------------------------------------


def test_link_gives_a_name(fs: tuple[Side, Side]) -> None:
    def run(s: Side) -> list[object]:
        fd = tmpfile(s, "", O_RDWR, 0o640)
        s("write", fd, s.mem(b"hello"), 5)
        s("mkdir", s.path("sub"), 0o755)
        out: list[object] = [link_empty(s, fd, "named"), fstat(s, fd), fd_name(s, fd),
                             s.stat("named"), names(s), s.stat("")]
        nfd = s.open("named", O_RDONLY)
        out += [read_at(s, nfd, 10), fd_name(s, nfd), ino_of(s, nfd) == ino_of(s, fd)]
        s("close", nfd)
        out += [link_empty(s, fd, "named2"), fstat(s, fd), link_proc(s, fd, "sub/third"),
                fstat(s, fd), link_empty(s, fd, "named"), s("unlink", s.path("named")),
                s("unlink", s.path("named2")), s("unlink", s.path("sub/third")), fstat(s, fd),
                fd_name(s, fd), link_empty(s, fd, "again"), link_proc(s, fd, "again"), names(s)]
        s("close", fd)
        return out

    both(fs, run)


def test_link_through_proc(fs: tuple[Side, Side]) -> None:
    def run(s: Side) -> list[object]:
        fd = tmpfile(s, "")
        out: list[object] = [link_proc(s, fd, "nofollow", 0), link_proc(s, fd, "p"),
                             fstat(s, fd), fd_name(s, fd), s.stat("p"), link_proc(s, fd, "p"),
                             errno_of(s("link", s.mem(f"/proc/self/fd/{fd}\0".encode()),
                                        s.path("viaLink")))]
        s("close", fd)
        return out

    both(fs, run)


def test_link_errors(fs: tuple[Side, Side]) -> None:
    def run(s: Side) -> list[object]:
        fd = tmpfile(s, "")
        f = s.open("file", O_CREAT | O_WRONLY, 0o644)
        s("close", f)
        dfd = s.open("", O_PATH | O_DIRECTORY)
        out = [link_empty(s, fd, "file"), link_empty(s, fd, "file/x"),
               link_empty(s, fd, "missing/x"), link_empty(s, fd, "slash/"),
               link_empty(s, fd, "."), link_empty(s, dfd, "dirlink"),
               link_empty(s, 999, "badfd"), link_empty(s, -1, "negfd"),
               # a cross-filesystem name: Linux's /dev is devtmpfs, the kernel's
               # another ramfs mount; neither is the root's filesystem
               errno_of(s("linkat", fd, s.mem(b"\0"), AT_FDCWD,
                          s.mem(b"/dev/abi-tmpfile-xdev\0"), AT_EMPTY_PATH)),
               errno_of(s("linkat", fd, s.mem(b"x\0"), AT_FDCWD, s.path("relname"),
                          AT_EMPTY_PATH)),
               errno_of(s("linkat", fd, s.mem(b"\0"), AT_FDCWD, s.path("noflag"), 0)),
               errno_of(s("linkat", fd, s.mem(b"\0"), AT_FDCWD, s.path("badflag"), 0x8000)),
               names(s)]
        # a tmpfile in another filesystem linked into this one
        dev = s("openat", AT_FDCWD, s.mem(b"/dev\0"), O_TMPFILE | O_RDWR, 0o600)
        out += [link_empty(s, dev, "fromdev"), link_proc(s, dev, "fromdev")]
        for x in (fd, dfd, dev):
            s("close", x)
        return out

    both(fs, run)


def test_excl_and_deleted_files_stay_unnamed(fs: tuple[Side, Side]) -> None:
    def run(s: Side) -> list[object]:
        ex = tmpfile(s, "", O_RDWR | O_EXCL)
        reopened = s("openat", AT_FDCWD, s.mem(f"/proc/self/fd/{ex}\0".encode()), O_RDWR, 0)
        out: list[object] = [link_empty(s, ex, "ex"), link_proc(s, ex, "ex"),
                             opened(s, reopened), fstat(s, ex)]
        s("close", ex)
        nf = s.open("del", O_CREAT | O_RDWR, 0o644)
        s("unlink", s.path("del"))
        out += [link_empty(s, nf, "del2"), link_proc(s, nf, "del2"), fd_name(s, nf), names(s)]
        s("close", nf)
        return out

    both(fs, run)


# --- credentials ----------------------------------------------------------------


def nonroot_steps(s: Side) -> list[object]:
    """Made as root: directories of several owners and modes and a tmpfile;
    then, as uid/gid 1000, tmpfiles in each and the AT_EMPTY_PATH rule of
    Linux 6.10 (a file opened with the caller's present credentials)."""
    dirs = [("mine", 0o755, 1000, 1000), ("root755", 0o755, 0, 0), ("root777", 0o777, 0, 0),
            ("mine_nox", 0o600, 1000, 1000), ("mine_now", 0o500, 1000, 1000),
            ("sticky", 0o1777, 0, 0), ("sgid", 0o2777, 0, 50)]
    for rel, mode, uid, gid in dirs:
        assert s("mkdir", s.path(rel), 0o700) == 0
        assert s("chown", s.path(rel), uid, gid) == 0
        assert s("chmod", s.path(rel), mode) == 0
    s("chmod", s.path(""), 0o755)
    s("chdir", s.path(""))  # (the native side runs in a child)
    by_root = tmpfile(s, "root777", O_RDWR, 0o644)
    assert s("setgroups", 0, 0) == 0
    assert s("setresgid", 1000, 1000, 1000) == 0 and s("setresuid", 1000, 1000, 1000) == 0
    out: list[object] = []
    for rel, *_ in dirs:
        fd = tmpfile(s, rel, O_RDWR, 0o666)
        if fd < 0:
            out.append((rel, errno_of(fd)))
            continue
        out.append((rel, fstat(s, fd), link_empty(s, fd, f"{rel}/e"),
                    link_proc(s, fd, f"{rel}/p"), s.stat(f"{rel}/e")))
        s("close", fd)
    out += [link_empty(s, by_root, "root777/byroot"), link_proc(s, by_root, "root777/byroot"),
            link_empty(s, 999, "mine/bad"),
            errno_of(s("linkat", AT_FDCWD, s.mem(b"\0"), AT_FDCWD, s.path("mine/cwd"),
                       AT_EMPTY_PATH))]
    # which setters replace the credentials (Linux's commit_creds)
    for call, args in [("setuid", (1000,)), ("setresuid", (NOID, NOID, NOID)),
                       ("setfsuid", (1000,)), ("setfsgid", (NOID,)), ("setreuid", (NOID, NOID)),
                       ("setresgid", (1000, 1000, 1000)), ("setgid", (1000,)),
                       ("setregid", (1000, NOID)), ("setuid", (0,))]:
        fd = tmpfile(s, "mine")
        r = s(call, *args)
        out.append((call, args, r if call.startswith("setfs") else errno_of(r),
                    link_empty(s, fd, f"mine/{call}{len(out)}"),
                    errno_of(s("linkat", fd, s.mem(b"x\0"), AT_FDCWD, s.path("mine/rel"),
                               AT_EMPTY_PATH))))
        s("close", fd)
    s("close", by_root)
    return out


def test_nonroot(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    expected = in_child(lambda: nonroot_steps(linux))
    assert nonroot_steps(abi) == expected


def fsuid_steps(s: Side) -> list[int]:
    """setresuid that changes nothing keeps the credentials: an fsuid set
    apart stays (Linux returns early)."""
    return [s("setfsuid", 1234), s("setresuid", NOID, NOID, NOID), s("setfsuid", NOID),
            s("setresuid", NOID, 0, NOID), s("setfsuid", NOID),
            s("setfsgid", 77), s("setresgid", NOID, NOID, NOID), s("setfsgid", NOID)]


def test_setres_noop_keeps_fsuid(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    assert fsuid_steps(abi) == in_child(lambda: fsuid_steps(linux))


# --- openat2 ---------------------------------------------------------------------


def test_openat2(sides: tuple[Side, Side]) -> None:
    res = {n: F[n] for n in ("RESOLVE_CACHED", "RESOLVE_BENEATH", "RESOLVE_NO_XDEV")}

    def run(s: Side) -> list[object]:
        s("mkdir", s.path("sub"), 0o755)
        dfd = s.open("", O_RDONLY | O_DIRECTORY)

        def oa2(path: bytes, flags: int, mode: int = 0, resolve: int = 0) -> object:
            how = s.mem(struct.pack("<QQQ", flags, mode, resolve))
            return opened(s, s("openat2", dfd, s.mem(path + b"\0"), how, 24))

        out = [oa2(b".", O_TMPFILE | O_RDWR, 0o600), oa2(b".", O_TMPFILE | O_RDWR, 0o10000),
               oa2(b".", O_TMPFILE | O_RDWR, 0, res["RESOLVE_CACHED"]),
               oa2(b".", O_TMPFILE, 0, res["RESOLVE_CACHED"]),
               oa2(b".", O_DIRECTORY, 0, res["RESOLVE_CACHED"]),
               oa2(b".", O_TMPFILE_BIT | O_RDWR, 0o600), oa2(b".", O_PATH | O_TMPFILE | O_RDWR),
               oa2(b".", O_TMPFILE | O_RDWR | O_CREAT, 0, res["RESOLVE_CACHED"]),
               oa2(b"sub", O_TMPFILE | O_WRONLY, 0o644, res["RESOLVE_BENEATH"]),
               oa2(b"..", O_TMPFILE | O_WRONLY, 0o644, res["RESOLVE_BENEATH"]),
               oa2(b"/dev", O_TMPFILE | O_RDWR, 0o644, res["RESOLVE_NO_XDEV"])]
        s("close", dfd)
        return out

    both(sides, run)


def test_creat_is_unaffected(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> object:
        fd = s("creat", s.path("c"), 0o640)
        return (opened(s, fd), s.stat("c"))

    both(sides, run)

