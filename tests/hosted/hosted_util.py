"""Helpers of the hosted-platform tests (imported by conftest.py and the tests;
a module of its own so that its name does not clash with other conftests)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

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


def compile_c(cc: str, out: Path, src: Path, *flags: str) -> Path:
    """src built with cc (-O1 and flags) into out; skips the test when cc is
    not installed."""
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} is not installed")
    p = subprocess.run([cc, *flags, "-O1", "-o", str(out), str(src)], capture_output=True,
                       text=True, check=False)
    assert p.returncode == 0, p.stderr
    return out


def run(argv: list[str], *, cwd: Path, stdin: bytes = b"", env: dict[str, str] | None = None,
        timeout: float = 30) -> Result:
    p = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True,
                       env=ENV if env is None else env, timeout=timeout, check=False)
    # A program killed by signal N reports as a shell does: 128+N.
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return Result(status, p.stdout, p.stderr)


@dataclass(frozen=True)
class CallTotals:
    """--stats' total line: how the program's calls reached the kernel."""
    total: int
    fast: int       # the function-call entry, called by the program (built for abi)
    rewritten: int  # the entry, from a syscall site the kernel rewrote
    trapped: int    # a SIGSYS
    sites: int      # syscall sites rewritten


def call_totals(stderr: bytes) -> CallTotals:
    m = re.search(rb"(\d+) total \((\d+) fast, (\d+) rewritten, (\d+) trapped; "
                  rb"(\d+) sites rewritten\)", stderr)
    assert m, stderr.decode(errors="replace")[-2000:]
    return CallTotals(*(int(g) for g in m.groups()))


def stats_rows(stderr: bytes) -> dict[str, tuple[int, int, int]]:
    """--stats' rows: syscall -> (fast, rewritten, trapped)."""
    rows: dict[str, tuple[int, int, int]] = {}
    for line in stderr.decode(errors="replace").splitlines():
        f = line.split()
        if len(f) == 8 and f[0].isdigit():
            rows[f[6]] = (int(f[1]), int(f[2]), int(f[3]))
    return rows


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
