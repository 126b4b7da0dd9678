"""abi inspect: ELF facts, constant tracking, the closure, the CLI, run merging, accuracy."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abi.elf import ElfError, read_elf
from abi.inspect.cli import inspect, register, run_with
from abi.inspect.closure import resolve
from abi.inspect.objects import Cache
from abi.inspect.x86 import Flow, disassembler, sweep
from abi.table import DEFAULT_DIR, Table, load_table

REPO = DEFAULT_DIR.parent
GCC = shutil.which("gcc")
STRACE = shutil.which("strace")
needs_gcc = pytest.mark.skipif(GCC is None, reason="gcc is not installed")

# The test program's raw syscalls, by name; the numbers come from <sys/syscall.h>.
KNOWN = ("getpid", "getppid", "uname", "write", "sched_yield", "getuid", "exit_group")
KNOWN_C = textwrap.dedent("""\
    #include <sys/syscall.h>
    static long sc(long n, long a, long b, long c) {
        long r;
        __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
                          : "rcx", "r11", "memory");
        return r;
    }
    static char buf[400];
    void _start(void) {
        sc(SYS_getpid, 0, 0, 0);
        sc(SYS_getppid, 0, 0, 0);
        sc(SYS_uname, (long)buf, 0, 0);
        sc(SYS_write, 1, (long)"ok\\n", 3);
        sc(SYS_sched_yield, 0, 0, 0);
        sc(SYS_getuid, 0, 0, 0);
        sc(SYS_exit_group, 0, 0, 0);
        for (;;) {}
    }
    """)


@pytest.fixture(scope="session")
def itable() -> Table:
    return load_table()


def table_dir(t: Table) -> str:
    return str(t.root)


def build_known(tmp: Path, opt: str) -> Path:
    assert GCC is not None
    src = tmp / "known.c"
    src.write_text(KNOWN_C)
    exe = tmp / f"known{opt}"
    subprocess.run([GCC, opt, "-static", "-nostdlib", "-fno-stack-protector", "-o", str(exe),
                    str(src)], check=True, capture_output=True)
    return exe


def cli(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="abi")
    register(p.add_subparsers())
    args = p.parse_args(argv)
    return int(args.func(args))


# --- ELF facts -----------------------------------------------------------------------------

def test_read_elf_facts_of_a_system_program() -> None:
    elf = read_elf("/bin/true")
    assert elf.machine == "x86_64"
    assert elf.interp and "ld-linux" in elf.interp
    assert "libc.so.6" in elf.needed
    assert not elf.static
    assert elf.code and any(c.name == ".text" for c in elf.code)


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"), (b"#!/bin/sh\n", "not an ELF file"),
    (b"\x7fELF\x01\x01\x01" + bytes(60), "not a 64-bit little-endian ELF file"),
    (b"\x7fELF\x02\x01\x01" + bytes(9), "malformed ELF"),
])
def test_read_elf_rejects_with_one_line(tmp_path: Path, content: bytes | None,
                                        message: str) -> None:
    path = tmp_path / "f"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ElfError) as exc:
        read_elf(path)
    assert message in str(exc.value) and "\n" not in str(exc.value)


# --- constant tracking ---------------------------------------------------------------------

def _flow(code: bytes, entries: set[int] | None = None) -> Flow:
    return Flow(sweep(disassembler(), code, 0x1000), entries if entries is not None else {0x1000})


def _at_syscall(flow: Flow) -> int:
    return next(i for i, x in enumerate(flow.insns) if x[2] == "syscall")


def test_mov_eax_imm_reaches_the_site() -> None:
    flow = _flow(bytes.fromhex("bf01000000" "b827000000" "0f05"))  # mov edi,1; mov eax,39
    v = flow.value_before(_at_syscall(flow), "rax")
    assert v.constant == 39
    assert flow.value_before(_at_syscall(flow), "rdi").constant == 1


def test_syscall_wrapper_takes_the_number_from_the_caller() -> None:
    flow = _flow(bytes.fromhex("4889f8" "4889f7" "0f05" "c3"))  # mov rax,rdi; mov rdi,rsi
    v = flow.value_before(_at_syscall(flow), "rax")
    assert v.args == {"rdi"} and not v.constants and not v.unknown


def test_a_load_from_memory_is_unknown() -> None:
    flow = _flow(bytes.fromhex("8b07" "0f05"))  # mov eax,[rdi]
    v = flow.value_before(_at_syscall(flow), "rax")
    assert v.unknown and v.constant is None


def test_two_paths_give_two_numbers() -> None:
    # test edi,edi; je L; mov eax,1; jmp S; L: mov eax,2; S: syscall
    code = bytes.fromhex("85ff" "7407" "b801000000" "eb05" "b802000000" "0f05")
    flow = _flow(code)
    v = flow.value_before(_at_syscall(flow), "rax")
    assert v.constants == {1, 2} and not v.unknown


def test_a_call_between_mov_and_syscall_clobbers() -> None:
    code = bytes.fromhex("b827000000" "e800000000" "0f05")  # mov eax,39; call next
    flow = _flow(code)
    assert flow.value_before(_at_syscall(flow), "rax").constant is None


# --- the closure ---------------------------------------------------------------------------

def _cc(args: list[str]) -> None:
    assert GCC is not None
    subprocess.run([GCC, *args], check=True, capture_output=True)


@needs_gcc
def test_closure_follows_rpath_runpath_origin_and_ld_so_conf(tmp_path: Path) -> None:
    root = tmp_path / "root"
    src = tmp_path / "src"
    src.mkdir()
    for d in ("opt/bin", "opt/lib/sub", "opt/extra", "etc/ld.so.conf.d"):
        (root / d).mkdir(parents=True)
    (src / "b.c").write_text("int b(void) { return 2; }\n")
    (src / "a.c").write_text("int b(void); int a(void) { return b(); }\n")
    (src / "e.c").write_text("int e(void) { return 3; }\n")
    (src / "m.c").write_text("int m(void) { return 4; }\n")
    (src / "p.c").write_text("int a(void); int e(void); int m(void);\n"
                             "int main(void) { return a() + e() + m(); }\n")
    lib, sub, extra = root / "opt/lib", root / "opt/lib/sub", root / "opt/extra"
    _cc(["-shared", "-fPIC", "-o", str(sub / "libb.so"), str(src / "b.c")])
    _cc(["-shared", "-fPIC", "-o", str(lib / "liba.so"), str(src / "a.c"), "-L", str(sub),
         "-lb", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/sub"])
    _cc(["-shared", "-fPIC", "-o", str(extra / "libe.so"), str(src / "e.c")])
    _cc(["-shared", "-fPIC", "-o", str(src / "libm_missing.so"), str(src / "m.c")])
    _cc(["-o", str(root / "opt/bin/prog"), str(src / "p.c"), "-L", str(lib), "-L", str(extra),
         "-L", str(src), "-la", "-le", "-lm_missing",
         "-Wl,--disable-new-dtags,-rpath,$ORIGIN/../lib,-rpath-link," + str(sub)])
    (root / "etc/ld.so.conf").write_text("# comment\ninclude /etc/ld.so.conf.d/*.conf\n")
    (root / "etc/ld.so.conf.d/extra.conf").write_text("/opt/extra\n")

    closure = resolve("/opt/bin/prog", root)
    how = {o.name: (o.path, o.how) for o in closure.objects}
    assert how["liba.so"] == ("/opt/lib/liba.so", "rpath")
    assert how["libb.so"] == ("/opt/lib/sub/libb.so", "runpath")
    assert how["libe.so"] == ("/opt/extra/libe.so", "ld.so.conf")
    missing = {name for name, _ in closure.missing}
    assert "libm_missing.so" in missing and "libc.so.6" in missing


# --- the CLI -------------------------------------------------------------------------------

def test_cli_errors_are_one_line_and_exit_2(tmp_path: Path, itable: Table,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "text"
    text.write_text("hello\n")
    foreign = tmp_path / "foreign"
    raw = bytearray(Path("/bin/true").read_bytes())
    raw[18:20] = (183).to_bytes(2, "little")  # e_machine = EM_AARCH64
    foreign.write_bytes(bytes(raw))
    bad_run = tmp_path / "run.json"
    bad_run.write_text('{"format": "nope"}')
    cases = [
        ([str(tmp_path / "absent")], "no such file"),
        ([str(text)], "not an ELF file"),
        ([str(foreign)], "aarch64 ELF"),
        ([str(tmp_path)], "is a directory"),
        (["/bin/true", "--root", str(tmp_path / "nowhere")], "--root is not a directory"),
        (["/bin/true", "--merge-run", str(bad_run), "--no-cache"], "report.format"),
    ]
    for argv, message in cases:
        rc = cli(["inspect", *argv, "--table", table_dir(itable)])
        err = capsys.readouterr().err
        assert rc == 2, argv
        assert err.startswith("abi inspect: ") and err.count("\n") == 1, err
        assert message in err, err


def test_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli(["inspect", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_json_and_markdown_of_a_dynamic_program(tmp_path: Path, itable: Table,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    md = tmp_path / "r.md"
    rc = cli(["inspect", "/bin/true", "--json", str(out), "--markdown", str(md),
              "--table", table_dir(itable), "--cache", str(tmp_path / "cache")])
    assert rc == 0
    summary = capsys.readouterr().out
    assert "syscalls needed" in summary
    r = json.loads(out.read_text())
    assert r["linking"] == "dynamic"
    assert [o["name"] for o in r["objects"]][:2] == ["true", "ld-linux-x86-64.so.2"]
    libc = next(o for o in r["objects"] if o["name"] == "libc.so.6")
    assert libc["kind"] == "libc" and "write" in libc["exports"]
    names = {n["name"] for n in r["needs"]}
    assert {"write", "exit_group", "mmap", "openat"} <= names
    assert "## Syscalls by family" in md.read_text()
    # The second run reads every object from the cache and says the same.
    rc = cli(["inspect", "/bin/true", "--json", str(out), "--table", table_dir(itable),
              "--cache", str(tmp_path / "cache")])
    again = json.loads(out.read_text())
    assert rc == 0 and all(o["cached"] for o in again["objects"])
    assert again["needs"] == r["needs"]


# --- --merge-run ---------------------------------------------------------------------------

def test_merge_run_joins_static_and_dynamic(tmp_path: Path, itable: Table) -> None:
    run = tmp_path / "run.json"
    run.write_text(json.dumps({
        "format": "abi-run-report/1", "program": "/bin/true", "arch": "x86_64",
        "syscalls": [{"name": "write", "count": 2},
                     {"name": "openat", "count": 3, "errors": {"ENOENT": 1}},
                     {"name": "kexec_load", "count": 1}],
        "unimplemented": [{"name": "openat", "nr": 257}],
    }))
    out = tmp_path / "r.json"
    rc = cli(["inspect", "/bin/true", "--merge-run", str(run), "--json", str(out),
              "--table", table_dir(itable), "--no-cache"])
    assert rc == 0
    merged = json.loads(out.read_text())["run"]
    assert merged["used_not_found"] == ["kexec_load"]
    assert "write" not in merged["needed_not_used"]
    assert "exit_group" in merged["needed_not_used"]
    assert merged["first_unimplemented"] == ["openat"]
    assert merged["used"][1]["errors"] == {"ENOENT": 1}


# --- mutated ELF bytes ---------------------------------------------------------------------

@pytest.fixture(scope="session", params=["static", "dynamic"])
def small_elf(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A tiny static program (built here) and a small dynamic one (/bin/true)."""
    if request.param == "static":
        if GCC is None:
            pytest.skip("gcc is not installed")
        return build_known(tmp_path_factory.mktemp("small"), "-O2").read_bytes()
    return Path("/bin/true").read_bytes()


