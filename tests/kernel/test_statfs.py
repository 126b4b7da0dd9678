"""statfs, fstatfs, fadvise64, readahead, sync_file_range, mknod and mknodat
against Linux (ramfs is compared with tmpfs, as everywhere).

Normalisations: statfs's block and inode counts describe the host's tmpfs
size limit (ramfs reports an unlimited tmpfs: zeros) and f_fsid is an
arbitrary id, so those fields are not compared; f_type, f_bsize, f_namelen,
f_frsize and f_flags are. mknod of device nodes as an unprivileged user runs
natively in a forked child that drops root."""

from __future__ import annotations

import struct

import pytest
from native_child import in_child
from sides import (
    AT_FDCWD,
    F,
    Side,
    errno_of,
    tmpfs_dir,
)

S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK, S_IFREG, S_IFDIR = (0o010000, 0o020000, 0o060000,
                                                         0o140000, 0o100000, 0o040000)


def bad_pointer(s: Side) -> int:
    page = s("mmap", 0, 4096, 3, 0x22, -1, 0)
    assert page > 0 and s("munmap", page, 4096) == 0
    return page


def comparable(raw: bytes) -> tuple[int, ...]:
    """f_type, f_bsize, f_namelen, f_frsize, f_flags of struct statfs."""
    f = struct.unpack("<qqQQQQQiiqqq4q", raw)
    return (f[0], f[1], f[9], f[10], f[11])


def test_statfs(sides: tuple[Side, Side]) -> None:
    if tmpfs_dir() is None:
        pytest.skip("no tmpfs to compare ramfs with")
    got = []
    for s in sides:
        buf = s.zeros(120)
        assert s("statfs", s.path(""), buf) == 0
        one = comparable(s.peek(buf, 120))
        fd = s.open("", F["O_RDONLY"] | F["O_DIRECTORY"])
        assert s("fstatfs", fd, s.zeros(120)) == 0
        opath = s.open("", F["O_PATH"])
        buf2 = s.zeros(120)
        assert s("fstatfs", opath, buf2) == 0
        assert comparable(s.peek(buf2, 120)) == one
        errs = [errno_of(s("statfs", s.path("missing"), buf)),
                errno_of(s("statfs", bad_pointer(s), buf)),
                errno_of(s("statfs", s.path(""), bad_pointer(s))),
                errno_of(s("statfs", s.path(""), 0)),
                errno_of(s("statfs", s.mem(b"\0"), buf)),
                errno_of(s("fstatfs", 999, buf)), errno_of(s("fstatfs", fd, bad_pointer(s))),
                errno_of(s("fstatfs", -1, buf))]
        got.append((one, errs))
    assert got[0] == got[1]
    assert got[1][0][0] == 0x01021994  # TMPFS_MAGIC, as observed natively


def test_hints(sides: tuple[Side, Side]) -> None:
    got = []
    for s in sides:
        rw = s.open("f", F["O_RDWR"] | F["O_CREAT"], 0o644)
        wo = s.open("f", F["O_WRONLY"])
        d = s.open("", F["O_RDONLY"] | F["O_DIRECTORY"])
        op = s.open("f", F["O_PATH"])
        assert min(rw, wo, d, op) >= 0
        r = []
        for label, fd in (("rw", rw), ("wo", wo), ("dir", d), ("path", op), ("bad", 999)):
            for advice in (0, 1, 2, 3, 4, 5, 6, -1):
                r.append(("fadvise64", label, advice, errno_of(s("fadvise64", fd, 0, 100, advice))))
            r.append(("fadvise64 -len", label, errno_of(s("fadvise64", fd, 0, -1, 0))))
            r.append(("fadvise64 -off", label, errno_of(s("fadvise64", fd, -5, 10, 0))))
            for off, count in ((0, 4096), (-1, 10), (0, -1), (1 << 62, 1 << 62)):
                r.append(("readahead", label, off, count, errno_of(s("readahead", fd, off, count))))
            for off, n, flags in ((0, 0, 0), (0, 100, 7), (0, 100, 8), (-1, 10, 0),
                                  (10, -20, 0), (1 << 62, 1 << 62, 0), (0, -1, 1)):
                r.append(("sync_file_range", label, off, n, flags,
                          errno_of(s("sync_file_range", fd, off, n, flags))))
        got.append(r)
    for a, b in zip(got[0], got[1], strict=True):
        assert b == a


