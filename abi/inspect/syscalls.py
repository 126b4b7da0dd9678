"""Syscall sites of one object: every ``syscall`` instruction and every call of a
``syscall(long nr, ...)`` wrapper, with the number recovered where a constant
reaches it.

Two ways to find them:

* ``sweep_sites`` disassembles all executable sections (libc and static
  programs: their call graph is needed too, see ``libc.py``);
* ``scan_sites`` searches the bytes ``0f 05`` (``syscall``) and calls to the
  PLT/GOT entry of an imported ``syscall`` and decodes only the function around
  each hit (a 14 MB libjvm text has 25 candidate byte pairs: decoding all of it
  would take seconds, decoding 25 functions takes milliseconds). A hit that is
  not an instruction boundary of its function is not a site.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import capstone

from abi.elf import Code, ElfFile
from abi.inspect.x86 import Flow, Insn, Value, decode_at, direct_target, is_call, rip_target, sweep

WRAPPER = "syscall"  # the libc function whose first argument is the number
_PLT_ENTRY = {".plt": 16, ".plt.sec": 16, ".plt.got": 8}


@dataclass(frozen=True)
class Site:
    addr: int
    function: str | None
    kind: str  # "syscall" (the instruction) or "call syscall()" (a wrapper call)
    numbers: tuple[int, ...]
    how: str  # "constant", "some paths unknown", "via syscall()", "unknown"
    arg0: tuple[int, ...] = ()  # constants of rdi at the site (clone's flags)

    def to_json(self) -> dict[str, object]:
        return {"addr": self.addr, "function": self.function, "kind": self.kind,
                "numbers": list(self.numbers), "how": self.how, "arg0": list(self.arg0)}

    @staticmethod
    def from_json(d: dict[str, Any]) -> Site:
        fn = d["function"]
        return Site(int(d["addr"]), fn if isinstance(fn, str) else None, str(d["kind"]),
                    tuple(int(n) for n in d["numbers"]), str(d["how"]),
                    tuple(int(n) for n in d["arg0"]))


def _how(nr: Value) -> str:
    if nr.args == {"rdi"} and not nr.constants and not nr.unknown:
        return "via syscall()"
    if nr.constants and not nr.unknown and not nr.args:
        return "constant"
    if nr.constants:
        return "some paths unknown"
    return "unknown"


def _name(elf: ElfFile, addr: int) -> str | None:
    f = elf.function_at(addr)
    if f is None:
        return None
    return f[2] if f[0] == addr else f"{f[2]}+{addr - f[0]:#x}"


def _site(elf: ElfFile, flow: Flow, i: int, kind: str) -> Site:
    addr = flow.insns[i][0]
    reg = "rax" if kind == "syscall" else "rdi"
    nr = flow.value_before(i, reg)
    arg0 = flow.value_before(i, "rdi") if kind == "syscall" else Value()
    return Site(addr, _name(elf, addr), kind, tuple(sorted(nr.constants)), _how(nr),
                tuple(sorted(arg0.constants)))


def plt_stubs(elf: ElfFile, md: capstone.Cs) -> dict[int, str]:
    """PLT stub address -> the symbol it jumps to (through its GOT slot)."""
    slots = elf.relocs.slots
    out: dict[int, str] = {}
    for code in elf.code:
        size = _PLT_ENTRY.get(code.name)
        if size is None:
            continue
        for insn in sweep(md, code.data, code.addr):
            if insn[2].endswith("jmp"):
                slot = rip_target(insn)
                if slot is not None and slot in slots:
                    out[insn[0] - (insn[0] - code.addr) % size] = slots[slot]
                    out[insn[0]] = slots[slot]
    return out


def wrapper_targets(elf: ElfFile, md: capstone.Cs) -> tuple[set[int], set[int]]:
    """(PLT stubs, GOT slots) through which this object calls an imported ``syscall``."""
    stubs = {a for a, n in plt_stubs(elf, md).items() if n == WRAPPER}
    slots = {a for a, n in elf.relocs.slots.items() if n == WRAPPER}
    return stubs, slots


def _functions_of(elf: ElfFile, code: Code, addrs: list[int]) -> dict[tuple[int, int], list[int]]:
    """Group candidate addresses by the decoding window that holds them."""
    windows: dict[tuple[int, int], list[int]] = {}
    for a in addrs:
        f = elf.function_at(a)
        if f is not None and f[1] and f[0] >= code.addr:
            key = (f[0], f[0] + f[1])
        else:
            key = (max(a - 128, code.addr), a + 2)
        windows.setdefault(key, []).append(a)
    return windows


def _best_window(md: capstone.Cs, code: Code, start: int, targets: list[int]) -> list[Insn]:
    """Decode a window with no known function start: self-synchronisation decides.

    Try 16 start offsets; keep the decoding that lands on the most targets.
    """
    best: list[Insn] = []
    best_hits = 0
    end = max(targets) + 16
    for k in range(16):
        insns = decode_at(md, code.data, code.addr, start + k, end)
        hits = len({a for a, _, _, _ in insns} & set(targets))
        if hits > best_hits:
            best, best_hits = insns, hits
    return best


def _call_candidates(code: Code, stubs: set[int], slots: set[int]) -> Iterator[int]:
    data, base = code.data, code.addr
    if stubs:
        pos = data.find(b"\xe8")
        while 0 <= pos <= len(data) - 5:
            rel = struct.unpack_from("<i", data, pos + 1)[0]
            if base + pos + 5 + rel in stubs:
                yield base + pos
            pos = data.find(b"\xe8", pos + 1)
    if slots:
        pos = data.find(b"\xff\x15")
        while 0 <= pos <= len(data) - 6:
            rel = struct.unpack_from("<i", data, pos + 2)[0]
            if base + pos + 6 + rel in slots:
                yield base + pos
            pos = data.find(b"\xff\x15", pos + 1)


def _is_wrapper_call(insn: Insn, stubs: set[int], slots: set[int]) -> bool:
    if not is_call(insn[2]):
        return False
    t = direct_target(insn[3])
    return (t is not None and t in stubs) or rip_target(insn) in slots


def scan_sites(elf: ElfFile, md: capstone.Cs) -> list[Site]:
    """Sites found by byte search, each confirmed by decoding its function."""
    stubs, slots = wrapper_targets(elf, md)
    sites: list[Site] = []
    for code in elf.code:
        if code.name in _PLT_ENTRY:
            continue
        cands: list[int] = []
        pos = code.data.find(b"\x0f\x05")
        while pos >= 0:
            cands.append(code.addr + pos)
            pos = code.data.find(b"\x0f\x05", pos + 1)
        cands += list(_call_candidates(code, stubs, slots))
        for (lo, hi), addrs in sorted(_functions_of(elf, code, sorted(set(cands))).items()):
            if elf.function_at(addrs[0]) is not None and hi - lo > 0 and hi > addrs[0] + 2:
                insns = decode_at(md, code.data, code.addr, lo, hi)
                entries = {lo}
            else:
                insns = _best_window(md, code, lo, addrs)
                entries = set()
            flow = Flow(insns, entries)
            for a in addrs:
                i = flow.index.get(a)
                if i is None:
                    continue
                if insns[i][2] == "syscall":
                    sites.append(_site(elf, flow, i, "syscall"))
                elif _is_wrapper_call(insns[i], stubs, slots):
                    sites.append(_site(elf, flow, i, "call syscall()"))
    return sorted(sites, key=lambda s: s.addr)


@dataclass
class Sweep:
    """A whole object decoded: its instructions, flow facts and sites."""

    flow: Flow
    sites: list[Site]
    wrappers: set[int]  # entries of functions that pass their first argument as the number
    plt: dict[int, str]


def sweep_sites(elf: ElfFile, md: capstone.Cs) -> Sweep:
    insns: list[Insn] = []
    for code in sorted(elf.code, key=lambda c: c.addr):
        if code.name not in _PLT_ENTRY:
            insns.extend(sweep(md, code.data, code.addr))
    entries = {a for a, _, _ in elf.functions} | set(elf.exported_functions.values())
    entries |= {elf.entry, *elf.init}
    for _, _, mn, ops in insns:
        if is_call(mn):
            t = direct_target(ops)
            if t is not None:
                entries.add(t)
    flow = Flow(insns, entries)
    sites: list[Site] = []
    wrappers: set[int] = set()
    for i, insn in enumerate(insns):
        if insn[2] == "syscall":
            site = _site(elf, flow, i, "syscall")
            sites.append(site)
            if site.how == "via syscall()":
                f = _entry_before(flow, i)
                if f is not None:
                    wrappers.add(f)
    plt = plt_stubs(elf, md)
    stubs = wrappers | {a for a, n in plt.items() if n == WRAPPER}
    slots = {a for a, n in elf.relocs.slots.items() if n == WRAPPER}
    for i, insn in enumerate(insns):
        if _is_wrapper_call(insn, stubs, slots):
            sites.append(_site(elf, flow, i, "call syscall()"))
    return Sweep(flow, sorted(sites, key=lambda s: s.addr), wrappers, plt)


def _entry_before(flow: Flow, i: int) -> int | None:
    """The nearest function entry at or before instruction ``i``."""
    for j in range(i, max(i - 64, -1), -1):
        if flow.insns[j][0] in flow.entries:
            return flow.insns[j][0]
    return None
