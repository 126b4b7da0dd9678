"""Mappings of hostfs files when the file's size changes, against Linux.

The kernel side maps a file of a hostfs mount (a host directory on the same
filesystem type as the native side's); the native side maps the same file
natively. A hostfs mapping is the host's mapping of the host file, so the
host takes the pages past a new end away (a touch there is SIGBUS, as on
Linux); what the kernel must follow is its own view: a system call given a
page past the end of the file gets EFAULT (vma_accessible), while
/proc/self/maps keeps the whole mapping and mincore reports those pages not
resident, as Linux does. Cases: the mapping longer than the file from the
start, ftruncate / truncate / open(O_TRUNC) shrinking and growing it,
fallocate (punch hole, allocate past the end, collapse and insert range on a
disk filesystem that has them), a write that extends the file, and a hard
link truncated by its other name. No test touches a page past the end (that
is SIGBUS in this very process, on both sides)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sides import PAGE, F, Side, boot_guest, both, native_release, native_side, res
from test_hostfs import finish, kernel_lib, mount
from test_hostfs import pair as pair
from test_mmap_file import (
    DATA,
    PRIVATE,
    RW,
    SHARED,
    maps_fields,
    mk,
    mmap,
    poke,
    pread,
    size_blocks,
)

O_RDWR, O_TRUNC = F["O_RDWR"], F["O_TRUNC"]


def mincore(s: Side, addr: int, pages: int) -> list[int] | str:
    vec = s.zeros(pages)
    r = s("mincore", addr, pages * PAGE, vec)
    return res(r) if r < 0 else list(s.peek(vec, pages))


def reach(s: Side, out_fd: int, src_fd: int, addr: int) -> tuple[object, object]:
    """Whether a system call may read from (write) and store to (pread) the
    page at addr: a count, or the errno's name."""
    return res(s("write", out_fd, addr, 16)), res(s("pread64", src_fd, addr, 16, 0))


def sides_of(p: tuple[Side, Side, Path]) -> tuple[Side, Side]:
    return p[0], p[1]


def test_issue_repro(pair: tuple[Side, Side, Path]) -> None:
    """Issue 13's repro: a shared mapping of an 8 KiB host file truncated to
    0, then write() from its second page: EFAULT, not a kernel crash."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:2 * PAGE])
        fd2 = mk(s, "out")
        p = mmap(s, 2 * PAGE, RW, SHARED, fd)
        out = [s("ftruncate", fd, 0), res(s("write", fd2, p + PAGE, 10)),
               res(s("write", fd2, p, 10)), mincore(s, p, 2)]
        out += [s("munmap", p, 2 * PAGE), s("close", fd), s("close", fd2)]
        return out

    both(sides_of(pair), go)


def test_mapping_longer_than_the_file(pair: tuple[Side, Side, Path]) -> None:
    """Pages past the end from the start (also a mapping whose offset is
    past the end): EFAULT; the page holding the end is reachable."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:PAGE + 10])
        out_fd, src = mk(s, "out"), mk(s, "src", DATA[:64])
        a = mmap(s, 4 * PAGE, RW, SHARED, fd)
        far = mmap(s, PAGE, F["PROT_READ"], SHARED, fd, 8 * PAGE)
        out: list[object] = [reach(s, out_fd, src, a + PAGE), reach(s, out_fd, src, a + 2 * PAGE),
                             res(s("write", out_fd, a + PAGE + 4000, 200)),
                             res(s("write", out_fd, far, 10)), mincore(s, a, 4)]
        out += [s("munmap", a, 4 * PAGE), s("munmap", far, PAGE)]
        out += [s("close", fd), s("close", out_fd), s("close", src)]
        return out

    both(sides_of(pair), go)


