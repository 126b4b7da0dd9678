"""EFAULT for every pointer argument of every implemented syscall that takes
one: each call is made with one pointer replaced by an address that is not
mapped (a page mapped and unmapped again) or mapped read-only, everything
else valid, on Linux and on the kernel; the errnos must match and the kernel
must not crash."""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
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
)

from abi.kernel import load_sysdefs

BAD = "BAD"  # placeholder for the bad pointer


class Env:
    """Files and buffers one side needs for the calls below."""

    def __init__(self, s: Side) -> None:
        self.s = s
        fd = s.open("f", F["O_CREAT"] | F["O_RDWR"], 0o644)
        s("write", fd, s.mem(b"0123456789"), 10)
        s("lseek", fd, 0, F["SEEK_SET"])
        self.fd = fd
        s("mkdir", s.path("d"), 0o755)
        self.dfd = s.open("d", F["O_RDONLY"] | F["O_DIRECTORY"])
        s("symlink", s.name_("f"), s.path("l"))
        self.hole = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        s("munmap", self.hole, PAGE)
        self.ro = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        self.buf = s("mmap", 0, PAGE, F["PROT_READ"] | F["PROT_WRITE"],
                     F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)

    def close(self) -> None:
        self.s("close", self.fd)
        self.s("close", self.dfd)
        self.s("munmap", self.ro, PAGE)
        self.s("munmap", self.buf, PAGE)

    def current_core(self) -> int:
        """A copy of this side's RLIMIT_CORE."""
        lim = self.s.zeros(16)
        assert self.s("getrlimit", F["RLIMIT_CORE"], lim) == 0
        return self.s.mem(self.s.peek(lim, 16))

    def iov(self) -> int:
        return self.s.mem(struct.pack("<QQ", self.buf, 16))

    def bad_iov(self, bad: int) -> int:
        return self.s.mem(struct.pack("<QQ", bad, 16))


# name -> function(env, bad pointer or None) giving the call's arguments; each
# use of `p(x, bad)` is one pointer position: it becomes bad when it is the
# position under test.
Case = Callable[[Env, Callable[[int], int]], tuple[str, tuple[int, ...]]]


