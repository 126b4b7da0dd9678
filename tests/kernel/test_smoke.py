"""lib.so against Linux: the same syscalls, made natively through libc's
syscall() in a temporary directory and on a freshly booted kernel through its
dispatcher abi_syscall(), must give the same results and errnos.

Both sides use plain ctypes and the table's x86_64 numbers; flag values come
from the generated abi_sysdefs.py. Normalisations, where a value cannot match:
- inode and device numbers, times and directory sizes differ between the
  host's filesystem and ramfs, so stat results are compared field by field
  only for type, permission bits, link count and regular-file size;
- getdents64 order and d_off are filesystem-private, so entries are compared
  as a sorted set of (name, d_type);
- mmap addresses differ (the kernel maps inside its guest range);
- ramfs models tmpfs, so the native side runs in a tmpfs directory (under
  /dev/shm) when there is one: some results are the filesystem's choice
  (lseek(SEEK_END) on a directory is EINVAL on tmpfs, allowed on ext4).
"""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Callable

from sides import AT_FDCWD, NR, PAGE, STAT, F, Side, both, errno_of, tmpfs_dir

# --- the tests --------------------------------------------------------------


def test_boot_maps_guest_memory(lib: ctypes.CDLL, sides: tuple[Side, Side]) -> None:
    guest = sides[1]
    base, size = ctypes.c_uint64(), ctypes.c_uint64()
    lib.abi_guest_range(ctypes.byref(base), ctypes.byref(size))
    assert base.value <= guest.arena < base.value + size.value
    assert guest.arena % PAGE == 0
    assert guest.peek(guest.arena + 16 * PAGE - 8, 8) == b"\0" * 8


def test_file_io(sides: tuple[Side, Side]) -> None:
    def script(s: Side) -> list[object]:
        out: list[object] = []
        fd = s.open("f", F["O_CREAT"] | F["O_RDWR"] | F["O_TRUNC"], 0o600)
        out.append(fd >= 0)
        data = s.mem(b"hello world")
        out.append(s("write", fd, data, 11))
        out.append(s("lseek", fd, 0, F["SEEK_SET"]))
        rb = s.zeros(64)
        out.append(s("read", fd, rb, 5))
        out.append(s.peek(rb, 5))
        out.append(s("lseek", fd, 0, F["SEEK_CUR"]))
        out.append(s("lseek", fd, -3, F["SEEK_END"]))
        out.append(s("read", fd, rb, 64))
        out.append(s.peek(rb, 3))
        out.append(s("read", fd, rb, 64))  # EOF
        out.append(s("pwrite64", fd, data, 5, 100))  # a hole from 11 to 100
        out.append(s("pread64", fd, rb, 64, 8))
        out.append(s.peek(rb, 64))
        out.append(s("lseek", fd, 0, F["SEEK_CUR"]))
        st = s.zeros(144)
        out.append(s("fstat", fd, st))
        x = STAT.parse(s.peek(st, STAT.sizeof()))
        out.append((oct(x.st_mode), x.st_size))
        out.append(s("fcntl", fd, F["F_GETFL"], 0))
        out.append(s("close", fd))
        out.append(errno_of(s("close", fd)))
        out.append(errno_of(s("read", fd, rb, 1)))
        # O_APPEND
        fd = s.open("f", F["O_WRONLY"] | F["O_APPEND"])
        out.append(s("write", fd, data, 2))
        out.append(s("lseek", fd, 0, F["SEEK_CUR"]))
        out.append(errno_of(s("read", fd, rb, 1)))
        s("close", fd)
        return out

    both(sides, script)


