"""EFAULT for every pointer argument of every implemented syscall that takes
one: each call is made with one pointer replaced by an address that is not
mapped (a page mapped and unmapped again) or mapped read-only, everything
else valid, on Linux and on the kernel; the errnos must match and the kernel
must not crash."""

from __future__ import annotations

import importlib
import inspect
import struct
from collections.abc import Callable, Iterator

import pytest
from sides import (
    AT_FDCWD,
    PAGE,
    F,
    Side,
    errno_of,
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
        # x: executable, but no format's (ENOEXEC once argv and envp are
        # read), so that no case can replace the native pytest process
        xfd = s.open("x", F["O_CREAT"] | F["O_WRONLY"], 0o755)
        s("write", xfd, s.mem(b"not a program\n"), 14)
        s("close", xfd)
        self.ro = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        self.buf = s("mmap", 0, PAGE, F["PROT_READ"] | F["PROT_WRITE"],
                     F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        # last: a later mmap would take the hole's place (top-down allocation)
        self.hole = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        s("munmap", self.hole, PAGE)
        groups = s.zeros(256)
        self.ngroups = max(s("getgroups", 64, groups), 0)
        self.groups = s.peek(groups, 4 * self.ngroups)

    def close(self) -> None:
        assert errno_of(self.s("mincore", self.hole, PAGE, self.s.zeros(1))) == "ENOMEM", \
            "something was mapped over the hole: its cases tested a mapped page"
        # setgroups' case may have given the native process a group: take it back
        self.s("setgroups", self.ngroups, self.s.mem(self.groups) if self.ngroups else 0)
        self.s("close", self.fd)
        self.s("close", self.dfd)
        self.s("munmap", self.ro, PAGE)
        self.s("munmap", self.buf, PAGE)

    def current_core(self) -> int:
        """A copy of this side's RLIMIT_CORE."""
        lim = self.s.zeros(16)
        assert self.s("getrlimit", F["RLIMIT_CORE"], lim) == 0
        return self.s.mem(self.s.peek(lim, 16))

    def current_cpus(self) -> int:
        """A copy of this side's CPU mask (setting it changes nothing)."""
        mask = self.s.zeros(8)
        assert self.s("sched_getaffinity", 0, 8, mask) == 8
        return self.s.mem(self.s.peek(mask, 8))

    def current_groups(self, p: Callable[[int], int]) -> tuple[int, int]:
        """setgroups arguments that leave this side's groups as they are."""
        if not self.ngroups:  # none: one group, the egid, undone by close()
            return (1, p(self.s.mem(struct.pack("<I", self.s("getegid")))))
        return (self.ngroups, p(self.s.mem(self.groups)))

    def argv(self) -> int:
        return self.s.mem(struct.pack("<QQ", self.s.path("x"), 0))

    def envp(self) -> int:
        return self.s.mem(struct.pack("<Q", 0))

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
        "execve": (3, lambda e, p: ("execve", (p(path(e, "x")), p(e.argv()), p(e.envp())))),
        "execveat": (3, lambda e, p: ("execveat", (AT_FDCWD, p(path(e, "x")), p(e.argv()),
                                                  p(e.envp()), 0))),
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
        "getdents": (1, lambda e, p: ("getdents", (e.dfd, p(e.buf), 4096))),
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
        "getitimer": (1, lambda e, p: ("getitimer", (F["ITIMER_REAL"], p(e.buf)))),
        "time": (1, lambda e, p: ("time", (p(e.buf),))),
        "nanosleep": (2, lambda e, p: ("nanosleep", (p(e.s.mem(bytes(16))), p(e.buf)))),
        "clock_nanosleep": (2, lambda e, p: ("clock_nanosleep", (F["CLOCK_MONOTONIC"], 0,
                                                                 p(e.s.mem(bytes(16))),
                                                                 p(e.buf)))),
        "times": (1, lambda e, p: ("times", (p(e.buf),))),
        "getrusage": (1, lambda e, p: ("getrusage", (F["RUSAGE_SELF"], p(e.buf)))),
        # SIGWINCH set to SIG_DFL (zeros): harmless on the native side
        "rt_sigaction": (2, lambda e, p: ("rt_sigaction", (F["SIGWINCH"], p(e.s.mem(bytes(32))),
                                                           p(e.buf), 8))),
        # waking nobody: harmless on the native side
        "futex": (1, lambda e, p: ("futex", (p(e.buf), F["FUTEX_WAKE"], 1, 0, 0, 0))),
        "futex_wait": (1, lambda e, p: ("futex", (p(e.buf), F["FUTEX_WAIT"] |
                                                  F["FUTEX_PRIVATE_FLAG"], 1, 0, 0, 0))),
        "rt_sigpending": (1, lambda e, p: ("rt_sigpending", (p(e.buf), 8))),
        "sched_getaffinity": (1, lambda e, p: ("sched_getaffinity", (0, 8, p(e.buf)))),
        "sched_setaffinity": (1, lambda e, p: ("sched_setaffinity",
                                               (0, 8, p(e.current_cpus())))),
        "sched_setscheduler": (1, lambda e, p: ("sched_setscheduler", (0, 0, p(e.s.zeros(4))))),
        "sched_setparam": (1, lambda e, p: ("sched_setparam", (0, p(e.s.zeros(4))))),
        "sched_getparam": (1, lambda e, p: ("sched_getparam", (0, p(e.buf)))),
        "sched_setattr": (1, lambda e, p: ("sched_setattr", (0, p(e.s.zeros(56)), 0))),
        "sched_getattr": (1, lambda e, p: ("sched_getattr", (0, p(e.buf), 56, 0))),
        "sched_rr_get_interval": (1, lambda e, p: ("sched_rr_get_interval", (0, p(e.buf)))),
        "getcpu": (3, lambda e, p: ("getcpu", (p(e.buf), p(e.buf + 4), p(e.buf + 8)))),
        "setgroups": (1, lambda e, p: ("setgroups", e.current_groups(p))),
        "capget": (2, lambda e, p: ("capget", (p(e.s.mem(struct.pack("<Ii", 0x20080522, 0))),
                                               p(e.buf)))),
        "statfs": (2, lambda e, p: ("statfs", (p(path(e, "f")), p(e.buf)))),
        "fstatfs": (1, lambda e, p: ("fstatfs", (e.fd, p(e.buf)))),
        "mknod": (1, lambda e, p: ("mknod", (p(path(e, "fifo")), 0o010600, 0))),
        "mknodat": (1, lambda e, p: ("mknodat", (AT_FDCWD, p(path(e, "fifo")), 0o010600, 0))),
        "memfd_create": (1, lambda e, p: ("memfd_create", (p(e.s.mem(b"m\0")), 0))),
        "sendfile": (1, lambda e, p: ("sendfile", (e.fd, e.fd, p(e.s.mem(bytes(8))), 1))),
        "copy_file_range": (2, lambda e, p: ("copy_file_range", (
            e.fd, p(e.s.mem(bytes(8))), e.fd, p(e.s.mem(struct.pack("<q", 100))), 1, 0))),
        "openat2": (2, lambda e, p: ("openat2", (AT_FDCWD, p(path(e, "f")),
                                                 p(e.s.mem(bytes(24))), 24))),
        "sysinfo": (1, lambda e, p: ("sysinfo", (p(e.buf),))),
        # an invalid ss_flags: EINVAL once read, nothing changes
        "sigaltstack": (2, lambda e, p: ("sigaltstack", (
            p(e.s.mem(struct.pack("<QiiQ", 0, 7, 0, 0))), p(e.buf)))),
        # no signal of the set is pending and the timeout is 0 (never a bad
        # pointer: NULL would wait for good): EAGAIN once the set is read
        "rt_sigtimedwait": (2, lambda e, p: ("rt_sigtimedwait", (
            p(e.s.mem(struct.pack("<Q", 1 << 40))), p(e.buf), e.s.zeros(16), 8))),
        # signal 0 to another process: a permission answer, nothing sent
        "rt_sigqueueinfo": (1, lambda e, p: ("rt_sigqueueinfo", (1, 0, p(e.s.zeros(128))))),
        "rt_tgsigqueueinfo": (1, lambda e, p: ("rt_tgsigqueueinfo", (1, 1, 0,
                                                                     p(e.s.zeros(128))))),
        # recorded, never dereferenced until the thread exits (Linux then
        # ignores a fault): never EFAULT
        "set_tid_address": (1, lambda e, p: ("set_tid_address", (p(e.buf),))),
        "set_robust_list": (1, lambda e, p: ("set_robust_list", (p(e.buf), 24))),
        "get_robust_list": (2, lambda e, p: ("get_robust_list", (0, p(e.buf), p(e.buf + 8)))),
        # blocking nothing: harmless on the native side
        "rt_sigprocmask": (2, lambda e, p: ("rt_sigprocmask", (F["SIG_BLOCK"],
                                                               p(e.s.mem(bytes(8))), p(e.buf),
                                                               8))),
        # fcntl's commands whose argument is a pointer (an integer in the
        # table); a read lock, no owner, hint 0: harmless on the native side
        **{f"fcntl {cmd}": (1, lambda e, p, cmd=cmd: ("fcntl", (e.fd, F[cmd], p(e.s.mem(
            struct.pack("<hhxxxxqqi4x", 0, 0, 0, 4, 0)))))) for cmd in
           ("F_GETLK", "F_SETLK", "F_SETLKW", "F_OFD_GETLK", "F_OFD_SETLK", "F_OFD_SETLKW")},
        "fcntl F_SETOWN_EX": (1, lambda e, p: ("fcntl", (e.fd, F["F_SETOWN_EX"],
                                                          p(e.s.mem(struct.pack("<ii", 1, 0)))))),
        "fcntl F_GETOWN_EX": (1, lambda e, p: ("fcntl", (e.fd, F["F_GETOWN_EX"], p(e.buf)))),
        "fcntl F_GETOWNER_UIDS": (1, lambda e, p: ("fcntl", (e.fd, F["F_GETOWNER_UIDS"],
                                                              p(e.buf)))),
        "fcntl F_GET_RW_HINT": (1, lambda e, p: ("fcntl", (e.fd, F["F_GET_RW_HINT"], p(e.buf)))),
        "fcntl F_SET_RW_HINT": (1, lambda e, p: ("fcntl", (e.fd, F["F_SET_RW_HINT"],
                                                            p(e.s.mem(bytes(8)))))),
    }


@pytest.fixture
def envs(sides: tuple[Side, Side]) -> Iterator[tuple[Env, Env]]:
    """An Env on each side (conftest's sides)."""
    pair = (Env(sides[0]), Env(sides[1]))
    yield pair
    pair[0].close()


# Syscalls whose pointers need descriptors of their own kind (a pipe, an epoll
# instance, a timerfd): their EFAULT cases live with their other tests.
ELSEWHERE = {
    "pipe": "test_pipes.test_pipe_efault", "pipe2": "test_pipes.test_pipe_efault",
    "timerfd_settime": "test_pipes.test_timerfd_efault",
    "timerfd_gettime": "test_pipes.test_timerfd_efault",
    "poll": "test_poll.test_poll_efault", "ppoll": "test_poll.test_poll_efault",
    "select": "test_poll.test_select_efault", "pselect6": "test_poll.test_select_efault",
    "epoll_ctl": "test_poll.test_epoll_wait_errors",
    "epoll_wait": "test_poll.test_epoll_wait_errors",
    "epoll_pwait": "test_poll.test_epoll_wait_errors",
    "epoll_pwait2": "test_poll.test_epoll_wait_errors",
    **{name: "test_xattr.test_xattr_efault"
       for name in ("setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr",
                    "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr",
                    "fremovexattr")},
    "sethostname": "test_uts_chroot.test_uts_efault",
    "setdomainname": "test_uts_chroot.test_uts_efault",
    "chroot": "test_uts_chroot.test_chroot_efault",
    "signalfd": "test_signalfd.test_signalfd_efault",
    "signalfd4": "test_signalfd.test_signalfd_efault",
    "pidfd_send_signal": "test_pidfd.probe",
    "futex_waitv": "test_futex.test_waitv_errors",
    "clone3": "test_efault.test_clone3_sigsuspend_efault",
    "rt_sigsuspend": "test_efault.test_clone3_sigsuspend_efault",
    # timers: what arms one is ENOSYS on the library platform
    "setitimer": "test_timers.test_itimer_errors",
    "timer_create": "test_timers.test_timer_create_errors",
    "timer_settime": "test_timers.test_timer_id_errors",
    "timer_gettime": "test_timers.test_timer_id_errors",
}

# clone stores parent_tid and child_tid after the thread exists and ignores
# a fault there (kernel_clone, schedule_tail): it has no EFAULT to compare.
NEVER_EFAULT = {"clone"}


def test_clone3_sigsuspend_efault(envs: tuple[Env, Env]) -> None:
    """clone3 and rt_sigsuspend with a bad pointer: EFAULT before anything
    happens. Only holes and NULL: a readable page of zeros would fork the
    test (clone3) or suspend it for good (rt_sigsuspend)."""
    for env in envs:
        for bad in (env.hole, 0):
            assert errno_of(env.s("clone3", bad, 64)) == "EFAULT", env.s.name
            assert errno_of(env.s("rt_sigsuspend", bad, 8)) == "EFAULT", env.s.name


def test_every_pointer_syscall_is_covered() -> None:
    """Every implemented syscall with a pointer argument has an EFAULT case,
    here or in the test ELSEWHERE names (which must exist and pass a bad pointer
    to that syscall)."""
    defs = load_sysdefs()
    with_pointers = {name for name, (_ret, status, args) in defs.SYSCALLS.items()
                     if status != "enosys" and any(a[4] for a in args)}
    for name, where in ELSEWHERE.items():
        module, fn = where.split(".")
        source = inspect.getsource(getattr(importlib.import_module(module), fn))
        assert f'"{name}"' in source and ("hole" in source or "bad" in source), where
    # mmap-family addresses are integers in the table, not pointers
    assert with_pointers - set(cases()) - set(ELSEWHERE) - NEVER_EFAULT == set()


def call_with_bad_pointer(env: Env, name: str, position: int, kind: str) -> str:
    """The errno of case name on env with its pointer at position made bad
    (kind: hole, readonly or null); "skip" for a native chdir that would move
    pytest's own working directory."""
    npos, build = cases()[name]
    bad = {"hole": env.hole, "readonly": env.ro, "null": 0}[kind]
    counter = iter(range(npos))

    def p(value: int) -> int:
        return bad if next(counter) == position else value

    call, args = build(env, p)
    if call == "chdir" and env.s.name != "abi" and args[0] not in (env.hole, env.ro, 0):
        return "skip"
    return errno_of(env.s(call, *args))


def check_bad_pointers(envs: tuple[Env, Env], name: str, kind: str) -> None:
    """Linux and the kernel agree on every bad pointer position of case name."""
    for position in range(cases()[name][0]):
        results = [call_with_bad_pointer(env, name, position, kind) for env in envs]
        if "skip" in results:
            continue
        assert results[1] == results[0], f"{name} pointer {position} {kind}: " \
            f"abi {results[1]}, linux {results[0]}"


@pytest.mark.parametrize("name", sorted(cases()))
@pytest.mark.parametrize("kind", ["hole", "readonly", "null"])
def test_bad_pointer(envs: tuple[Env, Env], name: str, kind: str) -> None:
    check_bad_pointers(envs, name, kind)
