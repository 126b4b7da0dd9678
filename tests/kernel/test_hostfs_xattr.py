"""Extended attributes on hostfs: the host file's own, against Linux on a
directory of the same host filesystem (tmpfs, and the disk under /tmp).

(a) test_xattr's sequences (set, get, list, remove in the path, l- and f-
    forms, flags, sizes, namespaces, symlinks and FIFOs, O_PATH fds, ACL and
    capability names, EFAULT, a random mix) run unchanged with the kernel
    side's /tmp/t on a hostfs mount; only the FIFO of their tree is made on
    the host (hostfs has no mknod). An unprivileged caller's sequence of its
    own: files a guest makes on hostfs belong to the host process, so its
    file is made and chowned by root.
(b) The values are on the host file: Python's os.*xattr sees what the guest
    set and the guest sees what the host set.
(c) A read-only mount: EROFS for every change, against Linux on a read-only
    bind mount in a private mount namespace of a child.
(d) Confinement: no xattr call through "..", symlinks or /proc links
    changes or reads an attribute of a host file outside the mount.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import test_hostfs
import test_xattr
from native_child import in_child
from sides import F, Side, boot_guest, native_release, native_side, tmpfs_dir
from test_hostfs import ESCAPES, finish, kernel_lib, mount
from test_xattr import X, both

jail = test_hostfs.jail  # base/secret beside base/mnt, escape routes planted

Env = tuple[Side, Side, dict[str, Path]]


def bases() -> list[Path]:
    """The host filesystems to compare on: tmpfs when there is one, /tmp's."""
    out = [Path(tempfile.gettempdir())]
    shm = tmpfs_dir()
    return [shm, *out] if shm and shm not in out else out


@pytest.fixture(params=bases(), ids=str)
def env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    """(linux, abi, dirs): linux works in a fresh directory, abi's /tmp/t
    is a hostfs mount of a twin directory on the same filesystem; dirs maps
    each side's name to its host directory."""
    lib = kernel_lib()
    dirs = {name: Path(tempfile.mkdtemp(prefix="abi-xattr-", dir=request.param))
            for name in ("linux", "abi")}
    linux = native_side(dirs["linux"])
    abi = boot_guest(lib)
    mount(lib, dirs["abi"])
    monkeypatch.setattr(test_xattr, "make_tree", tree_maker(dirs))
    yield linux, abi, dirs
    native_release(linux)
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
    finish(lib)


def tree_maker(dirs: dict[str, Path]) -> Callable[[Side], None]:
    """test_xattr.make_tree, with the FIFO made by the host."""
    def make_tree(s: Side) -> None:
        assert s("close", s.open("f", F["O_CREAT"] | F["O_WRONLY"], 0o644)) == 0
        assert s("mkdir", s.path("d"), 0o755) == 0
        assert s("symlink", s.name_("f"), s.path("l")) == 0
        assert s("symlink", s.name_("nowhere"), s.path("dangling")) == 0
        os.mkfifo(dirs[s.name] / "p", 0o644)

    return make_tree


# --- (a) test_xattr's sequences ------------------------------------------------------

SEQUENCES = ["test_set_get_remove", "test_file_types_and_links", "test_fd_forms",
             "test_acl_and_capability_names", "test_capability_values", "test_xattr_efault",
             "test_random_sequence"]
ACL = (b"\x02\0\0\0" + b"\x01\0\x06\0\xff\xff\xff\xff" + b"\x02\0\x04\0\xe8\x03\0\0"
       + b"\x04\0\x04\0\xff\xff\xff\xff" + b"\x10\0\x04\0\xff\xff\xff\xff"
       + b"\x20\0\0\0\xff\xff\xff\xff")  # u::rw-,u:1000:r--,g::r--,m::r--,o::---


@pytest.mark.parametrize("name", SEQUENCES)
def test_xattr_sequence(env: Env, name: str) -> None:
    linux, abi, _dirs = env
    getattr(test_xattr, name)((linux, abi))


def test_nonroot(env: Env) -> None:
    linux, abi, _dirs = env
    if linux("geteuid") != 0:
        pytest.skip("the native side needs root to compare both")
    for s in (linux, abi):
        test_xattr.root_setup(s)
        assert s("close", s.open("open/mine", F["O_CREAT"] | F["O_WRONLY"], 0o600)) == 0
        assert s("chown", s.path("open/mine"), 1000, 1000) == 0
    want = in_child(lambda: test_xattr.nonroot_script(linux, ACL))
    assert test_xattr.nonroot_script(abi, ACL) == want


