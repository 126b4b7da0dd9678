"""The function-call entry (kernel/plat/hosted/fast.c, docs/DESIGN.md "The
function-call entry"), tested without musl-compat: tests/hosted/progs/
fastcall.c carries the ABI note and makes its own calls through the entry
abi-run gives it (natively, with no entry, through the syscall
instruction), so the same binary must print the same lines either way.
--stats must count those calls as fast ones."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import HERE, call_totals, run, stats_rows

SRC = HERE / "progs" / "fastcall.c"


def _build(out: Path, *flags: str) -> Path:
    p = subprocess.run(["gcc", "-O2", "-Wall", "-Werror", *flags, "-o", str(out), str(SRC),
                        "-lpthread"], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return out


@pytest.fixture(scope="module")
def progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    d = tmp_path_factory.mktemp("fastcall")
    return {
        "static": _build(d / "static", "-static"),
        "dynamic": _build(d / "dynamic"),
        "nonote": _build(d / "nonote", "-static", "-DNO_NOTE"),
    }


@pytest.mark.parametrize("kind", ["static", "dynamic"])
def test_fastcall_matches_native(abi_run: Path, progs: dict[str, Path], kind: str,
                                 tmp_path: Path) -> None:
    native = run([str(progs[kind])], cwd=tmp_path)
    assert native.status == 3 and b"registers kept: yes" in native.stdout, native
    assert b"vector registers kept: yes" in native.stdout
    hosted = run([str(abi_run), "--stats", str(progs[kind])], cwd=tmp_path)
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout), hosted.stderr
    rows = stats_rows(hosted.stderr)
    # kill and nanosleep only ever go through the entry; the SA_RESTART read
    # is made twice (the restart comes back through the entry too)
    assert rows["kill"] == (1, 0, 0) and rows["nanosleep"] == (1, 0, 0), rows
    assert rows["read"][0] >= 4 and rows["exit_group"] == (1, 0, 0), rows
    assert call_totals(hosted.stderr).fast >= 12, hosted.stderr


def test_no_fastcall_traps_everything(abi_run: Path, progs: dict[str, Path],
                                      tmp_path: Path) -> None:
    native = run([str(progs["static"])], cwd=tmp_path)
    hosted = run([str(abi_run), "--no-fastcall", "--stats", str(progs["static"])],
                 cwd=tmp_path)
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout), hosted.stderr
    t = call_totals(hosted.stderr)
    assert (t.fast, t.rewritten, t.sites) == (0, 0, 0) and t.trapped > 0, hosted.stderr


@pytest.mark.parametrize(("kind", "opts", "expect"), [
    ("static", [], b"entry 1 gs 1\n"),
    ("nonote", ["--no-rewrite"], b"entry 0 gs 0\n"),
    ("static", ["--no-fastcall"], b"entry 0 gs 0\n"),
    ("static", ["--sandbox"], b"entry 0 gs 0\n"),
])
def test_entry_only_for_programs_with_the_note(abi_run: Path, progs: dict[str, Path],
                                                kind: str, opts: list[str], expect: bytes,
                                                tmp_path: Path) -> None:
    """A program without the ABI note (every program not built for abi) gets
    no AT_ABI_ENTRY and Linux's GS base of 0 (with --no-rewrite: a thread
    that has run a rewritten syscall site has one, test_rewrite.py);
    --no-fastcall and --sandbox give the entry to none."""
    assert run([str(progs[kind]), "probe"], cwd=tmp_path).stdout == b"entry 0 gs 0\n"
    r = run([str(abi_run), *opts, str(progs[kind]), "probe"], cwd=tmp_path)
    assert (r.status, r.stdout) == (0, expect), r.stderr
