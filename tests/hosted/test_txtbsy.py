"""A running program's own file is busy (ETXTBSY) for writers, natively and
under abi-run; gfuzz once truncated its own text under --sandbox and died
of the missing pages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hosted_util import ENV, HERE


def test_running_program_refuses_writers(abi_run: Path, tmp_path: Path) -> None:
    prog = tmp_path / "txtbsy"
    p = subprocess.run(["gcc", "-static", "-O1", "-o", str(prog),
                        str(HERE / "progs" / "txtbsy.c")], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stderr
    out = []
    for prefix in ((), (str(abi_run),), (str(abi_run), "--sandbox")):
        shutil.copy(tmp_path / "txtbsy", tmp_path / "run")
        r = subprocess.run([*prefix, "./run"], capture_output=True, env=ENV, cwd=tmp_path,
                           timeout=30, check=False)
        out.append((r.returncode, r.stdout, r.stderr))
    assert out[0] == (0, b"open for writing: Text file busy\ntruncate: Text file busy\n"
                         b"open for reading: ok\n", b"")
    assert out[1] == out[0]
    assert out[2] == out[0]