def test_namespaces_roots_and_unlinked_files(env: Env) -> None:
    """Namespaces only some filesystems have (ext4's gnu.*), the mount's
    root directory, an open file after unlink, and ACLs with entries."""
    linux, abi, _dirs = env
    acl = ACL

    def go(s: Side) -> list[object]:
        x = X(s)
        out: list[object] = []
        assert s("close", s.open("f", F["O_CREAT"] | F["O_WRONLY"], 0o644)) == 0
        for name in (b"gnu.x", b"gnu.", b"os2.x", b"system.foo", b"system.posix_acl_default"):
            out += [x.set("setxattr", "f", name, b"v"), x.get("getxattr", "f", name),
                    x.remove("removexattr", "f", name)]
        out += [x.set("setxattr", "", b"user.root", b"r"), x.get("getxattr", "", b"user.root"),
                x.list("listxattr", ""), x.remove("removexattr", "", b"user.root")]
        fd = s.open("u", F["O_CREAT"] | F["O_RDWR"], 0o600)
        out += [x.set("fsetxattr", fd, b"user.a", b"before"), s("unlink", s.path("u")),
                x.set("fsetxattr", fd, b"user.b", b"after"), x.get("fgetxattr", fd, b"user.a"),
                x.list("flistxattr", fd), x.remove("fremovexattr", fd, b"user.a"),
                x.list("flistxattr", fd)]
        s("close", fd)
        # an ACL with entries: the host stores it and sets the mode from it
        out += [x.set("setxattr", "f", b"system.posix_acl_access", acl),
                x.get("getxattr", "f", b"system.posix_acl_access"), s.stat("f"),
                x.set("setxattr", "f", b"system.posix_acl_access", acl[:-8] + b"\x40" + acl[-7:]),
                x.set("setxattr", "f", b"system.posix_acl_access", acl[:12] + b"\x02\0\x04\0"
                      + b"\xff" * 4 + acl[20:]),
                x.set("setxattr", "f", b"system.posix_acl_access", acl[:4] + acl[12:]),
                x.remove("removexattr", "f", b"system.posix_acl_access"), s.stat("f"),
                x.get("getxattr", "f", b"system.posix_acl_access")]
        return out

    both((linux, abi), go)


# --- (b) on the host ------------------------------------------------------------------


def test_values_are_the_host_files(env: Env) -> None:
    _linux, abi, dirs = env
    host = dirs["abi"]
    x = X(abi)
    (host / "f").write_bytes(b"")
    os.symlink("f", host / "l")
    assert x.set("setxattr", "f", b"user.guest", b"from the guest") == 0
    assert os.getxattr(host / "f", "user.guest") == b"from the guest"
    os.setxattr(host / "f", "user.host", b"from the host")
    assert x.get("getxattr", "f", b"user.host") == (13, b"from the host")
    names = b"".join(n.encode() + b"\0" for n in os.listxattr(host / "f"))
    assert x.list("listxattr", "f") == (len(names), names)
    # the symlink's own attributes, not its target's
    assert x.set("lsetxattr", "l", b"trusted.l", b"link") == 0
    assert os.getxattr(host / "l", "trusted.l", follow_symlinks=False) == b"link"
    assert "trusted.l" not in os.listxattr(host / "f")
    assert x.remove("removexattr", "f", b"user.host") == 0
    assert os.listxattr(host / "f") == ["user.guest"]
    # the guest's stat sees the ctime the change gave the host file
    st = abi.zeros(144)
    assert abi("newfstatat", -100, abi.path("f"), st, 0) == 0
    sec, nsec = (int.from_bytes(abi.peek(st + off, 8), "little") for off in (104, 112))
    assert sec * 10**9 + nsec == os.stat(host / "f").st_ctime_ns


# --- (c) read-only ------------------------------------------------------------------


def ro_tree(root: Path) -> None:
    (root / "d").mkdir()
    (root / "f").write_bytes(b"read only")
    os.symlink("f", root / "l")
    os.setxattr(root / "f", "user.a", b"kept")
    os.setxattr(root / "l", "trusted.t", b"link", follow_symlinks=False)


def ro_script(s: Side) -> list[object]:
    x = X(s)
    fd = s.open("f", F["O_RDONLY"])
    out: list[object] = []
    for name in (b"user.a", b"user.new", b"trusted.t", b"security.s", b"bad.x", b"user.",
                 b"system.posix_acl_access"):
        for flags in (0, F["XATTR_CREATE"], F["XATTR_REPLACE"]):
            out += [x.set("setxattr", "f", name, b"v", flags),
                    x.set("lsetxattr", "l", name, b"v", flags),
                    x.set("fsetxattr", fd, name, b"v", flags)]
        out += [x.set("setxattr", "d", name, None), x.remove("removexattr", "f", name),
                x.remove("lremovexattr", "l", name), x.remove("fremovexattr", fd, name)]
    out += [x.set("setxattr", "f", b"user.a", b"v", 4), x.set("setxattr", "f", b"", b"v"),
            x.set("setxattr", "nope", b"user.a", b"v"), x.get("getxattr", "f", b"user.a"),
            x.get("lgetxattr", "l", b"trusted.t"), x.list("listxattr", "f"),
            x.list("llistxattr", "l"), x.list("flistxattr", fd)]
    s("close", fd)
    return out


