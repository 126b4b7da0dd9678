"""A differential, stateful property test: hypothesis drives random sequences
of file, directory, descriptor and memory syscalls, valid and invalid, against
Linux (in a fresh tmpfs directory) and a freshly booted kernel at once; every
return value, errno and read-back byte must match.

Normalisations (each is a value the two sides may legitimately differ in):
- descriptor numbers differ (the native process has pytest's open), so a
  descriptor opened on both sides becomes a slot holding both numbers and
  calls returning one compare only success or errno; explicit target numbers
  (dup3, close_range) come from a high range no native file uses;
- stat compares st_mode, st_nlink, st_size and st_blocks only (device and
  inode numbers and times differ);
- getdents64 is compared as a sorted list of (name, d_type) (order and d_off
  are the filesystem's business);
- mappings are compared by the contents at an offset, never by address.
The native side runs in a directory of its own and every path, symlink target
included, stays inside it ("..", absolute targets and chdir are not drawn).
"""

from __future__ import annotations

import ctypes
import os
import struct
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import event, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sides import (
    AT_FDCWD,
    PAGE,
    F,
    NativeDir,
    Side,
    boot_guest,
    build_kernel,
    errno_of,
    native_release,
    native_side,
    unpack_stat,
    unpack_statx,
    unpack_times,
)

NAMES = ["a", "b", "d", "d/a", "d/b", "d/e", "d/e/f", "l", "d/l", "a/x", "d/../b", "d/./a",
         "a/", "d/", "l/", "d/e/", "nonexistent/a"]
TARGETS = ["a", "b", "d", "d/a", "l", "x", "d/e", "e"]
OPEN_FLAGS = [
    F["O_RDONLY"], F["O_WRONLY"], F["O_RDWR"],
    F["O_CREAT"] | F["O_RDWR"], F["O_CREAT"] | F["O_EXCL"] | F["O_WRONLY"],
    F["O_CREAT"] | F["O_TRUNC"] | F["O_WRONLY"], F["O_RDWR"] | F["O_APPEND"],
    F["O_RDONLY"] | F["O_DIRECTORY"], F["O_RDONLY"] | F["O_NOFOLLOW"],
    F["O_PATH"], F["O_PATH"] | F["O_NOFOLLOW"], F["O_WRONLY"] | F["O_TRUNC"],
    F["O_CREAT"] | F["O_DIRECTORY"], F["O_RDONLY"] | F["O_CLOEXEC"], 3,
]
MODES = [0o644, 0o600, 0o755, 0o000, 0o4755, 0o1777]
WHENCE = [F["SEEK_SET"], F["SEEK_CUR"], F["SEEK_END"], F["SEEK_DATA"], F["SEEK_HOLE"], 7]
OFFSETS = [0, 1, 5, 4095, 4096, 10000, -1, -4097]
DATA = st.binary(min_size=0, max_size=300)
BADFD = 999
HIGH = [700, 701, 702]  # dup3 and close_range targets, unused by the native process
RENAME_FLAGS = [0, F["RENAME_NOREPLACE"], F["RENAME_EXCHANGE"], 0x8,
                F["RENAME_NOREPLACE"] | F["RENAME_EXCHANGE"]]
FCNTL = [(F["F_GETFD"], 0), (F["F_SETFD"], F["FD_CLOEXEC"]), (F["F_SETFD"], 0), (F["F_GETFL"], 0),
         (F["F_SETFL"], F["O_APPEND"]), (F["F_SETFL"], F["O_NONBLOCK"]), (F["F_SETFL"], 0),
         (F["F_DUPFD"], 0), (F["F_DUPFD"], 20), (F["F_DUPFD_CLOEXEC"], 3)]
PROTS = [F["PROT_READ"], F["PROT_READ"] | F["PROT_WRITE"], 0]
MADVICE = [F["MADV_DONTNEED"], F["MADV_NORMAL"], F["MADV_WILLNEED"], 12345]
SIZES = [0, 1, 100, 4096, 5000, 12288, -1]
FALLOC = [0, F["FALLOC_FL_KEEP_SIZE"], F["FALLOC_FL_PUNCH_HOLE"] | F["FALLOC_FL_KEEP_SIZE"],
          F["FALLOC_FL_PUNCH_HOLE"], F["FALLOC_FL_ZERO_RANGE"], F["FALLOC_FL_COLLAPSE_RANGE"],
          0x100]
