"""The two sides of a differential test: Linux itself (libc's syscall() in a
temporary directory) and a booted libabik.so (its dispatcher abi_syscall(),
rooted in a directory of its ramfs). Both take the table's x86_64 numbers and
raw arguments and return the raw result: a value, or -errno.

Numbers, flag values and errno names come from the generated abi_sysdefs.py.
The fixtures that make the sides (lib, sides) are in conftest.py; both() is the
one helper that runs the same script on the two sides and asserts they agree."""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from abi.kernel import load_sysdefs

REPO = Path(__file__).resolve().parents[2]
LIB = REPO / "build" / "kernel" / "libabik.so"
PAGE = 4096
MAX_ERRNO = 4095
AT_FDCWD = -100  # a special dirfd value, not a flag: the table does not carry it
ABI_BOOT_HOST_CREDS = 0x1  # kernel/include/abi/boot.h
ARENA = 64 * PAGE

_DEFS = load_sysdefs()
F: dict[str, int] = _DEFS.FLAGS["x86_64"]  # every flag and enumeration value of the table
NR: dict[str, int] = _DEFS.NUMBERS["x86_64"]
_ERRNO_NAMES = {v: k for k, v in reversed(_DEFS.ERRNO.items())}


def errno_of(r: int) -> str:
    """"ok" for a success, else the errno's name."""
    return _ERRNO_NAMES.get(-r, str(r)) if -MAX_ERRNO <= r < 0 else "ok"


