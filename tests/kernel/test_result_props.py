"""Result checks over the table: whatever the arguments, a call's result is
-errno or a value of the kind its table entry promises. Random arguments
(hypothesis) drive the library kernel; nothing is compared with Linux, only
the invariant checked:

  lengths    every implemented call with an output buffer whose size is an
             argument (`kind: buffer, dir: out, size: ARG` and an ssize_t or
             long result: read, pread64, getdents64, readlink, getcwd,
             getxattr, listxattr, getrandom ...) returns at most that size;
             the *xattr calls' size 0 asks for the length instead;
  addresses  mmap and mremap return a page-aligned address whose pages lie
             inside the guest range; brk returns a break inside it.

The ci profile runs 200 examples of each, make fuzz's fuzz profile 5,000."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given
from sides import AT_FDCWD, MAX_ERRNO, PAGE, F, Side, boot_guest

from abi.table import Syscall, Table

SIZE_ZERO_ASKS = {"getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
                  "flistxattr"}
BUF = 16 * PAGE  # the output buffer's real size; size arguments go beyond it


def length_calls(table: Table) -> list[tuple[Syscall, int, int]]:
    """(call, index of the buffer, index of its size) of every implemented
    call whose result is a length bounded by a size argument."""
    out = []
    for s in table.syscalls:
        if s.status == "enosys" or s.returns.base not in ("ssize_t", "long"):
            continue
        names = [a.name for a in s.args]
        for i, a in enumerate(s.args):
            if a.kind == "buffer" and a.dir == "out" and a.size in names:
                out.append((s, i, names.index(a.size)))
    return out


@pytest.fixture
def guest(lib: ctypes.CDLL) -> Iterator[tuple[Side, int, int]]:
    """A booted kernel, with the guest range's base and end."""
    abi = boot_guest(lib)
    base, size = ctypes.c_uint64(), ctypes.c_uint64()
    lib.abi_guest_range(ctypes.byref(base), ctypes.byref(size))
    yield abi, base.value, base.value + size.value
    lib.abi_reset()
    assert lib.abi_reset_leaked() == 0, "the kernel leaked heap memory"


def test_the_table_has_length_calls(table: Table) -> None:
    names = {s.name for s, _, _ in length_calls(table)}
    assert {"read", "listxattr", "flistxattr", "getdents64", "readlink"} <= names


U64 = 1 << 64
sizes = st.one_of(st.sampled_from([0, 1, 2, 7, 8, 15, 16, 64, PAGE - 1, PAGE, BUF, BUF + 1,
                                   1 << 31, (1 << 32) + 3, (1 << 63) - 1, U64 - 1]),
                  st.integers(0, BUF))


def test_lengths_are_within_size(guest: tuple[Side, int, int], table: Table, lib: ctypes.CDLL,
                                 tmp_path: Path) -> None:
    abi, _, _ = guest
    calls = length_calls(table)
    # hostfs too: a host directory with files that have xattrs, at /h.
    for i in range(3):
        f = tmp_path / f"x{i}"
        f.write_bytes(b"host" * 100 * (i + 1))
        for k in range(4 * i + 1):
            try:
                os.setxattr(f, f"user.host-{k}-{'y' * k * 5}", b"w" * (k + 1))
            except OSError:
                break  # no user xattrs on this host filesystem
    assert abi("mkdir", abi.mem(b"/h\0"), 0o755) == 0
    assert lib.abi_mount_host(str(tmp_path).encode(), b"/h", 0) == 0
    # Files to read, list and follow: xattrs of several lengths, a symlink, a
    # directory with entries; fds 0-2 are open on them.
    for i in range(3):
        fd = abi.open(f"f{i}", F["O_CREAT"] | F["O_RDWR"], 0o644)
        assert fd >= 0
        abi("write", fd, abi.mem(b"data" * 300 * (i + 1)), 1200 * (i + 1))
        for k in range(5 * i + 1):
            name = abi.mem(b"user.attribute-%d-%s\0" % (k, b"x" * (k * 7)))
            assert abi("fsetxattr", fd, name, abi.mem(b"v" * (k * 11 + 1)), k * 11 + 1, 0) == 0
    assert abi("symlinkat", abi.mem(b"f1\0"), AT_FDCWD, abi.path("link")) == 0
    assert abi("mkdirat", AT_FDCWD, abi.path("d"), 0o755) == 0
    for i in range(20):
        assert abi.open(f"d/entry-{i:02d}", F["O_CREAT"] | F["O_WRONLY"]) >= 0
    dfd = abi.open("d", F["O_RDONLY"] | F["O_DIRECTORY"])
    hfd = abi("openat", AT_FDCWD, abi.mem(b"/h/x2\0"), F["O_RDONLY"], 0)
    assert hfd >= 0
    assert abi("chdir", abi.path("")) == 0
    paths = [abi.mem(p) for p in (b"f0\0", b"f1\0", b"f2\0", b"link\0", b"d\0", b"/\0",
                                  b"/proc/self/exe\0", b"/proc/self/maps\0", b"nope\0",
                                  b"/h/x0\0", b"/h/x1\0", b"/h/x2\0", b"/h\0")]
    buf = abi.zeros(BUF)
    fds = [0, 1, 2, dfd, hfd, 99, -1]

    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        s, bi, si = data.draw(st.sampled_from(calls), label="call")
        size = data.draw(sizes, label="size")
        args = []
        for i, a in enumerate(s.args):
            if i == bi:
                args.append(buf)
            elif i == si:
                args.append(size)
            elif a.kind == "path":
                args.append(data.draw(st.sampled_from(paths), label=a.name))
            elif a.kind == "fd":
                args.append(data.draw(st.sampled_from(fds), label=a.name))
            elif a.kind in ("string",):
                args.append(abi.mem(b"user.attribute-%d-\0" % data.draw(st.integers(0, 3))))
            else:
                args.append(data.draw(st.sampled_from([0, 1, 2, 4096, AT_FDCWD]), label=a.name))
        if s.name in ("read", "pread64"):
            abi("lseek", args[0], 0, 0)
        r = abi(s.name, *args)
        if r < 0:
            assert r >= -MAX_ERRNO, (s.name, args, r)
            return
        if size == 0 and s.name in SIZE_ZERO_ASKS:
            return
        assert r <= size, f"{s.name}{tuple(args)} returned {r} > size {size}"

    prop()