@given(edits=st.lists(st.tuples(st.integers(0, 8191), st.integers(0, 255)), max_size=12),
       cut=st.one_of(st.none(), st.integers(0, 8192)))
def test_mutated_elf_gives_a_report_or_exit_2(tmp_path_factory: pytest.TempPathFactory,
                                              small_elf: bytes, itable: Table,
                                              edits: list[tuple[int, int]],
                                              cut: int | None) -> None:
    raw = bytearray(small_elf)
    for pos, value in edits:
        if pos < len(raw):
            raw[pos] = value
    if cut is not None:
        del raw[cut:]
    root = tmp_path_factory.mktemp("fuzz")
    (root / "prog").write_bytes(bytes(raw))
    p = argparse.ArgumentParser(prog="abi")
    register(p.add_subparsers())
    args = p.parse_args(["inspect", "/prog", "--root", str(root), "--no-cache",
                         "--table", table_dir(itable), "--json", str(root / "r.json")])
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = run_with(args, itable)
    assert rc in (0, 2)
    if rc == 2:
        assert err.getvalue().startswith("abi inspect: /prog: ")
        assert err.getvalue().count("\n") == 1


# --- accuracy: a program with known raw syscalls -------------------------------------------

@needs_gcc
@pytest.mark.parametrize("opt", ["-O2", "-O0"])  # -O0 keeps sc() as a syscall(nr, ...) wrapper
def test_every_known_syscall_is_in_the_static_set(tmp_path: Path, itable: Table,
                                                  opt: str) -> None:
    exe = build_known(tmp_path, opt)
    report = inspect(str(exe), Path("/"), itable, cache=Cache(None))
    found = {n.name for n in report.needs}
    assert set(KNOWN) <= found, sorted(set(KNOWN) - found)
    assert report.linking == "static"
    if STRACE is None:
        return
    trace = tmp_path / "trace"
    subprocess.run([STRACE, "-f", "-qq", "-e", "trace=all", "-o", str(trace), str(exe)],
                   check=True, capture_output=True)
    made = set(re.findall(r"^\d+ +([a-z_0-9]+)\(", trace.read_text(), re.M))
    made.discard("execve")  # strace's own exec of the program
    assert made <= found, sorted(made - found)
