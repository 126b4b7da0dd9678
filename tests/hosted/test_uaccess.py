"""Pointers that are mapped but fault (tests/hosted/progs/efault.c), passed to
every family of calls that copies from or to the user: the program runs
natively, under abi-run (hostfs) and under abi-run --sandbox (ramfs), and
its lines must be the same, with the same exit status. Before the copies
were fault-safe, the truncated hostfs mapping killed abi-run with "a fault in
the kernel itself: signal 7" (issue 13)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from hosted_util import ENV, HERE


@pytest.fixture(scope="module")
def efault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    out = tmp_path_factory.mktemp("uaccess") / "efault"
    p = subprocess.run(["gcc", "-static", "-O1", "-Wall", "-Werror", "-o", str(out),
                        str(HERE / "progs" / "efault.c")], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stderr
    return out


def block_fault_signals() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGSEGV, signal.SIGBUS, signal.SIGSYS})


def run_in(d: Path, argv: list[str], blocked: bool = False) -> tuple[int, list[str], str]:
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    p = subprocess.run(argv, cwd=d, capture_output=True, env=ENV, timeout=30, check=False,
                       preexec_fn=block_fault_signals if blocked else None)
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return status, p.stdout.decode().splitlines(), p.stderr.decode()


def assert_same(native: tuple[int, list[str], str], other: tuple[int, list[str], str],
                what: str) -> None:
    nstatus, nlines, _ = native
    status, lines, err = other
    assert "a fault in the kernel itself" not in err, err
    for i, (want, got) in enumerate(zip(nlines, lines, strict=False)):
        assert got == want, f"{what}, line {i + 1}: {got!r}, natively {want!r}"
    assert len(lines) == len(nlines), f"{what}: {lines[len(nlines):] or 'lines missing'}"
    assert status == nstatus, f"{what}: status {status}, natively {nstatus}: {err}"


def test_issue_13_repro(abi_run: Path, efault: Path, tmp_path: Path) -> None:
    """write(fd2, p + 4096, 10) from a shared mapping of a file truncated to
    0: EFAULT on Linux, and now under abi-run too."""
    native = run_in(tmp_path / "n", [str(efault), "repro"])
    assert native[0] == 0 and native[1][0].endswith("-1 EFAULT"), native
    assert_same(native, run_in(tmp_path / "h", [str(abi_run), str(efault), "repro"]), "hostfs")
    assert_same(native, run_in(tmp_path / "s", [str(abi_run), "--sandbox", str(efault), "repro"]),
                "ramfs")


def test_repro_with_fault_signals_blocked(abi_run: Path, efault: Path, tmp_path: Path) -> None:
    """A signal mask inherited from the parent with SIGSEGV, SIGBUS and SIGSYS
    blocked: the kernel's own copy fault must still reach its handler (a
    blocked fault signal kills outright), and Linux still gives EFAULT."""
    native = run_in(tmp_path / "n", [str(efault), "repro"], blocked=True)
    assert native[0] == 0 and native[1][0].endswith("-1 EFAULT"), native
    assert_same(native, run_in(tmp_path / "h", [str(abi_run), str(efault), "repro"], blocked=True),
                "hostfs, signals blocked")


@pytest.mark.parametrize("mode", ["trunc", "prot"])
@pytest.mark.parametrize("fs", ["hostfs", "ramfs"])
def test_mapped_but_faulting(abi_run: Path, efault: Path, tmp_path: Path, mode: str,
                             fs: str) -> None:
    native = run_in(tmp_path / "n", [str(efault), mode])
    assert native[0] == 0 and native[1][-1] == "done", native
    opts = ["--sandbox"] if fs == "ramfs" else []
    assert_same(native, run_in(tmp_path / "h", [str(abi_run), *opts, str(efault), mode]),
                f"{mode} on {fs}")


def run_ext(d: Path, argv: list[str]) -> tuple[int, list[str], str]:
    """efault ext: the file is truncated here, by another process, between
    the program's mmap and its calls; the kernel cannot know."""
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    p = subprocess.Popen(argv, cwd=d, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=ENV)
    assert p.stdout is not None and p.stdin is not None
    try:
        first = p.stdout.readline()
        assert first == b"mapped\n", first + (p.stderr.read() if p.stderr else b"")
        os.truncate(d / "m", 4096)
        out, err = p.communicate(b"\n", timeout=30)
    finally:
        p.kill()
        p.wait()
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return status, (first + out).decode().splitlines(), err.decode()


def test_truncated_by_another_process(abi_run: Path, efault: Path, tmp_path: Path) -> None:
    """A hostfs file mapped by the program and truncated on the host behind
    the kernel's back: no VMA check can see it, only the fault-safe copy."""
    native = run_ext(tmp_path / "n", [str(efault), "ext"])
    assert native[0] == 0 and native[1][-1] == "done", native
    assert_same(native, run_ext(tmp_path / "h", [str(abi_run), str(efault), "ext"]), "ext")