def test_ftruncate_shrinks_and_grows(pair: tuple[Side, Side, Path]) -> None:
    """ftruncate under shared and private mappings: the pages past the new
    end are gone from both (a private copy too), the mapping itself stays in
    /proc/self/maps; growing brings them back, reading the new zeros."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:3 * PAGE])
        out_fd, src = mk(s, "out"), mk(s, "src", DATA[:64])
        a = mmap(s, 4 * PAGE, RW, SHARED, fd)
        p = mmap(s, 4 * PAGE, RW, PRIVATE, fd)
        maps = (maps_fields(s, a, fd), maps_fields(s, p, fd))
        poke(p + 2 * PAGE, b"copy")
        out: list[object] = [s("ftruncate", fd, PAGE + 1)]
        out += [reach(s, out_fd, src, a + PAGE), reach(s, out_fd, src, a + 2 * PAGE),
                reach(s, out_fd, src, p + 2 * PAGE), mincore(s, a, 4), size_blocks(s, fd),
                (maps_fields(s, a, fd), maps_fields(s, p, fd)) == maps, s.peek(a, 8) == DATA[:8]]
        out.append(s("ftruncate", fd, 0))
        out += [reach(s, out_fd, src, a), reach(s, out_fd, src, p)]
        out.append(s("ftruncate", fd, 3 * PAGE))
        out += [reach(s, out_fd, src, a + 2 * PAGE), s.peek(a + 2 * PAGE, 8),
                s.peek(p + 2 * PAGE, 4), reach(s, out_fd, src, a + 3 * PAGE)]
        poke(a + PAGE, b"back")
        out.append(pread(s, fd, 4, PAGE))
        out += [s("munmap", a, 4 * PAGE), s("munmap", p, 4 * PAGE)]
        out += [s("close", fd), s("close", out_fd), s("close", src)]
        return out

    both(sides_of(pair), go)


def test_truncate_by_name_and_o_trunc(pair: tuple[Side, Side, Path]) -> None:
    """truncate(2) by path and open(O_TRUNC), the file's mapping open
    read-only or closed: the mapping follows."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:4 * PAGE], F["O_RDONLY"])
        out_fd, src = mk(s, "out"), mk(s, "src", DATA[:64])
        a = mmap(s, 4 * PAGE, F["PROT_READ"], SHARED, fd)
        s("close", fd)
        out: list[object] = [s("truncate", s.path("f"), 2 * PAGE)]
        out += [res(s("write", out_fd, a + PAGE, 16)), res(s("write", out_fd, a + 2 * PAGE, 16))]
        fd = s.open("f", O_RDWR | O_TRUNC)
        out += [fd >= 0, res(s("write", out_fd, a, 16)), mincore(s, a, 4)]
        out.append(res(s("pwrite64", fd, s.mem(b"again"), 5, PAGE)))
        out += [res(s("write", out_fd, a + PAGE, 5)), res(s("write", out_fd, a + 2 * PAGE, 5)),
                pread(s, out_fd, 5, 16)]
        out += [s("munmap", a, 4 * PAGE), s("close", fd), s("close", out_fd), s("close", src)]
        return out

    both(sides_of(pair), go)


