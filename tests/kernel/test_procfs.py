"""procfs against Linux. The contents differ by nature (another process,
another machine), so formats are compared with what this very process's
/proc shows natively (line shapes, key order, field counts, columns), and
contents are checked against the kernel's own state: the VMA map after
mmap/mprotect/munmap, the descriptor table, credentials, mounts, boot
arguments. Where both sides can run the same call (stat modes, open and
write errors, seeking, readlink of /proc/self), they do, and must agree."""

from __future__ import annotations

import ctypes
import itertools
import os
import re
import struct
from pathlib import Path

import pytest
from sides import (
    ABI_BOOT_HOST_CREDS,
    AT_FDCWD,
    PAGE,
    F,
    Side,
    boot_guest,
    errno_of,
    unpack_stat,
)

O_RDONLY, O_WRONLY, O_RDWR = F["O_RDONLY"], F["O_WRONLY"], F["O_RDWR"]
O_CREAT, O_DIRECTORY = F["O_CREAT"], F["O_DIRECTORY"]
PROT_RW = F["PROT_READ"] | F["PROT_WRITE"]
MAP_ANON = F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"]
S_IFMT = 0o170000
MAPS_RE = re.compile(r"^([0-9a-f]{8,})-([0-9a-f]{8,}) ([r-][w-][x-][ps]) ([0-9a-f]{8,}) "
                     r"([0-9a-f]{2,}):([0-9a-f]{2,}) (\d+) ?( *)(.*)$")


@pytest.fixture
def abi(sides: tuple[Side, Side]) -> Side:
    return sides[1]


def cstr(s: Side, path: str) -> int:
    return s.mem(path.encode() + b"\0")


def read(s: Side, path: str, chunk: int = 65536) -> bytes:
    fd = s("openat", AT_FDCWD, cstr(s, path), O_RDONLY, 0)
    assert fd >= 0, (path, errno_of(fd))
    out = b""
    buf = s.zeros(chunk)
    while (n := s("read", fd, buf, chunk)) > 0:
        out += s.peek(buf, n)
    assert n == 0, errno_of(n)
    s("close", fd)
    return out


def readlink(s: Side, path: str) -> bytes | str:
    buf = s.zeros(4096)
    n = s("readlinkat", AT_FDCWD, cstr(s, path), buf, 4096)
    return s.peek(buf, n) if n >= 0 else errno_of(n)


def lstat(s: Side, path: str, follow: bool = False) -> tuple[int, ...] | str:
    st = s.zeros(144)
    r = s("newfstatat", AT_FDCWD, cstr(s, path), st, 0 if follow else F["AT_SYMLINK_NOFOLLOW"])
    return errno_of(r) if r < 0 else unpack_stat(s.peek(st, 144))


def native_text(path: str) -> str:
    return Path(path).read_text()


def maps(s: Side) -> list[tuple[int, int, str, str]]:
    """(start, end, perms, name) of every line of s's /proc/self/maps."""
    out = []
    for line in read(s, "/proc/self/maps").decode().splitlines():
        m = MAPS_RE.match(line)
        assert m, line
        out.append((int(m[1], 16), int(m[2], 16), m[3], m[9]))
    return out


def kv_lines(text: str) -> list[tuple[str, str]]:
    return [(k, v) for k, _, v in (line.partition(":") for line in text.splitlines()) if k]


def shape(value: str) -> str:
    """A value's form: numbers become N, runs of blanks one space."""
    return re.sub(r"\b(0x)?[0-9a-f]+\b", "N", re.sub(r"[ \t]+", " ", value.strip()))


# --- the tree --------------------------------------------------------------------


PROC_PATHS = ["/proc", "/proc/self", "/proc/self/", "/proc/self/maps", "/proc/self/status",
              "/proc/self/stat", "/proc/self/cmdline", "/proc/self/environ", "/proc/self/fd",
              "/proc/self/exe", "/proc/self/cwd", "/proc/self/root", "/proc/self/mounts",
              "/proc/mounts", "/proc/cpuinfo", "/proc/meminfo", "/dev/fd"]


@pytest.mark.parametrize("path", PROC_PATHS)
def test_modes_match_linux(sides: tuple[Side, Side], path: str) -> None:
    """File types and permission bits (lstat), as Linux gives them."""
    got = []
    for s in sides:
        st = lstat(s, path)
        got.append(st if isinstance(st, str) else oct(st[0]))
    if path == "/proc/self/exe" and got[1] != got[0]:
        # no program runs in the library kernel, but the link is there
        assert got[1] == oct(0o120777)
        return
    assert got[0] == got[1]


