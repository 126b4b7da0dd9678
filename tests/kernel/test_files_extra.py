"""memfd_create, sendfile, copy_file_range, openat2, flock and sysinfo
against Linux: each case runs on both sides (Linux in a fresh temporary
directory) and the results — return values, errnos, file contents, offsets —
must match. Nothing here is an expected value written down by hand: what
Linux does is the expectation."""

from __future__ import annotations

import ctypes
import struct

import pytest
from sides import (
    AT_FDCWD,
    PAGE,
    STAT,
    F,
    Side,
    both,
    errno_of,
)

O_RDONLY, O_WRONLY, O_RDWR = F["O_RDONLY"], F["O_WRONLY"], F["O_RDWR"]
O_CREAT, O_APPEND, O_DIRECTORY, O_PATH = F["O_CREAT"], F["O_APPEND"], F["O_DIRECTORY"], F["O_PATH"]
SEEK_SET, SEEK_CUR = F["SEEK_SET"], F["SEEK_CUR"]
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = F["LOCK_SH"], F["LOCK_EX"], F["LOCK_NB"], F["LOCK_UN"]
MFD_CLOEXEC, MFD_ALLOW_SEALING = F["MFD_CLOEXEC"], F["MFD_ALLOW_SEALING"]
RESOLVE = {n: F[n] for n in ("RESOLVE_NO_XDEV", "RESOLVE_NO_MAGICLINKS", "RESOLVE_NO_SYMLINKS",
                             "RESOLVE_BENEATH", "RESOLVE_IN_ROOT")}
PAYLOAD = bytes(range(256)) * 40  # 10 KiB


def bad_addr(s: Side) -> int:
    """An address that is not mapped on s (a page mapped, then unmapped)."""
    hole = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    assert hole > 0
    assert s("munmap", hole, PAGE) == 0
    return hole


def make_file(s: Side, rel: str, data: bytes) -> None:
    fd = s.open(rel, O_CREAT | O_WRONLY, 0o644)
    assert fd >= 0, errno_of(fd)
    assert s("write", fd, s.mem(data), len(data)) == len(data)
    assert s("close", fd) == 0


def read_all(s: Side, fd: int, at: int = 0) -> bytes:
    out = b""
    buf = s.zeros(65536)
    while (n := s("pread64", fd, buf, 65536, at + len(out))) > 0:
        out += s.peek(buf, n)
    return out


def content(s: Side, rel: str) -> bytes | str:
    fd = s.open(rel, O_RDONLY)
    if fd < 0:
        return errno_of(fd)
    data = read_all(s, fd)
    s("close", fd)
    return data


def pos(s: Side, fd: int) -> int:
    return s("lseek", fd, 0, SEEK_CUR)


def loff(s: Side, value: int) -> int:
    return s.mem(struct.pack("<q", value))


def peek_loff(s: Side, addr: int) -> int:
    return int(struct.unpack("<q", s.peek(addr, 8))[0])


# --- memfd_create ---------------------------------------------------------------