def test_fallocate_under_a_mapping(pair: tuple[Side, Side, Path]) -> None:
    """A punched hole reads zeros through the mapping and stays reachable;
    fallocate past the end grows the reachable part unless KEEP_SIZE."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:2 * PAGE])
        out_fd, src = mk(s, "out"), mk(s, "src", DATA[:64])
        a = mmap(s, 4 * PAGE, RW, SHARED, fd)
        punch = F["FALLOC_FL_PUNCH_HOLE"] | F["FALLOC_FL_KEEP_SIZE"]
        out: list[object] = [res(s("fallocate", fd, punch, 0, PAGE)), s.peek(a, 8),
                             reach(s, out_fd, src, a)]
        out.append(res(s("fallocate", fd, F["FALLOC_FL_KEEP_SIZE"], 2 * PAGE, PAGE)))
        out += [reach(s, out_fd, src, a + 2 * PAGE), size_blocks(s, fd)[0]]
        out.append(res(s("fallocate", fd, 0, 2 * PAGE, PAGE + 1)))
        out += [reach(s, out_fd, src, a + 3 * PAGE), s.peek(a + 3 * PAGE, 4), size_blocks(s, fd)[0]]
        out += [s("munmap", a, 4 * PAGE), s("close", fd), s("close", out_fd), s("close", src)]
        return out

    both(sides_of(pair), go)


def test_write_extends_under_a_mapping(pair: tuple[Side, Side, Path]) -> None:
    """A write past the end makes the pages it grows over reachable."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:100])
        out_fd, src = mk(s, "out"), mk(s, "src", DATA[:64])
        a = mmap(s, 3 * PAGE, RW, SHARED, fd)
        out: list[object] = [reach(s, out_fd, src, a + 2 * PAGE)]
        out.append(res(s("pwrite64", fd, s.mem(b"end"), 3, 2 * PAGE + 5)))
        out += [reach(s, out_fd, src, a + 2 * PAGE), s.peek(a + 2 * PAGE + 5, 3)]
        out += [s("munmap", a, 3 * PAGE), s("close", fd), s("close", out_fd), s("close", src)]
        return out

    both(sides_of(pair), go)


def test_hard_link_truncated_by_its_other_name(pair: tuple[Side, Side, Path]) -> None:
    """One file, two names (hostfs gives each name an inode of its own): a
    mapping through one follows a truncate through the other."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:3 * PAGE])
        out_fd, src = mk(s, "out"), mk(s, "src", DATA[:64])
        out: list[object] = [s("link", s.path("f"), s.path("g"))]
        a = mmap(s, 3 * PAGE, RW, SHARED, fd)
        out += [s("truncate", s.path("g"), PAGE), reach(s, out_fd, src, a + PAGE)]
        g = s.open("g", O_RDWR)
        out += [s("ftruncate", g, 3 * PAGE), reach(s, out_fd, src, a + 2 * PAGE)]
        out += [s("munmap", a, 3 * PAGE), s("close", fd), s("close", g), s("close", out_fd),
                s("close", src)]
        return out

    both(sides_of(pair), go)


@pytest.fixture
def disk_pair(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    """Like pair, on the filesystem of the test's tmp_path (a disk one here,
    which has collapse and insert range; tmpfs answers EOPNOTSUPP)."""
    lib = kernel_lib()
    native, host = tmp_path / "native", tmp_path / "host"
    native.mkdir(mode=0o700)
    host.mkdir(mode=0o700)
    linux = native_side(native)
    abi = boot_guest(lib)
    mount(lib, host)
    yield linux, abi
    native_release(linux)
    finish(lib)


def test_collapse_and_insert_range(disk_pair: tuple[Side, Side]) -> None:
    """fallocate COLLAPSE_RANGE shrinks the file under the mapping, which
    then shows the later data and loses its last page; INSERT_RANGE grows
    it again."""
    def go(s: Side) -> object:
        fd = mk(s, "f", DATA[:4 * PAGE])
        out_fd, src = mk(s, "out"), mk(s, "src", DATA[:64])
        a = mmap(s, 4 * PAGE, RW, SHARED, fd)
        r = res(s("fallocate", fd, F["FALLOC_FL_COLLAPSE_RANGE"], PAGE, PAGE))
        out: list[object] = [r, size_blocks(s, fd)[0], reach(s, out_fd, src, a + 3 * PAGE),
                             s.peek(a + PAGE, 8)]
        r = res(s("fallocate", fd, F["FALLOC_FL_INSERT_RANGE"], 0, PAGE))
        out += [r, size_blocks(s, fd)[0], reach(s, out_fd, src, a + 3 * PAGE), s.peek(a, 4)]
        out += [s("munmap", a, 4 * PAGE), s("close", fd), s("close", out_fd), s("close", src)]
        return out

    both(disk_pair, go)

