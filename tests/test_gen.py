"""abi gen: golden output, determinism, --check, and the generated C compiles
freestanding and dispatches as the table says."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from abi import gen
from abi.table import Table, load_table

HERE = Path(__file__).parent
DATA = HERE / "data" / "table"
GOLDEN = HERE / "golden"
KERNEL_INCLUDE = HERE.parent / "kernel" / "include"
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-ffreestanding", "-fno-stack-protector",
          "-fPIC"]


def generate(root: Path, out: Path, docs_root: Path) -> dict[Path, str]:
    files = gen.outputs(load_table(root), out, docs_root)
    gen.write(files)
    return files


def test_golden(tmp_path: Path) -> None:
    """The generator's output for the small test table, byte for byte.
    Regenerate with ABI_UPDATE_GOLDEN=1 after an intended change, and read the diff."""
    files = generate(DATA, tmp_path / "gen", tmp_path)
    got = {p.relative_to(tmp_path).as_posix(): text for p, text in files.items()}
    if os.environ.get("ABI_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, text in got.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_text(text)
    want = {p.relative_to(GOLDEN).as_posix(): p.read_text()
            for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(got) == sorted(want)
    for rel in got:
        assert got[rel] == want[rel], f"{rel} differs from tests/golden (ABI_UPDATE_GOLDEN=1)"


def test_deterministic_across_processes(tmp_path: Path) -> None:
    """Same table, same bytes, whatever the hash seed."""
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        shutil.copytree(DATA, out / "syscalls")
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "abi", "--table", str(out / "syscalls"), "gen"],
                       check=True, env=env, capture_output=True)
        outs.append({p.relative_to(out): p.read_bytes()
                     for p in out.rglob("*") if p.is_file() and "syscalls" not in p.parts})
    assert outs[0] == outs[1]
    assert len(outs[0]) >= 10


def test_check_detects_stale(tmp_path: Path) -> None:
    root = tmp_path / "syscalls"
    shutil.copytree(DATA, root)
    cmd = [sys.executable, "-m", "abi", "--table", str(root), "gen"]
    subprocess.run(cmd, check=True, capture_output=True)
    assert subprocess.run([*cmd, "--check"], capture_output=True).returncode == 0
    stub = tmp_path / "build" / "gen" / "src" / "stubs.c"
    stub.write_text(stub.read_text() + "/* edited by hand */\n")
    r = subprocess.run([*cmd, "--check"], capture_output=True, text=True)
    assert r.returncode == 1 and "stale" in r.stderr and "stubs.c" in r.stderr
    (tmp_path / "docs" / "SYSCALLS.md").unlink()
    r = subprocess.run([*cmd, "--check"], capture_output=True, text=True)
    assert "SYSCALLS.md" in r.stderr


def _all_enosys(tmp_path: Path) -> Path:
    """A copy of the real table in which every syscall is a stub, so the generated
    C links on its own, without the kernel."""
    root = tmp_path / "syscalls"
    shutil.copytree(load_table().root, root)
    for f in root.glob("*.yaml"):
        f.write_text(re.sub(r"status: (implemented|partial)", "status: enosys", f.read_text()))
    return root


@pytest.fixture(scope="module")
def cgen(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Table]:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    tmp = tmp_path_factory.mktemp("cgen")
    root = _all_enosys(tmp)
    generate(root, tmp / "gen", tmp)
    return tmp / "gen", load_table(root)


def test_generated_c_compiles_freestanding(cgen: tuple[Path, Table], tmp_path: Path) -> None:
    out, _ = cgen
    for src in sorted((out / "src").glob("*.c")):
        subprocess.run(["gcc", *CFLAGS, "-I", str(out / "include"), "-I", str(KERNEL_INCLUDE),
                        "-c", str(src), "-o", str(tmp_path / (src.stem + ".o"))],
                       check=True, capture_output=True, text=True)


def test_prototype_mismatch_does_not_compile(cgen: tuple[Path, Table], tmp_path: Path) -> None:
    """An implementation whose signature disagrees with the table is a compile error."""
    out, _ = cgen
    src = tmp_path / "bad.c"
    src.write_text("#include <abi/syscalls.h>\nlong sys_read(int fd, uptr buf, int count)\n"
                   "{ (void)fd; (void)buf; (void)count; return 0; }\n")
    r = subprocess.run(["gcc", *CFLAGS, "-I", str(out / "include"), "-I", str(KERNEL_INCLUDE),
                        "-c", str(src), "-o", str(tmp_path / "bad.o")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "conflicting types" in r.stderr


HARNESS = r"""
#include <stdio.h>
#include <abi/syscalls.h>
#include <abi/trace_meta.h>
#include <abi/unistd_x86_64.h>
#include <abi/unistd_aarch64.h>
#include <abi/errno.h>

static int hook_calls;
void abi_enosys_hook(int id) { hook_calls++; printf("hook %s\n", abi_sysmeta[id].name); }

