"""What abi-run's start-up reads from the host, now read lazily or in one
call (docs/BENCHMARKS.md, start-up): the signals abi-run's parent ignored
(one read of /proc/self/stat), the capability bounding set (asked of the
host when the program first asks, after confinement), and the one time that
the boot's inodes share. Each is compared with a native run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hosted_util import ENV, HERE, compile_c, run


@pytest.fixture(scope="module")
def capbset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("capbset") / "capbset"
    return compile_c("gcc", out, HERE / "progs" / "capbset.c", "-static")


def sh(cmd: str, cwd: Path) -> tuple[int, bytes, bytes]:
    p = subprocess.run(["sh", "-c", cmd], capture_output=True, env=ENV, cwd=cwd,
                       timeout=30, check=False)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("sig", ["HUP", "USR1", "TERM", "INT"])
def test_ignored_signals_are_inherited(abi_run: Path, busybox: Path, tmp_path: Path,
                                       sig: str) -> None:
    """A signal ignored by abi-run's parent (nohup, `trap ''`) stays
    ignored in the program, as across a native exec."""
    prog = f"{busybox} sh -c 'kill -{sig} $$; echo survived'"
    native = sh(f"trap '' {sig}; {prog}", tmp_path)
    hosted = sh(f"trap '' {sig}; {abi_run} {prog}", tmp_path)
    assert hosted == native
    assert native[1] == b"survived\n"


@pytest.mark.parametrize("opts", [[], ["--root", "/"], ["--sandbox"]])
def test_bounding_set_is_the_hosts(abi_run: Path, busybox: Path, tmp_path: Path,
                                   opts: list[str]) -> None:
    """CapBnd in /proc/self/status is the host's, read after confinement
    (the seccomp filter lets abi-run read its own set)."""
    prog = [str(busybox), "grep", "CapBnd", "/proc/self/status"]
    native = run(prog, cwd=tmp_path)
    hosted = run([str(abi_run), *opts, *prog], cwd=tmp_path)
    assert hosted.status == 0, hosted.stderr
    assert hosted.stdout == native.stdout


def test_bounding_set_after_a_drop(abi_run: Path, capbset: Path, tmp_path: Path) -> None:
    """PR_CAPBSET_DROP starts from the host's set: the dropped capability
    goes, the others stay as the host has them."""
    r = run([str(abi_run), str(capbset)], cwd=tmp_path)
    n = run([str(capbset)], cwd=tmp_path)
    assert r.status == n.status == 0, (r.stderr, n.stderr)
    assert r.stdout == n.stdout


def test_boot_inodes_share_one_time(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    """/, /dev and /dev/null are made in one boot, at one time: not zero,
    and not in the future."""
    r = run([str(abi_run), "--sandbox", str(busybox), "stat", "-c", "%Z", "/", "/dev",
             "/dev/null"], cwd=tmp_path)
    now = run(["date", "+%s"], cwd=tmp_path)
    assert r.status == 0, r.stderr
    times = [int(x) for x in r.stdout.split()]
    assert len(set(times)) == 1
    assert 0 < times[0] <= int(now.stdout)
