"""Join the closure's syscall sites with the table: the porting report's data.

An object other than libc needs every syscall its sites make (it is not
reachability-pruned: a site anywhere in the object counts). libc needs what
the functions imported from it can reach, plus what its constructors reach.
A call of ``syscall(nr, ...)`` needs ``nr`` where a constant reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from abi.elf import DF_STATIC_TLS, R_X86_64_DTPMOD64, R_X86_64_TPOFF64, ElfFile
from abi.inspect.closure import Closure, Loaded
from abi.inspect.objects import INIT, ObjectSyscalls
from abi.inspect.syscalls import WRAPPER, Site
from abi.table import Table

ARCH = "x86_64"
# libc functions that create processes or replace the program (the kernel has no fork).
PROCESS_FUNCTIONS = frozenset(
    "fork vfork _Fork daemon system popen posix_spawn posix_spawnp execve execv execvp execvpe "
    "execl execlp execle fexecve".split()
)
PROCESS_SYSCALLS = ("fork", "vfork", "execve", "execveat")


@dataclass
class Need:
    nr: int
    name: str
    family: str
    status: str
    note: str | None
    by: list[str]  # "object: function (how)", the most specific first


@dataclass
class UnknownSite:
    object: str
    addr: str
    function: str | None
    kind: str
    some_paths: list[int] = field(default_factory=list)  # numbers recovered on some paths


@dataclass
class Flag:
    what: str  # "fork", "vfork", "execve", "clone without CLONE_VM", ...
    evidence: list[str]


@dataclass
class ObjectRow:
    name: str
    path: str
    how: str
    needed_by: str | None
    soname: str | None
    kind: str
    tls: str
    exec_stack: str
    x86_features: list[str]
    build_id: str | None
    imports: list[str]
    exports: list[str]
    sites: int
    unknown_sites: int
    analysis_seconds: float
    cached: bool


@dataclass
class Report:
    program: str
    root: str
    linking: str  # "static", "static-pie", "dynamic"
    interpreter: str | None
    objects: list[ObjectRow]
    missing_libraries: list[str]
    needs: list[Need]
    unknown: list[UnknownSite]
    flags: list[Flag]
    not_in_table: list[int]
    unresolved_imports: dict[str, list[str]] = field(default_factory=dict)
    run: dict[str, object] | None = None  # --merge-run result

    @property
    def families(self) -> dict[str, list[Need]]:
        out: dict[str, list[Need]] = {}
        for n in self.needs:
            out.setdefault(n.family, []).append(n)
        return dict(sorted(out.items()))

    def count(self, status: str) -> int:
        return sum(1 for n in self.needs if n.status == status)


def tls_model(elf: ElfFile, is_program: bool) -> str:
    counts = elf.relocs.counts
    parts = []
    if elf.tls:
        parts.append("local-exec (PT_TLS in the program)" if is_program else "PT_TLS")
    if elf.flags & DF_STATIC_TLS or (counts.get(R_X86_64_TPOFF64) and not is_program):
        parts.append("initial-exec in a shared object (DF_STATIC_TLS: static TLS surplus)")
    elif counts.get(R_X86_64_TPOFF64):
        parts.append("initial-exec")
    if counts.get(R_X86_64_DTPMOD64):
        parts.append("general-dynamic (__tls_get_addr)")
    return "; ".join(parts) or "none"


def _stack(elf: ElfFile) -> str:
    if elf.exec_stack is None:
        return "no PT_GNU_STACK (kernel default: executable)"
    return "executable" if elf.exec_stack else "not executable"


def _linking(elf: ElfFile) -> str:
    if elf.interp:
        return "dynamic"
    return "static-pie" if elf.elf_type == "ET_DYN" else "static"


def _clone_vm(table: Table) -> int | None:
    for fs in table.flagsets.values():
        for fv in fs.all_values():
            if fv.name == "CLONE_VM":
                return fv.value(ARCH)
    return None


def _where(obj: str, s: Site) -> str:
    fn = s.function or f"{s.addr:#x}"
    return f"{obj}: {fn}" + (" (syscall())" if s.kind != "syscall" else "")


def build(closure: Closure, analyses: list[ObjectSyscalls], table: Table) -> Report:
    objs = closure.objects
    program = objs[0]
    by: dict[int, dict[str, int]] = {}  # nr -> who -> rank (smaller: more specific)
    site_of: dict[int, list[tuple[str, Site]]] = {}
    unknown: list[UnknownSite] = []
    provider = closure.provider()

    def need(nr: int, who: str, rank: int = 0) -> None:
        old = by.setdefault(nr, {})
        old[who] = min(rank, old.get(who, rank))

    for obj, an in zip(objs, analyses, strict=True):
        if an.kind == "libc":
            continue
        for s in an.sites:
            if s.how == "via syscall()":
                continue  # a wrapper: the number is its caller's (a "call syscall()" site)
            for nr in s.numbers:
                need(nr, _where(obj.name, s))
                site_of.setdefault(nr, []).append((obj.name, s))
            if s.how in ("unknown", "some paths unknown"):
                unknown.append(UnknownSite(obj.name, f"{s.addr:#x}", s.function, s.kind,
                                           list(s.numbers)))
    unresolved: dict[str, list[str]] = {}
    for obj, an in zip(objs, analyses, strict=True):
        if an.kind != "libc":
            continue
        sites = {s.addr: s for s in an.sites}
        users: dict[str, list[str]] = {}
        for other in objs:
            for name in other.elf.imports:
                if provider.get(name) is obj:
                    users.setdefault(name, []).append(other.name)
        if obj is program:  # inspecting libc itself: everything it exports may be called
            for name in obj.elf.exported_functions:
                users.setdefault(name, []).append("its callers")
        roots = {INIT: [f"{obj.name} constructors"], **users}
        seen_unknown: set[int] = set()
        for fn, importers in sorted(roots.items()):
            r = an.reach.get(fn)
            if r is None:
                continue
            label = (f"{obj.name}: {fn}" if fn == INIT
                     else f"{obj.name}: {fn} (from {', '.join(sorted(set(importers)))})")
            for nr in r.numbers:
                need(nr, label, 0 if nr in r.direct else len(r.numbers))
            for a in r.unknown:
                if a not in seen_unknown and a in sites:
                    seen_unknown.add(a)
                    s = sites[a]
                    unknown.append(UnknownSite(obj.name, f"{a:#x}", s.function, s.kind,
                                               list(s.numbers)))
        for s in an.sites:
            for nr in s.numbers:
                site_of.setdefault(nr, []).append((obj.name, s))
    for other in objs:
        missing = [n for n in other.elf.imports
                   if n not in provider and n not in other.elf.weak_imports]
        if missing:
            unresolved[other.name] = missing
    needs: list[Need] = []
    not_in_table: list[int] = []
    for nr in sorted(by):
        sc = table.by_number(ARCH, nr)
        if sc is None:
            not_in_table.append(nr)
            continue
        who = sorted(by[nr], key=lambda w: (by[nr][w], w))
        needs.append(Need(nr, sc.name, sc.family, sc.status, sc.note, who))
    needs.sort(key=lambda n: (n.family, n.name))
    return Report(
        program=program.path, root=str(closure.root), linking=_linking(program.elf),
        interpreter=program.elf.interp,
        objects=[_row(o, an, i == 0) for i, (o, an) in enumerate(zip(objs, analyses, strict=True))],
        missing_libraries=[f"{n} (needed by {b})" for n, b in closure.missing],
        needs=needs, unknown=unknown, flags=_flags(objs, needs, site_of, table, provider),
        not_in_table=not_in_table, unresolved_imports=unresolved)


def _row(o: Loaded, an: ObjectSyscalls, is_program: bool) -> ObjectRow:
    return ObjectRow(
        name=o.name, path=o.path, how=o.how, needed_by=o.needed_by, soname=o.elf.soname,
        kind=an.kind, tls=tls_model(o.elf, is_program), exec_stack=_stack(o.elf),
        x86_features=list(o.elf.x86_features), build_id=o.elf.build_id,
        imports=list(o.elf.imports), exports=sorted(o.elf.exports),
        sites=len(an.sites),
        unknown_sites=sum(1 for s in an.sites if s.how in ("unknown", "some paths unknown")),
        analysis_seconds=an.seconds, cached=an.cached)


def _flags(objs: list[Loaded], needs: list[Need], site_of: dict[int, list[tuple[str, Site]]],
           table: Table, provider: dict[str, Loaded]) -> list[Flag]:
    flags: list[Flag] = []
    by_name = {n.name: n for n in needs}
    for name in PROCESS_SYSCALLS:
        if name in by_name:
            flags.append(Flag(name, by_name[name].by[:8]))
    clone_vm = _clone_vm(table)
    if "clone" in by_name:
        nr = by_name["clone"].nr
        bad, unknown_flags = [], []
        for obj, s in site_of.get(nr, []):
            if s.kind != "syscall":
                continue
            if clone_vm is None or not s.arg0:
                unknown_flags.append(f"{obj}: {s.function or hex(s.addr)}")
            for flags_value in s.arg0:
                if clone_vm is not None and not flags_value & clone_vm:
                    bad.append(f"{obj}: {s.function or hex(s.addr)} (flags {flags_value:#x})")
        if bad:
            flags.append(Flag("clone without CLONE_VM", bad))
        if unknown_flags:
            why = "" if clone_vm is not None else " (the table has no CLONE_VM flag)"
            flags.append(Flag("clone with flags not known statically" + why, unknown_flags))
    imported = sorted({f"{n} (imported by {o.name})" for o in objs for n in o.elf.imports
                       if n in PROCESS_FUNCTIONS and n in provider})
    if imported:
        flags.append(Flag("process-creating libc functions imported", imported))
    if any(WRAPPER in o.elf.imports for o in objs):
        flags.append(Flag("syscall() imported (numbers recovered at its call sites)",
                          sorted({o.name for o in objs if WRAPPER in o.elf.imports})))
    return flags
