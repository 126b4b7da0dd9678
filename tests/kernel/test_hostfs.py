"""hostfs: a host directory mounted in the kernel (abi_mount_host).

(a) Differential: the whole stateful machine of test_differential runs with
    the kernel side's working directory (/tmp/t) on a hostfs mount of a host
    directory, against Linux on a twin directory of the same filesystem type;
    every result, errno and read-back byte must match (the normalisations are
    test_differential's). Plain tests add what that machine does not draw
    (d_type of host entries, host-made changes seen by the guest).
(b) Confinement: a secret lies next to the mounted directory on the host;
    "..", relative and absolute symlinks planted on the host, /proc magic
    links and directories renamed away on the host must never let the guest
    read or write it, and nothing outside the directory may change.
(c) A read-only mount gives EROFS for every modification.
(d) EFAULT: test_efault's cases, on a hostfs working directory, against
    Linux.
The EROFS results come from the hostfs contract (a read-only mount refuses
every change as a read-only Linux mount does), not from a native run: making
a read-only mount natively needs privileges the tests do not assume.
"""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
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
from test_differential import Diff
from test_efault import Env, cases, check_bad_pointers

GUEST_DIR = b"/tmp/t"
SECRET = b"TOP SECRET, outside the mount\n"

def kernel_lib() -> ctypes.CDLL:
    """libabik.so: the lib fixture's (sides.build_kernel), for the state
    machine, which takes no fixtures."""
    return build_kernel()


def mount(lib: ctypes.CDLL, host: Path, guest: bytes = GUEST_DIR, ro: bool = False) -> None:
    rc = lib.abi_mount_host(str(host).encode(), guest, int(ro))
    assert rc == 0, errno_of(rc)


def finish(lib: ctypes.CDLL) -> None:
    lib.abi_reset()
    assert lib.abi_reset_leaked() == 0, "the kernel leaked heap memory"


# --- (a) differential ----------------------------------------------------------


class HostDiff(Diff):
    """test_differential's machine with the kernel side on hostfs."""

    def __init__(self) -> None:
        kernel_lib()
        super().__init__()
        # the host directory: a twin of the native one, on the same filesystem
        self.host = NativeDir()
        mount(self.lib, self.host.path)

    def teardown(self) -> None:
        super().teardown()
        self.host.remove()