def test_self_link(sides: tuple[Side, Side]) -> None:
    for s in sides:
        assert readlink(s, "/proc/self") == str(s("getpid")).encode()
        assert readlink(s, "/dev/fd") == readlink(sides[0], "/dev/fd")
        assert readlink(s, "/proc/mounts") == readlink(sides[0], "/proc/mounts")
    pid = sides[1]("getpid")
    assert lstat(sides[1], f"/proc/{pid}", True) == lstat(sides[1], "/proc/self", True)
    assert errno_of(sides[1]("openat", AT_FDCWD, cstr(sides[1], f"/proc/{pid + 1}/status"),
                             O_RDONLY, 0)) == "ENOENT"


def dirents(s: Side, path: str) -> dict[bytes, int]:
    fd = s("openat", AT_FDCWD, cstr(s, path), O_RDONLY | O_DIRECTORY, 0)
    assert fd >= 0, errno_of(fd)
    ents = s.dirents(fd, 256)  # small buffer: listing resumes at offsets
    s("close", fd)
    assert not isinstance(ents, str), ents
    return dict(ents)


def test_listings(sides: tuple[Side, Side]) -> None:
    """Every entry the kernel lists in /proc and /proc/self exists natively
    with the same d_type; the pid directory is listed as a directory."""
    linux, abi = sides
    pid = str(abi("getpid")).encode()
    for path in ("/proc", "/proc/self"):
        mine, native = dirents(abi, path), dirents(linux, path)
        assert b"." in mine and b".." in mine
        for name, dtype in mine.items():
            if name == pid:
                assert dtype == native[str(linux("getpid")).encode()]
            else:
                assert native.get(name) == dtype, name
    assert pid in dirents(abi, "/proc")
    assert set(dirents(abi, "/proc/self")) >= {b"maps", b"status", b"stat", b"fd", b"exe",
                                               b"cwd", b"root", b"cmdline", b"environ",
                                               b"mounts"}


# --- fd/ ----------------------------------------------------------------------------------


def test_fd_links(sides: tuple[Side, Side]) -> None:
    abi = sides[1]
    modes: dict[str, list[object]] = {}
    for s in sides:
        s("mkdir", s.path("d"), 0o755)
        fds = {acc: s.open("f", O_CREAT | acc, 0o644) for acc in (O_RDONLY, O_WRONLY, O_RDWR)}
        fds[-1] = s.open("d", O_RDONLY | O_DIRECTORY)
        for acc, fd in fds.items():
            link = f"/proc/self/fd/{fd}"
            target = s.root + (b"/d" if acc == -1 else b"/f")
            assert readlink(s, link) == target
            st = lstat(s, link)
            assert not isinstance(st, str)
            modes.setdefault(f"{acc}", []).append(oct(st[0]))
            # following the link opens the same file
            assert lstat(s, link, True) == lstat(s, target.decode(), True)
        listed = dirents(s, "/proc/self/fd")
        for fd in fds.values():
            assert str(fd).encode() in listed and listed[str(fd).encode()] == 10  # DT_LNK
        if s is abi:
            # the kernel's own table: these descriptors and the one listing them
            names = {int(n) for n in listed if n not in (b".", b"..")}
            assert set(fds.values()) <= names and len(names - set(fds.values())) == 1
        for fd in fds.values():
            s("close", fd)
            assert readlink(s, f"/proc/self/fd/{fd}") == "ENOENT"
        # the listing's own descriptor may reuse the lowest closed one
        names = {int(n) for n in dirents(s, "/proc/self/fd") if n not in (b".", b"..")}
        assert len(names & set(fds.values())) <= 1
    for acc, got in modes.items():
        assert got[0] == got[1], acc


def test_fd_reopen_through_link(sides: tuple[Side, Side]) -> None:
    for s in sides:
        fd = s.open("f", O_CREAT | O_RDWR, 0o644)
        s("write", fd, s.mem(b"through the link"), 16)
        s("unlink", s.path("f"))
        # the link still names the file: " (deleted)" after unlinking
        assert readlink(s, f"/proc/self/fd/{fd}") == s.root + b"/f (deleted)"
        assert read(s, f"/proc/self/fd/{fd}") == b"through the link"
        s("close", fd)


