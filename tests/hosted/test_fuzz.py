"""abi-run never falls over on a malformed program: hypothesis mutates the
ELF header and program headers of a real static binary; each run under
--sandbox (nothing on the host can be written) either is refused with one
`abi-run: ...` line and exit status 2, or runs the program, which may then
fail in any way a program can. It finishes unless the program hangs
natively too (a mutated .data can make it loop)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hosted_util import ENV
from hypothesis import given
from hypothesis import strategies as st

HEADERS = 64 + 56 * 8  # the ELF header and the first program headers


@pytest.fixture(scope="module")
def victim(programs: dict[str, Path]) -> bytes:
    return programs["musl"].read_bytes()


@given(data=st.data())
def test_mutated_program(abi_run: Path, victim: bytes, tmp_path_factory: pytest.TempPathFactory,
                         data: st.DataObject) -> None:
    blob = bytearray(victim)
    for _ in range(data.draw(st.integers(1, 8), label="mutations")):
        at = data.draw(st.integers(0, HEADERS - 1), label="offset")
        blob[at] = data.draw(st.integers(0, 255), label="byte")
    d = tmp_path_factory.mktemp("fuzz")
    prog = d / "prog"
    prog.write_bytes(bytes(blob))
    prog.chmod(0o755)
    try:
        r = subprocess.run([str(abi_run), "--sandbox", str(prog), "0"], capture_output=True,
                           env=ENV, cwd=d, timeout=10, check=False)
    except subprocess.TimeoutExpired:
        try:
            subprocess.run([str(prog), "0"], capture_output=True, env=ENV, cwd=d, timeout=10,
                           check=False)
        except subprocess.TimeoutExpired:
            return  # the program itself loops
        pytest.fail("abi-run did not finish, the native run did")
    if r.stderr.startswith(b"abi-run: "):
        assert r.returncode == 2 and r.stderr.count(b"\n") == 1, r.stderr
