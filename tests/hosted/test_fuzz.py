"""abi-run never falls over on a malformed program: hypothesis mutates the
ELF header and program headers of a real static binary and runs each mutant
under abi-run --sandbox --verbose (nothing on the host can be written). The
exit status classifies every run, and only these outcomes pass:

  refused   abi-run's loader rejects it: exit status 2, one `abi-run: ...`
            line and nothing else;
  ran       the program was loaded (the --verbose `entry` line) and exited
            with a status of its own;
  signal    the program was loaded and died of a fault of its own: status
            128+N with abi-run's "the program faulted: signal N" line, or of
            a signal the native run of the same mutant dies of too;
  hangs     abi-run did not finish, and neither does the native run.

Anything else fails: "a fault in the kernel itself", a death by a signal
nobody explains (a crash while loading, before the fault handler is
installed, looks like this), a status of 2 with more to say, a hang that
the native run does not share.

ABI_FUZZ_MUTANTS sets the number of mutants (`make fuzz`: 10,000); each
run's counts per outcome go to build/fuzz/elf-outcomes.txt."""

from __future__ import annotations

import collections
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hosted_util import ENV, REPO
from hypothesis import given, settings
from hypothesis import strategies as st

HEADERS = 64 + 56 * 8  # the ELF header and the first program headers
MUTANTS = int(os.environ.get("ABI_FUZZ_MUTANTS", "0"))
OUTCOMES = REPO / "build" / "fuzz" / "elf-outcomes.txt"

counts: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module")
def victim(programs: dict[str, Path]) -> bytes:
    return programs["musl"].read_bytes()


@pytest.fixture(scope="module", autouse=True)
def outcome_counts() -> Iterator[None]:
    counts.clear()
    yield
    if counts:
        OUTCOMES.parent.mkdir(parents=True, exist_ok=True)
        total = sum(counts.values())
        OUTCOMES.write_text(f"{total} mutants\n" + "".join(
            f"{n:8d} {what}\n" for what, n in counts.most_common()))


def native_status(prog: Path, d: Path) -> int | None:
    """The mutant's exit status natively (128+N for signal N), None if it hangs."""
    try:
        p = subprocess.run([str(prog), "0"], capture_output=True, env=ENV, cwd=d, timeout=10,
                           check=False)
    except subprocess.TimeoutExpired:
        return None
    return p.returncode if p.returncode >= 0 else 128 - p.returncode


def classify(status: int, stderr: bytes, prog: Path, d: Path) -> str:
    """The outcome's class; fails the test for one that is a bug."""
    lines = stderr.decode(errors="replace").splitlines()
    ours = [ln for ln in lines if ln.startswith("abi-run: ")]
    assert not any("a fault in the kernel itself" in ln for ln in ours), stderr
    loaded = any(re.match(r"abi-run: .*: entry 0x", ln) for ln in ours)
    if not loaded:
        assert status == 2 and len(lines) == 1 and len(ours) == 1, \
            f"status {status} without loading the program: {stderr!r}"
        return "refused (status 2)"
    if status < 128:
        return "ran (exited)"
    sig = status - 128
    if any(f"the program faulted: signal {sig} " in ln for ln in ours):
        return f"signal {sig} (the program's fault)"
    assert native_status(prog, d) == status, \
        f"killed by signal {sig}, which neither the program's fault nor Linux explains: {stderr!r}"
    return f"signal {sig} (as natively)"


def test_classify_fails_on_kernel_faults(tmp_path: Path) -> None:
    """The test can fail: a kernel fault, or a death by a signal before the
    program was loaded, is not an outcome that passes."""
    entry = b"abi-run: /prog: entry 0x401000, sp 0x7ff0, brk 0x402000\n"
    with pytest.raises(AssertionError):
        classify(135, entry + b"abi-run: a fault in the kernel itself: signal 7 at rip 0x1, "
                 b"address 0x2\n", tmp_path / "prog", tmp_path)
    with pytest.raises(AssertionError):
        classify(139, b"", tmp_path / "prog", tmp_path)
    with pytest.raises(AssertionError):
        classify(2, b"abi-run: /prog: bad\nand more\n", tmp_path / "prog", tmp_path)
    assert classify(2, b"abi-run: /prog: bad\n", tmp_path / "prog", tmp_path).startswith("refused")
    assert classify(139, entry + b"abi-run: the program faulted: signal 11 at rip 0x1, "
                    b"address 0x0\n", tmp_path / "prog", tmp_path).startswith("signal 11")


@settings(settings(), max_examples=MUTANTS or settings().max_examples, deadline=None)
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
        r = subprocess.run([str(abi_run), "--sandbox", "--verbose", str(prog), "0"],
                           capture_output=True, env=ENV, cwd=d, timeout=10, check=False)
    except subprocess.TimeoutExpired:
        if native_status(prog, d) is not None:
            pytest.fail("abi-run did not finish, the native run did")
        counts["hangs (natively too)"] += 1
        return
    status = r.returncode if r.returncode >= 0 else 128 - r.returncode
    counts[classify(status, r.stderr, prog, d)] += 1
