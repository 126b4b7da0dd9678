"""Blocking calls a signal interrupts (tests/hosted/progs/sleep_intr.c):
futex waits, nanosleep, clock_nanosleep, flock and F_OFD_SETLKW, each
interrupted by a SIGALRM handler with and without SA_RESTART. The output
states Linux's rules (which calls restart, which give EINTR, what rmtp
holds); the kernel's side is the one wait (task_sleep's -EINTR turned into
-ERESTARTSYS, -ERESTART_RESTARTBLOCK or -ERESTARTNOHAND as Linux's call
does)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import HERE, run

EXPECTED = b"""\
futex wait, SA_RESTART 0: EINTR handled 1
futex timed wait, SA_RESTART 0: EINTR handled 1
futex bitset wait, SA_RESTART 0: EINTR handled 1
nanosleep, SA_RESTART 0: EINTR rem 4.x s
clock_nanosleep, SA_RESTART 0: EINTR rem 4.x s
clock_nanosleep abs, SA_RESTART 0: EINTR rem untouched
flock, SA_RESTART 0: EINTR handled 1
F_OFD_SETLKW, SA_RESTART 0: EINTR handled 1
futex wait, SA_RESTART 1: EAGAIN handled 1
futex timed wait, SA_RESTART 1: EINTR handled 1
futex bitset wait, SA_RESTART 1: EAGAIN handled 1
nanosleep, SA_RESTART 1: EINTR rem 4.x s
clock_nanosleep, SA_RESTART 1: EINTR rem 4.x s
clock_nanosleep abs, SA_RESTART 1: EINTR rem untouched
flock, SA_RESTART 1: 0 handled 1
F_OFD_SETLKW, SA_RESTART 1: 0 handled 1
done
"""


@pytest.fixture(scope="module")
def sleep_intr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    out = tmp_path_factory.mktemp("sleep-intr") / "sleep_intr"
    p = subprocess.run(["gcc", "-static", "-O1", "-Wall", "-Werror", "-o", str(out),
                        str(HERE / "progs" / "sleep_intr.c")], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stderr
    return out


def test_sleep_intr_native(sleep_intr: Path, tmp_path: Path) -> None:
    res = run([str(sleep_intr)], cwd=tmp_path, timeout=60)
    assert (res.status, res.stdout) == (0, EXPECTED), res.stderr


def test_sleep_intr_abi_run(abi_run: Path, sleep_intr: Path, tmp_path: Path) -> None:
    hosted = run([str(abi_run), str(sleep_intr)], cwd=tmp_path, timeout=60)
    assert (hosted.status, hosted.stdout) == (0, EXPECTED), hosted.stderr