def test_errors(sides: tuple[Side, Side]) -> None:
    def script(s: Side) -> dict[str, str]:
        out: dict[str, str] = {}
        fd = s.open("file", F["O_CREAT"] | F["O_WRONLY"])
        s("close", fd)
        s("mkdir", s.path("dir"), 0o755)
        s("mkdir", s.path("dir/sub"), 0o755)
        s("symlink", s.mem(b"self\0"), s.path("self"))
        s("symlink", s.mem(b"file\0"), s.path("lnk"))
        cases: dict[str, Callable[[], int]] = {
            "open missing": lambda: s.open("missing", F["O_RDONLY"]),
            "open excl": lambda: s.open("file", F["O_CREAT"] | F["O_EXCL"] | F["O_RDWR"]),
            "open dir rdwr": lambda: s.open("dir", F["O_RDWR"]),
            "open dir trunc": lambda: s.open("dir", F["O_RDONLY"] | F["O_TRUNC"]),
            "open creat dir": lambda: s.open("dir", F["O_CREAT"] | F["O_RDONLY"]),
            "open creat slash": lambda: s.open("new/", F["O_CREAT"] | F["O_RDWR"]),
            "open creat|directory": lambda: s.open("x", F["O_CREAT"] | F["O_DIRECTORY"]),
            "open O_DIRECTORY file": lambda: s.open("file", F["O_DIRECTORY"]),
            "open file/": lambda: s.open("file/", F["O_RDONLY"]),
            "open file/x": lambda: s.open("file/x", F["O_RDONLY"]),
            "open loop": lambda: s.open("self", F["O_RDONLY"]),
            "open nofollow": lambda: s.open("lnk", F["O_RDONLY"] | F["O_NOFOLLOW"]),
            "open long name": lambda: s.open("n" * 256, F["O_RDONLY"]),
            "open empty": lambda: s("openat", AT_FDCWD, s.mem(b"\0"), 0, 0),
            "openat bad dfd": lambda: s("openat", 12345, s.name_("file"), 0, 0),
            "mkdir exists": lambda: s("mkdir", s.path("dir"), 0o755),
            "mkdir missing parent": lambda: s("mkdir", s.path("no/such"), 0o755),
            "mkdir under file": lambda: s("mkdir", s.path("file/d"), 0o755),
            "rmdir nonempty": lambda: s("rmdir", s.path("dir")),
            "rmdir file": lambda: s("rmdir", s.path("file")),
            "rmdir dot": lambda: s("rmdir", s.path("dir/.")),
            "rmdir dotdot": lambda: s("rmdir", s.path("dir/sub/..")),
            "unlink dir": lambda: s("unlink", s.path("dir")),
            "unlink file/": lambda: s("unlink", s.path("file/")),
            "unlink missing": lambda: s("unlink", s.path("missing")),
            "unlinkat bad flag": lambda: s("unlinkat", AT_FDCWD, s.path("file"), 0x1),
            "symlink exists": lambda: s("symlink", s.mem(b"x\0"), s.path("file")),
            "readlink file": lambda: s("readlink", s.path("file"), s.zeros(16), 16),
            "readlink bufsiz 0": lambda: s("readlink", s.path("lnk"), s.zeros(16), 0),
            "stat loop": lambda: s("stat", s.path("self"), s.zeros(144)),
            "newfstatat bad flag": lambda: s("newfstatat", AT_FDCWD, s.path("file"),
                                             s.zeros(144), 0x4),
            "lseek bad whence": lambda: s("lseek", 0x7fff, 0, 0),
            "close bad": lambda: s("close", 0x7fff),
            "dup bad": lambda: s("dup", 0x7fff),
            "dup2 bad same": lambda: s("dup2", 0x7fff, 0x7fff),
            "fcntl bad fd": lambda: s("fcntl", 0x7fff, F["F_GETFD"], 0),
            "getdents bad fd": lambda: s("getdents64", 0x7fff, s.zeros(64), 64),
            "close_range backwards": lambda: s("close_range", 10, 5, 0),
            "close_range bad flags": lambda: s("close_range", 1000, 2000, 0x8),
        }
        for name, fn in cases.items():
            out[name] = errno_of(fn())
        # Calls on open descriptors.
        ro = s.open("file", F["O_RDONLY"])
        d = s.open("dir", F["O_RDONLY"] | F["O_DIRECTORY"])
        b = s.zeros(64)
        out["write O_RDONLY"] = errno_of(s("write", ro, b, 1))
        out["read dir"] = errno_of(s("read", d, b, 1))
        out["getdents file"] = errno_of(s("getdents64", ro, b, 64))
        out["getdents tiny"] = errno_of(s("getdents64", d, b, 10))
        out["lseek bad whence on file"] = errno_of(s("lseek", ro, 0, 99))
        out["lseek negative"] = errno_of(s("lseek", ro, -1, F["SEEK_SET"]))
        out["lseek SEEK_DATA past end"] = errno_of(s("lseek", ro, 10, F["SEEK_DATA"]))
        if tmpfs_dir():
            out["lseek dir SEEK_END"] = errno_of(s("lseek", d, 0, F["SEEK_END"]))
        out["pread negative"] = errno_of(s("pread64", ro, b, 1, -1))
        out["dup3 same"] = errno_of(s("dup3", ro, ro, 0))
        out["dup3 bad flags"] = errno_of(s("dup3", ro, 900, 0x1))
        out["fcntl bad cmd"] = errno_of(s("fcntl", ro, 0x7777, 0))
        out["openat file dfd"] = errno_of(s("openat", ro, s.name_("x"), 0, 0))
        out["mkdirat rel"] = errno_of(s("mkdirat", d, s.name_("rel"), 0o700))
        out["unlinkat rel"] = errno_of(s("unlinkat", d, s.name_("rel"), F["AT_REMOVEDIR"]))
        s("close", ro)
        s("close", d)
        return out

    both(sides, script)


