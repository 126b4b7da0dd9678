"""The hosted platform's launcher: ``abi run`` execs the static
``build/hosted/abi-run`` executable (the kernel, the ELF loader and the
SIGSYS trap in one libc-free binary) with the user's arguments.

The ``abi-run`` on the venv's PATH is that binary itself (a symlink that
``make hosted`` and tools/setup.sh make), so starting a program costs no
Python. Options that need Python (PYTHON_OPTIONS) go the other way: the
binary execs ``abi run`` with the whole command line, and this module
serves them.

The binary is found beside the source tree this package comes from; when it
is missing it is built with ``make hosted`` first (saying so on stderr).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BINARY = REPO / "build" / "hosted" / "abi-run"


# Options served by Python, not by the native binary; kernel/plat/hosted/
# options.c's python_options is the same list (each side hands these to the
# Python side, so neither hands them back).
PYTHON_OPTIONS = ("--emu",)


class HostedError(Exception):
    """abi-run's binary cannot be found or built: one line saying why."""


def hosted_binary(build: bool = True) -> Path:
    """The abi-run executable, built with ``make hosted`` when missing."""
    override = os.environ.get("ABI_HOSTED_BINARY")
    if override:
        return Path(override)
    if BINARY.exists() or not build:
        return BINARY
    if not (REPO / "Makefile").exists():
        raise HostedError(f"{BINARY} is missing and there is no source tree to build it from")
    print(f"abi-run: {BINARY.relative_to(REPO)} is missing; building it (make hosted)...",
          file=sys.stderr)
    r = subprocess.run(["make", "-C", str(REPO), "hosted"], stdout=sys.stderr.buffer,
                       stderr=sys.stderr.buffer, check=False)
    if r.returncode != 0 or not BINARY.exists():
        raise HostedError(f"'make hosted' failed (exit {r.returncode}); see the output above")
    return BINARY


def python_option(argv: Sequence[str]) -> str | None:
    """The first option of argv (before the program) that Python serves."""
    for a in argv:
        if a == "--" or not a.startswith("-"):
            return None
        if a in PYTHON_OPTIONS:
            return a
    return None


def exec_hosted(argv: Sequence[str]) -> int:
    """Replaces this process with abi-run; returns 2 only when it cannot."""
    opt = python_option(argv)
    if opt == "--emu":
        from .emu.engine import run  # unicorn is imported only for --emu
        return run(argv)
    try:
        exe = hosted_binary()
    except HostedError as exc:
        print(f"abi-run: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(exe, [str(exe), *argv])
    except OSError as exc:
        print(f"abi-run: {exe}: {exc.strerror}", file=sys.stderr)
    return 2
