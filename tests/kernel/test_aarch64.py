"""The kernel's aarch64 ABI through its generated aarch64 dispatch table
(``abi_syscall_arch(ABI_ARCH_AARCH64, ...)``), after the platform made the
process aarch64's (``abi_set_arch``), as the emulated platform does.

The oracle is aarch64 itself: tests/kernel/aarch64/reference.c, built static
with Debian's cross compiler and run under qemu-aarch64 in an empty
directory, prints the arm64 headers' struct layouts and flag values and the
results of the same calls. What differs from x86_64 must come out in
aarch64's form: struct stat (128 bytes, another field order), epoll_event
(16 bytes, not packed), the open flags whose bits move (O_DIRECTORY,
O_NOFOLLOW, O_DIRECT, O_LARGEFILE), uname's machine, MINSIGSTKSZ. The
calls aarch64 lacks (open, stat, fork, ...) have no number there."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sides import AT_FDCWD, STAT, boot_guest, errno_of

from abi.kernel import load_sysdefs

HERE = Path(__file__).resolve().parent
DEFS = load_sysdefs()
NR64: dict[str, int] = DEFS.NUMBERS["aarch64"]
FA: dict[str, int] = DEFS.FLAGS["aarch64"]
FX: dict[str, int] = DEFS.FLAGS["x86_64"]
ABI_ARCH_X86_64, ABI_ARCH_AARCH64 = 0, 1  # build/gen/include/abi/syscalls.h's enum abi_arch


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What aarch64 says: reference.c's "key value" lines under qemu-aarch64."""
    cc, qemu = shutil.which("aarch64-linux-gnu-gcc"), shutil.which("qemu-aarch64")
    assert cc and qemu, "tools/setup.sh installs gcc-aarch64-linux-gnu and qemu-user"
    d = tmp_path_factory.mktemp("aarch64")
    exe = d / "reference"
    subprocess.run([cc, "-static", "-O1", "-Wall", "-Wextra", "-Werror", "-o", str(exe),
                    str(HERE / "aarch64" / "reference.c")], check=True)
    work = d / "work"
    work.mkdir()
    out = subprocess.run([qemu, str(exe)], cwd=work, check=True, capture_output=True,
                         text=True, timeout=60).stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