def test_read_only_mount(tmp_path: Path) -> None:
    native, host = tmp_path / "native", tmp_path / "host"
    for d in (native, host):
        d.mkdir()
        ro_tree(d)
    linux = native_side(native)
    lib = kernel_lib()
    abi = boot_guest(lib)
    mount(lib, host, ro=True)

    def native_ro() -> list[object] | None:
        # a private mount namespace, so the read-only bind is the child's only
        if linux("unshare", F["CLONE_NEWNS"]) != 0:
            return None
        root, where = linux.mem(b"/\0"), linux.mem(os.fsencode(native) + b"\0")
        assert linux("mount", 0, root, 0, F["MS_REC"] | F["MS_PRIVATE"], 0) == 0
        assert linux("mount", where, where, 0, F["MS_BIND"], 0) == 0
        assert linux("mount", 0, where, 0, F["MS_BIND"] | F["MS_REMOUNT"] | F["MS_RDONLY"],
                     0) == 0
        return ro_script(linux)

    try:
        want = in_child(native_ro)
        got = ro_script(abi)
    finally:
        native_release(linux)
        finish(lib)
    if want is None:
        pytest.skip("unshare(CLONE_NEWNS) failed natively")
    assert got == want
    assert "EROFS" in got
    assert os.listxattr(host / "f") == ["user.a"]
    assert os.listxattr(host / "l", follow_symlinks=False) == ["trusted.t"]


# --- (d) confinement ----------------------------------------------------------------


def xattrs_outside(base: Path) -> dict[str, list[tuple[str, bytes]]]:
    """Every attribute of every host file outside the mounted directory."""
    out: dict[str, list[tuple[str, bytes]]] = {}
    for p in [base, *sorted(base.rglob("*"))]:
        rel = str(p.relative_to(base))
        if rel == "mnt" or rel.startswith("mnt/"):
            continue
        out[rel] = sorted((n, os.getxattr(p, n, follow_symlinks=False))
                          for n in os.listxattr(p, follow_symlinks=False))
    return out


@pytest.mark.parametrize("rel", ESCAPES)
def test_xattr_escape_is_confined(jail: tuple[Side, Path], rel: str) -> None:
    abi, base = jail
    for p in (base / "secret", base / "outside", base / "outside" / "secret2", base):
        os.setxattr(p, "user.keep", b"SECRET VALUE")
        os.setxattr(p, "trusted.keep", b"SECRET VALUE")
    before, files = xattrs_outside(base), test_hostfs.snapshot(base)
    x = X(abi)
    for path in (rel, rel + "/secret", rel + "/secret2"):
        for name in (b"user.keep", b"trusted.keep"):
            for call in ("getxattr", "lgetxattr"):
                got = x.get(call, path, name)
                assert not (isinstance(got, tuple) and b"SECRET" in got[1]), (path, call)
            for call in ("setxattr", "lsetxattr"):
                x.set(call, path, name, b"pwned")
                x.set(call, path, name.replace(b"keep", b"new"), b"pwned")
            for call in ("removexattr", "lremovexattr"):
                x.remove(call, path, name)
        fd = abi.open(path, F["O_RDONLY"])
        if fd >= 0:
            got = x.get("fgetxattr", fd, b"user.keep")
            assert not (isinstance(got, tuple) and b"SECRET" in got[1]), path
            x.set("fsetxattr", fd, b"user.new", b"pwned")
            x.remove("fremovexattr", fd, b"user.keep")
            abi("close", fd)
    assert xattrs_outside(base) == before, rel
    assert test_hostfs.snapshot(base) == files, rel
    assert os.getxattr(base / "secret", "user.keep") == b"SECRET VALUE"


def test_proc_fd_links_do_not_leave(jail: tuple[Side, Path]) -> None:
    """The guest's /proc/self/fd links are the guest's: an xattr call through
    one acts on the hostfs file the fd holds, nothing else."""
    abi, base = jail
    fd = abi.open("sub/file", F["O_RDONLY"])
    link = f"/proc/self/fd/{fd}".encode()
    x = X(abi)
    assert abi("setxattr", abi.mem(link + b"\0"), abi.mem(b"user.via\0"), abi.mem(b"proc"), 4,
               0) == 0
    abi("close", fd)
    assert os.getxattr(base / "mnt" / "sub" / "file", "user.via") == b"proc"
    with pytest.raises(OSError) as e:
        os.getxattr(base / "secret", "user.via")
    assert e.value.errno == errno.ENODATA
    assert x.get("getxattr", "sub/file", b"user.via") == (4, b"proc")
