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
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from construct import Int8ul, Int16ul, Int32ul, Int64sl, Int64ul, PaddedString, Padding, Struct

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

# The binary structs the tests read and write, with the kernel's field names
# (x86_64 layouts: asm/stat.h, linux/stat.h, linux/dirent.h, abi/boot.h).
STAT = Struct(
    "st_dev" / Int64ul, "st_ino" / Int64ul, "st_nlink" / Int64ul,
    "st_mode" / Int32ul, "st_uid" / Int32ul, "st_gid" / Int32ul, Padding(4),
    "st_rdev" / Int64ul, "st_size" / Int64sl, "st_blksize" / Int64sl, "st_blocks" / Int64sl,
    "st_atime" / Int64sl, "st_atime_nsec" / Int64sl, "st_mtime" / Int64sl,
    "st_mtime_nsec" / Int64sl, "st_ctime" / Int64sl, "st_ctime_nsec" / Int64sl, Padding(24),
)
STATX_TIMESTAMP = Struct("tv_sec" / Int64sl, "tv_nsec" / Int32ul, Padding(4))
STATX = Struct(
    "stx_mask" / Int32ul, "stx_blksize" / Int32ul, "stx_attributes" / Int64ul,
    "stx_nlink" / Int32ul, "stx_uid" / Int32ul, "stx_gid" / Int32ul, "stx_mode" / Int16ul,
    Padding(2), "stx_ino" / Int64ul, "stx_size" / Int64ul, "stx_blocks" / Int64ul,
    "stx_attributes_mask" / Int64ul, "stx_atime" / STATX_TIMESTAMP,
    "stx_btime" / STATX_TIMESTAMP, "stx_ctime" / STATX_TIMESTAMP, "stx_mtime" / STATX_TIMESTAMP,
    "stx_rdev_major" / Int32ul, "stx_rdev_minor" / Int32ul, "stx_dev_major" / Int32ul,
    "stx_dev_minor" / Int32ul, "stx_mnt_id" / Int64ul, "stx_dio_mem_align" / Int32ul,
    "stx_dio_offset_align" / Int32ul, Padding(96),
)
DIRENT64 = Struct(  # the fixed part; d_name follows, NUL-terminated, up to d_reclen
    "d_ino" / Int64ul, "d_off" / Int64sl, "d_reclen" / Int16ul, "d_type" / Int8ul,
)
BOOT_ARGS = Struct(  # its first 40 bytes: size says the kernel has no more
    "size" / Int32ul, "flags" / Int32ul, "uid" / Int32ul, "gid" / Int32ul, "umask" / Int32ul,
    "nofile" / Int32ul, "guest_base" / Int64ul, "guest_size" / Int64ul,
)
# ... and with the uname fields after them (abi_boot_args.release, .nodename)
BOOT_ARGS_UTS = Struct(*BOOT_ARGS.subcons, "release" / PaddedString(65, "ascii"),
                       "nodename" / PaddedString(65, "ascii"))
assert STAT.sizeof() == 144 and STATX.sizeof() == 256 and BOOT_ARGS.sizeof() == 40


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
        st = self.zeros(STAT.sizeof())
        r = self("newfstatat", AT_FDCWD, self.path(rel), st,
                 0 if follow else F["AT_SYMLINK_NOFOLLOW"])
        return errno_of(r) if r < 0 else unpack_stat(self.peek(st, STAT.sizeof()))

    def dirents(self, fd: int, bufsize: int = 4096) -> list[tuple[bytes, int]] | str:
        """Every entry getdents64 gives from the current position, as
        (name, d_type), or the errno's name."""
        buf = self.zeros(bufsize)
        out: list[tuple[bytes, int]] = []
        while (n := self("getdents64", fd, buf, bufsize)) > 0:
            data = self.peek(buf, n)
            off = 0
            while off < n:
                d = DIRENT64.parse(data[off:])
                name = data[off + DIRENT64.sizeof():off + d.d_reclen].split(b"\0", 1)[0]
                out.append((name, d.d_type))
                off += d.d_reclen
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
    st = STAT.parse(raw)
    return (st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_size, st.st_blocks)


def unpack_times(raw: bytes) -> tuple[int, ...]:
    """st_atime and st_mtime with their nanoseconds."""
    st = STAT.parse(raw)
    return (st.st_atime, st.st_atime_nsec, st.st_mtime, st.st_mtime_nsec)


def unpack_statx(raw: bytes) -> tuple[int, ...]:
    """The comparable fields of struct statx: stx_mask, stx_blksize,
    stx_nlink, stx_uid, stx_gid, stx_mode, stx_size, stx_blocks."""
    x = STATX.parse(raw)
    return (x.stx_mask, x.stx_blksize, x.stx_nlink, x.stx_uid, x.stx_gid, x.stx_mode,
            x.stx_size, x.stx_blocks)


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
    """libabik.so, built if needed and loaded once per test process
    (ABI_LIBABIK names another build of it, for development)."""
    other = os.environ.get("ABI_LIBABIK")
    if not other:
        subprocess.run(["make", "-s", "kernel"], cwd=REPO, check=True, capture_output=True)
    lib = ctypes.CDLL(other or str(LIB))
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
    lib.abi_mount_host.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
    lib.abi_mount_host.restype = ctypes.c_int
    return lib


def boot_args(flags: int, nofile: int = 0) -> ctypes.Array[ctypes.c_char]:
    raw = BOOT_ARGS.build(dict(size=BOOT_ARGS.sizeof(), flags=flags, uid=0, gid=0, umask=0o22,
                               nofile=nofile, guest_base=0, guest_size=0))
    return ctypes.create_string_buffer(raw)


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
