"""The abi command line, run as a user would run it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from abi.table import Table

DATA = Path(__file__).parent / "data" / "table"


def abi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "abi", *args], capture_output=True, text=True)


def test_table_show_one(table: Table) -> None:
    r = abi("table", "openat")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("long openat(int ")
    assert "x86_64 257" in r.stdout and "aarch64 56" in r.stdout
    assert "O_CLOEXEC" in r.stdout


def test_table_filters() -> None:
    r = abi("--table", str(DATA), "table", "--status", "enosys", "--family", "mm")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [ln.split()[5] for ln in lines[:-1]] == ["mprotect(unsigned", "arch_prctl(int"]
    assert lines[-1] == "2 syscalls: 0 implemented, 0 partial, 2 enosys"
    r = abi("--table", str(DATA), "table", "--arch", "aarch64")
    assert "arch_prctl" not in r.stdout


def test_table_unknown_name() -> None:
    r = abi("table", "no_such_syscall")
    assert r.returncode == 2 and r.stderr == "abi table: no such syscall: no_such_syscall\n"


def test_bad_table_is_exit_2_with_location(tmp_path: Path) -> None:
    root = tmp_path / "syscalls"
    shutil.copytree(DATA, root)
    f = root / "file.yaml"
    f.write_text(f.read_text().replace("status: enosys", "status: nope"))
    for cmd in (["table"], ["gen"]):
        r = abi("--table", str(root), *cmd)
        assert r.returncode == 2
        assert "Traceback" not in r.stderr
        assert r.stderr.startswith(f"{f}:")
        assert "status must be one of" in r.stderr


def test_run_without_a_program_is_usage_error() -> None:
    r = abi("run")
    assert r.returncode == 2 and "no program given" in r.stderr


def test_help_shows_examples() -> None:
    for cmd in (["--help"], ["table", "--help"], ["gen", "--help"]):
        r = abi(*cmd)
        assert r.returncode == 0 and "example" in r.stdout