HostDiff.TestCase.settings = settings(
    settings(), max_examples=int(os.environ.get("ABI_DIFF_EXAMPLES", "0")) or
    max(settings().max_examples // 2, 10))
TestHostDifferential = HostDiff.TestCase


@pytest.fixture
def pair() -> Iterator[tuple[Side, Side, Path]]:
    """(linux, abi, host dir): abi's /tmp/t is host dir on hostfs; linux
    works in a twin directory."""
    lib = kernel_lib()
    native, host = NativeDir(), NativeDir()
    linux = native_side(native.path)
    abi = boot_guest(lib)
    mount(lib, host.path)
    yield linux, abi, host.path
    native_release(linux)
    native.remove()
    host.remove()
    finish(lib)


def dirents(s: Side, rel: str) -> list[tuple[bytes, int]] | str:
    fd = s.open(rel, F["O_RDONLY"] | F["O_DIRECTORY"])
    if fd < 0:
        return errno_of(fd)
    out = s.dirents(fd, 256)  # small: listing resumes from host offsets
    s("close", fd)
    return sorted(out) if isinstance(out, list) else out


def read_all(s: Side, rel: str, follow: bool = True, cwd: bool = False) -> bytes | str:
    """rel's contents (under the side's root; from the cwd when cwd)."""
    flags = F["O_RDONLY"] | (0 if follow else F["O_NOFOLLOW"])
    fd = (s("openat", AT_FDCWD, s.name_(rel), flags, 0) if cwd else s.open(rel, flags))
    if fd < 0:
        return errno_of(fd)
    buf = s.zeros(65536)
    n = s("read", fd, buf, 65536)
    s("close", fd)
    return errno_of(n) if n < 0 else s.peek(buf, n)


def make_tree(root: Path) -> None:
    """The same host-made tree, for the native twin and the mounted dir."""
    (root / "d" / "e").mkdir(parents=True)
    (root / "f").write_bytes(b"hello\n")
    (root / "d" / "g").write_bytes(b"x" * 10000)
    os.symlink("f", root / "lf")
    os.symlink("d/e", root / "ld")
    os.symlink("missing", root / "dangling")
    os.link(root / "f", root / "hard")
    os.mkfifo(root / "fifo")
    for i in range(40):
        (root / "d" / "e" / f"many{i:02}").write_bytes(b"%d" % i)


def test_host_tree_matches(pair: tuple[Side, Side, Path]) -> None:
    linux, abi, host = pair
    make_tree(Path(linux.root.decode()))
    make_tree(host)
    for rel in ["", "d", "d/e", "ld", "f", "missing"]:
        assert dirents(abi, rel) == dirents(linux, rel), rel
    for rel in ["f", "lf", "ld", "dangling", "hard", "fifo", "d/g", "d/e/many07", "d", "ld/"]:
        if rel == "fifo":
            assert abi.stat(rel) == linux.stat(rel)
            continue
        for follow in (True, False):
            assert abi.stat(rel, follow) == linux.stat(rel, follow), (rel, follow)
        assert read_all(abi, rel) == read_all(linux, rel), rel
    for rel in ["lf", "ld", "dangling", "f"]:
        def rl(s: Side, r: str = rel) -> bytes | str:
            buf = s.zeros(256)
            n = s("readlink", s.path(r), buf, 256)
            return errno_of(n) if n < 0 else s.peek(buf, n)
        assert rl(abi) == rl(linux), rel


def test_seek_data_hole_and_fallocate(pair: tuple[Side, Side, Path]) -> None:
    linux, abi, _host = pair
    results = []
    for s in (linux, abi):
        fd = s.open("sparse", F["O_CREAT"] | F["O_RDWR"], 0o644)
        out = [s("pwrite64", fd, s.mem(b"data"), 4, 1 << 20),
               s("lseek", fd, 0, F["SEEK_DATA"]), s("lseek", fd, 0, F["SEEK_HOLE"]),
               s("fallocate", fd, 0, 0, 8192), s("lseek", fd, 0, F["SEEK_END"]),
               s("fsync", fd), s("fdatasync", fd), s("ftruncate", fd, 100),
               s("lseek", fd, 0, F["SEEK_END"])]
        out.append(s.stat("sparse")[4])  # type: ignore[index]
        s("close", fd)
        results.append(out)
    assert results[1] == results[0]


def test_host_changes_are_seen(pair: tuple[Side, Side, Path]) -> None:
    """The dentry cache follows the host: files made, replaced and removed
    there show up in the guest."""
    _linux, abi, host = pair
    (host / "x").write_bytes(b"one")
    assert read_all(abi, "x") == b"one"
    (host / "x").unlink()
    assert abi.stat("x") == "ENOENT"
    (host / "x").mkdir()
    assert abi.stat("x")[0] & 0o170000 == 0o040000  # type: ignore[index]
    (host / "x" / "y").write_bytes(b"two")
    assert read_all(abi, "x/y") == b"two"
    os.rename(host / "x", host / "z")
    assert abi.stat("x/y") == "ENOENT"
    assert read_all(abi, "z/y") == b"two"
    fd = abi.open("z/y", F["O_RDONLY"])
    (host / "z" / "y").write_bytes(b"three!")  # same inode, new size
    st = abi.zeros(144)
    assert abi("fstat", fd, st) == 0
    assert struct.unpack_from("<q", abi.peek(st, 144), 48)[0] == 6
    abi("close", fd)
    # names the guest has cached but the host removed are free again
    (host / "p").write_bytes(b"p")
    (host / "q").write_bytes(b"q")
    assert abi.stat("p") != "ENOENT" and abi.stat("q") != "ENOENT"
    (host / "q").unlink()
    assert abi("renameat2", AT_FDCWD, abi.path("p"), AT_FDCWD, abi.path("q"),
               F["RENAME_NOREPLACE"]) == 0
    assert (host / "q").read_bytes() == b"p"
    (host / "q").unlink()
    assert errno_of(abi("unlink", abi.path("q"))) == "ENOENT"


def test_listing_resumes_and_ends_as_on_linux(pair: tuple[Side, Side, Path]) -> None:
    """hostfs lists a directory without an lseek per getdents (it knows where
    it left the host descriptor): a listing in small pieces, the calls at its
    end, an entry the host adds after the end, and a rewind give what Linux
    gives."""
    linux, abi, host = pair
    results = []
    for s, d in ((linux, Path(linux.root.decode())), (abi, host)):
        for i in range(60):
            (d / f"e{i:02}").write_bytes(b"")
        fd = s.open("", F["O_RDONLY"] | F["O_DIRECTORY"])
        out: list[object] = [sorted(s.dirents(fd, 256))]  # type: ignore[arg-type]
        out.append(s.dirents(fd, 256))  # at the end: nothing more
        (d / "late").write_bytes(b"")
        out.append(s.dirents(fd, 256))  # still at the end
        assert s("lseek", fd, 0, F["SEEK_SET"]) == 0
        out.append(sorted(s.dirents(fd, 256)))  # type: ignore[arg-type]
        s("close", fd)
        results.append(out)
    assert results[1] == results[0]


def test_stat_after_a_host_change(pair: tuple[Side, Side, Path]) -> None:
    """A stat answers from the host's stat of the walk's last lookup (one
    host call): what the host changed between two stats is seen, by path and
    relative to a directory descriptor."""
    linux, abi, host = pair
    results = []
    for s, d in ((linux, Path(linux.root.decode())), (abi, host)):
        (d / "sub").mkdir()
        dfd = s.open("sub", F["O_RDONLY"] | F["O_DIRECTORY"])
        st = s.zeros(144)
        sizes: list[int | str] = []
        for data in (b"abc", b"0123456789"):
            (d / "sub" / "x").write_bytes(data)
            assert s("newfstatat", AT_FDCWD, s.path("sub/x"), st, 0) == 0
            sizes.append(struct.unpack_from("<q", s.peek(st, 144), 48)[0])
        (d / "sub" / "x").write_bytes(b"0123")
        assert s("newfstatat", dfd, s.name_("x"), st, 0) == 0
        sizes.append(struct.unpack_from("<q", s.peek(st, 144), 48)[0])
        (d / "sub" / "x").unlink()
        sizes.append(errno_of(s("newfstatat", dfd, s.name_("x"), st, 0)))
        s("close", dfd)
        results.append(sizes)
    assert results[1] == results[0] == [3, 10, 4, "ENOENT"]


def test_open_after_a_host_change(pair: tuple[Side, Side, Path]) -> None:
    """An open checks the names its walk passes with the open itself, in one
    host call (the open intent), and walks again name by name when one was
    stale: a cached file or directory on the way that the host replaced,
    renamed away or made a symlink meanwhile is seen as on Linux, by path
    and relative to a directory descriptor."""
    linux, abi, host = pair
    rd, dr = F["O_RDONLY"], F["O_RDONLY"] | F["O_DIRECTORY"]
    results = []
    for s, d in ((linux, Path(linux.root.decode())), (abi, host)):
        (d / "a" / "b").mkdir(parents=True)
        (d / "a" / "b" / "f").write_bytes(b"one")
        out: list[object] = [read_all(s, "a/b/f"), read_all(s, "a/b/f")]
        (d / "a" / "b" / "g").write_bytes(b"two")  # a new file under the name
        os.rename(d / "a" / "b" / "g", d / "a" / "b" / "f")
        out.append(read_all(s, "a/b/f"))
        os.rename(d / "a", d / "old")  # a directory on the way replaced
        (d / "a" / "b").mkdir(parents=True)
        (d / "a" / "b" / "f").write_bytes(b"three")
        out.append(read_all(s, "a/b/f"))
        os.rename(d / "a", d / "gone")  # renamed away
        out += [read_all(s, "a/b/f"), read_all(s, "gone/b/f"), read_all(s, "a/b/nothing")]
        os.symlink("gone", d / "a")  # made a symlink: the guest's walk follows it
        out += [read_all(s, "a/b/f"), read_all(s, "a/b/f", follow=False)]
        (d / "gone" / "b" / "f").unlink()  # a file made a directory
        (d / "gone" / "b" / "f").mkdir()
        fd = s.open("a/b/f", dr)
        out += [errno_of(fd), read_all(s, "a/b/f")]
        s("close", fd)
        dfd = s.open("gone/b", dr)
        for data in (b"four", b"five!"):
            (d / "gone" / "b" / "h.new").write_bytes(data)
            os.rename(d / "gone" / "b" / "h.new", d / "gone" / "b" / "h")
            fd = s("openat", dfd, s.name_("h"), rd, 0)
            buf = s.zeros(16)
            out.append(s.peek(buf, s("read", fd, buf, 16)) if fd >= 0 else errno_of(fd))
            s("close", fd)
        (d / "gone" / "b" / "h").unlink()
        out.append(errno_of(s("openat", dfd, s.name_("h"), rd, 0)))
        s("close", dfd)
        results.append(out)
    assert results[1] == results[0]
    assert results[0][:5] == [b"one", b"one", b"two", b"three", "ENOENT"]


def host_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_more_directories_than_the_cache_holds(pair: tuple[Side, Side, Path]) -> None:
    """hostfs caches a bounded number of host directory fds (64): walking
    150 directories, twice, evicts and reopens them without leaking host
    fds, and host renames made meanwhile are seen; a chain deeper than
    host_dir's on-stack array (64) still resolves."""
    _linux, abi, host = pair
    for i in range(150):
        (host / f"d{i:03}" / "s").mkdir(parents=True)
        (host / f"d{i:03}" / "s" / "f").write_bytes(b"%d" % i)
    deep = Path(*(["n"] * 80))
    (host / deep).mkdir(parents=True)
    (host / deep / "f").write_bytes(b"deep")
    before = host_fds()
    for _ in range(2):
        for i in range(150):
            assert read_all(abi, f"d{i:03}/s/f") == b"%d" % i
    assert read_all(abi, f"{deep}/f") == b"deep"
    assert host_fds() - before <= 64
    # a directory the guest renames stays reachable through its fd; one the
    # host renames is gone for the guest (hostfs asks by the names it knows)
    guest_moved = abi.open("d007/s", F["O_RDONLY"] | F["O_DIRECTORY"])
    host_moved = abi.open("d008/s", F["O_RDONLY"] | F["O_DIRECTORY"])
    assert abi("rename", abi.path("d007"), abi.path("g")) == 0
    os.rename(host / "d008", host / "h")
    for i in range(150):  # evicts both fds
        read_all(abi, f"d{i:03}/s/f")
    assert [read_all(abi, p) for p in ("d007/s/f", "g/s/f", "d008/s/f", "h/s/f")] == [
        "ENOENT", b"7", "ENOENT", b"8"]
    assert [errno_of(abi("openat", fd, abi.name_("f"), F["O_RDONLY"], 0))
            for fd in (guest_moved, host_moved)] == ["ok", "ENOENT"]


def test_chain_longer_than_a_host_path(pair: tuple[Side, Side, Path]) -> None:
    """A working directory 100 levels down names of 60 bytes (6,100 bytes
    from the mount, past the host's PATH_MAX): with the cached descriptors
    evicted, hostfs reaches it again from the mount's root in several
    openat2 steps of at most 4,000 bytes, each checked."""
    _linux, abi, host = pair
    name = "n" * 60
    fd = os.open(host, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(100):
        os.mkdir(name, dir_fd=fd)
        nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    wfd = os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(wfd, b"deep")
    os.close(wfd)
    os.close(fd)
    for i in range(80):
        (host / f"e{i:02}").mkdir()
        (host / f"e{i:02}" / "f").write_bytes(b"%d" % i)
    assert abi("chdir", abi.path(name)) == 0
    for _ in range(99):
        assert abi("chdir", abi.name_(name)) == 0
    assert read_all(abi, "f", cwd=True) == b"deep"
    for i in range(80):  # evicts every cached directory of the chain
        assert read_all(abi, f"e{i:02}/f") == b"%d" % i
    assert read_all(abi, "f", cwd=True) == b"deep"
    assert abi("mkdirat", AT_FDCWD, abi.name_("new"), 0o755) == 0
    assert abi("chdir", abi.mem(b"/\0")) == 0


def test_unlinked_open_file_keeps_working(pair: tuple[Side, Side, Path]) -> None:
    linux, abi, _host = pair
    results = []
    for s in (linux, abi):
        fd = s.open("tmp", F["O_CREAT"] | F["O_RDWR"], 0o600)
        out = [s("unlink", s.path("tmp")), s("write", fd, s.mem(b"abc"), 3),
               s("ftruncate", fd, 2), s("pread64", fd, s.zeros(8), 8, 0)]
        st = s.zeros(144)
        out.append(s("fstat", fd, st))
        out.append(struct.unpack_from("<Q", s.peek(st, 144), 16)[0])  # nlink 0
        s("close", fd)
        results.append(out)
    assert results[1] == results[0]


def test_unlinked_o_path_file_sees_nlink_0(pair: tuple[Side, Side, Path]) -> None:
    """An O_PATH open keeps no host descriptor: fstat must still see the unlink
    (found by the hostfs state machine)."""
    linux, abi, _host = pair
    results = []
    for s in (linux, abi):
        fd = s.open("f", F["O_CREAT"] | F["O_WRONLY"], 0o644)
        s("close", fd)
        path_fd = s.open("f", F["O_PATH"])
        st = s.zeros(144)
        out = [s("unlink", s.path("f")), s("fstat", path_fd, st),
               struct.unpack_from("<Q", s.peek(st, 144), 16)[0]]
        s("close", path_fd)
        results.append(out)
    assert results[1] == results[0]


def test_mmap(pair: tuple[Side, Side, Path]) -> None:
    """Private and shared mappings of a hostfs file against Linux: contents,
    copy on write, write-through, and the access errors."""
    linux, abi, _host = pair
    rw, rd = F["PROT_READ"] | F["PROT_WRITE"], F["PROT_READ"]
    priv, shared = F["MAP_PRIVATE"], F["MAP_SHARED"]
    results = []
    for s in (linux, abi):
        fd = s.open("m", F["O_CREAT"] | F["O_RDWR"], 0o644)
        s("write", fd, s.mem(b"A" * PAGE + b"B" * 100), PAGE + 100)
        rofd = s.open("m", F["O_RDONLY"])
        out: list[object] = []
        a = s("mmap", 0, 2 * PAGE, rw, priv, fd, 0)
        out.append(s.peek(a, 2 * PAGE) if a > 0 else errno_of(a))
        if a > 0:
            ctypes.memmove(a, b"private", 7)
            out.append(s("munmap", a, 2 * PAGE))
        b = s("mmap", 0, PAGE, rw, shared, fd, PAGE)
        out.append(s.peek(b, 100) if b > 0 else errno_of(b))
        if b > 0:
            ctypes.memmove(b, b"shared", 6)
            out.append(s("msync", b, PAGE, F["MS_SYNC"]))
            out.append(s("munmap", b, PAGE))
        out.append(read_all(s, "m"))
        out.append(errno_of(s("mmap", 0, PAGE, rw, shared, rofd, 0)))
        c = s("mmap", 0, PAGE, rd, shared, rofd, 0)
        out.append(s.peek(c, 8) if c > 0 else errno_of(c))
        if c > 0:
            s("munmap", c, PAGE)
        out.append(errno_of(s("mmap", 0, PAGE, rd, priv, 999, 0)))
        out.append(errno_of(s("mmap", 0, 0, rd, priv, fd, 0)))
        out.append(errno_of(s("mmap", 0, PAGE, rd, priv, fd, 1)))
        s("close", fd)
        s("close", rofd)
        results.append(out)
    assert results[1] == results[0]


# --- (b) confinement ------------------------------------------------------------


@pytest.fixture
def jail(tmp_path: Path) -> Iterator[tuple[Side, Path]]:
    """base/secret, base/outside/ and base/mnt mounted at /tmp/t (rw), with
    escape attempts planted on the host."""
    lib = kernel_lib()
    base = tmp_path
    (base / "secret").write_bytes(SECRET)
    (base / "outside").mkdir()
    (base / "outside" / "secret2").write_bytes(SECRET)
    mnt = base / "mnt"
    (mnt / "sub" / "deep").mkdir(parents=True)
    (mnt / "sub" / "file").write_bytes(b"inside")
    os.symlink("../secret", mnt / "up")
    os.symlink("../../secret", mnt / "sub" / "up2")
    os.symlink(str(base / "secret"), mnt / "abs")
    os.symlink(str(base), mnt / "absdir")
    os.symlink("..", mnt / "dotdot")
    os.symlink("../outside", mnt / "outdir")
    os.symlink("/proc/self/root" + str(base / "secret"), mnt / "procroot")
    os.symlink("/proc/self/cwd/../secret", mnt / "proccwd")
    os.symlink(f"/proc/{os.getpid()}/root{base}/secret", mnt / "procpid")
    os.symlink("/", mnt / "slash")
    abi = boot_guest(lib)
    mount(lib, mnt)
    yield abi, base
    finish(lib)


ESCAPES = [
    "../secret", "../../secret", "sub/../../secret", "sub/deep/../../../secret",
    "up", "sub/up2", "abs", "absdir/secret", "dotdot/secret", "outdir/secret2",
    "procroot", "proccwd", "procpid", "slash" + "/secret", "dotdot/outside/secret2",
    "sub/../up", "./././../secret", "..//..//secret", "sub/deep/../../dotdot/secret",
]


def snapshot(base: Path) -> dict[str, bytes | str]:
    """Everything on the host outside the mounted directory."""
    out: dict[str, bytes | str] = {}
    for p in sorted(base.rglob("*")):
        rel = str(p.relative_to(base))
        if rel == "mnt" or rel.startswith("mnt/"):
            continue
        st = os.lstat(p)
        out[rel] = (p.read_bytes() if p.is_file() and not p.is_symlink() else
                    f"{st.st_mode:o} {st.st_size}")
        out[rel + "@mode"] = f"{st.st_mode:o} {st.st_uid} {st.st_gid} {st.st_mtime_ns}"
    return out


def attempts(abi: Side, rel: str) -> list[object]:
    """Every way of touching rel: read, write, create, truncate, chmod, chown,
    utimes, rename, unlink, link, listing."""
    out: list[object] = [read_all(abi, rel), read_all(abi, rel + "/secret")]
    for flags in (F["O_WRONLY"], F["O_RDWR"] | F["O_APPEND"], F["O_WRONLY"] | F["O_TRUNC"],
                  F["O_CREAT"] | F["O_WRONLY"]):
        fd = abi.open(rel, flags, 0o644)
        if fd >= 0:
            out.append(abi("write", fd, abi.mem(b"pwned"), 5))
            abi("close", fd)
        out.append(errno_of(fd))
    out += [abi("truncate", abi.path(rel), 0), abi("chmod", abi.path(rel), 0o777),
            abi("chown", abi.path(rel), 1234, 1234),
            abi("utimensat", AT_FDCWD, abi.path(rel), 0, 0),
            abi("rename", abi.path(rel), abi.path("stolen")),
            abi("link", abi.path(rel), abi.path("hardstolen")),
            abi("linkat", AT_FDCWD, abi.path(rel), AT_FDCWD, abi.path("hardstolen2"),
                F["AT_SYMLINK_FOLLOW"]),
            abi("unlink", abi.path(rel)), dirents(abi, rel)]
    return out


def assert_secret_unread(abi: Side, rel: str) -> None:
    data = read_all(abi, rel)
    assert not (isinstance(data, bytes) and b"SECRET" in data), rel
    for name in ("stolen", "hardstolen", "hardstolen2"):
        got = read_all(abi, name)
        assert not (isinstance(got, bytes) and b"SECRET" in got), (rel, name)


@pytest.mark.parametrize("rel", ESCAPES)
def test_escape_is_confined(jail: tuple[Side, Path], rel: str) -> None:
    abi, base = jail
    before = snapshot(base)
    assert_secret_unread(abi, rel)
    attempts(abi, rel)
    assert_secret_unread(abi, rel)
    assert snapshot(base) == before, rel
    assert (base / "secret").read_bytes() == SECRET


def test_dotdot_at_mount_root_is_guest_parent(jail: tuple[Side, Path]) -> None:
    abi, _base = jail
    st1, st2 = abi.zeros(144), abi.zeros(144)
    assert abi("newfstatat", AT_FDCWD, abi.mem(b"/tmp/t/..\0"), st1, 0) == 0
    assert abi("newfstatat", AT_FDCWD, abi.mem(b"/tmp\0"), st2, 0) == 0
    assert abi.peek(st1, 144) == abi.peek(st2, 144)
    # the guest's /tmp is ramfs: it has no "secret", and "mnt" is not there
    assert abi.stat("../secret") == "ENOENT"
    assert abi.stat("../mnt") == "ENOENT"
    # symlinks are resolved in the guest: "slash" is the guest root
    assert abi("newfstatat", AT_FDCWD, abi.path("slash"), st1, 0) == 0
    assert abi("newfstatat", AT_FDCWD, abi.mem(b"/\0"), st2, 0) == 0
    assert abi.peek(st1, 144) == abi.peek(st2, 144)


def test_readlink_is_verbatim(jail: tuple[Side, Path]) -> None:
    abi, base = jail
    buf = abi.zeros(512)
    n = abi("readlink", abi.path("abs"), buf, 512)
    assert abi.peek(buf, n) == str(base / "secret").encode()
    n = abi("readlink", abi.path("up"), buf, 512)
    assert abi.peek(buf, n) == b"../secret"


def test_renamed_away_directory(jail: tuple[Side, Path]) -> None:
    """A directory the host moves out of the mount is no longer found by
    name. One the guest holds (an open descriptor, its cwd) follows the
    directory, as on Linux a descriptor or working directory follows a
    directory moved out of a bind mount: hostfs works relative to the
    directory's cached host descriptor, which is what makes an operation cost
    the same at any depth (issue 14). From there ".." is still the guest's
    parent, nothing else outside is reached, and once the guest walks the
    old name (and finds it gone) the held directory is a removed one."""
    abi, base = jail
    mnt = base / "mnt"
    dfd = abi.open("sub", F["O_RDONLY"] | F["O_DIRECTORY"])
    assert dfd >= 0
    assert abi("chdir", abi.path("sub")) == 0
    assert read_all(abi, "file", cwd=True) == b"inside"  # warms the cache
    os.rename(mnt / "sub", base / "outside" / "sub")
    before = snapshot(base)
    # held: the directory itself, wherever it is now
    assert read_all(abi, "file", cwd=True) == b"inside"
    # ".." from there is the guest's parent, the mount root: still inside
    assert read_all(abi, "../up", cwd=True) != SECRET
    assert read_all(abi, "../sub/file", cwd=True) == "ENOENT"
    # by name: gone, and now the held directory is a removed one
    assert read_all(abi, "sub/file") == "ENOENT"
    for rel in ("file", "./file", "planted"):
        fd = abi("openat", AT_FDCWD, abi.mem(rel.encode() + b"\0"), F["O_RDONLY"], 0)
        assert fd < 0, rel
        fd = abi("openat", AT_FDCWD, abi.mem(rel.encode() + b"\0"),
                 F["O_CREAT"] | F["O_WRONLY"], 0o644)
        assert fd < 0, rel
    assert abi("mkdirat", dfd, abi.name_("newdir"), 0o755) < 0
    assert abi("unlinkat", dfd, abi.name_("file"), 0) < 0
    assert abi("renameat2", dfd, abi.name_("file"), dfd, abi.name_("f2"), 0) < 0
    assert abi("symlinkat", abi.name_("x"), dfd, abi.name_("newlink")) < 0
    assert abi("chdir", abi.mem(b"/\0")) == 0
    abi("close", dfd)
    assert snapshot(base) == before


def test_swapped_for_symlink_is_not_followed(jail: tuple[Side, Path]) -> None:
    """The host replaces a directory the guest has cached with a symlink to
    the outside: the next walk sees a symlink (resolved in the guest)."""
    abi, base = jail
    mnt = base / "mnt"
    assert read_all(abi, "sub/file") == b"inside"
    os.rename(mnt / "sub", base / "outside" / "oldsub")
    os.symlink(str(base / "outside"), mnt / "sub")
    assert read_all(abi, "sub/secret2") == "ENOENT"
    fd = abi.open("sub/secret2", F["O_CREAT"] | F["O_WRONLY"], 0o644)
    if fd >= 0:
        abi("close", fd)
    assert (base / "outside" / "secret2").read_bytes() == SECRET


def test_guest_cannot_link_or_rename_across(jail: tuple[Side, Path]) -> None:
    abi, base = jail
    before = snapshot(base)
    tmp_file = abi.mem(b"/tmp/guestfile\0")
    fd = abi("open", tmp_file, F["O_CREAT"] | F["O_WRONLY"], 0o644)
    abi("close", fd)
    assert errno_of(abi("link", tmp_file, abi.path("in"))) == "EXDEV"
    assert errno_of(abi("rename", abi.path("sub"), abi.mem(b"/tmp/sub\0"))) == "EXDEV"
    assert errno_of(abi("rename", abi.path("sub/file"), abi.path("../file"))) == "EXDEV"
    assert snapshot(base) == before


def test_guest_symlinks_resolve_in_guest(jail: tuple[Side, Path]) -> None:
    """Symlinks the guest makes on hostfs land on the host verbatim, and the
    guest resolves them in its own namespace."""
    abi, base = jail
    assert abi("symlink", abi.mem(str(base / "secret").encode() + b"\0"), abi.path("g1")) == 0
    assert abi("symlink", abi.name_("../secret"), abi.path("g2")) == 0
    assert os.readlink(base / "mnt" / "g1") == str(base / "secret")
    for rel in ("g1", "g2"):
        assert_secret_unread(abi, rel)
        fd = abi.open(rel, F["O_WRONLY"] | F["O_TRUNC"])
        assert fd < 0
    assert (base / "secret").read_bytes() == SECRET


def test_mount_as_root(tmp_path: Path) -> None:
    """hostfs_mount(dir, "/") makes dir the root; ".." stays in it, /dev
    moves over when the host dir has one."""
    lib = kernel_lib()
    (tmp_path / "secret").write_bytes(SECRET)
    root = tmp_path / "root"
    (root / "dev").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc" / "hello").write_bytes(b"hi")
    os.symlink("../../../../secret", root / "etc" / "up")
    abi = boot_guest(lib)
    mount(lib, root, b"/")
    try:
        def rd(path: str) -> bytes | str:
            return read_all(abi, path, cwd=True)  # absolute: from the guest root

        assert rd("/etc/hello") == b"hi"
        assert rd("/../../etc/hello") == b"hi"
        assert rd("/etc/up") == "ENOENT"
        assert rd("/../secret") == "ENOENT"
        assert rd("/dev/null") == b""  # the kernel's devfs, moved over
        buf = abi.zeros(256)
        n = abi("getcwd", buf, 256)
        assert n > 0 and abi.peek(buf, n) == b"/\0"
        fd = abi("openat", AT_FDCWD, abi.name_("/newfile"), F["O_CREAT"] | F["O_WRONLY"], 0o600)
        assert fd >= 0
        abi("close", fd)
        assert (root / "newfile").exists()
        assert sorted(os.listdir(root / "dev")) == []
    finally:
        finish(lib)


def test_mount_errors(tmp_path: Path) -> None:
    lib = kernel_lib()
    abi = boot_guest(lib)
    try:
        assert errno_of(lib.abi_mount_host(str(tmp_path / "nope").encode(), GUEST_DIR, 0)) == \
            "ENOENT"
        (tmp_path / "file").write_bytes(b"")
        assert errno_of(lib.abi_mount_host(str(tmp_path / "file").encode(), GUEST_DIR, 0)) == \
            "ENOTDIR"
        assert errno_of(lib.abi_mount_host(str(tmp_path).encode(), b"/nonexistent", 0)) == \
            "ENOENT"
        # mounts stack, as on Linux: the newest one is seen
        (tmp_path / "one").mkdir()
        (tmp_path / "two").mkdir()
        (tmp_path / "two" / "mark").write_bytes(b"2")
        mount(lib, tmp_path / "one")
        mount(lib, tmp_path / "two")
        assert read_all(abi, "mark") == b"2"
    finally:
        finish(lib)


# --- (c) read-only --------------------------------------------------------------


@pytest.fixture
def ro(tmp_path: Path) -> Iterator[tuple[Side, Path]]:
    lib = kernel_lib()
    mnt = tmp_path / "ro"
    (mnt / "d").mkdir(parents=True)
    (mnt / "f").write_bytes(b"read only")
    os.symlink("f", mnt / "l")
    abi = boot_guest(lib)
    mount(lib, mnt, ro=True)
    yield abi, tmp_path
    finish(lib)


def test_read_only(ro: tuple[Side, Path]) -> None:
    abi, base = ro
    before = {p: (os.lstat(p), p.read_bytes() if p.is_file() else b"")
              for p in sorted(base.rglob("*"))}
    assert read_all(abi, "f") == b"read only"
    assert dirents(abi, ".") == sorted([(b".", 4), (b"..", 4), (b"d", 4), (b"f", 8),
                                        (b"l", 10)])
    p = abi.path
    calls = {
        "open O_WRONLY": abi.open("f", F["O_WRONLY"]),
        "open O_RDWR": abi.open("f", F["O_RDWR"]),
        "open O_TRUNC": abi.open("f", F["O_RDONLY"] | F["O_TRUNC"]),
        "creat": abi.open("new", F["O_CREAT"] | F["O_WRONLY"]),
        "mkdir": abi("mkdir", p("nd"), 0o755),
        "rmdir": abi("rmdir", p("d")),
        "unlink": abi("unlink", p("f")),
        "rename": abi("rename", p("f"), p("g")),
        "rename exchange": abi("renameat2", AT_FDCWD, p("f"), AT_FDCWD, p("d"),
                               F["RENAME_EXCHANGE"]),
        "link": abi("link", p("f"), p("g")),
        "symlink": abi("symlink", abi.name_("f"), p("s")),
        "chmod": abi("chmod", p("f"), 0o600),
        "chown": abi("chown", p("f"), 0, 0),
        "lchown": abi("lchown", p("l"), 0, 0),
        "utimensat": abi("utimensat", AT_FDCWD, p("f"), 0, 0),
        "truncate": abi("truncate", p("f"), 0),
    }
    fd = abi.open("f", F["O_RDONLY"])
    assert fd >= 0
    calls["fchmod"] = abi("fchmod", fd, 0o600)
    calls["fchown"] = abi("fchown", fd, 0, 0)
    calls["futimens"] = abi("utimensat", fd, 0, 0, 0)
    abi("close", fd)
    assert {k: errno_of(v) for k, v in calls.items()} == {k: "EROFS" for k in calls}
    after = {p: (os.lstat(p), p.read_bytes() if p.is_file() else b"")
             for p in sorted(base.rglob("*"))}
    assert after == before
    # reads and stats still work
    assert abi.stat("d")[0] & 0o170000 == 0o040000  # type: ignore[index]
    assert read_all(abi, "l") == b"read only"


# --- (d) EFAULT -------------------------------------------------------------------


@pytest.fixture
def efault_sides(tmp_path: Path) -> Iterator[tuple[Env, Env]]:
    lib = kernel_lib()
    native, host = NativeDir(tmp_path), NativeDir(tmp_path)
    linux = native_side(native.path)
    abi = boot_guest(lib)
    mount(lib, host.path)
    envs = (Env(linux), Env(abi))
    yield envs
    envs[0].close()
    native_release(linux)
    native.remove()
    host.remove()
    finish(lib)


# the file-family cases of test_efault (chdir would move pytest's own cwd)
FILE_CALLS = {
    "access", "chmod", "chown", "creat", "faccessat", "faccessat2", "fchmodat", "fchownat",
    "fstat", "futimesat", "getdents64", "lchown", "link", "linkat", "lstat", "mkdir",
    "mkdirat", "newfstatat", "open", "openat", "openat2", "pread64", "preadv", "preadv2",
    "pwrite64", "pwritev", "pwritev2", "read", "readlink", "readlinkat", "readv", "rename",
    "renameat", "renameat2", "rmdir", "stat", "statx", "symlink", "symlinkat", "truncate",
    "unlink", "unlinkat", "utime", "utimensat", "utimes", "write", "writev", "getcwd",
}
PATH_CASES = sorted(FILE_CALLS & set(cases()))


@pytest.mark.parametrize("name", PATH_CASES)
def test_bad_pointer_on_hostfs(efault_sides: tuple[Env, Env], name: str) -> None:
    for kind in ("hole", "readonly", "null"):
        check_bad_pointers(efault_sides, name, kind)


def test_failed_write_leaves_host_file(pair: tuple[Side, Side, Path]) -> None:
    _linux, abi, host = pair
    (host / "w").write_bytes(b"keep")
    fd = abi.open("w", F["O_WRONLY"])
    hole = abi("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    abi("munmap", hole, PAGE)
    assert errno_of(abi("write", fd, hole, 4)) == "EFAULT"
    assert errno_of(abi("read", abi.open("w", F["O_RDONLY"]), hole, 4)) == "EFAULT"
    abi("close", fd)
    assert (host / "w").read_bytes() == b"keep"


def test_append_cleared_by_setfl(pair: tuple[Side, Side, Path]) -> None:
    """fcntl(F_SETFL) clearing and setting O_APPEND: each write follows the
    file's flag as Linux does (hostfs keeps the host fd's O_APPEND in step)."""
    linux, abi, host = pair
    out = []
    for s, d in ((linux, None), (abi, host)):
        fd = s.open("a", F["O_WRONLY"] | F["O_CREAT"] | F["O_APPEND"], 0o644)
        assert fd >= 0
        steps = [(F["O_APPEND"], b"one"), (0, b"X"), (F["O_APPEND"], b"two")]
        for fl, data in steps:
            assert s("fcntl", fd, F["F_SETFL"], fl) == 0
            assert s("lseek", fd, 0, F["SEEK_SET"]) == 0
            assert s("write", fd, s.mem(data), len(data)) == len(data)
        s("close", fd)
        out.append(read_all(s, "a"))
        if d is not None:
            assert (d / "a").read_bytes() == out[-1]
    assert out[1] == out[0]
