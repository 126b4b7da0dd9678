"""Per-thread names, /proc/self/task, thread-self, affinity by tid, pidfds of
threads and a signalfd woken by another thread: tests/hosted/progs/
threads_proc.c, static glibc and static musl, natively and under abi-run,
with the same output.

"single" mode needs no second thread; the threaded run starts threads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import HERE, run

SRC = HERE / "progs" / "threads_proc.c"


@pytest.fixture(scope="module", params=["glibc", "musl"])
def program(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = "gcc" if request.param == "glibc" else "musl-gcc"
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} is not installed")
    out = tmp_path_factory.mktemp("threads") / f"threads_proc-{request.param}"
    p = subprocess.run([cc, "-static", "-pthread", "-O1", "-o", str(out), str(SRC)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return out


def test_single_thread(abi_run: Path, program: Path, tmp_path: Path) -> None:
    native = run([str(program), "single"], cwd=tmp_path)
    assert native.status == 0, native.stdout + native.stderr
    hosted = run([str(abi_run), str(program), "single"], cwd=tmp_path)
    assert (hosted.status, hosted.stdout) == (0, native.stdout), hosted.stderr


def test_threads_native(program: Path, tmp_path: Path) -> None:
    native = run([str(program)], cwd=tmp_path)
    assert native.status == 0, native.stdout + native.stderr
    assert b"task/ lists 4 threads" in native.stdout


def test_threads_hosted(abi_run: Path, program: Path, tmp_path: Path) -> None:
    native = run([str(program)], cwd=tmp_path)
    hosted = run([str(abi_run), str(program)], cwd=tmp_path)
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout), hosted.stderr
