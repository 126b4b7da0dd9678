"""mmap of ramfs files against Linux's tmpfs: the native side works in a
/dev/shm directory, the kernel side in its ramfs, and every result — return
values, errnos, bytes read through mappings and with pread, st_blocks,
/proc/self/maps lines — must match.

Known differences, which the tests step around rather than compare: the
kernel maps every page of a mapping that lies within the file when mmap is
called (Linux faults them in one by one), so a hole in a mapped range is
allocated at once and counts in st_blocks (and mincore) before it is
touched: the tests compare those after touching every page. A page past the
end of the file faults with SIGSEGV where Linux raises SIGBUS; the tests
compare what both sides agree on, EFAULT from a system call given such a
page. A shared /dev/zero mapping shows "/dev/zero" in /proc/self/maps, not
Linux's "/dev/zero (deleted)" of a shmem object."""

from __future__ import annotations

import ctypes
import re
import struct
from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sides import (
    AT_FDCWD,
    PAGE,
    STAT,
    F,
    NativeDir,
    Side,
    boot_guest,
    both,
    build_kernel,
    errno_of,
    native_release,
    native_side,
    res,
)

R, W = F["PROT_READ"], F["PROT_WRITE"]
RW = R | W
SHARED, PRIVATE = F["MAP_SHARED"], F["MAP_PRIVATE"]
O_RDONLY, O_WRONLY, O_RDWR = F["O_RDONLY"], F["O_WRONLY"], F["O_RDWR"]
O_CREAT, O_APPEND = F["O_CREAT"], F["O_APPEND"]
PUNCH = F["FALLOC_FL_PUNCH_HOLE"] | F["FALLOC_FL_KEEP_SIZE"]
DATA = bytes(range(256)) * 16 * 4  # 4 pages of a pattern


def mk(s: Side, rel: str, data: bytes = b"", flags: int = O_RDWR) -> int:
    """rel made afresh with data, open with flags."""
    fd = s.open(rel, O_CREAT | F["O_TRUNC"] | O_RDWR, 0o644)
    assert fd >= 0, errno_of(fd)
    if data:
        assert s("pwrite64", fd, s.mem(data), len(data), 0) == len(data)
    if flags != O_RDWR:
        s("close", fd)
        fd = s.open(rel, flags)
        assert fd >= 0, errno_of(fd)
    return fd


def mmap(s: Side, length: int, prot: int, flags: int, fd: int, off: int = 0) -> int:
    a = s("mmap", 0, length, prot, flags, fd, off)
    assert a > 0, errno_of(a)
    return a


def pread(s: Side, fd: int, n: int, off: int) -> bytes | str:
    buf = s.zeros(n)
    r = s("pread64", fd, buf, n, off)
    return errno_of(r) if r < 0 else s.peek(buf, r)


def pwrite(s: Side, fd: int, data: bytes, off: int) -> int | str:
    return res(s("pwrite64", fd, s.mem(data), len(data), off))


def poke(addr: int, data: bytes) -> None:
    ctypes.memmove(addr, data, len(data))


def fstat(s: Side, fd: int) -> tuple[int, int, int, int]:
    """(size, blocks, dev, ino) of fd."""
    st = s.zeros(STAT.sizeof())
    assert s("fstat", fd, st) == 0
    x = STAT.parse(s.peek(st, STAT.sizeof()))
    return x.st_size, x.st_blocks, x.st_dev, x.st_ino


def size_blocks(s: Side, fd: int) -> tuple[int, int]:
    return fstat(s, fd)[:2]


def touch(s: Side, addr: int, pages: int) -> None:
    """Reads one byte of every page (faults them in natively)."""
    for i in range(pages):
        s.peek(addr + i * PAGE, 1)


def maps_line(s: Side, addr: int) -> str | None:
    """The /proc/self/maps line of the mapping that starts at addr."""
    fd = s("openat", AT_FDCWD, s.mem(b"/proc/self/maps\0"), O_RDONLY)
    assert fd >= 0, errno_of(fd)
    text = b""
    buf = s.zeros(65536)
    while (n := s("read", fd, buf, 65536)) > 0:
        text += s.peek(buf, n)
    s("close", fd)
    for line in text.decode().splitlines():
        if int(line.split("-", 1)[0], 16) == addr:
            return line
    return None


