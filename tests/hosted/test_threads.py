"""Threads and signals, natively and under abi-run (issue 15's "what must run").

The programs in progs/threads/ are built three times, as static musl, static
glibc and static musl-compat (abi-cc: every call through the function-call
entry under abi-run), and each prints a deterministic transcript (see
check.h). For every program and libc:

- test_native runs it twice natively: it must exit with its expected status,
  print no FAIL line and nothing on stderr, and print the same both times
  (the transcript is deterministic, so a comparison with abi-run means
  something);
- test_hosted runs it natively and under abi-run and compares exit status
  (or the killing signal), stdout and stderr.

test_fastcall_only checks that the musl-compat builds make no trapped call
at all under abi-run (--stats).

test_stress_* run progs/threads/stress.c (16 threads: futex, pipes, signals,
thread create/exit, exit_group) for ABI_STRESS_SECONDS (10 here, 60 in
`make stress`), natively first and then under abi-run; a hang, a kernel
fault, a lost wake-up, a lost signal or a deadlock fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import HERE, REPO, Result, call_totals, run

PROGS = HERE / "progs" / "threads"
ABI_CC = REPO / ".venv" / "bin" / "abi-cc"
LIBCS = {"musl": "musl-gcc", "glibc": "gcc", "musl-compat": str(ABI_CC)}
CFLAGS = ["-static", "-O1", "-Wall", "-Wextra", "-Werror"]

# (case id, program, argv, expected exit status: 128+N for death by signal N)
CASES: list[tuple[str, str, list[str], int]] = [
    ("sync", "sync", [], 0),
    ("tls", "tls", [], 0),
    ("cancel", "cancel", [], 0),
    ("once", "once", [], 0),
    ("detach", "detach", [], 0),
    ("robust", "robust", [], 0),
    ("futex", "futex", [], 0),
    ("tasks", "tasks", [], 0),
    ("sigaction", "sigaction", [], 0),
    ("eintr", "eintr", [], 0),
    ("faults", "faults", [], 0),
    ("sigframe", "sigframe", [], 0),
    ("sigqueue", "sigqueue", [], 0),
    ("timers", "timers", [], 0),
    ("timers-exec", "timers_exec", [], 0),
    ("timers-cpu", "timers_cpu", [], 0),
    ("sigwait-ignored", "sigwait_ignored", [], 0),
    ("exit-group", "exits", ["group"], 42),
    ("thread-exit", "exits", ["thread-exit"], 0),
    ("main-exit", "exits", ["main-exit"], 0),
    ("sigpipe", "exits", ["sigpipe"], 128 + 13),
    ("epipe", "exits", ["epipe"], 0),
    ("thread-segv", "exits", ["thread-segv"], 128 + 11),
    ("thread-term", "exits", ["thread-term"], 128 + 15),
]
# A run longer than this is a hang (natively each program takes under 3 s).
TIMEOUT = 60
STRESS_SECONDS = int(os.environ.get("ABI_STRESS_SECONDS", "10"))
STRESS_LIBCS = os.environ.get("ABI_STRESS_LIBCS", "glibc").split()


@pytest.fixture(scope="session")
def thread_progs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """build(program, libc) -> the static executable, compiled once per session."""
    out = tmp_path_factory.mktemp("thread-progs")
    built: dict[tuple[str, str], Path] = {}

    def build(name: str, libc: str) -> Path:
        key = (name, libc)
        if key not in built:
            cc = LIBCS[libc]
            if shutil.which(cc) is None:
                pytest.skip(f"{cc} is not installed")
            if libc == "musl-compat" and not (REPO / "build" / "musl-compat" / "lib").is_dir():
                pytest.skip("musl-compat is not built (make musl-compat)")
            exe = out / f"{name}-{libc}"
            p = subprocess.run([cc, *CFLAGS, "-o", str(exe), str(PROGS / f"{name}.c")],
                               capture_output=True, text=True, check=False)
            assert p.returncode == 0, p.stderr
            built[key] = exe
        return built[key]

    return build


def _run_in(d: Path, argv: list[str], timeout: float = TIMEOUT) -> Result:
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    try:
        return run(argv, cwd=d, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(argv)}: no exit after {timeout} s (a hang)")


def _show(r: Result) -> str:
    return (f"status {r.status}\n--- stdout\n{r.stdout.decode(errors='replace')}"
            f"--- stderr\n{r.stderr.decode(errors='replace')}")


PARAMS = [pytest.param(prog, args, status, libc, id=f"{cid}[{libc}]")
          for cid, prog, args, status in CASES for libc in LIBCS]


@pytest.mark.parametrize("prog,args,status,libc", PARAMS)
def test_native(thread_progs, tmp_path: Path, prog: str, args: list[str], status: int,  # type: ignore[no-untyped-def]
                libc: str) -> None:
    exe = thread_progs(prog, libc)
    first = _run_in(tmp_path / "a", [str(exe), *args])
    assert first.status == status, _show(first)
    assert b"FAIL" not in first.stdout, _show(first)
    assert first.stderr == b"", _show(first)
    second = _run_in(tmp_path / "b", [str(exe), *args])
    assert second == first, "not deterministic:\n" + _show(first) + "\n" + _show(second)


@pytest.mark.parametrize("prog,args,status,libc", PARAMS)
def test_hosted(abi_run: Path, thread_progs, tmp_path: Path, prog: str, args: list[str],  # type: ignore[no-untyped-def]
                status: int, libc: str) -> None:
    exe = thread_progs(prog, libc)
    native = _run_in(tmp_path / "native", [str(exe), *args])
    assert native.status == status, "native: " + _show(native)
    hosted = _run_in(tmp_path / "hosted", [str(abi_run), str(exe), *args])
    assert hosted == native, "native:\n" + _show(native) + "\nabi-run:\n" + _show(hosted)


# These two execute a syscall instruction of their own on purpose (the red
# zone and the FPU state around a trap): that one call traps.
RAW_SYSCALL = {"faults", "sigframe"}
FAST_CASES = [(c, p, a) for c, p, a, s in CASES if s == 0 and p not in RAW_SYSCALL]


@pytest.mark.parametrize("prog,args", [(p, a) for _, p, a in FAST_CASES],
                         ids=[c for c, _, _ in FAST_CASES])
def test_fastcall_only(abi_run: Path, thread_progs, tmp_path: Path, prog: str,  # type: ignore[no-untyped-def]
                       args: list[str]) -> None:
    exe = thread_progs(prog, "musl-compat")
    r = _run_in(tmp_path / "h", [str(abi_run), "--stats", str(exe), *args])
    assert r.status == 0, _show(r)
    t = call_totals(r.stderr)
    assert t.fast == t.total and t.trapped == 0, _show(r)


def _check_stress(r: Result, who: str) -> None:
    lines = r.stdout.decode(errors="replace").splitlines()
    assert r.status == 0 and lines[-1:] == ["stress: ok"], f"{who}: " + _show(r)
    assert r.stderr == b"", f"{who}: " + _show(r)


def _stress(exe: Path, d: Path, prefix: list[str]) -> Result:
    # the program's own watchdog gives up after 10 s without progress
    return _run_in(d, [*prefix, str(exe), str(STRESS_SECONDS)], timeout=STRESS_SECONDS + 60)


@pytest.mark.parametrize("libc", STRESS_LIBCS)
def test_stress_native(thread_progs, tmp_path: Path, libc: str) -> None:  # type: ignore[no-untyped-def]
    r = _stress(thread_progs("stress", libc), tmp_path / "n", [])
    print(r.stdout.decode(errors="replace"), end="")
    _check_stress(r, "native")


@pytest.mark.parametrize("libc", STRESS_LIBCS)
def test_stress_hosted(abi_run: Path, thread_progs, tmp_path: Path, libc: str) -> None:  # type: ignore[no-untyped-def]
    r = _stress(thread_progs("stress", libc), tmp_path / "h", [str(abi_run)])
    print(r.stdout.decode(errors="replace"), end="")
    _check_stress(r, "abi-run")
