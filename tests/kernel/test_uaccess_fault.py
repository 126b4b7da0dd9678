"""Fault-safe user copies on the library platform: libabik.so runs in this
very process, so a copy that faults on a page the kernel's VMA map calls
accessible raises SIGBUS or SIGSEGV here. The handler installed at boot
(kernel/plat/linux/fault.c) resumes it at the copy's fixup: the call gives
EFAULT or a short count, as on Linux. Any other fault still belongs to the
handler that was there before (Python's faulthandler, or the default).

The faulting pages: a MAP_SHARED mapping of a hostfs file truncated by the
guest, or by the host behind the kernel's back, and a page made PROT_NONE
on the host behind the kernel's back."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sides import (
    AT_FDCWD,
    PAGE,
    REPO,
    F,
    NativeDir,
    Side,
    boot_guest,
    errno_of,
    native_release,
    native_side,
)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]

Sides = tuple[tuple[Side, Path], tuple[Side, Path]]


@pytest.fixture
def hostfs_sides(lib: ctypes.CDLL, tmp_path: Path) -> Iterator[Sides]:
    """((linux, its dir), (abi, the host dir mounted at its /tmp/t))."""
    nat, host = NativeDir(tmp_path), NativeDir(tmp_path)
    linux = native_side(nat.path)
    abi = boot_guest(lib)
    lib.abi_mount_host.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
    lib.abi_mount_host.restype = ctypes.c_int
    assert lib.abi_mount_host(str(host.path).encode(), b"/tmp/t", 0) == 0
    yield (linux, nat.path), (abi, host.path)
    native_release(linux)
    nat.remove()
    host.remove()
    lib.abi_reset()
    assert lib.abi_reset_leaked() == 0


def mapped_file(s: Side) -> tuple[int, int]:
    """A two-page file "m" of 'x', mapped MAP_SHARED: (fd, address)."""
    fd = s.open("m", F["O_RDWR"] | F["O_CREAT"] | F["O_TRUNC"])
    assert s("write", fd, s.mem(b"x" * 2 * PAGE), 2 * PAGE) == 2 * PAGE
    p = s("mmap", 0, 2 * PAGE, F["PROT_READ"] | F["PROT_WRITE"], F["MAP_SHARED"], fd, 0)
    assert p > 0, errno_of(p)
    return fd, p


def copies(s: Side, bad: int) -> list[object]:
    """Every family of copy against bad (a faulting page after a good one):
    each result, and the offsets and sizes that show how much moved."""
    out: list[object] = []

    def r(name: str, *args: int) -> None:
        v = s(name, *args)
        out.append((name, errno_of(v) if v < 0 else v))

    fd = s.open("out", F["O_RDWR"] | F["O_CREAT"] | F["O_TRUNC"])
    r("write", fd, bad, 10)                        # issue 13's repro
    r("write", fd, bad - 100, 200)                 # short: 100
    r("pwrite64", fd, bad - 50, 100, 0)
    r("lseek", fd, 0, F["SEEK_SET"])
    r("read", fd, bad, 10)
    r("read", fd, bad - 30, 100)                   # short: 30
    r("lseek", fd, 0, F["SEEK_CUR"])
    r("pread64", fd, bad - 20, 100, 0)
    iov = s.mem(bytes(8) + (40).to_bytes(8, "little") + bad.to_bytes(8, "little")
                + (40).to_bytes(8, "little"))
    ctypes.memmove(iov, (bad - PAGE).to_bytes(8, "little"), 8)
    r("writev", fd, iov, 2)                        # the second iovec faults: 40
    r("readv", fd, iov, 2)
    r("newfstatat", AT_FDCWD, s.path("out"), bad - 64, 0)
    r("fstat", fd, bad)
    r("getdents64", fd, bad, 4096)                 # ENOTDIR before any copy
    ctypes.memmove(bad - 2, b"ou", 2)              # a path running into the fault
    r("openat", AT_FDCWD, bad - 2, F["O_RDONLY"], 0)
    r("openat", AT_FDCWD, bad, F["O_RDONLY"], 0)
    r("poll", bad - 4, 1, 0)
    r("clock_gettime", 1, bad - 8)
    r("close", fd)
    return out


def both(sides: Sides, make_bad: Callable[[Side, Path], int]) -> list[object]:
    (linux, ldir), (abi, adir) = sides
    want = copies(linux, make_bad(linux, ldir))
    got = copies(abi, make_bad(abi, adir))
    assert got == want
    return want


def test_truncated_by_the_guest(hostfs_sides: Sides) -> None:
    """Issue 13's repro, and the rest of the families, on hostfs."""
    def bad(s: Side, _d: Path) -> int:
        fd, p = mapped_file(s)
        assert s("ftruncate", fd, PAGE) == 0
        return p + PAGE

    want = both(hostfs_sides, bad)
    assert want[0] == ("write", "EFAULT") and want[1] == ("write", 100)