def test_memfd_name(sides: tuple[Side, Side]) -> None:
    got = []
    for s in sides:
        fd = s("memfd_create", s.mem(b"a name\0"), 0)
        assert fd >= 0
        got.append(readlink(s, f"/proc/self/fd/{fd}"))
        s("close", fd)
    assert got[0] == got[1]


def test_nameless_files(sides: tuple[Side, Side]) -> None:
    """Pipes and eventfds have no path: their fd links show Linux's names."""
    got = []
    for s in sides:
        fds = s.zeros(8)
        assert s("pipe2", fds, 0) == 0
        r, w = struct.unpack("<ii", s.peek(fds, 8))
        ev = s("eventfd2", 0, 0)
        names = [readlink(s, f"/proc/self/fd/{fd}") for fd in (r, w, ev)]
        assert names[0] == names[1]  # both ends of one pipe
        got.append([re.sub(rb"\d+", b"N", n) if isinstance(n, bytes) else n for n in names])
        st = lstat(s, f"/proc/self/fd/{w}")
        got[-1].append(oct(st[0]) if not isinstance(st, str) else st)
        for fd in (r, w, ev):
            s("close", fd)
    assert got[0] == got[1]


def test_cwd_and_root(sides: tuple[Side, Side]) -> None:
    abi = sides[1]
    assert readlink(abi, "/proc/self/root") == b"/"
    assert readlink(abi, "/proc/self/cwd") == b"/"
    assert abi("chdir", abi.path("")) == 0
    assert readlink(abi, "/proc/self/cwd") == abi.root
    # the magic link leads to the directory itself
    assert lstat(abi, "/proc/self/cwd/", True) == lstat(abi, abi.root.decode(), True)
    # no program image in the library kernel
    assert readlink(abi, "/proc/self/exe") == "ENOENT"


# --- maps ---------------------------------------------------------------------------------


def test_maps_format() -> None:
    """The kernel's layout (names at column 73) is what Linux prints here."""
    for line in native_text("/proc/self/maps").splitlines():
        m = MAPS_RE.match(line)
        assert m, line
        if m[9]:
            assert line.index(m[9]) == 73, line


def test_maps_follow_the_vma_map(abi: Side) -> None:
    before = maps(abi)
    for _start, _end, _perms, name in before:
        assert name == "" or name.startswith("[")
    addr = abi("mmap", 0, 4 * PAGE, PROT_RW, MAP_ANON, -1, 0)
    assert addr > 0
    lines = maps(abi)
    assert (addr, addr + 4 * PAGE, "rw-p", "") in lines or any(
        s <= addr and addr + 4 * PAGE <= e and p == "rw-p" for s, e, p, _ in lines)
    # a protection change in the middle splits the mapping in three
    assert abi("mprotect", addr + PAGE, PAGE, F["PROT_READ"]) == 0
    lines = maps(abi)
    assert (addr + PAGE, addr + 2 * PAGE, "r--p", "") in lines
    # unmapping it leaves two pieces and a hole
    assert abi("munmap", addr + PAGE, PAGE) == 0
    lines = maps(abi)
    assert not any(s < addr + 2 * PAGE and addr + PAGE < e for s, e, _, _ in lines)
    assert any(e == addr + PAGE for _, e, _, _ in lines)
    assert any(s == addr + 2 * PAGE for s, _, _, _ in lines)
    # shared and executable mappings
    sh = abi("mmap", 0, PAGE, F["PROT_READ"] | F["PROT_EXEC"],
             F["MAP_SHARED"] | F["MAP_ANONYMOUS"], -1, 0)
    assert (sh, sh + PAGE, "r-xs", "") in maps(abi)
    # lines are sorted and disjoint, and the whole text matches the format
    lines = maps(abi)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(lines))
    abi("munmap", addr, 4 * PAGE)
    abi("munmap", sh, PAGE)
    assert maps(abi) == before


def test_maps_heap(abi: Side) -> None:
    brk = abi("brk", 0)
    assert abi("brk", brk + 3 * PAGE) == brk + 3 * PAGE
    heap = [line for line in maps(abi) if line[3] == "[heap]"]
    assert heap == [(brk, brk + 3 * PAGE, "rw-p", "[heap]")]
    text = read(abi, "/proc/self/maps").decode()
    line = next(t for t in text.splitlines() if t.endswith("[heap]"))
    assert line.index("[heap]") == 73