PROT_RW = F["PROT_READ"] | F["PROT_WRITE"]


def test_addresses_are_guest_pages(lib: ctypes.CDLL) -> None:
    # Each example boots a kernel (the same addresses every time) and makes
    # up to 30 calls. The kernel only maps and unmaps inside the guest
    # range, whatever it is asked, so this process (whose memory the library
    # kernel shares) is safe; the Side's arena is not used after the boot.
    lengths = st.one_of(st.sampled_from([0, 1, PAGE - 1, PAGE, 2 * PAGE, 3 * PAGE + 5,
                                         16 * PAGE, 1 << 30, 1 << 47, U64 - 1, U64 - PAGE]),
                        st.integers(0, 64).map(lambda n: n * PAGE))
    mremap_flags = st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 1 | 4, 3 | 4])

    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        abi = boot_guest(lib)
        b, sz = ctypes.c_uint64(), ctypes.c_uint64()
        lib.abi_guest_range(ctypes.byref(b), ctypes.byref(sz))
        base, end = b.value, b.value + sz.value
        mapped = [abi.arena]
        try:
            for _ in range(data.draw(st.integers(1, 30), label="calls")):
                step(data, abi, base, end, mapped)
        finally:
            lib.abi_reset()
        assert lib.abi_reset_leaked() == 0, "the kernel leaked heap memory"

    def address(data: st.DataObject, base: int, end: int, mapped: list[int]) -> int:
        return data.draw(st.one_of(
            st.sampled_from([0, PAGE, base, end - PAGE, end, end + PAGE, base - PAGE,
                             1 << 47, U64 - PAGE, 0x10]),
            st.sampled_from(mapped).flatmap(
                lambda a: st.sampled_from([a, a + PAGE, a - PAGE, a + 1])),
            st.integers(0, U64 - 1)), label="addr")

    def check(what: str, r: int, args: tuple[int, ...], base: int, end: int) -> None:
        if r < 0:
            assert r >= -MAX_ERRNO, (what, args, r)
            return
        assert r % PAGE == 0 and base <= r < end, \
            f"{what}{tuple(hex(a) for a in args)} returned {r:#x}, not a guest page"

    def step(data: st.DataObject, abi: Side, base: int, end: int, mapped: list[int]) -> None:
        op = data.draw(st.sampled_from(["mmap", "mremap", "mremap", "munmap", "brk"]))
        if op == "mmap":
            fixed = data.draw(st.sampled_from([0, F["MAP_FIXED"], F["MAP_FIXED_NOREPLACE"]]))
            shared = data.draw(st.sampled_from([F["MAP_PRIVATE"], F["MAP_SHARED"]]))
            addr = address(data, base, end, mapped) if fixed else \
                data.draw(st.sampled_from([0, base, 1 << 46]))
            args = (addr, data.draw(lengths), PROT_RW, shared | F["MAP_ANONYMOUS"] | fixed, -1, 0)
            if fixed and not (base <= args[0] and args[0] + args[1] <= end):
                return  # outside the guest range: refused (tests elsewhere), never tried here
            r = abi("mmap", *args)
            check("mmap", r, args, base, end)
            if r >= 0:
                mapped.append(r)
        elif op == "mremap":
            args = (address(data, base, end, mapped), data.draw(lengths), data.draw(lengths),
                    data.draw(mremap_flags), address(data, base, end, mapped))
            r = abi("mremap", *args)
            check("mremap", r, args, base, end)
            if r >= 0:
                mapped.append(r)
        elif op == "munmap":
            a = address(data, base, end, mapped)
            if base <= a < end:
                abi("munmap", a, data.draw(lengths))
        else:
            r = abi("brk", address(data, base, end, mapped))
            assert base <= r <= end, f"brk returned {r:#x}"

    prop()