class Arm:
    """The booted kernel as an aarch64 process sees it: aarch64 numbers through
    the aarch64 table, memory from the kernel's own mmap."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        lib.abi_syscall_arch.argtypes = [ctypes.c_int, ctypes.c_long,
                                         ctypes.POINTER(ctypes.c_long)]
        lib.abi_syscall_arch.restype = ctypes.c_long
        lib.abi_set_arch.argtypes = [ctypes.c_int]
        lib.abi_set_arch.restype = ctypes.c_int
        assert lib.abi_set_arch(ABI_ARCH_AARCH64) == 0
        self.arena = self("mmap", 0, 1 << 16, FA["PROT_READ"] | FA["PROT_WRITE"],
                          FA["MAP_PRIVATE"] | FA["MAP_ANONYMOUS"], -1, 0)
        assert self.arena > 0
        self.next = self.arena

    def nr(self, nr: int, *a: int) -> int:
        args = (ctypes.c_long * 6)(*[*a, 0, 0, 0, 0, 0, 0][:6])
        return int(self.lib.abi_syscall_arch(ABI_ARCH_AARCH64, nr, args))

    def __call__(self, name: str, *a: int) -> int:
        return self.nr(NR64[name], *a)

    def mem(self, data: bytes) -> int:
        addr = self.next
        self.next += (len(data) + 15) & ~15
        ctypes.memmove(addr, data, len(data))
        return addr

    def peek(self, addr: int, size: int) -> bytes:
        return ctypes.string_at(addr, size)


@pytest.fixture
def arm(lib: ctypes.CDLL) -> Iterator[Arm]:
    boot_guest(lib)
    try:
        a = Arm(lib)
        assert a("chdir", a.mem(b"/tmp/t\0")) == 0
        yield a
    finally:
        lib.abi_reset()
        assert lib.abi_reset_leaked() == 0, "the kernel leaked heap memory"


def _off(ref: dict[str, str], key: str) -> int:
    return int(ref[key])


def test_table_has_no_legacy_calls_on_aarch64() -> None:
    """aarch64 has only the *at and the newer forms: no open, stat, fork, ..."""
    for name in ("open", "stat", "lstat", "fork", "vfork", "poll", "select", "pipe", "dup2",
                 "epoll_wait", "epoll_create", "getdents", "arch_prctl", "mkdir", "access"):
        assert name not in NR64, name
    for name in ("openat", "newfstatat", "fstat", "ppoll", "pselect6", "pipe2", "dup3",
                 "epoll_pwait", "epoll_create1", "getdents64", "mkdirat", "faccessat"):
        assert name in NR64, name


def test_unknown_aarch64_number_is_enosys(arm: Arm) -> None:
    assert errno_of(arm.nr(1023)) == "ENOSYS"
    assert errno_of(arm.nr(-1)) == "ENOSYS"


def test_set_arch_refuses_unknown(lib: ctypes.CDLL) -> None:
    lib.abi_set_arch.argtypes = [ctypes.c_int]
    lib.abi_set_arch.restype = ctypes.c_int
    boot_guest(lib)
    try:
        assert lib.abi_set_arch(7) == -22  # EINVAL
    finally:
        lib.abi_reset()


def test_uname_machine(arm: Arm, ref: dict[str, str]) -> None:
    buf = arm.mem(bytes(65 * 6))
    assert arm("uname", buf) == 0
    machine = arm.peek(buf + 65 * 4, 65).split(b"\0")[0].decode()
    assert machine == ref["machine"] == "aarch64"


def test_fstat_and_newfstatat_write_aarch64_stat(arm: Arm, ref: dict[str, str]) -> None:
    size = _off(ref, "stat.size")
    fd = arm("openat", AT_FDCWD, arm.mem(b"f\0"), FA["O_RDWR"] | FA["O_CREAT"], 0o640)
    assert fd >= 0
    assert arm("write", fd, arm.mem(b"x" * 5000), 5000) == 5000
    # the x86_64 view of the same file, for the values
    xbuf = arm.mem(bytes(STAT.sizeof()))
    assert arm.lib.abi_set_arch(ABI_ARCH_X86_64) == 0
    assert arm.lib.abi_syscall(5, fd, xbuf, 0, 0, 0, 0) == 0  # x86_64 fstat
    assert arm.lib.abi_set_arch(ABI_ARCH_AARCH64) == 0
    want = STAT.parse(arm.peek(xbuf, STAT.sizeof()))
    for call in ("fstat", "newfstatat"):
        guard = b"\xa5" * 32
        buf = arm.mem(bytes(size) + guard)
        if call == "fstat":
            assert arm("fstat", fd, buf) == 0
        else:
            assert arm("newfstatat", AT_FDCWD, arm.mem(b"f\0"), buf, 0) == 0
        raw = arm.peek(buf, size + len(guard))
        assert raw[size:] == guard, f"{call} wrote past aarch64's {size}-byte struct stat"

        def field(name: str, width: int, raw: bytes = raw) -> int:
            o = _off(ref, f"stat.{name}")
            return int.from_bytes(raw[o:o + width], "little", signed=True)

        assert field("st_ino", 8) == want.st_ino
        assert field("st_mode", 4) == want.st_mode == 0o100640
        assert field("st_nlink", 4) == want.st_nlink == 1
        assert field("st_uid", 4) == want.st_uid
        assert field("st_gid", 4) == want.st_gid
        assert field("st_size", 8) == want.st_size == 5000
        assert field("st_blksize", 4) == want.st_blksize
        assert field("st_blocks", 8) == want.st_blocks
        assert field("st_mtim", 8) == want.st_mtime


def test_epoll_events_are_aarch64s(arm: Arm, ref: dict[str, str]) -> None:
    size, data_off = _off(ref, "epoll_event.size"), _off(ref, "epoll_event.data")
    assert (size, data_off) == (16, 8)
    fds = arm.mem(bytes(8))
    assert arm("pipe2", fds, 0) == 0
    rd, wr = (int.from_bytes(arm.peek(fds + i, 4), "little") for i in (0, 4))
    ep = arm("epoll_create1", 0)
    assert ep >= 0
    for fd, tag in ((rd, 0x1111222233334444), (wr, 0x5555666677778888)):
        ev = bytearray(size)
        ev[0:4] = (FX["EPOLLIN"] | FX["EPOLLOUT"]).to_bytes(4, "little")
        ev[data_off:data_off + 8] = tag.to_bytes(8, "little")
        assert arm("epoll_ctl", ep, FX["EPOLL_CTL_ADD"], fd, arm.mem(bytes(ev))) == 0
    assert arm("write", wr, arm.mem(b"z"), 1) == 1
    guard = b"\x5a" * size
    out = arm.mem(bytes(size * 2) + guard)
    assert arm("epoll_pwait", ep, out, 2, 0, 0, 8) == 2
    raw = arm.peek(out, size * 3)
    assert raw[2 * size:] == guard
    got = {int.from_bytes(raw[i * size + data_off:i * size + data_off + 8], "little"):
           int.from_bytes(raw[i * size:i * size + 4], "little") for i in range(2)}
    assert got == {0x1111222233334444: FX["EPOLLIN"], 0x5555666677778888: FX["EPOLLOUT"]}


def test_open_flags_are_aarch64s(arm: Arm, ref: dict[str, str]) -> None:
    for name in ("O_DIRECTORY", "O_NOFOLLOW", "O_DIRECT"):
        assert FA[name] == int(ref[name]), name  # the table's are the headers'
    f = arm.mem(b"f\0")
    fd = arm("openat", AT_FDCWD, f, FA["O_RDWR"] | FA["O_CREAT"], 0o640)
    assert fd >= 0
    # Linux reports O_LARGEFILE, which 64-bit Linux adds to every open;
    # qemu-aarch64 drops it (conformance/README.md).
    large = FA["O_LARGEFILE"]
    assert arm("fcntl", fd, FA["F_GETFL"]) & ~large == int(ref["getfl"])
    assert arm("fcntl", fd, FA["F_SETFL"], FA["O_NONBLOCK"] | FA["O_APPEND"]) == 0
    assert arm("fcntl", fd, FA["F_GETFL"]) & ~large == int(ref["getfl2"])
    assert arm("openat", AT_FDCWD, f, FA["O_RDONLY"] | FA["O_DIRECTORY"]) == int(
        ref["open_dir_on_file"])
    assert arm("symlinkat", f, AT_FDCWD, arm.mem(b"l\0")) == 0
    assert arm("openat", AT_FDCWD, arm.mem(b"l\0"), FA["O_RDONLY"] | FA["O_NOFOLLOW"]) == int(
        ref["open_nofollow_link"])
    d = arm("openat", AT_FDCWD, arm.mem(b".\0"), FA["O_RDONLY"] | FA["O_DIRECTORY"])
    assert d >= 0
    assert arm("fcntl", d, FA["F_GETFL"]) & ~large == int(ref["open_dir_getfl"])


def test_openat2_how_flags_are_aarch64s(arm: Arm) -> None:
    how = (FA["O_RDONLY"] | FA["O_DIRECTORY"]).to_bytes(8, "little") + bytes(16)
    assert arm("openat2", AT_FDCWD, arm.mem(b".\0"), arm.mem(how), 24) >= 0
    fd = arm("openat", AT_FDCWD, arm.mem(b"g\0"), FA["O_RDWR"] | FA["O_CREAT"], 0o600)
    assert fd >= 0
    assert errno_of(arm("openat2", AT_FDCWD, arm.mem(b"g\0"), arm.mem(how), 24)) == "ENOTDIR"


def test_pipe2_o_direct_is_aarch64s(arm: Arm) -> None:
    """pipe2's O_DIRECT (packet mode) is 0x10000 on aarch64, x86_64's O_DIRECTORY
    bit; given as aarch64's, the write end has it (Linux gives it only that end)."""
    fds = arm.mem(bytes(8))
    assert arm("pipe2", fds, FA["O_DIRECT"]) == 0
    wr = int.from_bytes(arm.peek(fds + 4, 4), "little")
    assert arm("fcntl", wr, FA["F_GETFL"]) & ~FA["O_LARGEFILE"] == FA["O_WRONLY"] | FA["O_DIRECT"]


