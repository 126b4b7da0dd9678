"""The table agrees with the kernel headers installed on this machine
(linux-libc-dev), as strace's ksysent test checks its own table: every syscall
number, every errno value, and every flag value the uapi headers define."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from abi.table import Table

INCLUDE = Path("/usr/include")
UNISTD_64 = INCLUDE / "x86_64-linux-gnu" / "asm" / "unistd_64.h"
UNISTD_GENERIC = INCLUDE / "asm-generic" / "unistd.h"
# What arch/arm64/include/uapi/asm/unistd.h defines before including the
# generic table (Linux 6.1), on a 64-bit build.
ARM64_WANTS = ("RENAMEAT", "NEW_STAT", "SET_GET_RLIMIT", "TIME32_SYSCALLS", "SYS_CLONE3",
               "MEMFD_SECRET")
NR = re.compile(r"^#define __NR_(\w+) (\d+)$")

# Uapi headers whose macros name flag values (kernel values, not glibc's:
# glibc defines O_LARGEFILE as 0 on x86_64, for instance).
UAPI_HEADERS = """
linux/fcntl.h linux/stat.h linux/fs.h asm/mman.h linux/mman.h linux/futex.h linux/sched.h
linux/mount.h linux/eventpoll.h asm/signal.h linux/time.h linux/socket.h linux/in.h
asm/socket.h linux/net.h linux/poll.h linux/random.h linux/prctl.h asm/prctl.h asm/resource.h
linux/wait.h asm/ioctls.h linux/falloc.h linux/inotify.h linux/memfd.h linux/close_range.h
linux/personality.h linux/eventfd.h linux/timerfd.h linux/signalfd.h linux/xattr.h
linux/capability.h linux/sem.h linux/msg.h linux/shm.h linux/ipc.h linux/mempolicy.h
linux/keyctl.h linux/membarrier.h linux/rseq.h linux/openat2.h linux/io_uring.h
linux/ptrace.h linux/reboot.h linux/seccomp.h linux/userfaultfd.h linux/landlock.h
linux/perf_event.h linux/bpf.h linux/kcmp.h linux/quota.h linux/aio_abi.h linux/fanotify.h
linux/mqueue.h linux/sysctl.h linux/magic.h asm/termbits.h
""".split()
# Headers of glibc for names the uapi headers leave to libc (SEEK_*, F_OK, ...).
LIBC_HEADERS = """
fcntl.h unistd.h sys/mman.h sys/socket.h signal.h sys/wait.h sys/resource.h sys/file.h
sys/epoll.h sys/eventfd.h sys/timerfd.h poll.h sys/random.h sys/prctl.h sched.h sys/mount.h
sys/stat.h time.h sys/personality.h sys/inotify.h linux/falloc.h sys/xattr.h sys/ioctl.h
""".split()

needs_headers = pytest.mark.skipif(
    not UNISTD_64.is_file() or shutil.which("gcc") is None,
    reason="needs gcc and linux-libc-dev (tools/setup.sh installs them)",
)


def macros(header: Path, defines: tuple[str, ...] = ()) -> str:
    args = ["gcc", "-E", "-dM", *(f"-D{d}" for d in defines), "-x", "c", str(header)]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def numbers(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        m = NR.match(line.strip())
        # __NR_syscalls is a count, __NR_arch_specific_syscall a range base.
        if m and m[1] not in ("syscalls", "arch_specific_syscall"):
            out[m[1]] = int(m[2])
    return out


@needs_headers
def test_x86_64_numbers_match_unistd_64(table: Table) -> None:
    header = numbers(UNISTD_64.read_text())
    assert len(header) == 362
    ours = {s.name: s.numbers["x86_64"] for s in table.syscalls if "x86_64" in s.numbers}
    assert ours == header


@needs_headers
def test_aarch64_numbers_match_asm_generic(table: Table) -> None:
    defines = ("__BITS_PER_LONG=64", *(f"__ARCH_WANT_{w}" for w in ARM64_WANTS))
    raw = macros(UNISTD_GENERIC, defines)
    # __NR3264_x is the 64-bit name's number; the header maps __NR_x to it.
    nr3264 = {m[1]: int(m[2]) for m in re.finditer(r"#define __NR3264_(\w+) (\d+)", raw)}
    header = numbers(raw)
    for m in re.finditer(r"#define __NR_(\w+) __NR3264_(\w+)", raw):
        header[m[1]] = nr3264[m[2]]
    ours = {s.name: s.numbers["aarch64"] for s in table.syscalls if "aarch64" in s.numbers}
    assert ours == header


def test_aarch64_only_entries_are_documented(table: Table) -> None:
    for s in table.syscalls:
        if "x86_64" not in s.numbers:
            assert s.notes and "aarch64" in s.notes, f"{s.name}: say why it is aarch64-only"


@needs_headers
def test_errno_values_match_asm_generic(table: Table) -> None:
    raw = macros(INCLUDE / "asm-generic" / "errno.h")
    header = {m[1]: int(m[2]) for m in re.finditer(r"#define (E[A-Z0-9]+) (\d+)", raw)}
    for m in re.finditer(r"#define (E[A-Z0-9]+) (E[A-Z0-9]+)$", raw, re.M):
        header[m[1]] = header[m[2]]
    # The kernel-internal restart codes (include/linux/errno.h, not uapi)
    # are in the table for traces only.
    internal = {n: v for n, v in table.errno.items() if v >= 512}
    assert internal == {"ERESTARTSYS": 512, "ERESTARTNOINTR": 513, "ERESTARTNOHAND": 514,
                        "ERESTART_RESTARTBLOCK": 516}
    assert {n: v for n, v in table.errno.items() if v < 512} == header


def _values_from(headers: list[str], names: list[str], tmp: Path, tag: str) -> dict[str, int]:
    """Compile a program that prints the value of each name that the headers
    define as a macro, and run it."""
    have = [h for h in headers if (INCLUDE / h).is_file()
            or (INCLUDE / "x86_64-linux-gnu" / h).is_file()]
    src = tmp / f"{tag}.c"
    inc = "".join(f"#include <{h}>\n" for h in have)
    # stdio.h first, as in the program below: it defines __GLIBC__, which
    # hides some uapi names (linux/stat.h's S_IF*) behind glibc's
    src.write_text(f"#define _GNU_SOURCE\n#include <stdio.h>\n{inc}")
    defined = set(re.findall(r"^#define (\w+)", subprocess.run(
        ["gcc", "-E", "-dM", str(src)], check=True, capture_output=True, text=True).stdout, re.M))
    want = [n for n in names if n in defined]
    body = "".join(f'\tprintf("{n} %lld\\n", (long long)({n}));\n' for n in want)
    src.write_text(f"#define _GNU_SOURCE\n#include <stdio.h>\n{inc}\n"
                   f"int main(void)\n{{\n{body}\treturn 0;\n}}\n")
    exe = tmp / tag
    subprocess.run(["gcc", "-w", str(src), "-o", str(exe)], check=True, capture_output=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return {k: int(v) for k, v in (ln.split() for ln in out.splitlines())}


@needs_headers
def test_flag_values_match_headers(table: Table, tmp_path: Path) -> None:
    """Every x86_64 flag value that a uapi header (or, failing that, glibc) defines
    by the same name has that value. Names no header defines are counted."""
    ours = {fv.name: fv.values["x86_64"] for fs in table.flagsets.values()
            for fv in fs.all_values() if "x86_64" in fv.values}
    uapi = _values_from(UAPI_HEADERS, sorted(ours), tmp_path, "uapi")
    libc = _values_from(LIBC_HEADERS, sorted(set(ours) - set(uapi)), tmp_path, "libc")
    header = {**libc, **uapi}
    wrong = {n: (ours[n], v) for n, v in header.items() if ours[n] & (2**64 - 1) != v & (2**64 - 1)}
    assert wrong == {}, "table value != header value"
    # The table may name values no installed header spells (newer or internal
    # names), but most must be checked here.
    assert len(header) >= 0.8 * len(ours), sorted(set(ours) - set(header))