def maps_fields(s: Side, addr: int, fd: int | None) -> tuple[object, ...]:
    """A maps line's permissions, offset, name column and name (the side's
    root replaced by ROOT); its device and inode must be fd's own."""
    line = maps_line(s, addr)
    assert line is not None
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]{8,}) ([0-9a-f]+):([0-9a-f]+) (\d+) *",
                 line)
    assert m, line
    name = line[m.end():]
    if fd is not None:
        _size, _blocks, dev, ino = fstat(s, fd)
        major, minor = (dev >> 8) & 0xFFF, (dev & 0xFF) | ((dev >> 12) & 0xFFF00)
        assert (int(m[5], 16), int(m[6], 16), int(m[7])) == (major, minor, ino), line
    column = m.end() if name else None
    return m[3], int(m[4], 16), column, name.replace(s.root.decode(), "ROOT")


# --- contents and coherence ---------------------------------------------------------


def test_map_reads_the_file(sides: tuple[Side, Side]) -> None:
    """A file written with write() read through shared and private mappings,
    at offsets; the part of the last page past the end reads as zeros."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:3 * PAGE + 100])
        a = mmap(s, 4 * PAGE, R, SHARED, fd)
        b = mmap(s, 2 * PAGE, RW, PRIVATE, fd, PAGE)
        out = [s.peek(a, 3 * PAGE + 100) == DATA[:3 * PAGE + 100],
               s.peek(a + 3 * PAGE + 100, PAGE - 100) == bytes(PAGE - 100),
               s.peek(b, 2 * PAGE) == DATA[PAGE:3 * PAGE], size_blocks(s, fd)]
        out += [s("munmap", a, 4 * PAGE), s("munmap", b, 2 * PAGE), s("close", fd)]
        return out

    both(sides, go)


def test_shared_mapping_is_the_file(sides: tuple[Side, Side]) -> None:
    """Stores through a shared mapping are what pread reads (the size does
    not change), and writes are what the mapping shows; two mappings of the
    same file, through two descriptors, alias each other."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:2 * PAGE])
        fd2 = s.open("f", O_RDWR)
        a = mmap(s, 2 * PAGE, RW, SHARED, fd)
        b = mmap(s, PAGE, RW, SHARED, fd2, PAGE)
        poke(a + 10, b"through the mapping")
        poke(a + PAGE + 5, b"second page")
        out: list[object] = [pread(s, fd, 19, 10), pread(s, fd2, 11, PAGE + 5),
                             s.peek(b + 5, 11), size_blocks(s, fd)]
        out.append(pwrite(s, fd, b"written", PAGE + 100))
        out += [s.peek(a + PAGE + 100, 7), s.peek(b + 100, 7)]
        poke(b + 200, b"from b")
        out.append(s.peek(a + PAGE + 200, 6))
        out.append(s("msync", a, 2 * PAGE, F["MS_SYNC"]))
        out += [s("munmap", a, 2 * PAGE), s("munmap", b, PAGE)]
        out.append(pread(s, fd, 2 * PAGE, 0) == _patched(DATA[:2 * PAGE], [
            (10, b"through the mapping"), (PAGE + 5, b"second page"),
            (PAGE + 100, b"written"), (PAGE + 200, b"from b")]))
        out += [s("close", fd), s("close", fd2)]
        return out

    both(sides, go)


def _patched(data: bytes, patches: list[tuple[int, bytes]]) -> bytes:
    out = bytearray(data)
    for off, b in patches:
        out[off:off + len(b)] = b
    return bytes(out)