int main(void)
{
    printf("getpid %ld\n", abi_syscall(ABI_X86_64_NR_getpid, 0, 0, 0, 0, 0, 0));
    printf("getpid %ld\n", abi_syscall(ABI_X86_64_NR_getpid, 0, 0, 0, 0, 0, 0));
    printf("hits %lu hooks %d\n", abi_enosys_hits[ABI_SYS_getpid], hook_calls);
    printf("big %ld neg %ld\n", abi_syscall(100000, 0, 0, 0, 0, 0, 0),
           abi_syscall(-1, 0, 0, 0, 0, 0, 0));
    printf("id %d %d %d\n", abi_sys_id(ABI_ARCH_X86_64, ABI_X86_64_NR_openat) == ABI_SYS_openat,
           abi_sys_id(ABI_ARCH_AARCH64, ABI_AARCH64_NR_openat) == ABI_SYS_openat,
           abi_sys_id(ABI_ARCH_X86_64, 100000));
    const struct abi_sysmeta *m = &abi_sysmeta[ABI_SYS_openat];
    printf("meta %s %d %s %d\n", m->name, m->nargs, m->args[1].name,
           m->args[1].fmt == ABI_FMT_PATH);
    printf("errno %s %s\n", abi_errno_name(ENOENT), abi_errno_name(0) ? "?" : "null");
    return 0;
}
"""


def test_dispatch_counts_missing_syscalls(cgen: tuple[Path, Table], tmp_path: Path) -> None:
    out, table = cgen
    harness = tmp_path / "harness.c"
    harness.write_text(HARNESS)
    exe = tmp_path / "harness"
    srcs = [str(p) for p in sorted((out / "src").glob("*.c"))]
    subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", "-I", str(out / "include"),
                    "-I", str(KERNEL_INCLUDE), str(harness), *srcs, "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    got = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    enosys = -table.errno["ENOSYS"]
    assert got.splitlines() == [
        "hook getpid", f"getpid {enosys}", f"getpid {enosys}", "hits 2 hooks 1",
        f"big {enosys} neg {enosys}", "id 1 1 -1",
        f"meta openat 4 {table.by_name['openat'].args[1].name} 1", "errno ENOENT null",
    ]


def test_generated_python_matches_table(cgen: tuple[Path, Table]) -> None:
    out, table = cgen
    spec = importlib.util.spec_from_file_location("abi_sysdefs", out / "python" / "abi_sysdefs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for arch in ("x86_64", "aarch64"):
        assert mod.NUMBERS[arch] == {s.name: nr for nr, s in table.numbered(arch)}
    assert table.errno == mod.ERRNO
    read = mod.SYSCALLS["read"]
    assert [a[0] for a in read[2]] == [a.name for a in table.by_name["read"].args]
    for arch in ("x86_64", "aarch64"):
        want = {fv.name: fv.value(arch) for fs in table.flagsets.values()
                for fv in fs.all_values() if fv.value(arch) is not None}
        assert mod.FLAGS[arch] == want
    for fs in table.flagsets.values():
        kind, fields, names = mod.FLAGSETS[fs.name]
        assert kind == fs.type and names == tuple(v.name for v in fs.values)
        assert fields == tuple((f.mask, tuple(v.name for v in f.values)) for f in fs.fields)


def test_python_flags_are_the_c_header_values(cgen: tuple[Path, Table], tmp_path: Path) -> None:
    """abi_sysdefs.FLAGS["x86_64"] says what the C compiler reads in flags.h."""
    out, _ = cgen
    spec = importlib.util.spec_from_file_location("abi_sysdefs", out / "python" / "abi_sysdefs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    flags = mod.FLAGS["x86_64"]
    prog = tmp_path / "flags.c"
    prog.write_text("#include <stdio.h>\n#include <abi/flags.h>\nint main(void)\n{\n"
                    + "".join(f'\tprintf("%s %lld\\n", "{n}", (long long){n});\n' for n in flags)
                    + "\treturn 0;\n}\n")
    exe = tmp_path / "flags"
    subprocess.run(["gcc", "-std=c11", "-I", str(out / "include"), str(prog), "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    got = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    c_values = {n: int(v) for n, v in (line.split() for line in got.splitlines())}
    # flags.h writes a value above 2^31 as unsigned long: compare modulo 2^64
    assert {n: v % 2**64 for n, v in c_values.items()} == {n: v % 2**64 for n, v in flags.items()}


def test_aarch64_flag_moves_follow_the_table() -> None:
    """The aarch64 dispatch converts exactly the open flags whose bits differ in
    the table, O_TMPFILE (a composite) included, and back."""
    from abi.gen.c import flag_moves, translate_flags

    table = load_table()
    moves = flag_moves(table.flagsets["open_flags"], "aarch64")
    assert {n for n, _a, _x in moves} == {"O_DIRECTORY", "O_NOFOLLOW", "O_DIRECT", "O_LARGEFILE"}
    for fv in table.flagsets["open_flags"].all_values():
        a, x = fv.value("aarch64"), fv.value("x86_64")
        assert a is not None and x is not None
        assert translate_flags(moves, a) == x, fv.name
        assert translate_flags(moves, x, back=True) == a, fv.name
    assert flag_moves(table.flagsets["open_flags"], "x86_64") == []
    assert flag_moves(table.flagsets["prot"], "aarch64") == []  # PROT_BTI: aarch64 only