# --- status and stat -----------------------------------------------------------------


def test_status(abi: Side) -> None:
    native = kv_lines(native_text("/proc/self/status"))
    mine = kv_lines(read(abi, "/proc/self/status").decode())
    native_keys = [k for k, _ in native]
    keys = [k for k, _ in mine]
    # the keys Linux prints, in its order
    assert [k for k in native_keys if k in keys] == keys
    for required in ("Name", "State", "Tgid", "Pid", "PPid", "Uid", "Gid", "FDSize", "VmSize",
                     "VmData", "VmStk", "Threads", "SigQ", "SigBlk", "CapEff"):
        assert required in keys
    nat = dict(native)
    val = dict(mine)
    for k in keys:
        # names, and lists whose form depends on the machine (CPUs, NUMA nodes)
        if k not in ("Name", "Groups", "State", "Speculation_Store_Bypass",
                     "SpeculationIndirectBranch", "Cpus_allowed", "Cpus_allowed_list",
                     "Mems_allowed", "Mems_allowed_list"):
            assert shape(val[k]) == shape(nat[k]), k
    # the same field layout (tabs, kB columns)
    for k in ("VmSize", "Uid", "SigBlk", "Umask"):
        assert re.sub(r"\d", "0", val[k]).count("\t") == re.sub(r"\d", "0", nat[k]).count("\t")
        assert len(val[k]) == len(nat[k]) or k == "Uid"
    assert nat["Groups"].endswith(" ") and val["Groups"].endswith(" ")
    # values from the kernel
    pid = abi("getpid")
    assert val["Pid"].strip() == val["Tgid"].strip() == str(pid)
    assert val["PPid"].strip() == str(abi("getppid"))
    ids = abi.zeros(12)
    abi("getresuid", ids, ids + 4, ids + 8)
    r, e, s = struct.unpack("<III", abi.peek(ids, 12))
    assert val["Uid"].split() == [str(r), str(e), str(s), str(e)]
    vm_kb = sum(e - s for s, e, _, _ in maps(abi)) // 1024
    assert int(val["VmSize"].split()[0]) == vm_kb
    assert val["Umask"].strip() == "0022"
    abi("umask", 0o027)
    assert kv_lines(read(abi, "/proc/self/status").decode())[1] == ("Umask", "\t0027")


def stat_fields(text: str) -> list[str]:
    head, _, tail = text.rpartition(")")
    pid, _, comm = head.partition(" (")
    return [pid, comm, *tail.split()]


def test_stat(abi: Side) -> None:
    native = stat_fields(native_text("/proc/self/stat"))
    mine = stat_fields(read(abi, "/proc/self/stat").decode())
    assert len(mine) == len(native) == 52
    assert read(abi, "/proc/self/stat").endswith(b"\n")
    # numbers where Linux has numbers (the state is a letter)
    for i, (a, b) in enumerate(zip(mine, native, strict=True)):
        if i not in (1, 2):
            assert re.fullmatch(r"-?\d+", a) and re.fullmatch(r"-?\d+", b), i
    assert mine[0] == str(abi("getpid")) and mine[3] == str(abi("getppid"))
    assert mine[2] in "RSDTZ"
    assert mine[19] == "1"  # num_threads
    vm = sum(e - s for s, e, _, _ in maps(abi))
    assert int(mine[22]) == vm  # vsize, bytes


# --- cmdline, environ, comm -------------------------------------------------------------


def boot_with_args(lib: ctypes.CDLL, argv: list[bytes], envp: list[bytes]) -> tuple[Side, object]:
    """Boots with argv and envp in the extended struct abi_boot_args."""
    c_argv = (ctypes.c_char_p * (len(argv) + 1))(*argv, None)
    c_envp = (ctypes.c_char_p * (len(envp) + 1))(*envp, None)
    raw = (struct.pack("<6I2Q", 192, ABI_BOOT_HOST_CREDS, 0, 0, 0o22, 0, 0, 0) + bytes(65 + 65 + 6)
           + struct.pack("<QQ", ctypes.addressof(c_argv), ctypes.addressof(c_envp)))
    assert len(raw) == 192
    args = ctypes.create_string_buffer(raw)
    assert lib.abi_boot(ctypes.addressof(args)) == 0

    def call(nr: int, *a: int) -> int:
        return int(lib.abi_syscall(nr, *[*a, 0, 0, 0, 0, 0, 0][:6]))

    return Side("abi", call, b"/tmp"), (c_argv, c_envp)