def test_private_mapping_copies_on_write(sides: tuple[Side, Side]) -> None:
    """A store to a private mapping changes neither the file nor other
    mappings; a page not yet stored to still shows the file's later writes,
    one stored to does not."""
    def go(s: Side) -> object:
        fd = mk(s, "f", b"A" * PAGE + b"B" * PAGE)
        p = mmap(s, 2 * PAGE, RW, PRIVATE, fd)
        q = mmap(s, 2 * PAGE, R, SHARED, fd)
        out: list[object] = [s.peek(p, 1)]
        out.append(pwrite(s, fd, b"C", 0))
        out.append(s.peek(p, 1))  # untouched: sees the write
        poke(p + PAGE, b"p")
        out.append(pwrite(s, fd, b"D", PAGE + 1))
        out += [s.peek(p + PAGE, 3), pread(s, fd, 3, PAGE), s.peek(q + PAGE, 3)]
        out.append(s("madvise", p + PAGE, PAGE, F["MADV_DONTNEED"]))
        out.append(s.peek(p + PAGE, 3))  # the copy is gone: the file again
        out += [s("munmap", p, 2 * PAGE), s("munmap", q, 2 * PAGE), s("close", fd)]
        return out

    both(sides, go)


def test_holes_and_blocks(sides: tuple[Side, Side]) -> None:
    """A sparse file mapped whole: holes read as zeros, and once every page
    has been touched st_blocks, mincore and SEEK_DATA agree with tmpfs."""
    def go(s: Side) -> object:
        fd = mk(s, "f")
        s("ftruncate", fd, 4 * PAGE)
        pwrite(s, fd, b"x", 2 * PAGE)
        a = mmap(s, 4 * PAGE, RW, SHARED, fd)
        touch(s, a, 4)
        out: list[object] = [s.peek(a, PAGE) == bytes(PAGE), s.peek(a + 2 * PAGE, 1),
                             size_blocks(s, fd)]
        vec = s.zeros(4)
        out += [s("mincore", a, 4 * PAGE, vec), list(s.peek(vec, 4))]
        out.append(res(s("lseek", fd, 0, F["SEEK_DATA"])))
        out += [s("munmap", a, 4 * PAGE), s("close", fd)]
        return out

    both(sides, go)


def test_access_checks(sides: tuple[Side, Side]) -> None:
    """do_mmap's EACCES table (read needed always, write for shared
    writable mappings; O_APPEND does not matter), mprotect's EACCES for a
    shared mapping of a read-only open, ENODEV for files that cannot be
    mapped, and the argument errors."""
    combos = [(R, SHARED), (RW, SHARED), (RW, PRIVATE), (R, PRIVATE), (0, SHARED), (W, SHARED)]

    def go(s: Side) -> object:
        fd = mk(s, "f", b"z" * 100)
        out: list[object] = []
        for flags in (O_RDONLY, O_WRONLY, O_RDWR | O_APPEND, O_RDONLY | O_APPEND):
            f = s.open("f", flags)
            for prot, how in combos:
                r = s("mmap", 0, PAGE, prot, how, f, 0)
                out.append(res(r) if r < 0 else "ok")
                if r > 0:
                    s("munmap", r, PAGE)
            s("close", f)
        ro = s.open("f", O_RDONLY)
        a = mmap(s, 2 * PAGE, R, SHARED, ro)
        out += [res(s("mprotect", a, PAGE, RW)), res(s("mprotect", a, PAGE, R))]
        s("munmap", a, 2 * PAGE)
        a = mmap(s, PAGE, R, PRIVATE, ro)
        out.append(res(s("mprotect", a, PAGE, RW)))
        poke(a, b"private")
        out.append(pread(s, fd, 7, 0))
        s("munmap", a, PAGE)
        for path in (b"/proc/self/status", b"/dev/null", b"/dev/full", b"/dev/urandom"):
            f = s("openat", AT_FDCWD, s.mem(path + b"\0"), O_RDONLY)
            out.append([res(s("mmap", 0, PAGE, R, how, f, 0)) for how in (PRIVATE, SHARED)])
            s("close", f)
        d = s.open("", O_RDONLY | F["O_DIRECTORY"])
        p = s.open("f", F["O_PATH"])
        pipe = s.zeros(8)
        s("pipe2", pipe, 0)
        rp, wp = struct.unpack("<ii", s.peek(pipe, 8))
        out += [res(s("mmap", 0, PAGE, R, PRIVATE, d, 0)),
                res(s("mmap", 0, PAGE, R, PRIVATE, p, 0)),
                res(s("mmap", 0, PAGE, R, PRIVATE, rp, 0)),
                res(s("mmap", 0, 0, R, SHARED, fd, 0)), res(s("mmap", 0, PAGE, R, SHARED, fd, 1)),
                res(s("mmap", 0, PAGE, R, SHARED, fd, (1 << 63) - PAGE)),
                res(s("mmap", 0, PAGE, R, 0, fd, 0))]
        for f in (fd, ro, d, p, rp, wp):
            s("close", f)
        return out

    both(sides, go)


