"""getdents, the old x86_64 call with struct linux_dirent records, against
Linux's tmpfs: the same directory listed on both sides must give the same
records (name, d_off, d_reclen, d_type; inode numbers are not comparable)
in the same order, and the same errors."""

from __future__ import annotations

import struct

from sides import F, Side, errno_of

O_RDONLY, O_CREAT, O_DIRECTORY = F["O_RDONLY"], F["O_CREAT"], F["O_DIRECTORY"]


def old_dirents(s: Side, fd: int, bufsize: int) -> list[tuple[bytes, int, int, int]] | str:
    """Every record getdents gives from the current position, as
    (name, d_off, d_reclen, d_type) — d_type is the record's last byte."""
    buf = s.zeros(bufsize)
    out = []
    while (n := s("getdents", fd, buf, bufsize)) > 0:
        data = s.peek(buf, n)
        off = 0
        while off < n:
            _ino, doff, reclen = struct.unpack_from("<QqH", data, off)
            name = data[off + 18:off + reclen].split(b"\0", 1)[0]
            out.append((name, doff, reclen, data[off + reclen - 1]))
            off += reclen
    return errno_of(n) if n < 0 else out


def populate(s: Side) -> None:
    assert s("mkdir", s.path("d"), 0o755) == 0
    for name in ("a", "bb", "ccccccc", "d" * 200):
        fd = s.open("d/" + name, O_CREAT | O_RDONLY, 0o644)
        assert fd >= 0, errno_of(fd)
        s("close", fd)
    assert s("mkdir", s.path("d/sub"), 0o755) == 0
    assert s("symlink", s.mem(b"a\0"), s.path("d/link")) == 0


def test_getdents_records_match_linux(sides: tuple[Side, Side]) -> None:
    results = []
    for s in sides:
        populate(s)
        out: list[object] = []
        for bufsize in (4096, 256, 40):  # 40: one short record at a time
            fd = s.open("d", O_RDONLY | O_DIRECTORY)
            out.append(old_dirents(s, fd, bufsize))
            s("close", fd)
        results.append(out)
    assert results[1] == results[0]
    names = {e[0] for e in results[0][0]}  # type: ignore[union-attr]
    assert {b".", b"..", b"a", b"sub", b"link", b"d" * 200} <= names


def test_getdents_errors_match_linux(sides: tuple[Side, Side]) -> None:
    results = []
    for s in sides:
        populate(s)
        fd = s.open("d", O_RDONLY | O_DIRECTORY)
        file_fd = s.open("d/a", O_RDONLY)
        path_fd = s.open("d", O_RDONLY | O_DIRECTORY | F["O_PATH"])
        out = [errno_of(s("getdents", fd, s.zeros(64), 20)),        # no record fits
               errno_of(s("getdents", file_fd, s.zeros(64), 64)),   # not a directory
               errno_of(s("getdents", path_fd, s.zeros(64), 64)),   # O_PATH
               errno_of(s("getdents", 0x7fff, s.zeros(64), 64)),    # no such fd
               old_dirents(s, fd, 4096) != []]
        for x in (fd, file_fd, path_fd):
            s("close", x)
        results.append(out)
    assert results[1] == results[0]


def test_getdents_in_a_removed_directory(sides: tuple[Side, Side]) -> None:
    results = []
    for s in sides:
        assert s("mkdir", s.path("gone"), 0o755) == 0
        fd = s.open("gone", O_RDONLY | O_DIRECTORY)
        assert s("rmdir", s.path("gone")) == 0
        results.append(old_dirents(s, fd, 4096))
        s("close", fd)
    assert results[1] == results[0]