def test_getdents64(sides: tuple[Side, Side]) -> None:
    def script(s: Side) -> list[tuple[bytes, int]]:
        s("mkdir", s.path("g"), 0o755)
        for name in ("a", "bb", "c" * 100):
            s("close", s.open("g/" + name, F["O_CREAT"] | F["O_WRONLY"]))
        s("mkdir", s.path("g/sub"), 0o755)
        s("symlink", s.mem(b"a\0"), s.path("g/link"))
        fd = s.open("g", F["O_RDONLY"] | F["O_DIRECTORY"])
        buf = s.zeros(160)  # small: several calls, resumed at the file position
        seen: list[tuple[bytes, int]] = []
        while (n := s("getdents64", fd, buf, 160)) > 0:
            data = s.peek(buf, n)
            off = 0
            while off < n:
                _ino, _doff, reclen, dtype = struct.unpack_from("<QqHB", data, off)
                name = data[off + 19:off + reclen].split(b"\0", 1)[0]
                seen.append((name, dtype))
                off += reclen
        assert n == 0, errno_of(n)
        s("close", fd)
        return sorted(seen)

    entries = both(sides, script)
    assert len(entries) == 7  # type: ignore[arg-type]


def test_efault(sides: tuple[Side, Side]) -> None:
    def script(s: Side) -> dict[str, str]:
        # An address neither side has mapped: a page we map and unmap again.
        hole = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        s("munmap", hole, PAGE)
        fd = s.open("f", F["O_CREAT"] | F["O_RDWR"])
        s("write", fd, s.mem(b"data"), 4)
        s("lseek", fd, 0, F["SEEK_SET"])
        d = s.open(".", F["O_RDONLY"] | F["O_DIRECTORY"])
        ro = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        out = {
            "read into hole": s("read", fd, hole, 4),
            "read into read-only": s("read", fd, ro, 4),
            "write from hole": s("write", fd, hole, 4),
            "open path in hole": s("openat", AT_FDCWD, hole, 0, 0),
            "open path at 16": s("openat", AT_FDCWD, 16, 0, 0),
            "stat buf in hole": s("newfstatat", AT_FDCWD, s.path("f"), hole, 0),
            "fstat buf read-only": s("fstat", fd, ro),
            "getdents into hole": s("getdents64", d, hole, 4096),
            "mkdir path in hole": s("mkdir", hole, 0o755),
            "readlink buf in hole": s("readlink", s.path("f"), hole, 16),
        }
        s("close", fd)
        s("close", d)
        s("munmap", ro, PAGE)
        return {k: errno_of(v) for k, v in out.items()}

    result = both(sides, script)
    assert result["read into hole"] == "EFAULT"  # type: ignore[index]


