"""Futexes between threads (tests/hosted/progs/futex_mt.c: requeue, wake-op,
bitsets, futex_waitv, PI hand-over, requeue-PI, a PI mutex under contention,
robust owner death, condvars, a timeout in a thread), built with static
glibc and static musl, natively and under abi-run: the output must match.

The program prints only what is the same on every run on Linux (it counts
waiters before it wakes them), so the native run is checked for its exact
lines too. Under abi-run it needs threads: until clone lands, that side is
an expected failure."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import HERE, run

EXPECTED = b"""\
requeue: -11 3 1 3 waiters 0 0 0 0
wake_op: 2 b=5 waiters 0 0
bitset: 0 1 1 waiters 0 0
waitv: woke 1, index 1
pi trylock: -11 word-ours-waiters 1 unlock -1 relock 0 0
pi: lock 0 word-ours 1 unlock 0 | waiter lock 0 word-its 1 unlock 0 | word 0
requeue-pi free: count -22 requeue 1 | waiter 0 owner 1 unlock 0 | word 0
requeue-pi held: lock 0 count -22 requeue 1 unlock 0 | waiter 0 owner 1 unlock 0 | word 0
pi mutex: 80000
robust: EOWNERDEAD then 0
condvar: sum ok 1, timedwait ETIMEDOUT
timeout: ETIMEDOUT
done
"""

LIBCS = {"glibc": ("gcc", "-static", "-pthread"), "musl": ("musl-gcc", "-static")}


@pytest.fixture(scope="module", params=sorted(LIBCS))
def futex_mt(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc, *flags = LIBCS[request.param]
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} is not installed")
    out = tmp_path_factory.mktemp("futex-mt") / f"futex_mt-{request.param}"
    p = subprocess.run([cc, *flags, "-O1", "-o", str(out), str(HERE / "progs" / "futex_mt.c")],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return out


def test_futex_mt_native(futex_mt: Path, tmp_path: Path) -> None:
    res = run([str(futex_mt)], cwd=tmp_path, timeout=60)
    assert (res.status, res.stdout) == (0, EXPECTED), res.stderr


def test_futex_mt_abi_run(abi_run: Path, futex_mt: Path, tmp_path: Path) -> None:
    native = run([str(futex_mt)], cwd=tmp_path, timeout=60)
    hosted = run([str(abi_run), str(futex_mt)], cwd=tmp_path, timeout=60)
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout), hosted.stderr