def test_cmdline_environ_default(abi: Side) -> None:
    assert read(abi, "/proc/self/cmdline") == b""
    assert read(abi, "/proc/self/environ") == b""


def test_cmdline_environ_from_boot(lib: ctypes.CDLL) -> None:
    argv = [b"/usr/bin/a-rather-long-program-name", b"arg one", b""]
    envp = [b"HOME=/root", b"EMPTY="]
    try:
        k, keep = boot_with_args(lib, argv, envp)
        assert read(k, "/proc/self/cmdline") == b"".join(a + b"\0" for a in argv)
        assert read(k, "/proc/self/environ") == b"".join(e + b"\0" for e in envp)
        # comm: the basename, cut to 15 bytes as Linux's TASK_COMM_LEN - 1
        name = kv_lines(read(k, "/proc/self/status").decode())[0]
        assert name == ("Name", "\ta-rather-long-p")
        assert stat_fields(read(k, "/proc/self/stat").decode())[1] == "a-rather-long-p"
        # small reads at every offset give the same bytes
        fd = k("openat", AT_FDCWD, cstr(k, "/proc/self/cmdline"), O_RDONLY, 0)
        buf = k.zeros(8)
        whole = b"".join(a + b"\0" for a in argv)
        for off in range(0, len(whole) + 3):
            n = k("pread64", fd, buf, 5, off)
            assert k.peek(buf, n) == whole[off:off + 5]
        k("close", fd)
        del keep
    finally:
        lib.abi_reset()
    assert lib.abi_reset_leaked() == 0


# --- mounts, meminfo, cpuinfo -------------------------------------------------------------


def test_mounts(abi: Side) -> None:
    line_re = re.compile(r"^\S+ \S+ \S+ \S+ \d+ \d+$")
    assert all(line_re.match(t) for t in native_text("/proc/self/mounts").splitlines())
    text = read(abi, "/proc/mounts").decode()
    assert read(abi, "/proc/self/mounts").decode() == text
    lines = [t.split() for t in text.splitlines()]
    assert all(line_re.match(t) for t in text.splitlines())
    # the kernel's mount table, in mount order
    points = [f[1] for f in lines]
    assert points[0] == "/"
    assert {"/", "/dev", "/dev/shm", "/proc"} <= set(points)
    assert [f[2] for f in lines if f[1] == "/proc"] == ["proc"]