def test_mm_errors(sides: tuple[Side, Side]) -> None:
    def script(s: Side) -> dict[str, str]:
        rw = F["PROT_READ"] | F["PROT_WRITE"]
        anon = F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"]
        a = s("mmap", 0, 3 * PAGE, rw, anon, -1, 0)
        s("munmap", a + PAGE, PAGE)  # a hole in the middle that we own
        out = {
            "mmap len 0": s("mmap", 0, 0, rw, anon, -1, 0),
            "mmap no type": s("mmap", 0, PAGE, rw, F["MAP_ANONYMOUS"], -1, 0),
            "mmap shared_validate anon": s("mmap", 0, PAGE, rw,
                                           F["MAP_SHARED_VALIDATE"] | F["MAP_ANONYMOUS"], -1, 0),
            "mmap bad offset": s("mmap", 0, PAGE, rw, anon, -1, 1),
            "mmap fixed unaligned": s("mmap", a + 1, PAGE, rw, anon | F["MAP_FIXED"], -1, 0),
            "mmap noreplace taken": s("mmap", a, PAGE, rw, anon | F["MAP_FIXED_NOREPLACE"], -1, 0),
            "mmap file bad fd": s("mmap", 0, PAGE, rw, F["MAP_PRIVATE"], 0x7fff, 0),
            "munmap unaligned": s("munmap", a + 1, PAGE),
            "munmap len 0": s("munmap", a, 0),
            "mprotect unaligned": s("mprotect", a + 1, PAGE, rw),
            "mprotect bad prot": s("mprotect", a, PAGE, 0x100),
            "mprotect over hole": s("mprotect", a, 3 * PAGE, rw),
            "mprotect in hole": s("mprotect", a + PAGE, PAGE, rw),
            "madvise bad advice": s("madvise", a, PAGE, 12345),
            "madvise unaligned": s("madvise", a + 1, PAGE, F["MADV_NORMAL"]),
            "madvise over hole": s("madvise", a, 3 * PAGE, F["MADV_NORMAL"]),
            "mremap bad flags": s("mremap", a, PAGE, 2 * PAGE, 0x80, 0),
            "mremap fixed without maymove": s("mremap", a, PAGE, PAGE, F["MREMAP_FIXED"], 0),
            "mremap no room": s("mremap", a, PAGE, 3 * PAGE, 0, 0),
            "mremap in hole": s("mremap", a + PAGE, PAGE, 2 * PAGE, F["MREMAP_MAYMOVE"], 0),
            "msync bad flags": s("msync", a, PAGE, 0x10),
            "msync sync|async": s("msync", a, PAGE, F["MS_SYNC"] | F["MS_ASYNC"]),
            "msync over hole": s("msync", a, 3 * PAGE, F["MS_SYNC"]),
            "mincore unaligned": s("mincore", a + 1, PAGE, s.zeros(4)),
            "mincore over hole": s("mincore", a, 3 * PAGE, s.zeros(4)),
        }
        s("munmap", a, 3 * PAGE)
        return {k: errno_of(v) for k, v in out.items()}

    both(sides, script)


