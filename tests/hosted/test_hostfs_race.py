"""hostfs against a racing host (issue 14): a guest on a --mount loops one
operation on a name while, on the same host directory, the name is swapped
(renameat2 RENAME_EXCHANGE) with a symlink to something outside the mount,
by a host process or by a second guest on the same --mount. The guest's root
(--root) is a directory apart that holds only the program and /mnt, so the
symlink's target does not exist in the guest's namespace: whatever reaches
the outside file went through the host following a symlink hostfs did not
mean to follow. The outside file and directory must
keep their content, mode, owner, times, links and xattrs.

Both sides run as an unprivileged user (nobody, when the tests run as root),
as the report did: /mnt/wo is a write-only file then, which hostfs can open
only O_PATH, and the old hostfs chmodded such a file by name with fchmodat,
following a symlink swapped in after its check. Each race runs a bounded
time (RACE_SECONDS); that one changed the outside file's mode within a
fraction of a second."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hosted_util import ENV, HERE, compile_c

RACE_SECONDS = float(os.environ.get("RACE_SECONDS", "1.0"))
NOBODY = 65534


@pytest.fixture(scope="module")
def hostrace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostrace") / "hostrace"
    return compile_c("musl-gcc", out, HERE / "progs" / "hostrace.c", "-static")


class Place:
    """Where a race runs, and as whom: a directory every side can reach, the
    guests' root directory in it (the hostrace program and an empty /mnt),
    and what a child runs before exec to drop to nobody (None: the tests are
    not root, and run as themselves)."""

    def __init__(self, top: Path, hostrace: Path) -> None:
        self.top = top
        self.root = os.geteuid() == 0
        self.groot = top / "groot"
        (self.groot / "mnt").mkdir(parents=True)
        self.hostrace = self.groot / "hostrace"
        shutil.copy(hostrace, self.hostrace)
        self.preexec: Callable[[], None] | None = self.drop if self.root else None

    @staticmethod
    def drop() -> None:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)

    def give_away(self) -> None:
        """The trees belong to whoever the sides run as."""
        if not self.root:
            return
        for p in [self.top, *self.top.rglob("*")]:
            os.chown(p, NOBODY, NOBODY, follow_symlinks=False)


@pytest.fixture
def place(hostrace: Path) -> Iterator[Place]:
    top = Path(tempfile.mkdtemp(prefix="hostrace-"))
    top.chmod(0o755)  # reachable by nobody (pytest's tmp_path is not)
    try:
        yield Place(top, hostrace)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def snapshot(top: Path) -> dict[str, tuple[object, ...]]:
    """What must not change under top: per file its mode, owner, links,
    size, times (ctime too: a chmod, chown, link or xattr change moves it),
    xattrs and content or listing."""
    out: dict[str, tuple[object, ...]] = {}
    for p in [top, *sorted(top.rglob("*"))]:
        st = p.lstat()
        xattrs = {n: os.getxattr(p, n, follow_symlinks=False)
                  for n in sorted(os.listxattr(p, follow_symlinks=False))}
        if p.is_symlink():
            body: object = os.readlink(p)
        elif p.is_dir():
            body = sorted(os.listdir(p))
        else:
            body = p.read_bytes()
        out[str(p.relative_to(top))] = (st.st_mode, st.st_uid, st.st_gid, st.st_nlink,
                                        st.st_size, st.st_mtime_ns, st.st_ctime_ns, xattrs,
                                        body)
    return out


def setup(tmp: Path, kind: str = "file") -> tuple[Path, Path]:
    """host: the mounted directory (wo: a file of the given kind, wl: a
    symlink to the outside file, d: a directory, dl: a symlink to the outside
    directory); outside: the file and directory next to it. A FIFO is a file
    hostfs cannot open for reading, so it takes the O_PATH road."""
    host, outside = tmp / "host", tmp / "outside"
    (outside / "dir" / "sub").mkdir(parents=True)
    (outside / "file").write_bytes(b"outside file\n")
    (outside / "dir" / "victim").write_bytes(b"outside victim\n")
    os.setxattr(outside / "file", "user.keep", b"outside")
    os.chmod(outside / "file", 0o600)
    for p in (outside / "file", outside / "dir" / "victim", outside / "dir" / "sub",
              outside / "dir"):
        os.utime(p, ns=(1_000_000_000, 2_000_000_000))
    (host / "d" / "sub").mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(host / "wo")
    else:
        (host / "wo").write_bytes(b"inside\n")
        os.setxattr(host / "wo", "user.keep", b"inside")
    os.chmod(host / "wo", 0o200)
    (host / "d" / "victim").write_bytes(b"inside victim\n")
    os.symlink(outside / "file", host / "wl")
    os.symlink(outside / "dir", host / "dl")
    return host, outside


def guest(abi_run: Path, place: Place, host: Path, *args: str) -> list[str]:
    return [str(abi_run), "--root", str(place.groot), "--mount", f"{host}:/mnt", "/hostrace",
            *args]


def race(abi_run: Path, place: Place, opname: str, names: tuple[str, str],
         swapper_in_guest: bool, kind: str = "file") -> None:
    host, outside = setup(place.top, kind)
    place.give_away()
    before = snapshot(outside)
    secs = str(RACE_SECONDS)
    swap = (guest(abi_run, place, host, "swap", "/mnt", *names, secs) if swapper_in_guest
            else [str(place.hostrace), "swap", str(host), *names, secs])
    procs = [subprocess.Popen(argv, env=ENV, cwd=place.top, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, preexec_fn=place.preexec)
             for argv in (swap, guest(abi_run, place, host, opname, secs))]
    outs = [p.communicate(timeout=30) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
        assert int(out) > 0, f"{p.args}: no rounds"
    assert snapshot(outside) == before


FILE_OPS = [(op, kind) for op in ("chmod", "chown", "utimens", "xattr")
            for kind in ("file", "fifo")] + [("truncate", "file"), ("open", "file")]
DIR_OPS = ["mkdir", "unlink", "rename", "link", "create"]


@pytest.mark.parametrize(("opname", "kind"), FILE_OPS)
def test_file_swapped_by_host(abi_run: Path, place: Place, opname: str, kind: str) -> None:
    race(abi_run, place, opname, ("wo", "wl"), False, kind)


@pytest.mark.parametrize("opname", DIR_OPS)
def test_parent_swapped_by_host(abi_run: Path, place: Place, opname: str) -> None:
    race(abi_run, place, opname, ("d", "dl"), False)


def test_chmod_swapped_by_other_guest(abi_run: Path, place: Place) -> None:
    """The report of issue 14: two guests share one --mount; one chmods
    /mnt/wo, the other swaps a symlink to an outside file over it."""
    race(abi_run, place, "chmod", ("wo", "wl"), True)
