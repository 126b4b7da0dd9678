"""execve and execveat in the kernel (kernel/fs/exec.c), compared with Linux:
every error case returns to the program with Linux's errno, and the
successful forms (a descriptor with AT_EMPTY_PATH, a directory descriptor, a
"#!" script with an argument, nested scripts) give the new program the
argv, AT_EXECFN, /proc/self/exe and comm Linux gives. The trace, --stats and
--report see the call, and the table says what the trap serves."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from hosted_util import REPO, run

from abi.table import load_table

KINDS = ["execveat", "execveat-dynamic"]


@pytest.mark.parametrize("kind", KINDS)
def test_exec_errors(native_and_hosted, programs: dict[str, Path], kind: str) -> None:  # type: ignore[no-untyped-def]
    native, hosted, _, _ = native_and_hosted([str(programs[kind]), "errors"])
    assert native.status == 0, native.stdout.decode() + native.stderr.decode()
    assert hosted.stdout.decode() == native.stdout.decode()
    assert hosted == native


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("form", [["fexecve"], ["dirfd"], ["script"], ["nest", "5"],
                                  ["nest", "6"]], ids=lambda f: " ".join(f))
def test_exec_runs(native_and_hosted, programs: dict[str, Path],  # type: ignore[no-untyped-def]
                   kind: str, form: list[str]) -> None:
    native, hosted, nafter, hafter = native_and_hosted([str(programs[kind]), *form])
    assert hosted.stdout.decode() == native.stdout.decode()
    assert hosted == native
    assert hafter == nafter


def test_exec_native_expectations(programs: dict[str, Path], tmp_path: Path) -> None:
    """What the differential tests rely on, as this Linux does it."""
    r = run([str(programs["execveat"]), "script"], cwd=tmp_path)
    lines = r.stdout.decode().splitlines()
    prog = str(programs["execveat"])
    assert lines[:6] == ["child argc 5", f"argv[0] {prog}", "argv[1] child   an argument",
                         "argv[2] ./script.sh", "argv[3] one", "argv[4] two"]
    assert "execfn ./script.sh" in lines
    (tmp_path / "n").mkdir()
    r = run([str(programs["execveat"]), "nest", "6"], cwd=tmp_path / "n")
    assert r.status == 1 and b"Too many levels of symbolic links" in r.stderr


def with_huge_bss(prog: Path, out: Path) -> Path:
    """prog with its last PT_LOAD's p_memsz raised to 1 TiB: every check
    passes, and the bss cannot be had once the old program is gone."""
    b = bytearray(prog.read_bytes())
    phoff, = struct.unpack_from("<Q", b, 32)
    phnum, = struct.unpack_from("<H", b, 56)
    loads = [phoff + 56 * i for i in range(phnum)
             if struct.unpack_from("<I", b, phoff + 56 * i)[0] == 1]
    struct.pack_into("<Q", b, loads[-1] + 40, 1 << 40)
    out.write_bytes(bytes(b))
    out.chmod(0o755)
    return out


def test_failure_after_the_point_of_no_return(native_and_hosted, programs: dict[str, Path],  # type: ignore[no-untyped-def]
                                              busybox: Path, tmp_path: Path) -> None:
    """An exec that fails once the old program is gone kills the process
    with SIGSEGV, as Linux does (the kernel also says why on stderr)."""
    if Path("/proc/sys/vm/overcommit_memory").read_text().strip() != "0":
        pytest.skip("needs the heuristic overcommit, which refuses a 1 TiB bss")
    huge = with_huge_bss(programs["glibc-pie"], tmp_path / "huge")
    native, hosted, _, _ = native_and_hosted([str(busybox), "env", str(huge), "3"])
    assert native.status == 128 + 11
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout)
    assert b"abi: exec " in hosted.stderr


def trace_lines(err: bytes) -> list[str]:
    return [re.sub(r" {2,}", " ", x) for x in err.decode().splitlines()]


def test_trace_stats_report_execveat(abi_run: Path, programs: dict[str, Path],
                                     tmp_path: Path) -> None:
    """The execveat line is whole although a successful call wipes its
    arguments; --stats and --report count it as a syscall of the table."""
    prog = str(programs["execveat"])
    report = tmp_path / "report.json"
    r = run([str(abi_run), "--trace", "--stats", "--report", str(report), prog, "fexecve"],
            cwd=tmp_path)
    assert r.status == 0, r.stderr
    lines = trace_lines(r.stderr)
    assert any(x.startswith('execveat(3, "", ["zero", "child", "one"], 0x') and
               x.endswith("/* 1 vars */, AT_EMPTY_PATH) = 0") for x in lines), lines
    stats = [x.split() for x in lines if x.split()[-2:-1] == ["execveat"]]
    assert stats and stats[0][0] == "1" and stats[0][-1] == "partial", lines
    doc = json.loads(report.read_text())
    assert {"name": "execveat", "count": 1} in doc["syscalls"]
    assert all(u["name"] not in ("execve", "execveat") for u in doc["unimplemented"])


def test_trap_serves_nothing_outside_the_table() -> None:
    """Every syscall the hosted entries (the SIGSYS handler and the
    function-call entry share hosted_serve) treat specially is one the table
    marks as served, and they serve every call, execve included, with
    abi_syscall: they have no implementation of their own."""
    trap = (REPO / "kernel" / "plat" / "hosted" / "trap.c").read_text()
    body = trap[trap.index("void hosted_serve("):]
    body = body[:body.index("\n}\n")]
    assert body.count("abi_syscall(") == 1
    assert "return;" not in body.replace("resume_at_entry(uc, entry, sp);\n\t\treturn;", "")
    table = {s.name: s for s in load_table().syscalls}
    named = set(re.findall(r"ABI_X86_64_NR_(\w+)", body)) | \
        set(re.findall(r"ABI_SYS_(\w+)", body))
    assert named >= {"execve", "execveat", "exit", "exit_group"}
    for name in named:
        assert table[name].status != "enosys", name