def test_madvise_dontneed_zero_fills(sides: tuple[Side, Side]) -> None:
    def script(s: Side) -> list[object]:
        a = s("mmap", 0, 2 * PAGE, F["PROT_READ"] | F["PROT_WRITE"],
              F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
        ctypes.memset(a, 0x5A, 2 * PAGE)
        r = s("madvise", a + PAGE, PAGE, F["MADV_DONTNEED"])
        out = [r, s.peek(a, 4), s.peek(a + PAGE, 4)]
        s("munmap", a, 2 * PAGE)
        return out

    both(sides, script)


def test_reset_gives_a_fresh_kernel(lib: ctypes.CDLL) -> None:
    lib.abi_boot(None)
    path = ctypes.create_string_buffer(b"/tmp/left-behind")
    nr = NR
    # the path must be in guest memory: map a page and copy it there
    rw, anon = F["PROT_READ"] | F["PROT_WRITE"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"]
    page = lib.abi_syscall(nr["mmap"], 0, PAGE, rw, anon, -1, 0)
    ctypes.memmove(page, path, len(path))
    assert lib.abi_syscall(nr["mkdir"], page, 0o755, 0, 0, 0, 0) == 0
    lib.abi_reset()
    lib.abi_boot(None)
    page2 = lib.abi_syscall(nr["mmap"], 0, PAGE, rw, anon, -1, 0)
    assert page2 == page  # same layout after a reset
    assert ctypes.string_at(page2, 4) == b"\0" * 4
    ctypes.memmove(page2, path, len(path))
    assert lib.abi_syscall(nr["mkdir"], page2, 0o755, 0, 0, 0, 0) == 0  # gone: no EEXIST
    lib.abi_reset()




def test_cwd(sides: tuple[Side, Side]) -> None:
    """chdir/fchdir/getcwd; the native side runs in a child process so that
    pytest's own working directory never moves."""
    native, guest = sides
    def script(s: Side) -> list[object]:
        out: list[object] = []
        buf = s.zeros(4096)

        def cwd(size: int = 4096) -> object:
            r = s("getcwd", buf, size)
            if r < 0:
                return errno_of(r)
            name = s.peek(buf, r - 1)
            return name[len(s.root):] if name.startswith(s.root) else name

        s("mkdir", s.path("d"), 0o755)
        s("mkdir", s.path("d/e"), 0o755)
        s("close", s.open("file", F["O_CREAT"] | F["O_WRONLY"]))
        out.append(errno_of(s("chdir", s.path("d"))))
        out.append(cwd())
        out.append(cwd(1))
        out.append(errno_of(s("chdir", s.name_("e/../e"))))
        out.append(cwd())
        out.append(errno_of(s("close", s("openat", AT_FDCWD, s.name_("rel"),
                                         F["O_CREAT"] | F["O_WRONLY"], 0o644))))
        out.append(s.stat("d/e/rel"))
        root = s.open("", F["O_RDONLY"] | F["O_DIRECTORY"])
        out.append(errno_of(s("fchdir", root)))
        out.append(cwd())
        out.append(errno_of(s("chdir", s.path("file"))))
        out.append(errno_of(s("chdir", s.path("missing"))))
        fd = s.open("file", F["O_RDONLY"])
        out.append(errno_of(s("fchdir", fd)))
        out.append(errno_of(s("fchdir", 0x7fff)))
        s("mkdir", s.path("gone"), 0o755)
        out.append(errno_of(s("chdir", s.path("gone"))))
        out.append(errno_of(s("rmdir", s.path("gone"))))
        out.append(cwd())
        out.append(errno_of(s("mkdir", s.name_("x"), 0o755)))
        out.append(errno_of(s("umask", 0o77)))
        out.append(s("umask", 0o22))
        return out

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: Linux's answers
        try:
            os.write(write_end, repr(script(native)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    while data := os.read(read_end, 65536):
        chunks.append(data)
    os.close(read_end)
    os.waitpid(pid, 0)
    want = b"".join(chunks).decode()
    assert repr(script(guest)) == want, want
    assert "ENOENT" in want and "ERANGE" in want  # the cases above really ran


def test_dev(sides: tuple[Side, Side]) -> None:
    """The memory devices, by absolute path on both sides."""
    def script(s: Side) -> list[object]:
        out: list[object] = []
        buf = s.zeros(64)
        st = s.zeros(144)
        for dev in ("null", "zero", "full", "random", "urandom"):
            path = s.mem(f"/dev/{dev}\0".encode())
            r = s("stat", path, st)
            mode, = struct.unpack_from("<I", s.peek(st, 144), 24)
            rdev, = struct.unpack_from("<Q", s.peek(st, 144), 40)
            out.append((dev, errno_of(r), oct(mode), hex(rdev)))
            fd = s("openat", AT_FDCWD, path, F["O_RDWR"], 0)
            out.append(errno_of(s("write", fd, buf, 16)))
            r = s("read", fd, buf, 16)
            out.append((errno_of(r), s.peek(buf, 16) if dev in ("null", "zero", "full") else r))
            out.append(s("lseek", fd, 5, F["SEEK_SET"]))
            out.append(errno_of(s("read", fd, 0, 16)))  # a NULL buffer
            s("close", fd)
        tty = s("openat", AT_FDCWD, s.mem(b"/dev/tty\0"), F["O_RDWR"], 0)
        out.append(errno_of(tty))
        if tty >= 0:
            s("close", tty)
        return out

    both(sides, script)
