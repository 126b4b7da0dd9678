"""hostfs against a racing host (issue 14): a guest on a --mount loops one
operation on a name while, on the same host directory, the name is swapped
(renameat2 RENAME_EXCHANGE) with a symlink to something outside the mount,
by a host process or by a second guest on the same --mount. The guest's root
is --sandbox's ramfs, so the symlink's target does not exist in the guest's
namespace: whatever reaches the outside file went through the host following
a symlink hostfs did not mean to follow. The outside file and directory must
keep their content, mode, owner, times, links and xattrs. Each race runs a
bounded time (RACE_SECONDS); before issue 14 the chmod one changed the outside
file's mode within a second or two."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import ENV, HERE

RACE_SECONDS = float(os.environ.get("RACE_SECONDS", "1.0"))


@pytest.fixture(scope="module")
def hostrace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("musl-gcc") is None:
        pytest.skip("musl-gcc is not installed")
    out = tmp_path_factory.mktemp("hostrace") / "hostrace"
    p = subprocess.run(["musl-gcc", "-static", "-O1", "-o", str(out),
                        str(HERE / "progs" / "hostrace.c")], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stderr
    return out


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


def guest(abi_run: Path, hostrace: Path, host: Path, *args: str) -> list[str]:
    return [str(abi_run), "--sandbox", "--mount", f"{host}:/mnt", str(hostrace), *args]


def race(abi_run: Path, hostrace: Path, tmp: Path, opname: str, names: tuple[str, str],
         swapper_in_guest: bool, kind: str = "file") -> None:
    host, outside = setup(tmp, kind)
    before = snapshot(outside)
    secs = str(RACE_SECONDS)
    swap = (guest(abi_run, hostrace, host, "swap", "/mnt", *names, secs) if swapper_in_guest
            else [str(hostrace), "swap", str(host), *names, secs])
    procs = [subprocess.Popen(argv, env=ENV, cwd=tmp, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
             for argv in (swap, guest(abi_run, hostrace, host, opname, secs))]
    outs = [p.communicate(timeout=30) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
        assert int(out) > 0, f"{p.args}: no rounds"
    assert snapshot(outside) == before


FILE_OPS = [(op, kind) for op in ("chmod", "chown", "utimens", "xattr")
            for kind in ("file", "fifo")] + [("truncate", "file"), ("open", "file")]
DIR_OPS = ["mkdir", "unlink", "rename", "link", "create"]


@pytest.mark.parametrize(("opname", "kind"), FILE_OPS)
def test_file_swapped_by_host(abi_run: Path, hostrace: Path, tmp_path: Path, opname: str,
                              kind: str) -> None:
    race(abi_run, hostrace, tmp_path, opname, ("wo", "wl"), False, kind)


@pytest.mark.parametrize("opname", DIR_OPS)
def test_parent_swapped_by_host(abi_run: Path, hostrace: Path, tmp_path: Path,
                                opname: str) -> None:
    race(abi_run, hostrace, tmp_path, opname, ("d", "dl"), False)


def test_chmod_swapped_by_other_guest(abi_run: Path, hostrace: Path, tmp_path: Path) -> None:
    """The report of issue 14: two guests share one --mount; one chmods
    /mnt/wo, the other swaps a symlink to an outside file over it."""
    race(abi_run, hostrace, tmp_path, "chmod", ("wo", "wl"), True)
