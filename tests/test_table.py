"""The table loader: the real table loads, and each kind of mistake is reported
as ``file:line: message`` at the right line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from abi.table import STATUSES, Table, TableError, load_table

DATA = Path(__file__).parent / "data" / "table"
LOCATED = re.compile(r"^(?P<path>[^:]+\.yaml):(?P<line>\d+): .+")


@pytest.fixture
def tdir(tmp_path: Path) -> Path:
    shutil.copytree(DATA, tmp_path / "syscalls")
    return tmp_path / "syscalls"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def errors_of(root: Path) -> list[str]:
    with pytest.raises(TableError) as info:
        load_table(root)
    msgs = str(info.value).splitlines()
    assert msgs and all(LOCATED.match(m) for m in msgs), msgs
    return msgs


def line_of(path: Path, needle: str) -> int:
    """The line of the last occurrence of needle (the later of two duplicates)."""
    return max(i for i, ln in enumerate(path.read_text().splitlines(), 1) if needle in ln)


def test_test_table_loads() -> None:
    t = load_table(DATA)
    assert [s.name for s in t.syscalls] == ["arch_prctl", "clone", "lseek", "mprotect", "openat",
                                            "read"]
    assert t.by_name["clone"].registers("aarch64") == (0, 1, 2, 4, 3)
    assert t.by_name["clone"].registers("x86_64") == (0, 1, 2, 3, 4)
    assert t.by_number("aarch64", 56) is t.by_name["openat"]
    assert t.by_number("aarch64", 158) is None
    assert t.by_name["openat"].classes == {"desc", "file"}
    assert t.errno_name(11) == "EAGAIN"


def test_real_table_loads(table: Table) -> None:
    assert len(table.syscalls) >= 362
    assert {s.status for s in table.syscalls} <= set(STATUSES)
    assert all(s.note for s in table.syscalls if s.status == "partial")


def test_flag_decoding() -> None:
    t = load_table(DATA)
    o = t.flagsets["open_flags"]
    assert o.decode(0) == "O_RDONLY"
    assert o.decode(0x80042) == "O_RDWR|O_CREAT|O_CLOEXEC"
    assert o.decode(0x10000) == "O_RDONLY|O_DIRECTORY"
    assert o.decode(0x4000, "aarch64") == "O_RDONLY|O_DIRECTORY"
    assert o.decode(0x4000) == "O_RDONLY|0x4000"
    assert t.flagsets["seek_whence"].decode(2) == "SEEK_END"
    assert t.flagsets["seek_whence"].decode(9) == "9"
    assert t.flagsets["prot"].decode(0) == "0"
    assert t.flagsets["prot"].decode(0x11, "aarch64") == "PROT_READ|PROT_BTI"
    assert t.flagsets["prot"].decode(0x11, "x86_64") == "PROT_READ|0x10"


@pytest.mark.parametrize(
    ("file", "old", "new", "needle", "message"),
    [
        ("file.yaml", "status: enosys", "status: maybe", "status: maybe", "status must be one of"),
        ("file.yaml", "    note: no O_TMPFILE\n", "", "status: partial", "partial needs a note"),
        ("file.yaml", "x86_64: 8,", "x86_64: 0,", "name: lseek", "number 0 of 'lseek' already"),
        ("file.yaml", "type: off_t", "type: offset_t", "type: offset_t", "unknown type"),
        ("file.yaml", "flags: seek_whence", "flags: whence", "name: lseek", "unknown flag set"),
        ("file.yaml", "[EBADF, EINVAL]", "[EBADF, EWHAT]", "name: lseek", "unknown errno 'EWHAT'"),
        ("file.yaml", "    since: \"2.6.16\"", "    since: 2.6", "since: 2.6", "since must be"),
        ("file.yaml", "{name: offset, type: off_t}", "{name: offset, type: off_t, colour: 1}",
         "colour", "unknown key 'colour'"),
        ("file.yaml", "{name: count, type: size_t}", "{name: count}", "{name: count}",
         "missing required key 'type'"),
        ("file.yaml", "dir: out, kind: buffer", "kind: buffer", "kind: buffer, size",
         "needs dir"),
        ("file.yaml", "size: count", "size: counter", "size: counter", "size 'counter' names no"),
        ("file.yaml", "{name: offset, type: off_t}", "{name: offset, type: off_t, dir: out}",
         "dir: out}", "only a non-const pointer"),
        ("file.yaml", "  - name: lseek\n", "  - name: read\n", "name: read", "already defined"),
        ("file.yaml", "family: file", "family: fs", "family: fs", "family must be 'file'"),
        ("mm.yaml", "classes: [memory]", "classes: [mem]", "classes: [mem]", "unknown class"),
        ("mm.yaml", "{name: code, type: int}", "{name: int, type: int}", "name: int",
         "bad argument name"),
        ("flags.yaml", "type: enum", "type: list", "type: list", "type must be 'bits' or 'enum'"),
        ("flags.yaml", "SEEK_CUR: 1,", "SEEK_CUR: one,", "SEEK_CUR", "must be an integer"),
        ("flags.yaml", "PROT_EXEC: 4,", "PROT_EXEC: 4, O_CREAT: 8,", "PROT_EXEC",
         "O_CREAT is"),
        ("process.yaml", "tls, child_tidptr]", "tls]", "order:", "each argument once"),
        ("process.yaml", "order: {aarch64:", "order: {x86_32:", "order:", "has no number"),
        ("flags.yaml", "PROT_BTI: {aarch64: 0x10}", "PROT_BTI: {}", "PROT_BTI",
         "at least one arch"),
        ("errno.yaml", "EINVAL: 22", "EINVAL: 5000", "EINVAL", "errno must be an integer"),
        ("errno.yaml", "  ENOSYS: 38\n", "", "errno:", "ENOSYS is required"),
        ("file.yaml", "status: implemented", "status: implemented\n    status: implemented",
         "status: implemented", "duplicate key 'status'"),
        ("file.yaml", "returns: off_t", "returns: [off_t", None,
         "YAML syntax"),
    ],
)
def test_schema_errors(tdir: Path, file: str, old: str, new: str, needle: str | None,
                       message: str) -> None:
    path = tdir / file
    edit(path, old, new)
    msgs = errors_of(tdir)
    hit = [m for m in msgs if message in m]
    assert hit, msgs
    want_line = line_of(path, needle) if needle is not None else None
    m = LOCATED.match(hit[0])
    assert m and Path(m["path"]).name == file
    if want_line is not None:
        assert int(m["line"]) == want_line, (hit[0], want_line)


def test_all_errors_collected(tdir: Path) -> None:
    edit(tdir / "file.yaml", "status: enosys", "status: nope")
    edit(tdir / "mm.yaml", "classes: [memory]", "classes: [nope]")
    assert len(errors_of(tdir)) == 2


def test_missing_special_file(tdir: Path) -> None:
    (tdir / "flags.yaml").unlink()
    msgs = errors_of(tdir / ".." / "syscalls")
    assert any("flags.yaml:0: missing" in m for m in msgs)


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="not a directory"):
        load_table(tmp_path / "nope")
