"""The syscall table: loading, validation and queries.

``load_table()`` reads ``syscalls/*.yaml`` (schema: docs/TABLE.md), checks
every entry and every cross reference, and returns an immutable ``Table``.
Every problem is reported as ``file:line: what is wrong``; all problems of a
load are collected, not just the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, TypeVar

from abi.ctype import CType, CTypeError, parse_ctype
from abi.yamlload import LDict, LList, SourceError, load_located

_T = TypeVar("_T")

ARCHES = ("x86_64", "aarch64")
STATUSES = ("implemented", "partial", "enosys")
DIRECTIONS = ("in", "out", "inout")
CLASSES = frozenset(
    {"desc", "file", "memory", "process", "signal", "network", "ipc", "creds", "clock",
     "stat", "statfs", "pure"}
)
KINDS = frozenset({"fd", "dirfd", "path", "string", "buffer", "signal", "octal", "hex", "pid",
                   "addr", "sigset", "fdpair"})
# How a tracer prints a successful return value other than in decimal
# (strace's RVAL_HEX and RVAL_OCTAL).
RETURN_KINDS = frozenset({"hex", "octal"})
SPECIAL_FILES = ("errno.yaml", "flags.yaml")
# The generated dispatch code needs these.
REQUIRED_ERRNO = ("ENOSYS", "EFAULT")
MAX_ARGS = 6
MAX_NR = 1024

C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while bool".split()
)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION = re.compile(r"^\d+\.\d+(\.\d+)*$")

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "syscalls"


class TableError(Exception):
    """One or more located problems in the table."""

    def __init__(self, errors: list[SourceError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Arg:
    name: str
    type: CType
    dir: str
    flags: str | None
    kind: str | None
    size: str | None


@dataclass(frozen=True)
class Syscall:
    name: str
    family: str
    numbers: dict[str, int]
    args: tuple[Arg, ...]
    returns: CType
    errors: tuple[str, ...]
    status: str
    note: str | None
    classes: frozenset[str]
    since: str | None
    notes: str | None
    path: str
    line: int
    # arch -> register index of each arg, where an arch passes them in another
    # order than args lists them (clone on aarch64).
    order: dict[str, tuple[int, ...]] = field(default_factory=dict)
    returns_kind: str | None = None  # RETURN_KINDS, or None for decimal

    def registers(self, arch: str) -> tuple[int, ...]:
        """The register index (0..5) that carries each argument on arch."""
        return self.order.get(arch, tuple(range(len(self.args))))

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass(frozen=True)
class FlagValue:
    name: str
    values: dict[str, int]  # arch -> value; an arch without the name is absent
    line: int = field(default=0, compare=False)

    def value(self, arch: str) -> int | None:
        return self.values.get(arch)


@dataclass(frozen=True)
class Field:
    """An enumeration packed inside a bit mask (O_ACCMODE, MAP_TYPE, ...)."""

    mask: int
    values: tuple[FlagValue, ...]


@dataclass(frozen=True)
class FlagSet:
    name: str
    doc: str
    type: str  # "bits" or "enum"
    values: tuple[FlagValue, ...]
    fields: tuple[Field, ...] = ()

    def all_values(self) -> Iterator[FlagValue]:
        for f in self.fields:
            yield from f.values
        yield from self.values

    def decode(self, value: int, arch: str = "x86_64") -> str:
        """Render ``value`` as strace does: names joined by ``|``, leftovers in hex."""
        if self.type == "enum":
            for fv in self.values:
                if fv.value(arch) == value:
                    return fv.name
            return str(value)
        # A field's or flag's value is None on an arch that lacks the name: never matches.
        parts: list[str] = []
        rest = value
        for f in self.fields:
            part = rest & f.mask
            rest &= ~f.mask
            name = next((fv.name for fv in f.values if fv.value(arch) == part), None)
            parts.append(name if name is not None else hex(part))
        for fv in self.values:
            v = fv.value(arch)
            if v and rest & v == v:
                parts.append(fv.name)
                rest &= ~v
        if rest:
            parts.append(hex(rest))
        return "|".join(parts) if parts else "0"


@dataclass(frozen=True)
class Table:
    root: Path
    syscalls: tuple[Syscall, ...]  # sorted by name
    flagsets: dict[str, FlagSet]
    errno: dict[str, int]
    families: tuple[str, ...] = field(default=())
    # errno name -> the description a tracer prints after it (glibc's
    # strerror, strace's own text for the kernel-internal restart codes)
    errno_messages: dict[str, str] = field(default_factory=dict)

    @cached_property
    def by_name(self) -> dict[str, Syscall]:
        return {s.name: s for s in self.syscalls}

    @cached_property
    def _by_number(self) -> dict[tuple[str, int], Syscall]:
        return {(a, n): s for s in self.syscalls for a, n in s.numbers.items()}

    def by_number(self, arch: str, nr: int) -> Syscall | None:
        return self._by_number.get((arch, nr))

    def numbered(self, arch: str) -> list[tuple[int, Syscall]]:
        """(number, syscall) for every syscall that exists on ``arch``, by number."""
        return sorted((s.numbers[arch], s) for s in self.syscalls if arch in s.numbers)

    def errno_name(self, nr: int) -> str | None:
        """The first errno name with this number (aliases like EWOULDBLOCK lose)."""
        return next((n for n, v in self.errno.items() if v == nr), None)


class _Checker:
    """Collects located errors while converting raw YAML into table objects."""

    def __init__(self) -> None:
        self.errors: list[SourceError] = []

    def err(self, path: str, line: int, msg: str) -> None:
        self.errors.append(SourceError(path, line, msg))

    def mapping(self, obj: Any, path: str, line: int, what: str) -> LDict | None:
        if not isinstance(obj, LDict):
            self.err(path, getattr(obj, "line", line), f"{what} must be a mapping")
            return None
        return obj

    def keys(self, m: LDict, what: str, required: set[str], optional: set[str]) -> bool:
        ok = True
        for k in m:
            if k not in required | optional:
                allowed = ", ".join(sorted(required | optional))
                self.err(m.path, m.line_of(k), f"{what}: unknown key {k!r} (allowed: {allowed})")
                ok = False
        for k in sorted(required - m.keys()):
            self.err(m.path, m.line, f"{what}: missing required key {k!r}")
            ok = False
        return ok

    def typed(self, m: LDict, key: str, want: type | tuple[type, ...], what: str) -> Any:
        """m[key] if present and of type ``want`` (bool is never an int here)."""
        if key not in m:
            return None
        v = m[key]
        if v is None:
            self.err(m.path, m.line_of(key), f"{what}: {key!r} is empty")
            return None
        bad_bool = isinstance(v, bool) and want in (int, (int,))
        if bad_bool or not isinstance(v, want):
            names = want.__name__ if isinstance(want, type) else "/".join(t.__name__ for t in want)
            self.err(m.path, m.line_of(key), f"{what}: {key!r} must be {names}, not {v!r}")
            return None
        return v

    def string_list(self, m: LDict, key: str, what: str) -> list[str] | None:
        v = m.get(key)
        if v is None:
            return None
        if not isinstance(v, LList) or not all(isinstance(x, str) for x in v):
            self.err(m.path, m.line_of(key), f"{what}: {key!r} must be a list of names")
            return None
        return list(v)


def _int_value(c: _Checker, m: LDict, key: str, what: str) -> dict[str, int] | None:
    """A flag value: an int, or a mapping arch -> int."""
    v = m[key]
    if isinstance(v, int) and not isinstance(v, bool):
        return dict.fromkeys(ARCHES, v)
    if isinstance(v, LDict):
        out: dict[str, int] = {}
        for arch, x in v.items():
            if arch not in ARCHES:
                c.err(v.path, v.line_of(arch), f"{what}: unknown arch {arch!r}")
            elif not isinstance(x, int) or isinstance(x, bool):
                c.err(v.path, v.line_of(arch), f"{what}: value must be an integer")
            else:
                out[arch] = x
        if not out:
            c.err(v.path, v.line, f"{what}: per-arch value needs at least one arch")
            return None
        return out
    c.err(m.path, m.line_of(key), f"{what}: value must be an integer or {{arch: integer}}")
    return None


def _values(c: _Checker, raw: Any, path: str, line: int, what: str) -> tuple[FlagValue, ...]:
    m = c.mapping(raw, path, line, f"{what}: values")
    if m is None:
        return ()
    out = []
    for name in m:
        if not _IDENT.match(name):
            c.err(m.path, m.line_of(name), f"{what}: bad flag name {name!r}")
            continue
        v = _int_value(c, m, name, f"{what}.{name}")
        if v is not None:
            out.append(FlagValue(name, v, m.line_of(name)))
    return tuple(out)


def _load_flagsets(c: _Checker, path: Path) -> dict[str, FlagSet]:
    doc = c.mapping(load_located(path), str(path), 1, "flags file")
    if doc is None or not c.keys(doc, "flags file", {"flagsets"}, set()):
        return {}
    sets = c.mapping(doc["flagsets"], doc.path, doc.line_of("flagsets"), "flagsets")
    if sets is None:
        return {}
    out: dict[str, FlagSet] = {}
    for name, raw in sets.items():
        what = f"flag set {name!r}"
        m = c.mapping(raw, sets.path, sets.line_of(name), what)
        if m is None or not c.keys(m, what, {"type", "values"}, {"doc", "fields"}):
            continue
        kind = c.typed(m, "type", str, what)
        if kind not in ("bits", "enum"):
            c.err(m.path, m.line_of("type"), f"{what}: type must be 'bits' or 'enum'")
            continue
        fields: list[Field] = []
        raw_fields = m.get("fields")
        if raw_fields is not None:
            if kind == "enum" or not isinstance(raw_fields, LList):
                c.err(m.path, m.line_of("fields"), f"{what}: fields must be a list, on bits only")
                continue
            for i, rf in enumerate(raw_fields):
                fm = c.mapping(rf, m.path, raw_fields.item_lines[i], f"{what} field")
                if fm is None or not c.keys(fm, f"{what} field", {"mask", "values"}, set()):
                    continue
                mask = c.typed(fm, "mask", int, f"{what} field")
                vals = _values(c, fm["values"], fm.path, fm.line_of("values"), what)
                if mask is not None:
                    fields.append(Field(mask, vals))
        values = _values(c, m["values"], m.path, m.line_of("values"), what)
        names = [v.name for f in fields for v in f.values] + [v.name for v in values]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            c.err(m.path, m.line, f"{what}: {dup} appears twice")
        out[name] = FlagSet(name, c.typed(m, "doc", str, what) or "", kind, values, tuple(fields))
    return out


def _load_errno(c: _Checker, path: Path) -> tuple[dict[str, int], dict[str, str]]:
    doc = c.mapping(load_located(path), str(path), 1, "errno file")
    if doc is None or not c.keys(doc, "errno file", {"errno"}, {"messages"}):
        return {}, {}
    m = c.mapping(doc["errno"], doc.path, doc.line_of("errno"), "errno")
    if m is None:
        return {}, {}
    out: dict[str, int] = {}
    for name, v in m.items():
        if not re.match(r"^E[A-Z0-9_]+$", name):
            c.err(m.path, m.line_of(name), f"bad errno name {name!r}")
        elif not isinstance(v, int) or isinstance(v, bool) or not 0 < v < 4096:
            c.err(m.path, m.line_of(name), f"{name}: errno must be an integer in 1..4095")
        else:
            out[name] = v
    for e in REQUIRED_ERRNO:
        if e not in m:
            c.err(m.path, doc.line_of("errno"), f"{e} is required (the generated code uses it)")
    messages: dict[str, str] = {}
    if "messages" in doc:
        mm = c.mapping(doc["messages"], doc.path, doc.line_of("messages"), "messages")
        for name, text in (mm or {}).items():
            if name not in out:
                c.err(doc.path, mm.line_of(name) if mm else 0, f"messages: unknown errno {name!r}")
            elif not isinstance(text, str) or not text:
                c.err(doc.path, mm.line_of(name) if mm else 0, f"messages: {name}: needs a string")
            else:
                messages[name] = text
    return out, messages


def _load_arg(c: _Checker, raw: Any, path: str, line: int, what: str) -> Arg | None:
    m = c.mapping(raw, path, line, what)
    if m is None or not c.keys(m, what, {"name", "type"}, {"dir", "flags", "kind", "size"}):
        return None
    name = c.typed(m, "name", str, what)
    tname = c.typed(m, "type", str, what)
    if name is None or tname is None:
        return None
    if not _IDENT.match(name) or name in C_KEYWORDS:
        c.err(m.path, m.line_of("name"), f"{what}: bad argument name {name!r}")
    what = f"{what} {name!r}"
    try:
        ctype = parse_ctype(tname)
    except CTypeError as exc:
        c.err(m.path, m.line_of("type"), f"{what}: {exc}")
        return None
    direction = c.typed(m, "dir", str, what)
    if direction is None:
        if ctype.pointer and not ctype.const and "dir" not in m:
            c.err(m.path, m.line, f"{what}: pointer to non-const {ctype.spelling!r} needs dir")
        direction = "in"
    elif direction not in DIRECTIONS:
        c.err(m.path, m.line_of("dir"), f"{what}: dir must be one of {', '.join(DIRECTIONS)}")
    elif direction != "in" and (not ctype.pointer or ctype.const):
        c.err(m.path, m.line_of("dir"), f"{what}: only a non-const pointer can be {direction}")
    kind = c.typed(m, "kind", str, what)
    if kind is not None and kind not in KINDS:
        c.err(m.path, m.line_of("kind"), f"{what}: unknown kind {kind!r}")
    if kind in ("path", "string", "buffer", "sigset", "fdpair") and not ctype.pointer:
        c.err(m.path, m.line_of("kind"), f"{what}: kind {kind} needs a pointer type")
    if kind in ("fd", "dirfd", "signal", "pid", "octal", "addr") and ctype.pointer:
        c.err(m.path, m.line_of("kind"), f"{what}: kind {kind} needs a scalar type")
    size = c.typed(m, "size", str, what)
    if size is not None and kind != "buffer":
        c.err(m.path, m.line_of("size"), f"{what}: size is only for kind: buffer")
    return Arg(name, ctype, direction, c.typed(m, "flags", str, what), kind, size)


def _load_order(c: _Checker, m: LDict, what: str, names: list[str],
                numbers: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """``order: {arch: [arg names in register order]}`` -> arch -> register of each arg."""
    raw = m.get("order")
    if raw is None:
        return {}
    om = c.mapping(raw, m.path, m.line_of("order"), f"{what}: order")
    out: dict[str, tuple[int, ...]] = {}
    for arch, regs in (om or {}).items():
        line = om.line_of(arch) if om is not None else m.line
        if arch not in numbers:
            c.err(m.path, line, f"{what}: order for {arch!r}, which has no number for it")
        elif not isinstance(regs, list) or sorted(map(str, regs)) != sorted(names):
            c.err(m.path, line, f"{what}: order for {arch} must list each argument once")
        else:
            out[arch] = tuple(regs.index(n) for n in names)
    return out


_ENTRY_REQUIRED = {"name", "numbers", "args", "returns", "errors", "status"}
_ENTRY_OPTIONAL = {"note", "classes", "since", "notes", "order", "returns_kind"}


def _load_entry(c: _Checker, raw: Any, family: str, path: str, line: int) -> Syscall | None:
    m = c.mapping(raw, path, line, "syscall entry")
    if m is None:
        return None
    name = m.get("name")
    what = f"syscall {name!r}" if isinstance(name, str) else "syscall entry"
    if not c.keys(m, what, _ENTRY_REQUIRED, _ENTRY_OPTIONAL):
        return None
    if not isinstance(name, str) or not _IDENT.match(name):
        c.err(m.path, m.line_of("name"), f"bad syscall name {name!r}")
        return None

    numbers: dict[str, int] = {}
    nm = c.mapping(m["numbers"], m.path, m.line_of("numbers"), f"{what}: numbers")
    if nm is not None:
        for arch, nr in nm.items():
            if arch not in ARCHES:
                c.err(nm.path, nm.line_of(arch), f"{what}: unknown arch {arch!r}")
            elif not isinstance(nr, int) or isinstance(nr, bool) or not 0 <= nr < MAX_NR:
                c.err(nm.path, nm.line_of(arch), f"{what}: number must be an integer 0..1023")
            else:
                numbers[arch] = nr
        if not nm:
            c.err(nm.path, nm.line, f"{what}: numbers needs at least one arch")

    args: list[Arg] = []
    raw_args = m["args"]
    if not isinstance(raw_args, LList):
        c.err(m.path, m.line_of("args"), f"{what}: args must be a list")
    else:
        if len(raw_args) > MAX_ARGS:
            c.err(m.path, m.line_of("args"), f"{what}: at most {MAX_ARGS} args")
        for i, ra in enumerate(raw_args):
            a = _load_arg(c, ra, m.path, raw_args.item_lines[i], f"{what} arg {i}")
            if a is not None:
                args.append(a)
        names = [a.name for a in args]
        for a, ln in zip(args, raw_args.item_lines, strict=False):
            if names.count(a.name) > 1:
                c.err(m.path, ln, f"{what}: argument name {a.name!r} repeats")
            if a.size is not None and a.size not in names:
                c.err(m.path, ln, f"{what}: size {a.size!r} names no argument")

    returns: CType | None = None
    rname = c.typed(m, "returns", str, what)
    if rname is not None:
        try:
            returns = parse_ctype(rname)
        except CTypeError as exc:
            c.err(m.path, m.line_of("returns"), f"{what}: returns: {exc}")

    errors = c.string_list(m, "errors", what)
    if errors is None and m.get("errors") is None:
        errors = []
    status = c.typed(m, "status", str, what)
    if status is not None and status not in STATUSES:
        c.err(m.path, m.line_of("status"), f"{what}: status must be one of {', '.join(STATUSES)}")
    note = c.typed(m, "note", str, what)
    if status == "partial" and not note:
        c.err(m.path, m.line_of("status"), f"{what}: status partial needs a note")
    if status == "implemented" and note:
        c.err(m.path, m.line_of("note"), f"{what}: note is for partial or enosys entries")
    classes = c.string_list(m, "classes", what) or []
    for cl in classes:
        if cl not in CLASSES:
            c.err(m.path, m.line_of("classes"), f"{what}: unknown class {cl!r}")
    since = m.get("since")
    if since is not None and not (isinstance(since, str) and _VERSION.match(since)):
        c.err(m.path, m.line_of("since"), f"{what}: since must be a quoted version like \"2.6.16\"")
    notes = c.typed(m, "notes", str, what)
    order = _load_order(c, m, what, [a.name for a in args], numbers)
    returns_kind = c.typed(m, "returns_kind", str, what)
    if returns_kind is not None and returns_kind not in RETURN_KINDS:
        c.err(m.path, m.line_of("returns_kind"),
              f"{what}: returns_kind must be one of {', '.join(sorted(RETURN_KINDS))}")
        returns_kind = None

    if returns is None or status is None or errors is None:
        return None
    derived = {"desc" for a in args if a.kind in ("fd", "dirfd")}
    derived |= {"file" for a in args if a.kind == "path"}
    return Syscall(
        name, family, numbers, tuple(args), returns, tuple(errors), status, note,
        frozenset(classes) | derived, since if isinstance(since, str) else None, notes,
        m.path, m.line, order, returns_kind,
    )


def _load_family(c: _Checker, path: Path) -> list[Syscall]:
    doc = c.mapping(load_located(path), str(path), 1, "family file")
    if doc is None or not c.keys(doc, "family file", {"family", "syscalls"}, {"description"}):
        return []
    if doc.get("family") != path.stem:
        c.err(doc.path, doc.line_of("family"), f"family must be {path.stem!r} (the file name)")
    entries = doc["syscalls"]
    if not isinstance(entries, LList):
        c.err(doc.path, doc.line_of("syscalls"), "syscalls must be a list")
        return []
    out = []
    for i, raw in enumerate(entries):
        s = _load_entry(c, raw, path.stem, doc.path, entries.item_lines[i])
        if s is not None:
            out.append(s)
    return out


def _cross_check(c: _Checker, table: Table) -> None:
    seen_name: dict[str, Syscall] = {}
    seen_nr: dict[tuple[str, int], Syscall] = {}
    for s in sorted(table.syscalls, key=lambda s: (s.path, s.line)):
        if s.name in seen_name:
            first = seen_name[s.name]
            c.err(s.path, s.line,
                  f"syscall {s.name!r} already defined at {first.path}:{first.line}")
        seen_name[s.name] = s
        for arch, nr in s.numbers.items():
            other = seen_nr.get((arch, nr))
            if other is not None:
                c.err(s.path, s.line,
                      f"{arch} number {nr} of {s.name!r} already used by {other.name!r}")
            seen_nr[(arch, nr)] = s
        for e in s.errors:
            if e not in table.errno:
                c.err(s.path, s.line, f"syscall {s.name!r}: unknown errno {e!r}")
        for a in s.args:
            if a.flags is not None and a.flags not in table.flagsets:
                c.err(s.path, s.line, f"syscall {s.name!r} arg {a.name!r}: "
                                      f"unknown flag set {a.flags!r}")


def _check_flag_names(c: _Checker, table: Table) -> None:
    """A flag name means one value everywhere: flags.h defines each name once."""
    first: dict[str, tuple[FlagSet, FlagValue]] = {}
    for fs in table.flagsets.values():
        for fv in fs.all_values():
            prev = first.setdefault(fv.name, (fs, fv))
            if prev[1].values != fv.values:
                path = table.root / "flags.yaml"
                c.err(str(path), fv.line, f"{fv.name} is {fv.values} in {fs.name!r} but "
                                    f"{prev[1].values} in {prev[0].name!r}")


def _guard(c: _Checker, fn: Callable[[], _T], default: _T) -> _T:
    try:
        return fn()
    except SourceError as exc:
        c.errors.append(exc)
        return default


def load_table(root: Path | str | None = None) -> Table:
    """Load and check the table in ``root`` (default: the repository's syscalls/)."""
    root = Path(root) if root is not None else DEFAULT_DIR
    c = _Checker()
    if not root.is_dir():
        raise TableError([SourceError(root, 0, "not a directory")])
    for special in SPECIAL_FILES:
        if not (root / special).is_file():
            c.err(str(root / special), 0, "missing")
    errno: dict[str, int] = {}
    messages: dict[str, str] = {}
    if (root / "errno.yaml").is_file():
        errno, messages = _guard(c, partial(_load_errno, c, root / "errno.yaml"), (errno, messages))
    flagsets: dict[str, FlagSet] = {}
    if (root / "flags.yaml").is_file():
        flagsets = _guard(c, partial(_load_flagsets, c, root / "flags.yaml"), flagsets)
    syscalls: list[Syscall] = []
    families = []
    for path in sorted(root.glob("*.yaml")):
        if path.name in SPECIAL_FILES:
            continue
        families.append(path.stem)
        syscalls += _guard(c, partial(_load_family, c, path), [])
    table = Table(root, tuple(sorted(syscalls, key=lambda s: s.name)), flagsets, errno,
                  tuple(families), messages)
    _cross_check(c, table)
    _check_flag_names(c, table)
    if c.errors:
        raise TableError(c.errors)
    return table