def cases() -> dict[str, tuple[int, Case]]:
    """name: (pointer positions, builder)."""
    def path(e: Env, rel: str) -> int:
        return e.s.path(rel)

    return {
        "read": (1, lambda e, p: ("read", (e.fd, p(e.buf), 4))),
        "write": (1, lambda e, p: ("write", (e.fd, p(e.buf), 4))),
        "pread64": (1, lambda e, p: ("pread64", (e.fd, p(e.buf), 4, 0))),
        "pwrite64": (1, lambda e, p: ("pwrite64", (e.fd, p(e.buf), 4, 0))),
        "readv": (1, lambda e, p: ("readv", (e.fd, p(e.iov()), 1))),
        "writev": (1, lambda e, p: ("writev", (e.fd, p(e.iov()), 1))),
        "preadv": (1, lambda e, p: ("preadv", (e.fd, p(e.iov()), 1, 0, 0))),
        "pwritev": (1, lambda e, p: ("pwritev", (e.fd, p(e.iov()), 1, 0, 0))),
        "preadv2": (1, lambda e, p: ("preadv2", (e.fd, p(e.iov()), 1, 0, 0, 0))),
        "pwritev2": (1, lambda e, p: ("pwritev2", (e.fd, p(e.iov()), 1, 0, 0, 0))),
        "open": (1, lambda e, p: ("open", (p(path(e, "f")), F["O_RDONLY"], 0))),
        "openat": (1, lambda e, p: ("openat", (AT_FDCWD, p(path(e, "f")), F["O_RDONLY"], 0))),
        "creat": (1, lambda e, p: ("creat", (p(path(e, "new")), 0o644))),
        "stat": (2, lambda e, p: ("stat", (p(path(e, "f")), p(e.buf)))),
        "lstat": (2, lambda e, p: ("lstat", (p(path(e, "l")), p(e.buf)))),
        "fstat": (1, lambda e, p: ("fstat", (e.fd, p(e.buf)))),
        "newfstatat": (2, lambda e, p: ("newfstatat", (AT_FDCWD, p(path(e, "f")), p(e.buf), 0))),
        "statx": (2, lambda e, p: ("statx", (AT_FDCWD, p(path(e, "f")), 0, 0x7FF, p(e.buf)))),
        "access": (1, lambda e, p: ("access", (p(path(e, "f")), 0))),
        "faccessat": (1, lambda e, p: ("faccessat", (AT_FDCWD, p(path(e, "f")), 0))),
        "faccessat2": (1, lambda e, p: ("faccessat2", (AT_FDCWD, p(path(e, "f")), 0, 0))),
        "mkdir": (1, lambda e, p: ("mkdir", (p(path(e, "nd")), 0o755))),
        "mkdirat": (1, lambda e, p: ("mkdirat", (AT_FDCWD, p(path(e, "nd")), 0o755))),
        "rmdir": (1, lambda e, p: ("rmdir", (p(path(e, "d")),))),
        "unlink": (1, lambda e, p: ("unlink", (p(path(e, "missing")),))),
        "unlinkat": (1, lambda e, p: ("unlinkat", (AT_FDCWD, p(path(e, "missing")), 0))),
        "symlink": (2, lambda e, p: ("symlink", (p(e.s.name_("t")), p(path(e, "sl"))))),
        "symlinkat": (2, lambda e, p: ("symlinkat", (p(e.s.name_("t")), AT_FDCWD,
                                                     p(path(e, "sl"))))),
        "readlink": (2, lambda e, p: ("readlink", (p(path(e, "l")), p(e.buf), 16))),
        "readlinkat": (2, lambda e, p: ("readlinkat", (AT_FDCWD, p(path(e, "l")), p(e.buf), 16))),
        "link": (2, lambda e, p: ("link", (p(path(e, "f")), p(path(e, "hl"))))),
        "linkat": (2, lambda e, p: ("linkat", (AT_FDCWD, p(path(e, "f")), AT_FDCWD,
                                               p(path(e, "hl")), 0))),
        "rename": (2, lambda e, p: ("rename", (p(path(e, "missing")), p(path(e, "x"))))),
        "renameat": (2, lambda e, p: ("renameat", (AT_FDCWD, p(path(e, "missing")), AT_FDCWD,
                                                   p(path(e, "x"))))),
        "renameat2": (2, lambda e, p: ("renameat2", (AT_FDCWD, p(path(e, "missing")), AT_FDCWD,
                                                     p(path(e, "x")), 0))),
        "chmod": (1, lambda e, p: ("chmod", (p(path(e, "f")), 0o644))),
        "fchmodat": (1, lambda e, p: ("fchmodat", (AT_FDCWD, p(path(e, "f")), 0o644))),
        "chown": (1, lambda e, p: ("chown", (p(path(e, "f")), 0xFFFFFFFF, 0xFFFFFFFF))),
        "lchown": (1, lambda e, p: ("lchown", (p(path(e, "f")), 0xFFFFFFFF, 0xFFFFFFFF))),
        "fchownat": (1, lambda e, p: ("fchownat", (AT_FDCWD, p(path(e, "f")), 0xFFFFFFFF,
                                                   0xFFFFFFFF, 0))),
        "truncate": (1, lambda e, p: ("truncate", (p(path(e, "f")), 10))),
        "utime": (2, lambda e, p: ("utime", (p(path(e, "f")), p(e.s.mem(bytes(16)))))),
        "utimes": (2, lambda e, p: ("utimes", (p(path(e, "f")), p(e.s.mem(bytes(32)))))),
        "futimesat": (2, lambda e, p: ("futimesat", (AT_FDCWD, p(path(e, "f")),
                                                     p(e.s.mem(bytes(32)))))),
        "utimensat": (2, lambda e, p: ("utimensat", (AT_FDCWD, p(path(e, "f")),
                                                     p(e.s.mem(bytes(32))), 0))),
        "getcwd": (1, lambda e, p: ("getcwd", (p(e.buf), 4096))),
        "chdir": (1, lambda e, p: ("chdir", (p(path(e, "d")),))),
        "getdents64": (1, lambda e, p: ("getdents64", (e.dfd, p(e.buf), 4096))),
        "mincore": (1, lambda e, p: ("mincore", (e.buf, PAGE, p(e.s.mem(bytes(8)))))),
        "getresuid": (3, lambda e, p: ("getresuid", (p(e.buf), p(e.buf + 4), p(e.buf + 8)))),
        "getresgid": (3, lambda e, p: ("getresgid", (p(e.buf), p(e.buf + 4), p(e.buf + 8)))),
        "getgroups": (1, lambda e, p: ("getgroups", (64, p(e.buf)))),
        "getrlimit": (1, lambda e, p: ("getrlimit", (F["RLIMIT_CORE"], p(e.buf)))),
        # setting the limit it already has: harmless on the native side
        "setrlimit": (1, lambda e, p: ("setrlimit", (F["RLIMIT_CORE"], p(e.current_core())))),
        "prlimit64": (2, lambda e, p: ("prlimit64", (0, F["RLIMIT_CORE"], p(e.current_core()),
                                                     p(e.buf)))),
        "uname": (1, lambda e, p: ("uname", (p(e.buf),))),
        "getrandom": (1, lambda e, p: ("getrandom", (p(e.buf), 16, 0))),
        "clock_gettime": (1, lambda e, p: ("clock_gettime", (F["CLOCK_MONOTONIC"], p(e.buf)))),
        "clock_getres": (1, lambda e, p: ("clock_getres", (F["CLOCK_MONOTONIC"], p(e.buf)))),
        "gettimeofday": (2, lambda e, p: ("gettimeofday", (p(e.buf), p(e.buf + 16)))),
        "time": (1, lambda e, p: ("time", (p(e.buf),))),
        "nanosleep": (2, lambda e, p: ("nanosleep", (p(e.s.mem(bytes(16))), p(e.buf)))),
        "clock_nanosleep": (2, lambda e, p: ("clock_nanosleep", (F["CLOCK_MONOTONIC"], 0,
                                                                 p(e.s.mem(bytes(16))),
                                                                 p(e.buf)))),
        "times": (1, lambda e, p: ("times", (p(e.buf),))),
        "getrusage": (1, lambda e, p: ("getrusage", (F["RUSAGE_SELF"], p(e.buf)))),
    }