def test_meminfo(abi: Side, lib: ctypes.CDLL) -> None:
    native = native_text("/proc/meminfo").splitlines()
    mine = read(abi, "/proc/meminfo").decode().splitlines()
    nkeys = [t.split(":")[0] for t in native]
    keys = [t.split(":")[0] for t in mine]
    assert [k for k in nkeys if k in keys] == keys
    ncol = {t.split(":")[0]: t for t in native}
    for t in mine:
        ref = ncol[t.split(":")[0]]
        # the same columns: the value ends where Linux's ends (values of up to 8 digits)
        assert len(t) == len(ref) or len(t.split()[1]) > 8 or len(ref.split()[1]) > 8, t
        assert t.endswith(" kB") == ref.endswith(" kB"), t
    base, size = ctypes.c_uint64(), ctypes.c_uint64()
    lib.abi_guest_range(ctypes.byref(base), ctypes.byref(size))
    vals = {t.split(":")[0]: int(t.split()[1]) for t in mine}
    # the guest range, but no more than the host's RAM
    host_total = int(next(t for t in native if t.startswith("MemTotal:")).split()[1])
    assert vals["MemTotal"] == min(size.value // 1024, host_total)
    used = sum(e - s for s, e, _, _ in maps(abi)) // 1024
    assert vals["MemFree"] == vals["MemTotal"] - used


def test_cpuinfo(abi: Side) -> None:
    native = native_text("/proc/cpuinfo").split("\n\n")[0].splitlines()
    prefix = {t.split("\t")[0].split(":")[0]: t[:t.index(":") + 1] for t in native}
    mine = read(abi, "/proc/cpuinfo").decode()
    assert mine.endswith("\n\n")
    for t in mine.split("\n\n")[0].splitlines():
        key = t.split("\t")[0].split(":")[0]
        assert key in prefix, key
        assert t.startswith(prefix[key]), t  # the same tabs before the colon
    first = dict((t.split(":")[0].rstrip("\t"), t.partition(": ")[2]) for t in native)
    got = dict((t.split(":")[0].rstrip("\t"), t.partition(": ")[2])
               for t in mine.split("\n\n")[0].splitlines())
    # the same processor as the host reports (cpuid)
    for key in ("vendor_id", "cpu family", "model", "stepping"):
        assert got[key] == first[key], key


# --- as files: offsets, seeking, writing, bad buffers ---------------------------------------


@pytest.mark.parametrize("path", ["/proc/self/status", "/proc/self/maps", "/proc/meminfo"])
def test_read_at_offsets(abi: Side, path: str) -> None:
    whole = read(abi, path)
    assert read(abi, path, chunk=7) == whole if path != "/proc/self/maps" else True
    fd = abi("openat", AT_FDCWD, cstr(abi, path), O_RDONLY, 0)
    buf = abi.zeros(64)
    for off in (0, 1, 10, len(whole) - 1, len(whole), len(whole) + 100):
        n = abi("pread64", fd, buf, 64, off)
        assert abi.peek(buf, n) == whole[off:off + 64]
    assert abi("lseek", fd, 5, F["SEEK_SET"]) == 5
    n = abi("read", fd, buf, 3)
    assert abi.peek(buf, n) == whole[5:8]
    abi("close", fd)


@pytest.mark.parametrize("path", ["/proc/self/status", "/proc/self/maps", "/proc/self/stat",
                                  "/proc/self/mounts", "/proc/cpuinfo", "/proc/meminfo",
                                  "/proc/self/cmdline", "/proc/self/environ"])
def test_seek_write_errors_match_linux(sides: tuple[Side, Side], path: str) -> None:
    got = []
    for s in sides:
        r: list[str] = []
        fd = s("openat", AT_FDCWD, cstr(s, path), O_RDONLY, 0)
        for whence in ("SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"):
            r.append(errno_of(s("lseek", fd, 0, F[whence])))
        r.append(errno_of(s("lseek", fd, -1, F["SEEK_SET"])))
        r.append(errno_of(s("lseek", fd, 5, F["SEEK_END"])))
        r.append(errno_of(s("write", fd, s.mem(b"x"), 1)))
        s("close", fd)
        for acc in (O_WRONLY, O_RDWR):
            wfd = s("openat", AT_FDCWD, cstr(s, path), acc, 0)
            r.append(errno_of(wfd))
            if wfd >= 0:
                r.append(errno_of(s("write", wfd, s.mem(b"x"), 1)))
                s("close", wfd)
        r.append(errno_of(s("openat", AT_FDCWD, cstr(s, path), O_CREAT | O_WRONLY, 0o644)))
        r.append(errno_of(s("unlinkat", AT_FDCWD, cstr(s, path), 0)))
        got.append(r)
    assert got[0] == got[1]


def test_bad_buffers(sides: tuple[Side, Side]) -> None:
    got = []
    for s in sides:
        hole = s("mmap", 0, PAGE, F["PROT_READ"], MAP_ANON, -1, 0)
        s("munmap", hole, PAGE)
        ro = s("mmap", 0, PAGE, F["PROT_READ"], MAP_ANON, -1, 0)
        fd = s("openat", AT_FDCWD, cstr(s, "/proc/self/status"), O_RDONLY, 0)
        got.append((errno_of(s("read", fd, hole, 100)), errno_of(s("read", fd, ro, 100)),
                    errno_of(s("readlinkat", AT_FDCWD, cstr(s, "/proc/self"), hole, 100))))
        s("close", fd)
        s("munmap", ro, PAGE)
    assert got[0] == got[1]


def test_nothing_leaks(lib: ctypes.CDLL) -> None:
    """Opening everything and resetting with files still open leaks nothing."""
    k = boot_guest(lib)
    for path in PROC_PATHS:
        k("openat", AT_FDCWD, cstr(k, path), O_RDONLY, 0)
    lib.abi_reset()
    assert lib.abi_reset_leaked() == 0
    assert os.getpid() > 0