IDS = [0, 1000, 0xFFFFFFFF]  # 0xFFFFFFFF is -1: "leave it"
ACCESS = [0, 1, 2, 4, 7, 8]
RWF = [0, F["RWF_HIPRI"], F["RWF_DSYNC"], F["RWF_APPEND"], F["RWF_NOWAIT"], 0x20, 0x200]
NSEC = [0, 5, 999999999, 1000000000, (1 << 30) - 1, (1 << 30) - 2, -1]
STATX_MASKS = [0, 0x7FF, 0xFFF, 0x1000, 0x4000, 0x80000000]

class Diff(RuleBasedStateMachine):
    """Each rule runs one call on both sides and asserts the results agree."""

    def __init__(self) -> None:
        super().__init__()
        self.lib = build_kernel()  # the lib fixture's library: a state machine takes no fixtures
        self.dir = NativeDir()
        self.linux = native_side(self.dir.path)
        self.abi = boot_guest(self.lib)
        self.fds: list[tuple[int, int]] = []  # (linux fd, abi fd)
        self.maps: list[tuple[int, int, int]] = []  # (linux addr, abi addr, pages)

    def teardown(self) -> None:
        for lfd, _gfd in self.fds:
            self.linux("close", lfd)
        for la, _ga, pages in self.maps:
            self.linux("munmap", la, pages * PAGE)
        native_release(self.linux)
        self.dir.remove()
        self.lib.abi_reset()
        assert self.lib.abi_reset_leaked() == 0, "the kernel leaked heap memory"

    def agree(self, what: str, fn: object) -> tuple[int, int]:
        """Runs fn(side) on both sides and asserts their raw results agree (an
        error only by its errno); returns (linux, abi)."""
        want = fn(self.linux)  # type: ignore[operator]
        got = fn(self.abi)  # type: ignore[operator]
        event(f"{what.split('(')[0]}: {errno_of(want) if isinstance(want, int) else 'value'}")
        if isinstance(want, int) and isinstance(got, int) and (want < 0 or got < 0):
            assert errno_of(got) == errno_of(want), \
                f"{what}: abi {errno_of(got)}, linux {errno_of(want)}"
        else:
            assert got == want, f"{what}: abi {got!r}, linux {want!r}"
        self.linux.reset_arena()
        self.abi.reset_arena()
        return want, got

    def fd(self, data: st.DataObject) -> tuple[int, int]:
        return data.draw(st.sampled_from([*self.fds, (BADFD, BADFD)]))

    def pick(self, s: Side, pair: tuple[int, int]) -> int:
        return pair[0] if s is self.linux else pair[1]

    def opened(self, want: int, got: int) -> None:
        """Records a new descriptor (or a replaced one) open on both sides."""
        if want >= 0:
            self.fds = [p for p in self.fds if p[0] != want and p[1] != got]
            self.fds.append((want, got))

    def agree_fd(self, what: str, fn: object) -> None:
        """For calls returning a new descriptor: success and errno must agree."""
        want = fn(self.linux)  # type: ignore[operator]
        got = fn(self.abi)  # type: ignore[operator]
        event(f"{what.split('(')[0]}: {errno_of(want)}")
        assert errno_of(got) == errno_of(want), \
            f"{what}: abi {errno_of(got)}, linux {errno_of(want)}"
        self.linux.reset_arena()
        self.abi.reset_arena()
        self.opened(want, got)

    @initialize(files=st.sets(st.sampled_from(["a", "b", "d/a", "d/e/f"])),
                dirs=st.sets(st.sampled_from(["d", "d/e"])), link=st.booleans(),
                payload=DATA)
    def populate(self, files: set[str], dirs: set[str], link: bool, payload: bytes) -> None:
        """Starts most runs from a small tree, so later calls find something."""
        def mkdir(name: str) -> object:
            return lambda s: s("mkdir", s.path(name), 0o755)

        def create(name: str) -> object:
            def call(s: Side) -> int:
                fd = s.open(name, F["O_CREAT"] | F["O_WRONLY"], 0o644)
                if fd >= 0:
                    s("write", fd, s.mem(payload), len(payload))
                    s("close", fd)
                return min(fd, 0)

            return call

        for name in sorted(dirs):
            self.agree(f"mkdir({name!r})", mkdir(name))
        for name in sorted(files):
            self.agree(f"create({name!r})", create(name))
        if link:
            self.agree("symlink('a', 'l')", lambda s: s("symlink", s.name_("a"), s.path("l")))
        # and a few descriptors, so descriptor rules are not all EBADF
        for name, flags in (("a", F["O_RDWR"]), ("b", F["O_RDONLY"]),
                            ("", F["O_RDONLY"] | F["O_DIRECTORY"])):
            self.agree_fd(f"open({name!r})", lambda s, n=name, f=flags: s.open(n or ".", f))

    # --- names --------------------------------------------------------------

    @rule(name=st.sampled_from(NAMES), flags=st.sampled_from(OPEN_FLAGS),
          mode=st.sampled_from(MODES))
    def open(self, name: str, flags: int, mode: int) -> None:
        self.agree_fd(f"open({name!r}, {flags:#x})", lambda s: s.open(name, flags, mode))

    @rule(name=st.sampled_from(NAMES), mode=st.sampled_from(MODES))
    def mkdir(self, name: str, mode: int) -> None:
        self.agree(f"mkdir({name!r})", lambda s: s("mkdir", s.path(name), mode))

    @rule(name=st.sampled_from(NAMES))
    def rmdir(self, name: str) -> None:
        self.agree(f"rmdir({name!r})", lambda s: s("rmdir", s.path(name)))

    @rule(name=st.sampled_from(NAMES))
    def unlink(self, name: str) -> None:
        self.agree(f"unlink({name!r})", lambda s: s("unlink", s.path(name)))

    @rule(dest=st.sampled_from(TARGETS), name=st.sampled_from(NAMES))
    def symlink(self, dest: str, name: str) -> None:
        self.agree(f"symlink({dest!r}, {name!r})",
                   lambda s: s("symlink", s.name_(dest), s.path(name)))

    @rule(name=st.sampled_from(NAMES), size=st.sampled_from([1, 3, 64]))
    def readlink(self, name: str, size: int) -> None:
        def call(s: Side) -> tuple[str, bytes]:
            buf = s.zeros(size)
            r = s("readlink", s.path(name), buf, size)
            return errno_of(r), s.peek(buf, max(r, 0))

        self.agree(f"readlink({name!r})", call)

    @rule(old=st.sampled_from(NAMES), new=st.sampled_from(NAMES),
          follow=st.sampled_from([0, F["AT_SYMLINK_FOLLOW"], 0x2]))
    def link(self, old: str, new: str, follow: int) -> None:
        self.agree(f"linkat({old!r}, {new!r}, {follow:#x})",
                   lambda s: s("linkat", AT_FDCWD, s.path(old), AT_FDCWD, s.path(new), follow))

    @rule(old=st.sampled_from(NAMES), new=st.sampled_from(NAMES),
          flags=st.sampled_from(RENAME_FLAGS))
    def rename(self, old: str, new: str, flags: int) -> None:
        self.agree(f"renameat2({old!r}, {new!r}, {flags:#x})",
                   lambda s: s("renameat2", AT_FDCWD, s.path(old), AT_FDCWD, s.path(new), flags))

    @rule(name=st.sampled_from(NAMES), follow=st.booleans())
    def stat(self, name: str, follow: bool) -> None:
        self.agree(f"stat({name!r}, follow={follow})", lambda s: s.stat(name, follow))

    @rule(data=st.data(), name=st.sampled_from(NAMES), flags=st.sampled_from(OPEN_FLAGS))
    def openat_relative(self, data: st.DataObject, name: str, flags: int) -> None:
        dfd = self.fd(data)
        self.agree_fd(f"openat({dfd}, {name!r}, {flags:#x})",
                      lambda s: s("openat", self.pick(s, dfd), s.name_(name), flags, 0o644))

    @rule(name=st.sampled_from(NAMES), size=st.sampled_from(SIZES))
    def truncate(self, name: str, size: int) -> None:
        self.agree(f"truncate({name!r}, {size})", lambda s: s("truncate", s.path(name), size))

    @rule(name=st.sampled_from(NAMES), mode=st.sampled_from([*MODES, 0o2755, 0o7777]))
    def chmod(self, name: str, mode: int) -> None:
        self.agree(f"chmod({name!r}, {mode:o})", lambda s: s("chmod", s.path(name), mode))

    @rule(name=st.sampled_from(NAMES), uid=st.sampled_from(IDS), gid=st.sampled_from(IDS),
          flag=st.sampled_from([0, F["AT_SYMLINK_NOFOLLOW"], 0x2]))
    def chown(self, name: str, uid: int, gid: int, flag: int) -> None:
        self.agree(f"fchownat({name!r}, {uid}, {gid}, {flag:#x})",
                   lambda s: s("fchownat", AT_FDCWD, s.path(name), uid, gid, flag))

    @rule(name=st.sampled_from(NAMES), mode=st.sampled_from(ACCESS),
          flags=st.sampled_from([0, F["AT_EACCESS"], F["AT_SYMLINK_NOFOLLOW"], 0x1]))
    def access(self, name: str, mode: int, flags: int) -> None:
        self.agree(f"faccessat2({name!r}, {mode}, {flags:#x})",
                   lambda s: s("faccessat2", AT_FDCWD, s.path(name), mode, flags))

    @rule(name=st.sampled_from(NAMES), a=st.sampled_from(NSEC), m=st.sampled_from(NSEC),
          flags=st.sampled_from([0, F["AT_SYMLINK_NOFOLLOW"], 0x1]))
    def utimensat(self, name: str, a: int, m: int, flags: int) -> None:
        """Explicit times must read back the same; "now" is not compared."""
        def call(s: Side) -> tuple[str, object]:
            times = s.mem(struct.pack("<qqqq", 1000, a, 2000000000, m))
            r = s("utimensat", AT_FDCWD, s.path(name), times, flags)
            if r < 0 or {a, m} & {(1 << 30) - 1}:
                return errno_of(r), None
            st_buf = s.zeros(144)
            s("newfstatat", AT_FDCWD, s.path(name), st_buf, flags & F["AT_SYMLINK_NOFOLLOW"])
            at, ans, mt, mns = unpack_times(s.peek(st_buf, 144))
            return "ok", (at, ans) if a != (1 << 30) - 2 else None, \
                (mt, mns) if m != (1 << 30) - 2 else None

        self.agree(f"utimensat({name!r}, {a}, {m}, {flags:#x})", call)

    @rule(name=st.sampled_from(NAMES), flags=st.sampled_from([0, F["AT_SYMLINK_NOFOLLOW"],
                                                              F["AT_EMPTY_PATH"], 0x6000, 0x1]),
          mask=st.sampled_from(STATX_MASKS))
    def statx(self, name: str, flags: int, mask: int) -> None:
        def call(s: Side) -> object:
            buf = s.zeros(256)
            r = s("statx", AT_FDCWD, s.path(name), flags, mask, buf)
            return errno_of(r) if r < 0 else unpack_statx(s.peek(buf, 256))

        self.agree(f"statx({name!r}, {flags:#x}, {mask:#x})", call)

    # --- descriptors ----------------------------------------------------------

    @rule(data=st.data(), size=st.sampled_from(SIZES))
    def ftruncate(self, data: st.DataObject, size: int) -> None:
        fd = self.fd(data)
        self.agree(f"ftruncate({fd}, {size})", lambda s: s("ftruncate", self.pick(s, fd), size))

    @rule(data=st.data(), mode=st.sampled_from(FALLOC), off=st.sampled_from([0, 100, 4096, -1]),
          length=st.sampled_from([0, 1, 4096, 10000]))
    def fallocate(self, data: st.DataObject, mode: int, off: int, length: int) -> None:
        fd = self.fd(data)
        self.agree(f"fallocate({fd}, {mode:#x}, {off}, {length})",
                   lambda s: s("fallocate", self.pick(s, fd), mode, off, length))

    @rule(data=st.data(), mode=st.sampled_from([0o600, 0o4755, 0o2711]),
          uid=st.sampled_from(IDS))
    def fchmod_fchown(self, data: st.DataObject, mode: int, uid: int) -> None:
        fd = self.fd(data)
        self.agree(f"fchmod({fd}, {mode:o})", lambda s: s("fchmod", self.pick(s, fd), mode))
        self.agree(f"fchown({fd}, {uid})", lambda s: s("fchown", self.pick(s, fd), uid, uid))

    @rule(data=st.data(), op=st.sampled_from(["fsync", "fdatasync", "syncfs"]))
    def fsync(self, data: st.DataObject, op: str) -> None:
        fd = self.fd(data)
        self.agree(f"{op}({fd})", lambda s: s(op, self.pick(s, fd)))

    @rule(data=st.data(), parts=st.lists(DATA, max_size=4), pos=st.sampled_from([-1, 0, 7, -2]),
          flags=st.sampled_from(RWF), write=st.booleans())
    def rw_vec(self, data: st.DataObject, parts: list[bytes], pos: int, flags: int,
               write: bool) -> None:
        """readv/writev/preadv2/pwritev2 over several buffers."""
        fd = self.fd(data)

        def call(s: Side) -> tuple[str, bytes]:
            bufs = [s.mem(p) if write else s.zeros(len(p)) for p in parts]
            iov = s.mem(b"".join(struct.pack("<QQ", b, len(p)) for b, p in zip(bufs, parts,
                                                                             strict=True)))
            sfd = self.pick(s, fd)
            if pos == -2:
                r = s("writev" if write else "readv", sfd, iov, len(parts))
            else:
                r = s("pwritev2" if write else "preadv2", sfd, iov, len(parts), pos, 0, flags)
            got = b"" if write or r <= 0 else b"".join(s.peek(b, len(p)) for b, p in
                                                       zip(bufs, parts, strict=True))
            return errno_of(r) if r < 0 else str(r), got[:max(r, 0)]

        self.agree(f"{'write' if write else 'read'}v({fd}, {len(parts)}, {pos}, {flags:#x})",
                   call)


    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        fd = self.fd(data)
        self.agree(f"close({fd})", lambda s: s("close", self.pick(s, fd)))
        if fd in self.fds:
            self.fds.remove(fd)

    @rule(data=st.data(), payload=DATA)
    def write(self, data: st.DataObject, payload: bytes) -> None:
        fd = self.fd(data)
        self.agree(f"write({fd}, {len(payload)})",
                   lambda s: s("write", self.pick(s, fd), s.mem(payload), len(payload)))

    @rule(data=st.data(), size=st.sampled_from([0, 1, 7, 100, 5000]))
    def read(self, data: st.DataObject, size: int) -> None:
        fd = self.fd(data)

        def call(s: Side) -> tuple[str, bytes]:
            buf = s.zeros(size)
            r = s("read", self.pick(s, fd), buf, size)
            return errno_of(r), s.peek(buf, max(r, 0))

        self.agree(f"read({fd}, {size})", call)

    @rule(data=st.data(), payload=DATA, pos=st.sampled_from(OFFSETS))
    def pwrite(self, data: st.DataObject, payload: bytes, pos: int) -> None:
        fd = self.fd(data)
        self.agree(f"pwrite64({fd}, {len(payload)}, {pos})",
                   lambda s: s("pwrite64", self.pick(s, fd), s.mem(payload), len(payload), pos))

    @rule(data=st.data(), size=st.sampled_from([1, 100, 5000]), pos=st.sampled_from(OFFSETS))
    def pread(self, data: st.DataObject, size: int, pos: int) -> None:
        fd = self.fd(data)

        def call(s: Side) -> tuple[str, bytes]:
            buf = s.zeros(size)
            r = s("pread64", self.pick(s, fd), buf, size, pos)
            return errno_of(r), s.peek(buf, max(r, 0))

        self.agree(f"pread64({fd}, {size}, {pos})", call)

    @rule(data=st.data(), off=st.sampled_from(OFFSETS), whence=st.sampled_from(WHENCE))
    def lseek(self, data: st.DataObject, off: int, whence: int) -> None:
        fd = self.fd(data)
        self.agree(f"lseek({fd}, {off}, {whence})",
                   lambda s: s("lseek", self.pick(s, fd), off, whence))

    @rule(data=st.data())
    def fstat(self, data: st.DataObject) -> None:
        fd = self.fd(data)

        def call(s: Side) -> object:
            buf = s.zeros(144)
            r = s("fstat", self.pick(s, fd), buf)
            return errno_of(r) if r < 0 else unpack_stat(s.peek(buf, 144))

        self.agree(f"fstat({fd})", call)

    @rule(data=st.data(), size=st.sampled_from([10, 64, 4096]))
    def getdents(self, data: st.DataObject, size: int) -> None:
        fd = self.fd(data)

        def call(s: Side) -> object:
            r = s.dirents(self.pick(s, fd), size)
            return r if isinstance(r, str) else sorted(r)

        self.agree(f"getdents64({fd}, {size})", call)

    @rule(data=st.data(), newfd=st.sampled_from([None, "slot", *HIGH, BADFD]),
          flags=st.sampled_from([0, F["O_CLOEXEC"], 0x1]))
    def dup(self, data: st.DataObject, newfd: int | str | None, flags: int) -> None:
        fd = self.fd(data)
        if newfd is None:
            self.agree_fd(f"dup({fd})", lambda s: s("dup", self.pick(s, fd)))
            return
        target = self.fd(data) if newfd == "slot" else (newfd, newfd)
        self.agree_fd(f"dup3({fd}, {target}, {flags:#x})",
                      lambda s: s("dup3", self.pick(s, fd), self.pick(s, target), flags))  # type: ignore[arg-type]

    @rule(data=st.data(), cmd=st.sampled_from(FCNTL))
    def fcntl(self, data: st.DataObject, cmd: tuple[int, int]) -> None:
        fd = self.fd(data)
        what = f"fcntl({fd}, {cmd})"
        call = lambda s: s("fcntl", self.pick(s, fd), cmd[0], cmd[1])  # noqa: E731
        if cmd[0] in (F["F_DUPFD"], F["F_DUPFD_CLOEXEC"]):
            self.agree_fd(what, call)
        else:
            self.agree(what, call)

    @rule(first=st.sampled_from(HIGH), last=st.sampled_from([*HIGH, BADFD]),
          flags=st.sampled_from([0, F["CLOSE_RANGE_CLOEXEC"], 0x8]))
    def close_range(self, first: int, last: int, flags: int) -> None:
        want, _ = self.agree(f"close_range({first}, {last}, {flags:#x})",
                             lambda s: s("close_range", first, last, flags))
        if want == 0 and not flags:
            self.fds = [p for p in self.fds if not first <= p[0] <= last]

    # --- memory -----------------------------------------------------------------

    @precondition(lambda self: len(self.maps) < 6)
    @rule(pages=st.integers(1, 4), prot=st.sampled_from(PROTS), shared=st.booleans())
    def mmap(self, pages: int, prot: int, shared: bool) -> None:
        flags = (F["MAP_SHARED"] if shared else F["MAP_PRIVATE"]) | F["MAP_ANONYMOUS"]
        la = self.linux("mmap", 0, pages * PAGE, prot, flags, -1, 0)
        ga = self.abi("mmap", 0, pages * PAGE, prot, flags, -1, 0)
        assert errno_of(ga) == errno_of(la)
        if la > 0:
            self.maps.append((la, ga, pages))

    @precondition(lambda self: self.maps)
    @rule(data=st.data(), page=st.integers(0, 3), count=st.integers(1, 3),
          op=st.sampled_from(["munmap", "mprotect-r", "mprotect-rw", "mprotect-none",
                              *[f"madvise-{a}" for a in MADVICE]]))
    def memop(self, data: st.DataObject, page: int, count: int, op: str) -> None:
        i = data.draw(st.integers(0, len(self.maps) - 1))
        la, ga, pages = self.maps[i]
        # Only within our own mappings: beyond them the native side would
        # touch Python's memory.
        if page + count > pages:
            return

        def call(s: Side) -> int:
            addr, length = (la if s is self.linux else ga) + page * PAGE, count * PAGE
            if op == "munmap":
                return s("munmap", addr, length)
            if op.startswith("mprotect"):
                prot = {"r": F["PROT_READ"], "rw": F["PROT_READ"] | F["PROT_WRITE"],
                        "none": 0}[op.split("-")[1]]
                return s("mprotect", addr, length, prot)
            return s("madvise", addr, length, int(op.split("-")[1]))

        self.agree(f"{op}(map {i} + {page} pages, {count})", call)
        if op == "munmap":
            # The host may reuse a native hole for its own memory at once, so
            # the rest of this mapping goes too and no rule touches it again.
            self.linux("munmap", la, pages * PAGE)
            self.abi("munmap", ga, pages * PAGE)
            del self.maps[i]

    @precondition(lambda self: self.maps)
    @rule(data=st.data(), page=st.integers(0, 3), payload=DATA)
    def memcopy(self, data: st.DataObject, page: int, payload: bytes) -> None:
        """Moves bytes in and out of a mapping through the kernel (read() into
        it, write() from it), so a protected page is EFAULT on both sides, and
        compares what the mapping then holds."""
        i = data.draw(st.integers(0, len(self.maps) - 1))
        la, ga, pages = self.maps[i]
        if page >= pages:
            return

        def call(s: Side) -> tuple[str, str, bytes]:
            addr = (la if s is self.linux else ga) + page * PAGE
            mfd = s.open("memfile", F["O_CREAT"] | F["O_RDWR"] | F["O_TRUNC"], 0o600)
            s("write", mfd, s.mem(payload), len(payload))
            s("lseek", mfd, 0, F["SEEK_SET"])
            r = s("read", mfd, addr, len(payload))
            s("lseek", mfd, 0, F["SEEK_SET"])
            w = s("write", mfd, addr, 64)
            back = s.zeros(64)
            got = s("pread64", mfd, back, 64, 0)
            s("close", mfd)
            s("unlink", s.path("memfile"))
            return errno_of(r), errno_of(w), s.peek(back, max(got, 0))

        self.agree(f"memcopy(map {i} page {page}, {len(payload)})", call)

    # --- invariants -----------------------------------------------------------------

    @invariant()
    def same_tree(self) -> None:
        """The whole tree: names, types and the comparable stat fields."""
        def walk(s: Side) -> list[tuple[str, object]]:
            out: list[tuple[str, object]] = []
            todo = [""]
            while todo:
                rel = todo.pop()
                fd = s.open(rel or ".", F["O_RDONLY"] | F["O_DIRECTORY"] | F["O_NOFOLLOW"])
                if fd < 0:
                    out.append((rel, errno_of(fd)))
                    continue
                ents = s.dirents(fd)
                s("close", fd)
                assert not isinstance(ents, str), ents
                for name, dtype in sorted(ents):
                    if name in (b".", b".."):
                        continue
                    path = f"{rel}/{name.decode()}" if rel else name.decode()
                    out.append((path, (dtype, s.stat(path, follow=False))))
                    if dtype == 4:
                        todo.append(path)
            return out

        self.agree("tree", walk)


