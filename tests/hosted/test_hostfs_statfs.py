"""statfs on hostfs is the host's: statvfs("/") under `abi-run --root /`
equals the native answer, and `df` shows the host's numbers. The free
counts (f_bfree, f_bavail, f_ffree, f_favail; df's Used and Available)
are read natively just before and just after the abi-run one and must lie
between them, give or take a little: other processes write to the same
filesystem meanwhile. Every other field must be equal."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import BUSYBOX, HERE, run

FREE = ("f_bfree", "f_bavail", "f_ffree", "f_favail")
SLACK = 0.002  # of the total: what a busy machine changes between two calls


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("musl-gcc") is None:
        pytest.skip("musl-gcc is not installed")
    out = tmp_path_factory.mktemp("statfs") / "statvfs"
    subprocess.run(["musl-gcc", "-static", "-O1", "-o", str(out),
                    str(HERE / "progs" / "statvfs.c")], check=True)
    return out


def fields(out: bytes) -> dict[str, int]:
    return {k: int(v, 0) for k, v in (ln.split() for ln in out.decode().splitlines())}


def within(v: int, a: int, b: int, total: int) -> bool:
    slack = int(total * SLACK) + 16
    return min(a, b) - slack <= v <= max(a, b) + slack


@pytest.mark.parametrize("path", ["/", "/tmp", "."])
def test_statvfs_is_the_hosts(abi_run: Path, prog: Path, tmp_path: Path, path: str) -> None:
    before = run([str(prog), path], cwd=tmp_path)
    hosted = run([str(abi_run), "--root", "/", str(prog), path], cwd=tmp_path)
    after = run([str(prog), path], cwd=tmp_path)
    assert before.status == hosted.status == after.status == 0, hosted.stderr
    n, h, n2 = fields(before.stdout), fields(hosted.stdout), fields(after.stdout)
    assert {k: v for k, v in h.items() if k not in FREE} == \
        {k: v for k, v in n.items() if k not in FREE}
    for k in FREE:
        total = n["f_files"] if k in ("f_ffree", "f_favail") else n["f_blocks"]
        assert within(h[k], n[k], n2[k], total), (k, n[k], h[k], n2[k])
    assert h["f_blocks"] > 0  # not the invented empty tmpfs of before


def test_df_shows_the_hosts_numbers(abi_run: Path, tmp_path: Path) -> None:
    if not BUSYBOX.exists():
        pytest.skip("no /bin/busybox")
    before = run([str(BUSYBOX), "df", "/"], cwd=tmp_path)
    hosted = run([str(abi_run), str(BUSYBOX), "df", "/"], cwd=tmp_path)
    after = run([str(BUSYBOX), "df", "/"], cwd=tmp_path)
    assert before.status == hosted.status == 0, hosted.stderr
    # Filesystem 1K-blocks Used Available Use% Mounted on: the device name is
    # the guest's mount source, the numbers the host's
    n, h, n2 = (r.stdout.decode().splitlines()[1].split() for r in (before, hosted, after))
    assert h[1] == n[1] and h[5] == n[5] == "/"
    total = int(n[1])
    assert within(int(h[2]), int(n[2]), int(n2[2]), total)
    assert within(int(h[3]), int(n[3]), int(n2[3]), total)


def test_read_only_mount_adds_st_rdonly(abi_run: Path, prog: Path, tmp_path: Path) -> None:
    """The one change to the host's answer: a read-only mount says so."""
    native = run([str(prog), "/"], cwd=tmp_path)
    hosted = run([str(abi_run), "--root", "/:ro", str(prog), "/"], cwd=tmp_path)
    assert native.status == hosted.status == 0, hosted.stderr
    n, h = fields(native.stdout), fields(hosted.stdout)
    st_rdonly = 1
    assert h["f_flag"] == n["f_flag"] | st_rdonly
    assert (h["f_type"], h["f_blocks"], h["f_fsid"]) == (n["f_type"], n["f_blocks"], n["f_fsid"])


def test_proc_is_procfs(abi_run: Path, prog: Path, tmp_path: Path) -> None:
    """/proc says PROC_SUPER_MAGIC, as Linux's procfs, with nothing to count.
    (Its mount flags are the kernel's mount's, rw,relatime: not compared.)"""
    native = run([str(prog), "/proc"], cwd=tmp_path)
    hosted = run([str(abi_run), str(prog), "/proc"], cwd=tmp_path)
    assert native.status == hosted.status == 0, hosted.stderr
    keys = ("f_type", "f_bsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree",
            "f_namemax")
    n, h = fields(native.stdout), fields(hosted.stdout)
    assert {k: h[k] for k in keys} == {k: n[k] for k in keys}
