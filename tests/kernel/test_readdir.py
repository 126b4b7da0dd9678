"""getdents, the old x86_64 call with struct linux_dirent records, against
Linux's tmpfs: the same directory listed on both sides must give the same
records (name, d_off, d_reclen, d_type; inode numbers are not comparable)
in the same order, and the same errors."""

from __future__ import annotations

import struct

from sides import AT_FDCWD, F, Side, errno_of

O_RDONLY, O_CREAT, O_DIRECTORY = F["O_RDONLY"], F["O_CREAT"], F["O_DIRECTORY"]


def records(data: bytes) -> list[tuple[bytes, int, int, int]]:
    """The old records in data as (name, d_off, d_reclen, d_type) — d_type
    is the record's last byte."""
    out = []
    off = 0
    while off < len(data):
        _ino, doff, reclen = struct.unpack_from("<QqH", data, off)
        name = data[off + 18:off + reclen].split(b"\0", 1)[0]
        out.append((name, doff, reclen, data[off + reclen - 1]))
        off += reclen
    return out


def old_dirents(s: Side, fd: int, bufsize: int) -> list[tuple[bytes, int, int, int]] | str:
    """Every record getdents gives from the current position."""
    buf = s.zeros(bufsize)
    out = []
    while (n := s("getdents", fd, buf, bufsize)) > 0:
        out += records(s.peek(buf, n))
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


def renamed_and_removed(s: Side) -> list[object]:
    """A directory reshaped by renames over entries (the offset of the
    replaced entry), exchanges (neighbours, the ends, across directories),
    and plain moves; then listed a few records at a time while entries go,
    the one to list next among them, and from positions got earlier."""
    exchange = F["RENAME_EXCHANGE"]
    assert s("mkdir", s.path("d"), 0o755) == 0
    assert s("mkdir", s.path("d/sub"), 0o755) == 0
    for i in range(10):
        s("close", s.open(f"d/f{i}", O_CREAT | O_RDONLY, 0o644))
    s("close", s.open("d/sub/x", O_CREAT | O_RDONLY, 0o644))

    def rename(old: str, new: str, flags: int = 0) -> int:
        return s("renameat2", AT_FDCWD, s.path(old), AT_FDCWD, s.path(new), flags)

    out: list[object] = [rename("d/f2", "d/f7"), rename("d/f3", "d/new"),
                         rename("d/f4", "d/f5", exchange), rename("d/f5", "d/f4", exchange),
                         rename("d/f0", "d/f9", exchange), rename("d/f6", "d/sub/x", exchange),
                         rename("d/f8", "d/f1", exchange), rename("d/sub/x", "d/moved")]
    fd = s.open("d", O_RDONLY | O_DIRECTORY)
    full = old_dirents(s, fd, 4096)
    out.append(full)
    assert isinstance(full, list)
    names = [r[0].decode() for r in full]
    s("lseek", fd, 0, F["SEEK_SET"])
    buf = s.zeros(72)  # three records of short names at a time
    n = s("getdents", fd, buf, 72)
    out.append(records(s.peek(buf, n)) if n > 0 else errno_of(n))
    s("unlink", s.path("d/" + names[3]))  # the next to list
    s("unlink", s.path("d/" + names[2]))  # just listed
    out.append(old_dirents(s, fd, 48))
    for rec in full[2:6]:  # positions got earlier, their entries gone or not
        s("lseek", fd, rec[1], F["SEEK_SET"])
        out.append(old_dirents(s, fd, 4096))
    s("close", fd)
    return out


def test_getdents_offsets_after_renames_and_removals(sides: tuple[Side, Side]) -> None:
    results = [renamed_and_removed(s) for s in sides]
    assert results[1] == results[0]
