"""Fuzz the loader with mutated real binaries (bit flips, truncation, and
overwrites of Elf64_Ehdr and Elf64_Phdr fields with boundary values). The
harness checks (--check) and loads without jumping (--load: every mapping is
made, MAP_FIXED_NOREPLACE keeps it off the harness's own) and must always
exit 0 ("ok") or 2 with a one-line reason: never crash, never hang. A file the
checks refuse is refused by the full load too, for the same reason."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, event, given, settings
from loader_util import EHDR_FIELDS, ELF64_EHDR, PHDR_FIELDS, PHENT

TIMEOUT = 10
INTERESTING = [0, 1, 2, 3, 0x38, 0x40, 0xFF, 0x1000, 0x1001, 0xFFFF, 0x10000, 0x400000,
               0x7FFFFFFFF000, 0x800000000000, 1 << 62, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]


def sources(programs: dict[str, Path]) -> list[Path]:
    found = [programs["stackdump"], programs["stackdump-pie"], programs["hello"]]
    return found + [p for p in (Path("/bin/busybox"), Path("/bin/true")) if p.exists()]


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """One to four mutations of data, mostly in the ELF and program headers."""
    out = bytearray(data)
    eh = ELF64_EHDR.parse(data)
    phoff, phnum = eh.e_phoff, eh.e_phnum
    headers_end = min(len(data), phoff + phnum * PHENT)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "ehdr", "phdr", "phdr", "truncate"]))
        if kind == "flip" and out:
            where = draw(st.integers(0, max(0, min(len(out), headers_end) - 1)))
            out[where] ^= 1 << draw(st.integers(0, 7))
        elif kind in ("ehdr", "phdr"):
            if kind == "ehdr":
                f, base = draw(st.sampled_from(EHDR_FIELDS)), 0
            else:
                f = draw(st.sampled_from(PHDR_FIELDS))
                base = phoff + draw(st.integers(0, max(0, phnum - 1))) * PHENT
            value = draw(st.one_of(st.sampled_from(INTERESTING),
                                   st.integers(0, (1 << 8 * f.size) - 1)))
            if base + f.offset + f.size <= len(out):
                f.poke(out, base, value)
        elif kind == "truncate":
            end = draw(st.one_of(st.integers(0, headers_end + 64), st.integers(0, len(out))))
            del out[end:]
    return bytes(out)


def harness_run(harness: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run([str(harness), *args], capture_output=True, timeout=TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"harness {' '.join(args)} hung")


def check_outcome(p: subprocess.CompletedProcess[bytes], path: Path) -> str:
    """The reason line of a refusal, or "ok"."""
    assert p.returncode in (0, 2), f"crashed or failed: {p.returncode} {p.stderr!r}"
    if p.returncode == 0:
        assert p.stdout.startswith(b"ok"), p.stdout
        return "ok"
    lines = p.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"harness: {path}: "), p.stderr
    return lines[0]


@pytest.fixture(scope="module")
def originals(programs: dict[str, Path]) -> list[bytes]:
    return [p.read_bytes() for p in sources(programs)]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large, HealthCheck.too_slow])
@given(st.data())
def test_mutated_binaries_never_crash_the_loader(harness: Path, originals: list[bytes],
                                                 data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(originals), label="binary")
    mutated = data.draw(mutations(original), label="mutated")
    copy = data.draw(st.booleans(), label="copy")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "prog"
        path.write_bytes(mutated)
        checked = check_outcome(harness_run(harness, "--check", str(path)), path)
        loaded = check_outcome(
            harness_run(harness, "--load", *(["--copy"] if copy else []), str(path)), path)
    event(f"check: {checked.split(': ', 2)[-1] if checked != 'ok' else 'ok'}")
    if checked != "ok":
        assert loaded == checked
    else:
        event(f"load: {loaded.split(': ', 2)[-1] if loaded != 'ok' else 'ok'}")