def test_dev_zero(sides: tuple[Side, Side]) -> None:
    """/dev/zero maps as anonymous memory, private or shared."""
    def go(s: Side) -> object:
        z = s("openat", AT_FDCWD, s.mem(b"/dev/zero\0"), O_RDWR)
        zr = s("openat", AT_FDCWD, s.mem(b"/dev/zero\0"), O_RDONLY)
        a = mmap(s, 2 * PAGE, RW, PRIVATE, z)
        b = mmap(s, 2 * PAGE, RW, SHARED, z)
        out: list[object] = [s.peek(a, 2 * PAGE) == bytes(2 * PAGE), s.peek(b, PAGE) == bytes(PAGE)]
        poke(a, b"x")
        poke(b + PAGE, b"y")
        out += [s.peek(a, 1), s.peek(b + PAGE, 1), maps_fields(s, a, z)[:2],
                maps_fields(s, b, None)[:2]]
        out += [res(s("mmap", 0, PAGE, RW, SHARED, zr, 0))]
        out += [s("munmap", a, 2 * PAGE), s("munmap", b, 2 * PAGE), s("close", z), s("close", zr)]
        return out

    both(sides, go)


# --- the end of the file --------------------------------------------------------------


def test_pages_past_the_end(sides: tuple[Side, Side]) -> None:
    """Pages of a mapping past the end of the file are not memory a system
    call may use (EFAULT), also when the offset itself is past the end;
    the page holding the end is."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:PAGE + 10])
        out_fd = mk(s, "out")
        a = mmap(s, 4 * PAGE, RW, SHARED, fd)
        far = mmap(s, PAGE, R, SHARED, fd, 8 * PAGE)
        out: list[object] = [res(s("write", out_fd, a + PAGE, 100)),
                             res(s("write", out_fd, a + 2 * PAGE, 10)),
                             res(s("write", out_fd, a + PAGE + 4000, 200)),
                             res(s("read", fd, a + 3 * PAGE, 10)),
                             res(s("write", out_fd, far, 10))]
        out += [s("munmap", a, 4 * PAGE), s("munmap", far, PAGE), s("close", fd),
                s("close", out_fd)]
        return out

    both(sides, go)


def test_size_changes_under_a_mapping(sides: tuple[Side, Side]) -> None:
    """ftruncate and writes past the end while mapped: a file that grows
    shows its new pages through existing mappings (shared and private), one
    that shrinks loses the pages past its new end (also a private copy),
    and what is left keeps its data."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:PAGE + 1])
        out_fd = mk(s, "out")
        a = mmap(s, 4 * PAGE, RW, SHARED, fd)
        p = mmap(s, 4 * PAGE, RW, PRIVATE, fd)
        out: list[object] = [pwrite(s, fd, b"grown", 3 * PAGE)]
        out += [s.peek(a + 3 * PAGE, 5), s.peek(p + 3 * PAGE, 5), s.peek(a + 2 * PAGE, 4)]
        poke(p + 3 * PAGE, b"copy")
        poke(a + 2 * PAGE, b"hole")
        out.append(s("ftruncate", fd, 2 * PAGE + 10))
        out += [s.peek(a + 2 * PAGE, 12), res(s("write", out_fd, a + 3 * PAGE, 4)),
                res(s("write", out_fd, p + 3 * PAGE, 4)), s.peek(a, 8) == DATA[:8],
                size_blocks(s, fd)]
        out.append(s("ftruncate", fd, 4 * PAGE))
        out += [s.peek(a + 3 * PAGE, 5), s.peek(p + 3 * PAGE, 5)]
        poke(a + 3 * PAGE, b"back")
        out.append(pread(s, fd, 4, 3 * PAGE))
        touch(s, a, 4)
        out.append(size_blocks(s, fd))
        out += [s("munmap", a, 4 * PAGE), s("munmap", p, 4 * PAGE), s("close", fd),
                s("close", out_fd)]
        return out

    both(sides, go)