def test_truncated_on_the_host(hostfs_sides: Sides) -> None:
    """The host file shrinks behind the kernel's back: only the fixup helps."""
    def bad(s: Side, d: Path) -> int:
        _fd, p = mapped_file(s)
        os.truncate(d / "m", PAGE)
        return p + PAGE

    both(hostfs_sides, bad)


def test_protected_on_the_host(hostfs_sides: Sides) -> None:
    """A page the kernel calls writable, made PROT_NONE on the host."""
    def bad(s: Side, _d: Path) -> int:
        p = s("mmap", 0, 2 * PAGE, F["PROT_READ"] | F["PROT_WRITE"],
              F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        assert _libc.mprotect(p + PAGE, PAGE, 0) == 0
        return p + PAGE

    both(hostfs_sides, bad)


def test_futex_word_readonly_on_the_host(hostfs_sides: Sides) -> None:
    """A futex word the kernel calls writable, made read-only on the host:
    the read succeeds, the atomic write of WAKE_OP and the PI operations
    faults in the cmpxchg routine and its fixup gives EFAULT."""
    (linux, _), (abi, _) = hostfs_sides
    out = []
    for s in (linux, abi):
        p = s("mmap", 0, 2 * PAGE, F["PROT_READ"] | F["PROT_WRITE"],
              F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        ctypes.memmove(p + PAGE, (0).to_bytes(4, "little"), 4)
        assert _libc.mprotect(p + PAGE, PAGE, F["PROT_READ"]) == 0
        priv = F["FUTEX_PRIVATE_FLAG"]
        out.append([errno_of(s("futex", p, F["FUTEX_WAKE_OP"] | priv, 1, 1, p + PAGE, 1 << 12)),
                    errno_of(s("futex", p + PAGE, F["FUTEX_LOCK_PI"] | priv, 0, 0, 0, 0)),
                    errno_of(s("futex", p + PAGE, F["FUTEX_TRYLOCK_PI"] | priv, 0, 0, 0, 0)),
                    ctypes.string_at(p + PAGE, 4)])
    assert out[1] == out[0] and out[0][0] == "EFAULT"


CHILD = textwrap.dedent("""
    import ctypes, sys
    sys.path.insert(0, {tests!r})
    from sides import build_kernel, boot_guest
    lib = build_kernel()
    boot_guest(lib)
    print("booted", flush=True)
    ctypes.string_at(8)  # a fault that is not the kernel's
    print("survived", flush=True)
""")


@pytest.mark.parametrize("faulthandler", [True, False])
def test_other_faults_reach_the_old_handler(lib: ctypes.CDLL, faulthandler: bool) -> None:
    """After boot, a fault outside the copy routines is the host process's
    own: Python's faulthandler reports it (or the default action kills), as
    without the kernel."""
    code = CHILD.format(tests=str(REPO / "tests" / "kernel"))
    argv = [sys.executable, *(["-X", "faulthandler"] if faulthandler else []), "-c", code]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    p = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
                       check=False)
    assert p.stdout == "booted\n", p.stdout + p.stderr
    assert p.returncode == -11, p.stderr
    assert ("Fatal Python error: Segmentation fault" in p.stderr) == faulthandler, p.stderr
