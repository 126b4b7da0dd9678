"""execve on the library platform (libabik.so through ctypes): the kernel
cannot replace its caller, the Python process, so a successful exec loads
the new program into the guest range, returns 0, and abi_exec_entry reports
its entry point and initial stack, which hold what Linux's would."""

from __future__ import annotations

import ctypes
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from sides import AT_FDCWD, F, Side, boot_guest, errno_of

BUSYBOX = Path("/bin/busybox")
HELLO = Path(__file__).resolve().parent.parent / "hosted" / "progs" / "hello.c"
AT_EXECFN = 31


@pytest.fixture(scope="module")
def static_pie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A static-pie program: it can go anywhere, as the library's guest
    range lies high (an ET_EXEC program's fixed addresses are outside it)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    out = tmp_path_factory.mktemp("exec-lib") / "hello"
    subprocess.run(["gcc", "-static-pie", "-fPIE", "-O1", "-o", str(out), str(HELLO)],
                   check=True)
    return out


def put_program(s: Side, name: str, data: bytes) -> None:
    fd = s.open(name, F["O_CREAT"] | F["O_WRONLY"], 0o755)
    for off in range(0, len(data), 65536):
        chunk = data[off:off + 65536]
        assert s("write", fd, s.mem(chunk), len(chunk)) == len(chunk)
    assert s("close", fd) == 0
    s.reset_arena()


def u64(addr: int) -> int:
    return int(struct.unpack("<Q", ctypes.string_at(addr, 8))[0])


def test_execve_loads_and_reports_the_entry(lib: ctypes.CDLL, static_pie: Path) -> None:
    s = boot_guest(lib)
    try:
        put_program(s, "bb", static_pie.read_bytes())
        path = s.path("bb")
        argv = s.mem(struct.pack("<3Q", s.mem(b"bb\0"), s.mem(b"0\0"), 0))
        envp = s.mem(struct.pack("<2Q", s.mem(b"A=1\0"), 0))
        keep = s.open("", F["O_RDONLY"] | F["O_DIRECTORY"])
        gone = s("fcntl", keep, F["F_DUPFD_CLOEXEC"], 10)
        # a failing exec returns, with the caller's memory and descriptors
        bad = s.mem(b"/tmp/t\0")
        assert errno_of(s("execve", bad, argv, envp)) == "EACCES"
        entry, sp = ctypes.c_uint64(), ctypes.c_uint64()
        assert lib.abi_exec_entry(ctypes.byref(entry), ctypes.byref(sp)) == 0
        assert s("execve", path, argv, envp) == 0
        # the arena is gone with the old address space: read only the new stack
        assert lib.abi_exec_entry(ctypes.byref(entry), ctypes.byref(sp)) == 1
        assert lib.abi_exec_entry(ctypes.byref(entry), ctypes.byref(sp)) == 0
        base, size = ctypes.c_uint64(), ctypes.c_uint64()
        lib.abi_guest_range(ctypes.byref(base), ctypes.byref(size))
        assert base.value <= entry.value < base.value + size.value
        assert base.value <= sp.value < base.value + size.value and sp.value % 16 == 0
        assert u64(sp.value) == 2
        assert ctypes.string_at(u64(sp.value + 8)) == b"bb"
        assert ctypes.string_at(u64(sp.value + 16)) == b"0"
        assert u64(sp.value + 24) == 0
        assert ctypes.string_at(u64(sp.value + 32)) == b"A=1"
        auxv = sp.value + 48
        execfn = None
        while u64(auxv):
            if u64(auxv) == AT_EXECFN:
                execfn = ctypes.string_at(u64(auxv + 8))
            auxv += 16
        assert execfn == b"/tmp/t/bb"
        assert s("fcntl", keep, F["F_GETFD"]) == 0
        assert errno_of(s("fcntl", gone, F["F_GETFD"])) == "EBADF"
        assert s("close", keep) == 0
    finally:
        lib.abi_reset()
    assert lib.abi_reset_leaked() == 0


def test_execve_without_exec_permission(lib: ctypes.CDLL) -> None:
    s = boot_guest(lib)
    try:
        fd = s.open("f", F["O_CREAT"] | F["O_WRONLY"], 0o644)
        assert s("close", fd) == 0
        argv = s.mem(struct.pack("<Q", 0))
        assert errno_of(s("execve", s.path("f"), argv, argv)) == "EACCES"
        assert errno_of(s("execveat", AT_FDCWD, s.path("f"), argv, argv, 0x8)) == "EINVAL"
    finally:
        lib.abi_reset()
    assert lib.abi_reset_leaked() == 0


def test_execve_of_a_fixed_address_program(lib: ctypes.CDLL) -> None:
    """An ET_EXEC program does not fit the library's guest range: EINVAL
    before the point of no return, so the caller goes on."""
    if not BUSYBOX.exists():
        pytest.skip("no /bin/busybox")
    s = boot_guest(lib)
    try:
        put_program(s, "bb", BUSYBOX.read_bytes())
        argv = s.mem(struct.pack("<2Q", s.mem(b"bb\0"), 0))
        assert errno_of(s("execve", s.path("bb"), argv, 0)) == "EINVAL"
        assert s.peek(argv + 8, 8) == bytes(8)  # the caller's memory is still there
    finally:
        lib.abi_reset()
    assert lib.abi_reset_leaked() == 0