def test_punch_and_madvise_remove(sides: tuple[Side, Side]) -> None:
    """A hole punched under mappings: shared ones read zeros and stores
    there reach the file again; private ones read zeros unless copied.
    MADV_REMOVE punches through a shared mapping and is EACCES on a private
    one."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:3 * PAGE])
        a = mmap(s, 3 * PAGE, RW, SHARED, fd)
        p = mmap(s, 3 * PAGE, RW, PRIVATE, fd)
        poke(p + 2 * PAGE, b"copied")
        out: list[object] = [s("fallocate", fd, PUNCH, PAGE, 2 * PAGE)]
        out += [s.peek(a + PAGE, 4), s.peek(p + PAGE, 4), s.peek(p + 2 * PAGE, 6)]
        poke(a + PAGE, b"again")
        out.append(pread(s, fd, 5, PAGE))
        out += [res(s("madvise", a, PAGE, F["MADV_REMOVE"])), s.peek(a, 4), pread(s, fd, 4, 0),
                res(s("madvise", p, PAGE, F["MADV_REMOVE"]))]
        touch(s, a, 3)
        out.append(size_blocks(s, fd))
        out += [s("munmap", a, 3 * PAGE), s("munmap", p, 3 * PAGE), s("close", fd)]
        return out

    both(sides, go)


# --- lifetime, mremap, memfd, /proc/self/maps -----------------------------------------


def test_mapping_outlives_descriptor_and_name(sides: tuple[Side, Side]) -> None:
    """An unlinked, closed file lives on in its mapping."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:2 * PAGE])
        a = mmap(s, 2 * PAGE, RW, SHARED, fd)
        fields = maps_fields(s, a, fd)
        out: list[object] = [fields, s("unlink", s.path("f")), maps_fields(s, a, fd)]
        s("close", fd)
        poke(a + 1, b"still here")
        out += [s.peek(a, 11), maps_fields(s, a, None), s("munmap", a, 2 * PAGE)]
        return out

    both(sides, go)


def test_map_fixed_over_file_mappings(sides: tuple[Side, Side]) -> None:
    """MAP_FIXED replaces part of a file mapping with anonymous memory or
    with another file's pages; what is left still maps the first file."""
    def go(s: Side) -> object:
        fd = mk(s, "f", b"f" * 3 * PAGE)
        gd = mk(s, "g", b"g" * PAGE)
        a = mmap(s, 3 * PAGE, RW, SHARED, fd)
        anon = s("mmap", a + PAGE, PAGE, RW, PRIVATE | F["MAP_ANONYMOUS"] | F["MAP_FIXED"], -1, 0)
        other = s("mmap", a + 2 * PAGE, PAGE, RW, SHARED | F["MAP_FIXED"], gd, 0)
        out: list[object] = [anon == a + PAGE, other == a + 2 * PAGE, s.peek(a, 1),
                             s.peek(a + PAGE, 1), s.peek(a + 2 * PAGE, 1)]
        poke(a + 2 * PAGE, b"G")
        poke(a, b"F")
        out += [pread(s, gd, 1, 0), pread(s, fd, 1, 0), pread(s, fd, 1, 2 * PAGE),
                maps_fields(s, a, fd), maps_fields(s, a + 2 * PAGE, gd)]
        out += [s("munmap", a, 3 * PAGE), s("close", fd), s("close", gd)]
        return out

    both(sides, go)