# make test sets ABI_DIFF_EXAMPLES (2000); without it the hypothesis profile decides.
Diff.TestCase.settings = settings(
    stateful_step_count=30,
    max_examples=int(os.environ.get("ABI_DIFF_EXAMPLES", "0")) or settings().max_examples)
TestDifferential = Diff.TestCase


@pytest.fixture(autouse=True, scope="module")
def _kernel_built(lib: ctypes.CDLL) -> None:
    """The kernel is built before hypothesis times the first example."""


def test_native_root_is_private(tmp_path: Path) -> None:
    """A guard for the machine itself: no drawn name can leave the root."""
    for name in NAMES + TARGETS:
        assert not name.startswith("/") and not name.startswith("..")


def test_a_position_below_every_entry_lists_from_the_newest(sides: tuple[Side, Side]) -> None:
    """tmpfs (6.18) restarts from the newest entry when no entry is at or below
    the position, e.g. one an lseek or a removal left behind (found by the
    state machine above; order and positions are compared exactly here)."""
    results = []
    for s in sides:
        for name in ("x", "y", "z"):
            s("close", s.open(name, F["O_CREAT"] | F["O_WRONLY"], 0o644))
        s("unlink", s.path("x"))
        fd = s.open(".", F["O_RDONLY"] | F["O_DIRECTORY"])
        out: list[object] = [s("lseek", fd, 3, F["SEEK_SET"]), s.dirents(fd),
                             s("lseek", fd, 0, F["SEEK_CUR"])]
        s("lseek", fd, 5, F["SEEK_SET"])
        out += [errno_of(s("getdents64", fd, s.zeros(64), 10)), s("lseek", fd, 0, F["SEEK_CUR"])]
        s("close", fd)
        results.append(out)
    assert results[1] == results[0]