def mknod_probe(s: Side) -> list[object]:
    out: list[object] = []
    dev = (1 << 8) | 3  # the old encoding of 1:3
    big = (0x123 << 8) | 0x45 | (0x678 << 20)  # new_encode_dev of major 0x123, minor 0x67845
    for name, mode, d in [("fifo", S_IFIFO | 0o640, 0), ("sock", S_IFSOCK | 0o600, 0),
                          ("reg", S_IFREG | 0o6755, 0), ("plain", 0o644, 0),
                          ("chr", S_IFCHR | 0o600, dev), ("blk", S_IFBLK | 0o600, big),
                          ("dir", S_IFDIR | 0o755, 0), ("bad", 0o170000 | 0o644, 0),
                          ("fifo", S_IFIFO | 0o640, 0), ("nodir/x", S_IFIFO | 0o600, 0),
                          ("fifo2/", S_IFIFO | 0o600, 0)]:
        r = s("mknodat", AT_FDCWD, s.path(name), mode, d)
        st = s.zeros(144)
        sr = s("newfstatat", AT_FDCWD, s.path(name), st, F["AT_SYMLINK_NOFOLLOW"])
        rdev = struct.unpack_from("<Q", s.peek(st, 144), 40)[0] if sr == 0 else None
        out.append((name, errno_of(r), s.stat(name, follow=False), rdev))
    out.append(errno_of(s("mknod", s.path("m2"), S_IFIFO | 0o600, 0)))
    out.append(errno_of(s("mknod", bad_pointer(s), S_IFIFO | 0o600, 0)))
    out.append(errno_of(s("mknod", bad_pointer(s), S_IFDIR | 0o600, 0)))  # type checked first
    out.append(errno_of(s("mknodat", 999, s.name_("x"), S_IFIFO, 0)))
    out.append(errno_of(s("mknodat", AT_FDCWD, s.path(""), S_IFIFO, 0)))
    fd = s.open("fifo", F["O_RDONLY"] | F["O_NONBLOCK"])
    if fd >= 0:
        s("close", fd)
    for name in ("fifo", "sock", "chr", "reg"):
        out.append(("truncate", name, errno_of(s("truncate", s.path(name), 0))))
    return out


def test_mknod_as_root(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    # the umask of both sides is 022 (boot_guest's, and pytest's own)
    old = linux("umask", 0o22)
    try:
        expected = mknod_probe(linux)
    finally:
        linux("umask", old)
    got = mknod_probe(abi)
    for e, g in zip(expected, got, strict=True):
        assert g == e


def test_mknod_unprivileged(sides: tuple[Side, Side]) -> None:
    """Device nodes need CAP_MKNOD (EPERM); FIFOs do not; the directory's
    write permission is checked first (EACCES)."""
    def probe(s: Side) -> list[str]:
        s("umask", 0o22)
        assert s("chmod", s.path(""), 0o777) == 0
        assert s("mkdir", s.path("ro"), 0o755) == 0
        assert s("setresuid", 1000, 1000, 1000) == 0
        return [errno_of(s("mknod", s.path(n), m, 0x103)) for n, m in
                [("c", S_IFCHR | 0o600), ("b", S_IFBLK | 0o600), ("p", S_IFIFO | 0o600),
                 ("ro/c", S_IFCHR | 0o600), ("ro/p", S_IFIFO | 0o600), ("s", S_IFSOCK | 0o600)]]

    linux, abi = sides
    assert probe(abi) == in_child(lambda: probe(linux))