def test_memfd(sides: tuple[Side, Side]) -> None:
    """memfd_create + ftruncate + a shared mapping: write/read coherence and
    the /proc/self/maps name; the mapping keeps it after close."""
    def go(s: Side) -> object:
        fd = s("memfd_create", s.mem(b"buffer\0"), F["MFD_CLOEXEC"])
        out: list[object] = [s("ftruncate", fd, 3 * PAGE)]
        a = mmap(s, 3 * PAGE, RW, SHARED, fd)
        poke(a + PAGE, b"hello")
        out += [pread(s, fd, 5, PAGE), pwrite(s, fd, b"world", 2 * PAGE), s.peek(a + 2 * PAGE, 5)]
        out.append(maps_fields(s, a, fd))
        b = mmap(s, PAGE, R, SHARED, fd, PAGE)
        out.append(s.peek(b, 5))
        s("close", fd)
        out += [s.peek(b, 5), s("munmap", a, 3 * PAGE), s("munmap", b, PAGE)]
        return out

    both(sides, go)


def test_mremap_file_mapping(sides: tuple[Side, Side]) -> None:
    """mremap of a shared file mapping: growing maps the file's next pages
    (a store there reaches the file; past the end is EFAULT), moving keeps
    the offset, DONTUNMAP leaves the old range mapping the file."""
    def go(s: Side) -> object:
        fd = mk(s, "f", b"a" * PAGE + b"b" * PAGE)
        out_fd = mk(s, "out")
        a = mmap(s, PAGE, RW, SHARED, fd)
        b = s("mremap", a, PAGE, 3 * PAGE, F["MREMAP_MAYMOVE"])
        assert b > 0, errno_of(b)
        out: list[object] = [s.peek(b + PAGE, 2), maps_fields(s, b, fd)]
        poke(b + PAGE, b"Q")
        out += [pread(s, fd, 2, PAGE), res(s("write", out_fd, b + 2 * PAGE, 1))]
        c = s("mremap", b + PAGE, PAGE, PAGE, F["MREMAP_MAYMOVE"] | F["MREMAP_DONTUNMAP"], 0)
        assert c > 0, errno_of(c)
        out += [s.peek(c, 2), s.peek(b + PAGE, 2), maps_fields(s, c, fd)]
        poke(b + PAGE + 1, b"R")
        out += [s.peek(c, 2)]
        out += [s("munmap", b, 3 * PAGE), s("munmap", c, PAGE), s("close", fd), s("close", out_fd)]
        return out

    both(sides, go)


