"""tools/import_table.py, the kept bootstrap script: it still runs on this
machine's headers, and it never overwrites the curated table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from abi.table import Table

SCRIPT = Path(__file__).parent.parent / "tools" / "import_table.py"
UNISTD_64 = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")


@pytest.mark.skipif(not UNISTD_64.is_file(), reason="needs linux-libc-dev")
def test_draft_has_the_tables_numbers(tmp_path: Path, table: Table) -> None:
    out = tmp_path / "draft"
    cmd = [sys.executable, str(SCRIPT), "--out", str(out), "--no-man"]
    subprocess.run(cmd, check=True, capture_output=True)
    text = "".join(p.read_text() for p in out.glob("*.yaml"))
    for s in table.syscalls:
        assert f"name: {s.name}\n" in text
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode != 0 and "refusing to overwrite" in r.stderr