def test_memfd_basics(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> tuple[object, ...]:
        fd = s("memfd_create", s.mem(b"hello\0"), MFD_CLOEXEC)
        assert fd >= 0, errno_of(fd)
        wrote = s("write", fd, s.mem(PAYLOAD), len(PAYLOAD))
        st = s.zeros(STAT.sizeof())
        assert s("fstat", fd, st) == 0
        mode = STAT.parse(s.peek(st, STAT.sizeof())).st_mode
        link = s.zeros(256)
        n = s("readlinkat", AT_FDCWD, s.mem(f"/proc/self/fd/{fd}\0".encode()), link, 256)
        r = (wrote, read_all(s, fd) == PAYLOAD, pos(s, fd), oct(mode),
             s("fcntl", fd, F["F_GETFD"], 0), hex(s("fcntl", fd, F["F_GETFL"], 0)),
             s.peek(link, n) if n >= 0 else errno_of(n))
        # a second memfd of the same name is another file
        fd2 = s("memfd_create", s.mem(b"hello\0"), 0)
        r += (s("fcntl", fd2, F["F_GETFD"], 0), read_all(s, fd2))
        s("close", fd2)
        s("close", fd)
        return r

    both(sides, run)


@pytest.mark.parametrize("flags", [0, MFD_ALLOW_SEALING, MFD_CLOEXEC | MFD_ALLOW_SEALING,
                                   0x100, 0x80000000, 0x8 | 0x10])
def test_memfd_flags(sides: tuple[Side, Side], flags: int) -> None:
    def run(s: Side) -> str:
        fd = s("memfd_create", s.mem(b"x\0"), flags)
        if fd >= 0:
            s("close", fd)
        return errno_of(fd)

    both(sides, run)


@pytest.mark.parametrize("length", [0, 1, 248, 249, 250, 255, 300])
def test_memfd_name_length(sides: tuple[Side, Side], length: int) -> None:
    def run(s: Side) -> object:
        fd = s("memfd_create", s.mem(b"n" * length + b"\0"), 0)
        if fd < 0:
            return errno_of(fd)
        link = s.zeros(512)
        n = s("readlinkat", AT_FDCWD, s.mem(f"/proc/self/fd/{fd}\0".encode()), link, 512)
        s("close", fd)
        return s.peek(link, n)

    both(sides, run)


def test_memfd_efault(sides: tuple[Side, Side]) -> None:
    both(sides, lambda s: errno_of(s("memfd_create", bad_addr(s), 0)))
    both(sides, lambda s: errno_of(s("memfd_create", 0, 0)))


# --- sendfile ---------------------------------------------------------------------


def test_sendfile_copies(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> tuple[object, ...]:
        make_file(s, "src", PAYLOAD)
        src = s.open("src", O_RDONLY)
        dst = s.open("dst", O_CREAT | O_RDWR, 0o644)
        r1 = s("sendfile", dst, src, 0, 1000)            # from src's position
        off = loff(s, 5000)
        r2 = s("sendfile", dst, src, off, 100000)        # from *off, to EOF
        r3 = s("sendfile", dst, src, 0, 0)
        r = (r1, r2, r3, peek_loff(s, off), pos(s, src), pos(s, dst), read_all(s, dst))
        s("close", src)
        s("close", dst)
        return r

    both(sides, run)


def test_sendfile_to_dev_null_and_self(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> tuple[object, ...]:
        make_file(s, "src", PAYLOAD)
        src = s.open("src", O_RDWR)
        null = s("openat", AT_FDCWD, s.mem(b"/dev/null\0"), O_WRONLY, 0)
        r = (s("sendfile", null, src, 0, 4096), pos(s, src))
        off = loff(s, 0)
        r += (s("sendfile", src, src, off, 10), peek_loff(s, off), pos(s, src))
        s("close", null)
        s("close", src)
        return r

    both(sides, run)


def test_sendfile_errors(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> dict[str, str]:
        make_file(s, "src", PAYLOAD)
        s("mkdir", s.path("dir"), 0o755)
        rd = s.open("src", O_RDONLY)
        wr = s.open("dst", O_CREAT | O_WRONLY, 0o644)
        ap = s.open("app", O_CREAT | O_WRONLY | O_APPEND, 0o644)
        dfd = s.open("dir", O_RDONLY | O_DIRECTORY)
        pth = s.open("src", O_PATH)
        neg = loff(s, -1)
        cases = {
            "bad in": s("sendfile", wr, 999, 0, 10),
            "bad out": s("sendfile", 999, rd, 0, 10),
            "both bad": s("sendfile", 998, 999, 0, 10),
            "in write-only": s("sendfile", wr, wr, 0, 10),
            "out read-only": s("sendfile", rd, rd, 0, 10),
            "out append": s("sendfile", ap, rd, 0, 10),
            "in dir": s("sendfile", wr, dfd, 0, 10),
            "in O_PATH": s("sendfile", wr, pth, 0, 10),
            "out O_PATH": s("sendfile", pth, rd, 0, 10),
            "negative offset": s("sendfile", wr, rd, neg, 10),
            "huge count": s("sendfile", wr, rd, 0, 1 << 62),
            "bad offset ptr": s("sendfile", wr, rd, bad_addr(s), 10),
            "bad offset ptr, bad fd": s("sendfile", wr, 999, bad_addr(s), 10),
        }
        for fd in (rd, wr, ap, dfd, pth):
            s("close", fd)
        return {k: errno_of(v) if v < 0 else str(v) for k, v in cases.items()}

    both(sides, run)


# --- copy_file_range ---------------------------------------------------------------


def test_copy_file_range_copies(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> tuple[object, ...]:
        make_file(s, "src", PAYLOAD)
        src = s.open("src", O_RDONLY)
        dst = s.open("dst", O_CREAT | O_RDWR, 0o644)
        s("lseek", src, 100, SEEK_SET)
        r1 = s("copy_file_range", src, 0, dst, 0, 500, 0)
        oin, oout = loff(s, 9000), loff(s, 2000)
        r2 = s("copy_file_range", src, oin, dst, oout, 5000, 0)  # short: EOF at 10240
        past = loff(s, 20000)
        r3 = s("copy_file_range", src, past, dst, 0, 10, 0)
        r4 = s("copy_file_range", src, 0, dst, 0, 0, 0)
        r = (r1, r2, r3, r4, peek_loff(s, oin), peek_loff(s, oout), peek_loff(s, past),
             pos(s, src), pos(s, dst), read_all(s, dst))
        s("close", src)
        s("close", dst)
        return r

    both(sides, run)


def test_copy_file_range_same_file(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> tuple[object, ...]:
        make_file(s, "f", PAYLOAD)
        fd = s.open("f", O_RDWR)
        a, b = loff(s, 0), loff(s, 100)
        overlap = s("copy_file_range", fd, a, fd, b, 200, 0)
        c, d = loff(s, 0), loff(s, 10240)
        apart = s("copy_file_range", fd, c, fd, d, 100, 0)
        r = (errno_of(overlap) if overlap < 0 else overlap, apart, read_all(s, fd))
        s("close", fd)
        return r

    both(sides, run)


def test_copy_file_range_errors(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> dict[str, str]:
        make_file(s, "src", PAYLOAD)
        s("mkdir", s.path("dir"), 0o755)
        rd = s.open("src", O_RDONLY)
        wr = s.open("dst", O_CREAT | O_WRONLY, 0o644)
        ap = s.open("app", O_CREAT | O_WRONLY | O_APPEND, 0o644)
        dfd = s.open("dir", O_RDONLY | O_DIRECTORY)
        null = s("openat", AT_FDCWD, s.mem(b"/dev/null\0"), O_RDWR, 0)
        # a procfs file and a file here are on different filesystems
        proc = s("openat", AT_FDCWD, s.mem(b"/proc/self/status\0"), O_RDONLY, 0)
        neg = loff(s, -5)
        cases = {
            "bad in": s("copy_file_range", 999, 0, wr, 0, 10, 0),
            "bad out": s("copy_file_range", rd, 0, 999, 0, 10, 0),
            "flags": s("copy_file_range", rd, 0, wr, 0, 10, 1),
            "flags, bad fd": s("copy_file_range", 999, 0, wr, 0, 10, 1),
            "in write-only": s("copy_file_range", wr, 0, wr, 0, 10, 0),
            "out read-only": s("copy_file_range", rd, 0, rd, 0, 10, 0),
            "out append": s("copy_file_range", rd, 0, ap, 0, 10, 0),
            "in dir": s("copy_file_range", dfd, 0, wr, 0, 10, 0),
            "out dir": s("copy_file_range", rd, 0, dfd, 0, 10, 0),
            "in device": s("copy_file_range", null, 0, wr, 0, 10, 0),
            "out device": s("copy_file_range", rd, 0, null, 0, 10, 0),
            "cross filesystem": s("copy_file_range", proc, 0, wr, 0, 10, 0),
            "negative off_in": s("copy_file_range", rd, neg, wr, 0, 10, 0),
            "negative off_out": s("copy_file_range", rd, 0, wr, neg, 10, 0),
            "bad off_in": s("copy_file_range", rd, bad_addr(s), wr, 0, 10, 0),
            "bad off_out": s("copy_file_range", rd, 0, wr, bad_addr(s), 10, 0),
            "bad off_in, bad fd": s("copy_file_range", 999, bad_addr(s), wr, 0, 10, 0),
        }
        for fd in (rd, wr, ap, dfd, null, proc):
            s("close", fd)
        return {k: errno_of(v) if v < 0 else str(v) for k, v in cases.items()}

    both(sides, run)


# --- openat2 -------------------------------------------------------------------------


def how(s: Side, flags: int = 0, mode: int = 0, resolve: int = 0, tail: bytes = b"") -> int:
    return s.mem(struct.pack("<QQQ", flags, mode, resolve) + tail)


def openat2(s: Side, dfd: int, name: str, flags: int = 0, mode: int = 0, resolve: int = 0,
            size: int = 24, tail: bytes = b"") -> str:
    fd = s("openat2", dfd, s.name_(name), how(s, flags, mode, resolve, tail), size)
    if fd < 0:
        return errno_of(fd)
    s("close", fd)
    return "ok"


def test_openat2_struct_checks(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> dict[str, str]:
        make_file(s, "f", b"x")
        dfd = s.open("", O_RDONLY | O_DIRECTORY)
        cases = {
            "plain": openat2(s, dfd, "f"),
            "size 0": openat2(s, dfd, "f", size=0),
            "size 23": openat2(s, dfd, "f", size=23),
            "size 32, zero tail": openat2(s, dfd, "f", size=32, tail=bytes(8)),
            "size 32, nonzero tail": openat2(s, dfd, "f", size=32, tail=b"\1" + bytes(7)),
            "size 4096, zero tail": openat2(s, dfd, "f", size=4096, tail=bytes(4096 - 24)),
            "size 4097": openat2(s, dfd, "f", size=4097, tail=bytes(4097 - 24)),
            "unknown flag bit": openat2(s, dfd, "f", flags=1 << 40),
            "unknown low flag bit": openat2(s, dfd, "f", flags=0x4000000),
            "unknown resolve": openat2(s, dfd, "f", resolve=0x40),
            "beneath and in_root": openat2(s, dfd, "f", resolve=RESOLVE["RESOLVE_BENEATH"] |
                                           RESOLVE["RESOLVE_IN_ROOT"]),
            "mode without O_CREAT": openat2(s, dfd, "f", mode=0o644),
            "mode with O_CREAT": openat2(s, dfd, "g", flags=O_CREAT | O_WRONLY, mode=0o644),
            "bad mode bits": openat2(s, dfd, "h", flags=O_CREAT | O_WRONLY, mode=0o10000),
            "O_PATH | O_RDWR": openat2(s, dfd, "f", flags=O_PATH | O_RDWR),
            "O_PATH | O_CLOEXEC": openat2(s, dfd, "f", flags=O_PATH | F["O_CLOEXEC"]),
            "O_CREAT | O_DIRECTORY": openat2(s, dfd, "n", flags=O_CREAT | O_DIRECTORY),
            "missing": openat2(s, dfd, "missing"),
        }
        s("close", dfd)
        return cases

    both(sides, run)


def test_openat2_resolve(sides: tuple[Side, Side]) -> None:
    nosym, nomagic = RESOLVE["RESOLVE_NO_SYMLINKS"], RESOLVE["RESOLVE_NO_MAGICLINKS"]
    beneath, inroot = RESOLVE["RESOLVE_BENEATH"], RESOLVE["RESOLVE_IN_ROOT"]

    def run(s: Side) -> dict[str, object]:
        s("mkdir", s.path("top"), 0o755)
        s("mkdir", s.path("top/sub"), 0o755)
        make_file(s, "top/f", b"inside")
        make_file(s, "f", b"outside")
        s("symlink", s.name_("f"), s.path("top/rel"))            # top/rel -> f (inside)
        s("symlink", s.name_("/f"), s.path("top/abs"))           # absolute
        s("symlink", s.name_("../f"), s.path("top/up"))          # leaves top
        s("symlink", s.name_("sub/.."), s.path("top/dotdot"))
        dfd = s.open("top", O_RDONLY | O_DIRECTORY)

        def read_via(name: str, resolve: int, flags: int = 0) -> object:
            fd = s("openat2", dfd, s.name_(name), how(s, flags, 0, resolve), 24)
            if fd < 0:
                return errno_of(fd)
            data = read_all(s, fd)
            s("close", fd)
            return data

        root_rel = s.root.decode().lstrip("/")
        cases: dict[str, object] = {}
        for name in ("f", "sub/../f", "../f", "/f", "rel", "abs", "up", "dotdot/f",
                     "sub/../../top/f", "/" + root_rel + "/top/f"):
            for label, res in (("none", 0), ("nosym", nosym), ("beneath", beneath),
                               ("inroot", inroot), ("nomagic", nomagic)):
                got = read_via(name, res)
                # "/f" and "abs" may name the host's /f natively: only errnos matter there
                if label in ("none", "nosym", "nomagic") and name in ("/f", "abs"):
                    got = got if isinstance(got, str) else "data"
                key = "<root>/top/f" if name.endswith("/top/f") and name[0] == "/" else name
                cases[f"{key} {label}"] = got
        # a final symlink with O_NOFOLLOW | O_PATH is opened itself, even under NO_SYMLINKS
        cases["O_PATH nofollow nosym"] = read_via("rel", nosym, O_PATH | F["O_NOFOLLOW"])
        s("close", dfd)
        return cases

    both(sides, run)


def test_openat2_magic_links(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> dict[str, str]:
        make_file(s, "f", b"magic")
        fd = s.open("f", O_RDONLY)
        name = f"/proc/self/fd/{fd}"
        r = {label: openat2(s, AT_FDCWD, name, resolve=res)
             for label, res in (("none", 0), ("nomagic", RESOLVE["RESOLVE_NO_MAGICLINKS"]),
                                ("nosym", RESOLVE["RESOLVE_NO_SYMLINKS"]),
                                ("noxdev", RESOLVE["RESOLVE_NO_XDEV"]))}
        r["/proc/self nomagic"] = openat2(s, AT_FDCWD, "/proc/self/status",
                                          resolve=RESOLVE["RESOLVE_NO_MAGICLINKS"])
        r["/proc/self nosym"] = openat2(s, AT_FDCWD, "/proc/self/status",
                                        resolve=RESOLVE["RESOLVE_NO_SYMLINKS"])
        s("close", fd)
        return r

    both(sides, run)


def test_openat2_efault(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> tuple[str, ...]:
        make_file(s, "f", b"x")
        good = how(s)
        return (errno_of(s("openat2", AT_FDCWD, bad_addr(s), good, 24)),
                errno_of(s("openat2", AT_FDCWD, s.path("f"), bad_addr(s), 24)),
                errno_of(s("openat2", AT_FDCWD, s.path("f"), 0, 24)),
                errno_of(s("openat2", AT_FDCWD, 0, good, 24)))

    both(sides, run)


# --- flock ---------------------------------------------------------------------------


def test_flock_conflicts(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> list[str]:
        make_file(s, "f", b"lock")
        a = s.open("f", O_RDONLY)
        b = s.open("f", O_RDWR)
        c = s("dup", a)
        out = []

        def fl(fd: int, cmd: int) -> None:
            out.append(errno_of(s("flock", fd, cmd)))

        fl(a, LOCK_EX)
        fl(b, LOCK_EX | LOCK_NB)       # another open file: conflict
        fl(b, LOCK_SH | LOCK_NB)
        fl(c, LOCK_EX | LOCK_NB)       # the same open file (dup): no conflict
        fl(c, LOCK_SH)                 # converts a's lock
        fl(b, LOCK_SH | LOCK_NB)       # shared with shared
        fl(b, LOCK_EX | LOCK_NB)
        fl(a, LOCK_EX | LOCK_NB)       # upgrade blocked by b's shared lock
        fl(b, LOCK_UN)
        fl(a, LOCK_EX | LOCK_NB)
        s("close", a)                  # c still holds the open file's lock
        fl(b, LOCK_SH | LOCK_NB)
        s("close", c)                  # the last close drops it
        fl(b, LOCK_EX | LOCK_NB)
        fl(b, LOCK_UN)
        fl(b, LOCK_UN)                 # unlocking nothing
        s("close", b)
        return out

    both(sides, run)


def test_flock_errors(sides: tuple[Side, Side]) -> None:
    def run(s: Side) -> dict[str, str]:
        make_file(s, "f", b"lock")
        s("mkdir", s.path("d"), 0o755)
        fd = s.open("f", O_RDONLY)
        wr = s.open("f", O_WRONLY)
        pth = s.open("f", O_PATH)
        dfd = s.open("d", O_RDONLY | O_DIRECTORY)
        cases = {f"cmd {cmd}": errno_of(s("flock", fd, cmd))
                 for cmd in (0, 3, LOCK_NB, LOCK_SH | LOCK_EX, 16, 32, 64, 0x100)}
        cases |= {
            "bad fd": errno_of(s("flock", 999, LOCK_SH)),
            "bad fd, bad cmd": errno_of(s("flock", 999, 0)),
            "bad fd, LOCK_MAND": errno_of(s("flock", 999, 32 | LOCK_SH)),
            "O_PATH": errno_of(s("flock", pth, LOCK_SH)),
            "O_PATH unlock": errno_of(s("flock", pth, LOCK_UN)),
            "write-only shared": errno_of(s("flock", wr, LOCK_SH)),
            "directory": errno_of(s("flock", dfd, LOCK_EX | LOCK_NB)),
        }
        for f in (fd, wr, pth, dfd):
            s("close", f)
        return cases

    both(sides, run)


# --- sysinfo ----------------------------------------------------------------------------


def unpack_sysinfo(raw: bytes) -> dict[str, int]:
    uptime, = struct.unpack_from("<q", raw, 0)
    total, free, shared, buffers, tswap, fswap = struct.unpack_from("<6Q", raw, 32)
    procs, = struct.unpack_from("<H", raw, 80)
    thigh, fhigh = struct.unpack_from("<QQ", raw, 88)
    unit, = struct.unpack_from("<I", raw, 104)
    return {"uptime": uptime, "totalram": total, "freeram": free, "sharedram": shared,
            "bufferram": buffers, "totalswap": tswap, "freeswap": fswap, "procs": procs,
            "totalhigh": thigh, "freehigh": fhigh, "mem_unit": unit}


def test_sysinfo(sides: tuple[Side, Side], lib: ctypes.CDLL) -> None:
    got = {}
    for s in sides:
        buf = s.mem(b"\xa5" * 112)
        assert s("sysinfo", buf) == 0
        got[s.name] = unpack_sysinfo(s.peek(buf, 112))
    linux, abi = got["linux"], got["abi"]
    assert abi["mem_unit"] == linux["mem_unit"]
    # the same clock: the host's boot time
    assert abs(abi["uptime"] - linux["uptime"]) <= 1
    assert abi["procs"] >= 1 and linux["procs"] >= 1
    assert abi["totalhigh"] == linux["totalhigh"] and abi["freehigh"] == linux["freehigh"]
    # the kernel's own state: its guest range (at most the host's RAM), less
    # what is mapped
    base, size = ctypes.c_uint64(), ctypes.c_uint64()
    lib.abi_guest_range(ctypes.byref(base), ctypes.byref(size))
    assert abi["totalram"] == min(size.value, linux["totalram"] * linux["mem_unit"])
    assert 0 < abi["freeram"] < abi["totalram"]


def test_sysinfo_efault(sides: tuple[Side, Side]) -> None:
    both(sides, lambda s: errno_of(s("sysinfo", bad_addr(s))))
    both(sides, lambda s: errno_of(s("sysinfo", 0)))

    def readonly(s: Side) -> str:
        ro = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        r = errno_of(s("sysinfo", ro))
        s("munmap", ro, PAGE)
        return r

    both(sides, readonly)