def test_maps_line_format(sides: tuple[Side, Side]) -> None:
    """Private and shared file mappings at an offset, and after mprotect
    splits one: permissions, offsets and the name where Linux puts it."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA)
        a = mmap(s, 3 * PAGE, RW, SHARED, fd, PAGE)
        p = mmap(s, 2 * PAGE, R, PRIVATE, fd, 2 * PAGE)
        out: list[object] = [maps_fields(s, a, fd), maps_fields(s, p, fd)]
        s("mprotect", a + PAGE, PAGE, R)
        out += [maps_fields(s, a, fd), maps_fields(s, a + PAGE, fd),
                maps_fields(s, a + 2 * PAGE, fd)]
        out += [s("munmap", a, 3 * PAGE), s("munmap", p, 2 * PAGE), s("close", fd)]
        return out

    both(sides, go)


# --- interleavings, as a property --------------------------------------------------------

NPAGES = 4


class MmapMachine(RuleBasedStateMachine):
    """pwrite, pread, stores and loads through a shared and a private
    mapping of one file, ftruncate, punched holes and MADV_DONTNEED,
    interleaved at random on both sides. Loads and stores stay within the
    file's pages (beyond them Linux raises SIGBUS); every load, pread and
    size must agree."""

    def __init__(self) -> None:
        super().__init__()
        global _lib
        if _lib is None:
            _lib = build_kernel()
        self.dir = NativeDir()
        self.linux = native_side(self.dir.path)
        self.abi = boot_guest(_lib)
        self.fds: dict[str, int] = {}
        self.maps: dict[str, tuple[int, int]] = {}
        self.size = PAGE + 123
        for s in (self.linux, self.abi):
            fd = self.fds[s.name] = mk(s, "f", DATA[:self.size])
            self.maps[s.name] = (mmap(s, NPAGES * PAGE, RW, SHARED, fd),
                                 mmap(s, NPAGES * PAGE, RW, PRIVATE, fd))

    def teardown(self) -> None:
        for s in (self.linux, self.abi):
            shared, private = self.maps[s.name]
            s("munmap", shared, NPAGES * PAGE)
            s("munmap", private, NPAGES * PAGE)
            s("close", self.fds[s.name])
        native_release(self.linux)
        self.dir.remove()
        assert _lib is not None
        _lib.abi_reset()
        assert _lib.abi_reset_leaked() == 0

    def each(self, fn: Callable[[Side, int, int, int], object]) -> object:
        got = [fn(s, self.fds[s.name], *self.maps[s.name]) for s in (self.linux, self.abi)]
        assert got[1] == got[0], f"abi {got[1]!r}, linux {got[0]!r}"
        return got[0]

    def in_file(self, off: int, n: int) -> tuple[int, int]:
        """[off, off+n) clipped to the file's pages inside the mappings (the
        file may grow past them: a store there would hit whatever follows)."""
        end = min(-(-self.size // PAGE) * PAGE, NPAGES * PAGE)
        off = min(off, end)
        return off, max(0, min(n, end - off))

    @rule(off=st.integers(0, NPAGES * PAGE), n=st.integers(1, 600), seed=st.integers(0, 255))
    def pwrite(self, off: int, n: int, seed: int) -> None:
        data = bytes((seed + i) & 0xFF for i in range(n))
        self.each(lambda s, fd, _a, _p: pwrite(s, fd, data, off))
        self.size = max(self.size, off + n)

    @rule(off=st.integers(0, NPAGES * PAGE), n=st.integers(1, 600))
    def pread(self, off: int, n: int) -> None:
        self.each(lambda s, fd, _a, _p: pread(s, fd, n, off))

    @rule(off=st.integers(0, NPAGES * PAGE - 1), n=st.integers(1, 600), seed=st.integers(0, 255),
          private=st.booleans())
    def store(self, off: int, n: int, seed: int, private: bool) -> None:
        off, n = self.in_file(off, n)
        data = bytes((seed * 7 + i) & 0xFF for i in range(n))
        self.each(lambda _s, _fd, a, p: poke((p if private else a) + off, data))

    @rule(off=st.integers(0, NPAGES * PAGE - 1), n=st.integers(1, 600), private=st.booleans())
    def load(self, off: int, n: int, private: bool) -> None:
        off, n = self.in_file(off, n)
        self.each(lambda s, _fd, a, p: s.peek((p if private else a) + off, n))

    @rule(off=st.integers(0, NPAGES * PAGE), n=st.integers(1, 2 * PAGE))
    def punch(self, off: int, n: int) -> None:
        self.each(lambda s, fd, _a, _p: s("fallocate", fd, PUNCH, off, n))

    @rule(page=st.integers(0, NPAGES - 1), private=st.booleans())
    def dontneed(self, page: int, private: bool) -> None:
        self.each(lambda s, _fd, a, p: s("madvise", (p if private else a) + page * PAGE, PAGE,
                                         F["MADV_DONTNEED"]))

    @rule(size=st.integers(0, NPAGES * PAGE))
    def ftruncate(self, size: int) -> None:
        self.each(lambda s, fd, _a, _p: s("ftruncate", fd, size))
        self.size = size

    @invariant()
    def same_size(self) -> None:
        self.each(lambda s, fd, _a, _p: size_blocks(s, fd)[0])


_lib: Any = None
MmapMachine.TestCase.settings = settings(
    settings(), stateful_step_count=30, deadline=None,
    max_examples=min(settings().max_examples, 60))
test_mmap_machine = MmapMachine.TestCase