_lib: ctypes.CDLL | None = None


@pytest.fixture(scope="module")
def lib() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        _lib = build_kernel()
    return _lib


@pytest.fixture
def sides(lib: ctypes.CDLL, tmp_path: Path) -> Iterator[tuple[Env, Env]]:
    d = NativeDir(tmp_path)
    linux = native_side(d.path)
    abi = boot_guest(lib)
    envs = (Env(linux), Env(abi))
    yield envs
    envs[0].close()
    native_release(linux)
    d.remove()
    lib.abi_reset()
    assert lib.abi_reset_leaked() == 0


def test_every_pointer_syscall_is_covered() -> None:
    """Every implemented syscall with a pointer argument has a case here."""
    defs = load_sysdefs()
    with_pointers = {name for name, (_ret, status, args) in defs.SYSCALLS.items()
                     if status != "enosys" and any(a[4] for a in args)}
    # mmap-family addresses are integers in the table, not pointers
    assert with_pointers - set(cases()) == set()


@pytest.mark.parametrize("name", sorted(cases()))
@pytest.mark.parametrize("kind", ["hole", "readonly", "null"])
def test_bad_pointer(sides: tuple[Env, Env], name: str, kind: str) -> None:
    npos, build = cases()[name]
    for position in range(npos):
        results = []
        for env in sides:
            bad = {"hole": env.hole, "readonly": env.ro, "null": 0}[kind]
            counter = iter(range(npos))

            def p(value: int, _pos: int = position, _bad: int = bad,
                  _it: Iterator[int] = counter) -> int:
                return _bad if next(_it) == _pos else value

            call, args = build(env, p)
            if call == "chdir":
                # the native side must not move pytest's own working directory
                results.append(errno_of(env.s(call, *args)) if env.s.name == "abi" or
                               args[0] in (env.hole, env.ro, 0) else "skip")
                continue
            results.append(errno_of(env.s(call, *args)))
        if "skip" in results:
            continue
        assert results[1] == results[0], f"{name} pointer {position} {kind}: " \
            f"abi {results[1]}, linux {results[0]}"
