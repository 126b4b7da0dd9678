"""The C unit tests of kernel internals (tests/kernel/c), built and run by
`make kernel-test`, as part of the Python suite."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_kernel_c_units() -> None:
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    run = subprocess.run(["make", "-s", "kernel-test"], cwd=REPO, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count(": ok") == len(list((REPO / "tests/kernel/c").glob("test_*.c")))