class Side:
    """One side: a syscall function, a root directory and a memory arena.

    Arena memory is mapped by the side's own mmap, so on the kernel side it
    is guest memory; in both cases it is host memory this process can read."""

    def __init__(self, name: str, call: Callable[..., int], root: bytes) -> None:
        self.name = name
        self._call = call
        self.root = root
        self.arena = self("mmap", 0, ARENA, F["PROT_READ"] | F["PROT_WRITE"],
                          F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        assert self.arena > 0, errno_of(self.arena)
        self._next = self.arena

    def __call__(self, name: str, *args: int) -> int:
        return self._call(NR[name], *args)

    def reset_arena(self) -> None:
        self._next = self.arena

    def mem(self, data: bytes) -> int:
        """A copy of data in this side's memory (valid until reset_arena)."""
        size = (len(data) + 15) & ~15
        if self._next + size > self.arena + ARENA:
            self._next = self.arena
        addr = self._next
        self._next += size
        ctypes.memmove(addr, data, len(data))
        return addr

    def zeros(self, size: int) -> int:
        return self.mem(bytes(size))

    def path(self, rel: str) -> int:
        """rel under this side's root, NUL-terminated, in its memory."""
        return self.mem(self.root + b"/" + rel.encode() + b"\0")

    def name_(self, rel: str) -> int:
        """A relative name, for *at calls with a directory fd."""
        return self.mem(rel.encode() + b"\0")

    def peek(self, addr: int, size: int) -> bytes:
        return ctypes.string_at(addr, size)

    def open(self, rel: str, flags: int, mode: int = 0o644) -> int:
        return self("openat", AT_FDCWD, self.path(rel), flags, mode)

    def stat(self, rel: str, follow: bool = True) -> tuple[int, ...] | str:
        """(type and mode, nlink, size, blocks) or the errno's name."""
        st = self.zeros(144)
        r = self("newfstatat", AT_FDCWD, self.path(rel), st,
                 0 if follow else F["AT_SYMLINK_NOFOLLOW"])
        return errno_of(r) if r < 0 else unpack_stat(self.peek(st, 144))

    def dirents(self, fd: int, bufsize: int = 4096) -> list[tuple[bytes, int]] | str:
        """Every entry getdents64 gives from the current position, as
        (name, d_type), or the errno's name."""
        buf = self.zeros(bufsize)
        out: list[tuple[bytes, int]] = []
        while (n := self("getdents64", fd, buf, bufsize)) > 0:
            data = self.peek(buf, n)
            off = 0
            while off < n:
                _ino, _doff, reclen, dtype = struct.unpack_from("<QqHB", data, off)
                out.append((data[off + 19:off + reclen].split(b"\0", 1)[0], dtype))
                off += reclen
        return errno_of(n) if n < 0 else out


def res(r: int) -> int | str:
    """A result as is, an error as its name."""
    return errno_of(r) if r < 0 else r


def both(sides: tuple[Side, Side], fn: Callable[[Side], Any]) -> Any:
    """Runs fn(side) on Linux, then on the kernel, and asserts the two results
    are equal (fn normalises what may differ: descriptor numbers, addresses).
    Returns the common result."""
    linux, abi = sides
    want, got = fn(linux), fn(abi)
    assert got == want, f"abi {got!r}, linux {want!r}"
    return want


def unpack_stat(raw: bytes) -> tuple[int, ...]:
    """The comparable fields of an x86_64 struct stat: st_mode, st_nlink,
    st_uid, st_gid, st_size and st_blocks (device and inode numbers and
    times are not)."""
    nlink, = struct.unpack_from("<Q", raw, 16)
    mode, uid, gid = struct.unpack_from("<III", raw, 24)
    size, _blksize, blocks = struct.unpack_from("<qqq", raw, 48)
    return (mode, nlink, uid, gid, size, blocks)


def unpack_times(raw: bytes) -> tuple[int, ...]:
    """st_atime and st_mtime with their nanoseconds."""
    return struct.unpack_from("<qqqq", raw, 72)


def unpack_statx(raw: bytes) -> tuple[int, ...]:
    """The comparable fields of struct statx: stx_mask, stx_blksize,
    stx_nlink, stx_uid, stx_gid, stx_mode, stx_size, stx_blocks."""
    mask, blksize = struct.unpack_from("<II", raw, 0)
    nlink, uid, gid, mode = struct.unpack_from("<IIIH", raw, 16)
    size, blocks = struct.unpack_from("<QQ", raw, 40)
    return (mask, blksize, nlink, uid, gid, mode, size, blocks)


def tmpfs_dir() -> Path | None:
    """A writable tmpfs mount (ramfs models tmpfs), or None."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    for line in mounts:
        fields = line.split()
        if len(fields) > 2 and fields[2] == "tmpfs" and fields[1] in ("/dev/shm", "/tmp"):
            path = Path(fields[1])
            if os.access(path, os.W_OK):
                return path
    return None


@functools.cache
def build_kernel() -> ctypes.CDLL:
    """libabik.so, built if needed and loaded once per test process."""
    subprocess.run(["make", "-s", "kernel"], cwd=REPO, check=True, capture_output=True)
    lib = ctypes.CDLL(str(LIB))
    lib.abi_syscall.argtypes = [ctypes.c_long] * 7
    lib.abi_syscall.restype = ctypes.c_long
    lib.abi_boot.argtypes = [ctypes.c_void_p]
    lib.abi_boot.restype = ctypes.c_int
    lib.abi_reset.argtypes = []
    lib.abi_reset.restype = None
    lib.abi_guest_range.argtypes = [ctypes.POINTER(ctypes.c_uint64)] * 2
    lib.abi_guest_range.restype = None
    lib.abi_reset_leaked.argtypes = []
    lib.abi_reset_leaked.restype = ctypes.c_size_t
    lib.abi_sigpending_mask.argtypes = []
    lib.abi_sigpending_mask.restype = ctypes.c_uint64
    return lib


def boot_args(flags: int, nofile: int = 0) -> ctypes.Array[ctypes.c_char]:
    # struct abi_boot_args: u32 size, flags, uid, gid, umask, nofile; u64 base, size
    return ctypes.create_string_buffer(struct.pack("<6I2Q", 40, flags, 0, 0, 0o22, nofile, 0, 0))


def boot_guest(lib: ctypes.CDLL, nofile: int = 0) -> Side:
    """A freshly booted kernel with the host's credentials, rooted at /tmp/t."""
    args = boot_args(ABI_BOOT_HOST_CREDS, nofile)
    rc = lib.abi_boot(ctypes.addressof(args))
    assert rc == 0, rc

    def call(nr: int, *a: int) -> int:
        a6 = [*a, 0, 0, 0, 0, 0, 0][:6]
        return int(lib.abi_syscall(nr, *a6))

    side = Side("abi", call, b"/tmp/t")
    # 0700, like the mkdtemp directory of the native side
    assert side("mkdir", side.mem(b"/tmp/t\0"), 0o700) == 0
    return side


class NativeDir:
    """A fresh directory for the native side, on tmpfs when there is one."""

    def __init__(self, fallback: Path | None = None) -> None:
        base = tmpfs_dir() or fallback
        self.path = Path(tempfile.mkdtemp(prefix="abi-diff-", dir=base))

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def native_side(root: Path) -> Side:
    def call(nr: int, *a: int) -> int:
        ctypes.set_errno(0)
        r = int(_libc.syscall(ctypes.c_long(nr), *(ctypes.c_long(x) for x in a)))
        return -ctypes.get_errno() if r == -1 else r

    return Side("linux", call, str(root).encode())


def native_release(side: Side) -> None:
    side("munmap", side.arena, ARENA)
