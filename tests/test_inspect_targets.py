"""abi inspect on real targets: the committed porting reports are fresh, the JVM report
takes under a minute, and what busybox and java really do (natively under strace, and under
abi-run --report) is in the static set; what java -version hits that the kernel lacks is in
the report's missing list."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from abi.inspect.objects import Cache
from abi.inspect.porting import DOCS, TARGETS, Target, check, find_binary, render
from abi.table import Table, load_table

STRACE = shutil.which("strace")
ABI_RUN = Path(__file__).resolve().parent.parent / "build" / "hosted" / "abi-run"
needs_abi_run = pytest.mark.skipif(not ABI_RUN.exists(), reason="no abi-run (make hosted)")
JVM = TARGETS[0]

# Syscalls a run may make that the static set cannot contain, with the reason.
EXPLAINED_MISSES: dict[str, str] = {
    "execve": "strace's own exec of the program",
    "getcpu": "glibc's sched_getcpu calls it through a vDSO pointer the analysis cannot "
              "follow; abi-run maps no vDSO, so the run makes the real syscall",
}

BUSYBOX_APPLETS = (
    ["echo", "hi"], ["ls", "-l", "/"], ["sha256sum", "/bin/busybox"],
    ["sh", "-c", "echo a | cat; true"], ["awk", "BEGIN { print 1 }"], ["date"],
    ["sleep", "0.01"], ["find", "/etc", "-maxdepth", "1", "-name", "host*"], ["ps"],
    ["cp", "/etc/hostname", "{tmp}/copy"], ["wc", "-l", "/etc/passwd"],
)


@pytest.fixture(scope="module")
def repo_table() -> Table:
    return load_table()


@pytest.fixture(scope="module")
def itable(repo_table: Table) -> Table:
    return repo_table


def _installed(t: Target) -> str:
    binary = find_binary(t)
    if binary is None:
        pytest.skip(f"{t.binaries[0]} is not installed")
    return binary


@pytest.mark.parametrize("target", TARGETS, ids=[t.doc for t in TARGETS])
def test_committed_porting_report_is_fresh(target: Target, repo_table: Table,
                                           tmp_path: Path) -> None:
    """Regenerate and compare. Paths are inside the root and no timing is written, so the
    only machine-specific input is the binaries: each report lists the build-ids it was made
    from, and a machine with other builds skips instead of failing."""
    _installed(target)
    fresh = render(target, repo_table, Cache(tmp_path / "cache"))
    assert fresh is not None
    state = check(target, fresh, DOCS)
    if state.startswith("skipped"):
        pytest.skip(state)
    assert state == "fresh", (f"docs/porting/{target.doc} is stale: run "
                              "'python -m abi.inspect.porting'")


def test_jvm_report_takes_under_a_minute_without_the_cache(itable: Table) -> None:
    _installed(JVM)
    start = time.perf_counter()
    text = render(JVM, itable, Cache(None))
    elapsed = time.perf_counter() - start
    assert text is not None and "libjvm.so" in text
    assert elapsed < 60, f"{elapsed:.1f} s"


def _strace(argv: list[str], out: Path) -> set[str]:
    assert STRACE is not None
    subprocess.run([STRACE, "-f", "-qq", "-e", "trace=all", "-o", str(out), *argv],
                   capture_output=True, timeout=120)
    # "123 openat(...", "123 futex(... <unfinished ...>"; not "<... futex resumed>".
    return set(re.findall(r"^\d+ +([a-z_0-9]+)\(", out.read_text(), re.M))


def _run_report(argv: list[str], out: Path, cwd: Path) -> dict[str, object]:
    """abi-run --report of argv: the run report as JSON (written however the run ends)."""
    subprocess.run([str(ABI_RUN), "--report", str(out), *argv], capture_output=True, cwd=cwd,
                   timeout=120)
    data: dict[str, object] = json.loads(out.read_text())
    return data


def _used(report: dict[str, object]) -> set[str]:
    return {e["name"] for e in report["syscalls"]}  # type: ignore[attr-defined, index]


def _static(binary: str, table: Table, dlopen: tuple[str, ...] = ()) -> set[str]:
    from abi.inspect.cli import inspect

    report = inspect(binary, Path("/"), table, list(dlopen), Cache(None))
    return {n.name for n in report.needs}


@pytest.mark.skipif(STRACE is None, reason="strace is not installed")
def test_busybox_runs_stay_inside_the_static_set(itable: Table, tmp_path: Path) -> None:
    binary = _installed(TARGETS[2])
    static = _static(binary, itable)
    used: set[str] = set()
    for i, applet in enumerate(BUSYBOX_APPLETS):
        argv = [binary, *(a.replace("{tmp}", str(tmp_path)) for a in applet)]
        used |= _strace(argv, tmp_path / f"trace{i}")
    assert len(used) > 20
    misses = used - static - set(EXPLAINED_MISSES)
    assert not misses, f"used at run time but not in the static set: {sorted(misses)}"


@pytest.mark.skipif(STRACE is None, reason="strace is not installed")
def test_java_version_stays_inside_the_static_set(itable: Table, tmp_path: Path) -> None:
    binary = _installed(JVM)
    static = _static(binary, itable, JVM.dlopen)
    used = _strace([binary, "-version"], tmp_path / "trace")
    assert len(used) > 20
    misses = used - static - set(EXPLAINED_MISSES)
    assert not misses, f"used at run time but not in the static set: {sorted(misses)}"


@needs_abi_run
def test_busybox_under_abi_run_stays_inside_the_static_set(itable: Table, tmp_path: Path) -> None:
    binary = _installed(TARGETS[2])
    static = _static(binary, itable)
    used: set[str] = set()
    for i, applet in enumerate(BUSYBOX_APPLETS):
        argv = [binary, *(a.replace("{tmp}", str(tmp_path)) for a in applet)]
        used |= _used(_run_report(argv, tmp_path / f"run{i}.json", tmp_path))
    assert len(used) > 20
    misses = used - static - set(EXPLAINED_MISSES)
    assert not misses, f"used under abi-run but not in the static set: {sorted(misses)}"


@needs_abi_run
def test_what_java_version_lacks_is_in_the_missing_list(itable: Table, tmp_path: Path) -> None:
    """The JVM does not start yet (no threads, no signal delivery): every unimplemented
    syscall its run hits must be one the static report already lists as missing."""
    from abi.inspect.cli import inspect

    binary = _installed(JVM)
    report = inspect(binary, Path("/"), itable, list(JVM.dlopen), Cache(None))
    missing = {n.name for n in report.needs if n.status == "enosys"}
    run = _run_report([binary, "-version"], tmp_path / "java.json", tmp_path)
    hit = {e["name"] for e in run["unimplemented"]}  # type: ignore[attr-defined, index]
    assert hit, "java -version hit nothing unimplemented: update this test and the docs"
    assert hit <= missing, f"hit at run time but not reported missing: {sorted(hit - missing)}"
    assert _used(run) - {n.name for n in report.needs} - set(EXPLAINED_MISSES) == set()
