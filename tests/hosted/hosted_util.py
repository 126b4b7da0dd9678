"""Helpers of the hosted-platform tests (imported by conftest.py and the tests;
a module of its own so that its name does not clash with other conftests)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ABI_RUN = REPO / "build" / "hosted" / "abi-run"
BUSYBOX = Path("/bin/busybox")
# What every run sees: nothing from pytest's environment leaks in.
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C", "LANG": "C", "TZ": "UTC",
       "HOME": "/root"}


@dataclass(frozen=True)
class Result:
    status: int
    stdout: bytes
    stderr: bytes


def run(argv: list[str], *, cwd: Path, stdin: bytes = b"", env: dict[str, str] | None = None,
        timeout: float = 30) -> Result:
    p = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True,
                       env=ENV if env is None else env, timeout=timeout, check=False)
    # A program killed by signal N reports as a shell does: 128+N.
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return Result(status, p.stdout, p.stderr)


def tree(d: Path) -> dict[str, bytes | None]:
    """Every file under d with its contents (None for a directory)."""
    out: dict[str, bytes | None] = {}
    for p in sorted(d.rglob("*")):
        rel = str(p.relative_to(d))
        if p.is_symlink():
            out[rel] = b"->" + os.readlink(p).encode()
        elif p.is_dir():
            out[rel] = None
        else:
            out[rel] = p.read_bytes()
    return out