def test_sigaltstack_minimum_is_aarch64s(arm: Arm, ref: dict[str, str]) -> None:
    """arm64's MINSIGSTKSZ (the header's) is the smallest sigaltstack; qemu-aarch64
    itself checks x86's 2048 (ref's sigaltstack_4096), so the header is the oracle."""
    minimum = int(ref["MINSIGSTKSZ"])
    stack = arm("mmap", 0, 1 << 16, FA["PROT_READ"] | FA["PROT_WRITE"],
                FA["MAP_PRIVATE"] | FA["MAP_ANONYMOUS"], -1, 0)

    def ss(size: int) -> int:
        return arm.mem(stack.to_bytes(8, "little") + bytes(8) + size.to_bytes(8, "little"))

    assert errno_of(arm("sigaltstack", ss(minimum - 1), 0)) == "ENOMEM"
    assert arm("sigaltstack", ss(minimum), 0) == 0


AT_HWCAP, AT_PLATFORM = 16, 15


@pytest.fixture(scope="module")
def arm_pie(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """An aarch64 static-pie (the library's guest range lies high: an ET_EXEC
    program's fixed addresses are outside it)."""
    out = tmp_path_factory.mktemp("arm-pie") / "hello"
    subprocess.run(["aarch64-linux-gnu-gcc", "-static-pie", "-fPIE", "-O1", "-o", str(out),
                    str(HERE / "aarch64" / "reference.c")], check=True)
    return out.read_bytes()


def _put(arm: Arm, name: bytes, data: bytes) -> int:
    path = arm.mem(name + b"\0")
    fd = arm("openat", AT_FDCWD, path, FA["O_CREAT"] | FA["O_WRONLY"], 0o755)
    assert fd >= 0
    # the kernel copies from guest memory: stage the file through the arena
    for off in range(0, len(data), 32768):
        chunk = data[off:off + 32768]
        staged = arm.arena + 0x8000
        ctypes.memmove(staged, chunk, len(chunk))
        assert arm("write", fd, staged, len(chunk)) == len(chunk)
    assert arm("close", fd) == 0
    return path


def test_exec_loads_aarch64_programs_only(arm: Arm, arm_pie: bytes) -> None:
    """An aarch64 process execs aarch64 programs (AT_PLATFORM "aarch64",
    AT_HWCAP FP|ASIMD), and refuses x86_64 ones as a kernel without
    binfmt_misc refuses a foreign machine: ENOEXEC."""
    x86 = _put(arm, b"x86", Path("/bin/busybox").read_bytes())
    arm.next = arm.arena + 0x1000
    prog = _put(arm, b"arm", arm_pie)
    arm.next = arm.arena + 0x1000
    argv = arm.mem(arm.mem(b"arm\0").to_bytes(8, "little") + bytes(8))
    envp = arm.mem(bytes(8))
    assert errno_of(arm("execve", x86, argv, envp)) == "ENOEXEC"
    assert arm("execve", prog, argv, envp) == 0
    entry, sp = ctypes.c_uint64(), ctypes.c_uint64()
    assert arm.lib.abi_exec_entry(ctypes.byref(entry), ctypes.byref(sp)) == 1
    auxv = sp.value + 8 * 4  # argc, argv[0], NULL, envp's NULL
    aux = {}
    while (key := int.from_bytes(ctypes.string_at(auxv, 8), "little")) != 0:
        aux[key] = int.from_bytes(ctypes.string_at(auxv + 8, 8), "little")
        auxv += 16
    assert ctypes.string_at(aux[AT_PLATFORM]) == b"aarch64"
    assert aux[AT_HWCAP] == 0x3
    # [sigpage]: rt_sigreturn's trampoline, for handlers without SA_RESTORER
    mem = arm("mmap", 0, 1 << 16, FA["PROT_READ"] | FA["PROT_WRITE"],
              FA["MAP_PRIVATE"] | FA["MAP_ANONYMOUS"], -1, 0)
    ctypes.memmove(mem, b"/proc/self/maps\0", 16)
    fd = arm("openat", AT_FDCWD, mem, FA["O_RDONLY"])
    n = arm("read", fd, mem + 64, 8192)
    assert fd >= 0 and n > 0
    (line,) = [ln for ln in ctypes.string_at(mem + 64, n).decode().splitlines()
               if ln.endswith("[sigpage]")]
    start = int(line.split("-")[0], 16)
    assert line.split()[1] == "r-xp"
    insns = ctypes.string_at(start, 8)
    nr = NR64["rt_sigreturn"]
    movz_x8, svc0 = 0xd2800008 | nr << 5, 0xd4000001
    assert insns == movz_x8.to_bytes(4, "little") + svc0.to_bytes(4, "little")


def test_x86_64_process_refuses_aarch64_programs(lib: ctypes.CDLL, arm_pie: bytes) -> None:
    s = boot_guest(lib)
    try:
        fd = s.open("arm", FX["O_CREAT"] | FX["O_WRONLY"], 0o755)
        for off in range(0, len(arm_pie), 32768):
            chunk = arm_pie[off:off + 32768]
            assert s("write", fd, s.mem(chunk), len(chunk)) == len(chunk)
            s.reset_arena()
        assert s("close", fd) == 0
        argv = s.mem(s.mem(b"arm\0").to_bytes(8, "little") + bytes(8))
        assert errno_of(s("execve", s.path("arm"), argv, s.mem(bytes(8)))) == "ENOEXEC"
    finally:
        lib.abi_reset()
