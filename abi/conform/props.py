"""The property sequences as conformance cases.

hypothesis draws random sequences of file, directory and descriptor syscalls
(valid and invalid: bad descriptors, bad flags, EFAULT pointers, names that
exist, do not, or cross a symlink) in the text format of
``conformance/props/player.c``, a static program that replays one from stdin
and prints every result. Each sequence is a case, so it runs under any runner
— ``abi-run``, the emulator, qemu-user — exactly as under Linux, and not only
through the kernel library's ctypes bindings.

``conformance/props/props.yaml`` fixes how many sequences, how long, and the
seed: the same seed gives the same sequences, so a failing ``props/007`` can
be replayed (``abi conform -k props/007``). The player echoes each line with
its result, so a report's diff shows the calls themselves.
"""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, Phase, given, seed, settings

NAMES = ["a", "b", "d", "d/a", "d/e", "l", "d/l", "a/x", "d/../b", "a/", "d/", "l/", "nope/a"]
TARGETS = ["a", "b", "d", "d/a", "x", "l", "e/../a"]  # never out of the workdir
OPEN_FLAGS = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT|O_RDWR", "O_CREAT|O_EXCL|O_WRONLY",
              "O_CREAT|O_TRUNC|O_WRONLY", "O_RDWR|O_APPEND", "O_RDONLY|O_DIRECTORY",
              "O_RDONLY|O_NOFOLLOW", "O_PATH", "O_CREAT|O_DIRECTORY", "O_RDWR|O_CLOEXEC", "3"]
MODES = ["0644", "0600", "0755", "0", "01777"]
OFFSETS = ["0", "1", "5", "4095", "4096", "10000", "-1"]
WHENCE = ["SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE", "7"]
FCNTL = ["F_GETFD 0", "F_SETFD FD_CLOEXEC", "F_GETFL 0", "F_SETFL O_APPEND", "F_SETFL O_NONBLOCK",
         "F_DUPFD 0", "F_DUPFD_CLOEXEC 20", "1234 0"]
FALLOC = ["0", "FALLOC_FL_KEEP_SIZE", "FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE",
          "FALLOC_FL_PUNCH_HOLE", "0x100"]
RENAME = ["0", "RENAME_NOREPLACE", "RENAME_EXCHANGE", "RENAME_NOREPLACE|RENAME_EXCHANGE"]
ACCESS = ["F_OK", "R_OK", "W_OK", "X_OK", "R_OK|W_OK", "8"]
SIZES = ["0", "1", "100", "4096", "5000", "-1"]
OPENERS = ("openat", "dup", "dup3", "fcntl")


def q(name: str) -> str:
    return f'"{name}"'


@st.composite
def sequence(draw: st.DrawFn, steps: int) -> str:
    """One sequence of `steps` lines; $N refers to a descriptor opened by call N."""
    lines: list[str] = []
    opened: list[int] = []

    def fd() -> str:
        return draw(st.sampled_from([*(f"${i}" for i in opened), "99", "-1"]))

    def name() -> str:
        return q(draw(st.sampled_from(NAMES)))

    def payload() -> tuple[str, int]:
        data = draw(st.binary(max_size=64))
        return f"data:{data.hex()}", len(data)

    rules = {
        "openat": lambda: f"openat AT_FDCWD {name()} {draw(st.sampled_from(OPEN_FLAGS))} "
                          f"{draw(st.sampled_from(MODES))}",
        "close": lambda: f"close {fd()}",
        "read": lambda: (lambda n: f"read {fd()} buf:{n} {n}")(draw(st.sampled_from([0, 7, 100]))),
        "write": lambda: (lambda d: f"write {fd()} {d[0]} {d[1]}")(payload()),
        "pread64": lambda: f"pread64 {fd()} buf:64 64 {draw(st.sampled_from(OFFSETS))}",
        "pwrite64": lambda: (lambda d: f"pwrite64 {fd()} {d[0]} {d[1]} "
                                       f"{draw(st.sampled_from(OFFSETS))}")(payload()),
        "lseek": lambda: f"lseek {fd()} {draw(st.sampled_from(OFFSETS))} "
                         f"{draw(st.sampled_from(WHENCE))}",
        "ftruncate": lambda: f"ftruncate {fd()} {draw(st.sampled_from(SIZES))}",
        "fallocate": lambda: f"fallocate {fd()} {draw(st.sampled_from(FALLOC))} "
                             f"{draw(st.sampled_from(OFFSETS[:6]))} {draw(st.sampled_from(SIZES))}",
        "mkdirat": lambda: f"mkdirat AT_FDCWD {name()} {draw(st.sampled_from(MODES))}",
        "unlinkat": lambda: f"unlinkat AT_FDCWD {name()} "
                            f"{draw(st.sampled_from(['0', 'AT_REMOVEDIR', '0x4']))}",
        "renameat2": lambda: f"renameat2 AT_FDCWD {name()} AT_FDCWD {name()} "
                             f"{draw(st.sampled_from(RENAME))}",
        "symlinkat": lambda: f"symlinkat {q(draw(st.sampled_from(TARGETS)))} AT_FDCWD {name()}",
        "readlinkat": lambda: f"readlinkat AT_FDCWD {name()} buf:64 "
                              f"{draw(st.sampled_from(['64', '1', '0']))}",
        "linkat": lambda: f"linkat AT_FDCWD {name()} AT_FDCWD {name()} "
                          f"{draw(st.sampled_from(['0', 'AT_SYMLINK_FOLLOW', '0x1']))}",
        "fchmodat": lambda: f"fchmodat AT_FDCWD {name()} {draw(st.sampled_from(MODES))} 0",
        "faccessat": lambda: f"faccessat AT_FDCWD {name()} {draw(st.sampled_from(ACCESS))}",
        "dup": lambda: f"dup {fd()}",
        "dup3": lambda: f"dup3 {fd()} {draw(st.sampled_from(['40', '41', '0']))} "
                        f"{draw(st.sampled_from(['0', 'O_CLOEXEC', '1']))}",
        "fcntl": lambda: f"fcntl {fd()} {draw(st.sampled_from(FCNTL))}",
        "pipe2": lambda: f"pipe2 out:8 {draw(st.sampled_from(['0', 'O_CLOEXEC|O_NONBLOCK', '1']))}",
        "efault": lambda: draw(st.sampled_from([
            f"read {fd()} bad 8", f"write {fd()} bad 8", "openat AT_FDCWD bad O_RDONLY 0",
            "mkdirat AT_FDCWD bad 0755", "readlinkat AT_FDCWD \"l\" bad 8", "pipe2 bad 0"])),
        "stat": lambda: f"stat {name()}",
        "ls": lambda: f"ls {q(draw(st.sampled_from(['.', 'd', 'd/e', 'a'])))}",
    }
    for i in range(steps):
        kind = draw(st.sampled_from(sorted(rules)))
        line = rules[kind]()
        if kind in OPENERS:
            opened.append(i)
        lines.append(line)
    return "".join(f"{line}\n" for line in lines)


def generate(count: int, steps: int, seed_value: int) -> list[str]:
    """`count` distinct sequences, the same ones for the same arguments."""
    found: list[str] = []

    @seed(seed_value)
    @settings(max_examples=count * 3, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(sequence(steps))
    def collect(seq: str) -> None:
        if len(found) < count and seq not in found:
            found.append(seq)

    collect()
    return found
