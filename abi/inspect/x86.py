"""x86_64 instruction streams (capstone) and backward constant tracking.

Instructions are capstone's ``disasm_lite`` tuples ``(address, size, mnemonic,
op_str)`` in Intel syntax: a tenth of the cost of full instruction objects,
which matters for a 1.4 MB libc text (335k instructions in about 0.6 s).

``Flow.value_before(i, reg)`` answers "which constants can ``reg`` hold when
instruction ``i`` starts?" by walking backwards through the instruction stream
and through direct jumps into it, never through calls (a call clobbers the
argument and return registers). It reaches a function's entry with an
argument register still open when the value comes from the caller: that is
how glibc's ``syscall(long nr, ...)`` wrapper is recognised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import capstone

Insn = tuple[int, int, str, str]  # address, size, mnemonic, operands

ARG_REGS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")

_GPR = {
    "rax": ("rax", "eax", "ax", "al", "ah"), "rbx": ("rbx", "ebx", "bx", "bl", "bh"),
    "rcx": ("rcx", "ecx", "cx", "cl", "ch"), "rdx": ("rdx", "edx", "dx", "dl", "dh"),
    "rsi": ("rsi", "esi", "si", "sil"), "rdi": ("rdi", "edi", "di", "dil"),
    "rbp": ("rbp", "ebp", "bp", "bpl"), "rsp": ("rsp", "esp", "sp", "spl"),
    **{f"r{n}": (f"r{n}", f"r{n}d", f"r{n}w", f"r{n}b") for n in range(8, 16)},
}
CANON = {alias: reg for reg, aliases in _GPR.items() for alias in aliases}
_FULL = {reg: (reg, aliases[1]) for reg, aliases in _GPR.items()}  # 64- and 32-bit names

# Instructions whose first operand is read, not written.
_NO_DEST = frozenset(
    "cmp test push bt ucomiss ucomisd comiss comisd ptest vptest nop endbr64 prefetcht0 "
    "prefetcht1 prefetcht2 prefetchnta prefetchw clflush clflushopt clwb".split()
)
# Implicit register writes, beyond the first operand.
_IMPLICIT = {
    "syscall": ("rax", "rcx", "r11"), "cpuid": ("rax", "rbx", "rcx", "rdx"),
    "rdtsc": ("rax", "rdx"), "rdtscp": ("rax", "rdx", "rcx"), "xgetbv": ("rax", "rdx"),
    "cdq": ("rdx",), "cqo": ("rdx",), "cwd": ("rdx",), "cdqe": ("rax",), "cwde": ("rax",),
    "cbw": ("rax",), "lahf": ("rax",), "cmpxchg": ("rax",), "rdpid": (),
}
_STRING = ("movs", "stos", "lods", "scas", "cmps", "ins", "outs")
_MULDIV = frozenset({"mul", "div", "idiv"})
UNCONDITIONAL = frozenset({"jmp", "ret", "retn", "ud2", "hlt", "ljmp", "retf", "iretq"})


def is_branch(mnemonic: str) -> bool:
    return mnemonic.startswith("j") or mnemonic.startswith("loop")


def is_call(mnemonic: str) -> bool:
    return mnemonic == "call"


def direct_target(op_str: str) -> int | None:
    """The target of ``call 0x1234`` / ``jmp 0x1234`` (None for indirect forms)."""
    try:
        return int(op_str, 16) if op_str.startswith("0x") else None
    except ValueError:
        return None


def rip_target(insn: Insn) -> int | None:
    """The address a ``[rip + disp]`` operand refers to."""
    addr, size, _, ops = insn
    k = ops.find("[rip")
    if k < 0:
        return None
    end = ops.find("]", k)
    inner = ops[k + 4 : end].replace(" ", "")
    try:
        disp = int(inner[1:], 16) if inner[1:].startswith("0x") else int(inner[1:] or "0")
    except ValueError:
        return None
    return addr + size + (disp if inner.startswith("+") else -disp)


def disassembler() -> capstone.Cs:
    return capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)


def sweep(md: capstone.Cs, data: bytes, addr: int) -> list[Insn]:
    """Linear sweep of ``data``; undecodable bytes are skipped one at a time."""
    out: list[Insn] = []
    off = 0
    view = memoryview(data)
    while off < len(data):
        before = len(out)
        out.extend(md.disasm_lite(bytes(view[off:]), addr + off))
        if len(out) == before:
            off += 1
        else:
            last = out[-1]
            off = last[0] + last[1] - addr
    return out


def writes(insn: Insn) -> tuple[str, ...]:
    """Canonical registers the instruction may write (calls excluded: callers stop there)."""
    _, _, mn, ops = insn
    base = mn.split()[-1] if mn.startswith(("rep", "lock", "bnd", "notrack")) else mn
    regs: list[str] = list(_IMPLICIT.get(base, ()))
    if base.startswith(_STRING):
        regs += ["rdi", "rsi", "rcx", "rax"]
    operands = ops.split(", ") if ops else []
    if base in _MULDIV or (base == "imul" and len(operands) == 1):
        regs += ["rax", "rdx"]
    if operands and base not in _NO_DEST and not is_branch(base):
        dest = CANON.get(operands[0])
        if dest:
            regs.append(dest)
        if base in ("xchg", "xadd") and len(operands) > 1 and operands[1] in CANON:
            regs.append(CANON[operands[1]])
    return tuple(regs)


@dataclass(frozen=True)
class Value:
    """What a register can hold at a point: constants, caller's argument registers, unknown."""

    constants: frozenset[int] = frozenset()
    args: frozenset[str] = frozenset()
    unknown: bool = False

    @property
    def constant(self) -> int | None:
        if len(self.constants) == 1 and not self.args and not self.unknown:
            return next(iter(self.constants))
        return None


def _slot(operand: str) -> str | None:
    """A frame slot ``[rbp - 0x18]`` (unoptimised code spills arguments there), else None."""
    k = operand.find("[rbp")
    if k < 0 or "*" in operand or "+ r" in operand:
        return None
    return operand[k:]


def _effect(insn: Insn, reg: str) -> tuple[str, int | str | None]:
    """How ``insn`` sets ``reg`` (a register or a frame slot): ("const", n),
    ("copy", source), ("none", None) or ("unknown", None)."""
    _, _, mn, ops = insn
    operands = ops.split(", ") if ops else []
    if reg.startswith("["):
        if not operands or _slot(operands[0]) != reg:
            return ("unknown", None) if mn == "call" else ("none", None)
        target = operands[0]
    elif reg not in writes(insn):
        return "none", None
    else:
        target = operands[0] if operands else ""
    if len(operands) == 2 and (target in _FULL.get(reg, ()) or reg.startswith("[")):
        src = operands[1]
        if mn in ("xor", "sub") and src == operands[0]:
            return "const", 0
        if mn == "mov":
            try:
                value = int(src, 0)
            except ValueError:
                value = None
            if value is not None:
                wide = (reg.startswith("[") and "qword" in target) or target == reg
                return "const", value & (0xFFFFFFFFFFFFFFFF if wide else 0xFFFFFFFF)
            if src in CANON and (src in _FULL[CANON[src]]):
                return "copy", CANON[src]
            slot = _slot(src)
            if slot is not None and not reg.startswith("["):
                return "copy", slot
        if mn == "movsxd" and src in CANON:
            return "copy", CANON[src]
    return "unknown", None


@dataclass
class Flow:
    """An instruction list with the facts needed to walk it backwards."""

    insns: list[Insn]
    entries: set[int] = field(default_factory=set)  # function entry addresses
    index: dict[int, int] = field(init=False)
    preds: dict[int, list[int]] = field(init=False)  # target address -> jumping insn indices

    def __post_init__(self) -> None:
        self.index = {a: i for i, (a, _, _, _) in enumerate(self.insns)}
        self.preds = {}
        for i, (_, _, mn, ops) in enumerate(self.insns):
            if is_branch(mn):
                t = direct_target(ops)
                if t is not None and t in self.index:
                    self.preds.setdefault(t, []).append(i)

    def _predecessors(self, i: int) -> tuple[list[int], bool]:
        """Instructions that can run just before insn ``i``; flag: a call or unknown edge."""
        addr = self.insns[i][0]
        out = list(self.preds.get(addr, ()))
        blocked = False
        if i > 0:
            pa, ps, pm, _ = self.insns[i - 1]
            if pa + ps == addr and pm not in UNCONDITIONAL:
                if is_call(pm):
                    blocked = True
                else:
                    out.append(i - 1)
        return out, blocked

    def value_before(self, i: int, reg: str, budget: int = 400) -> Value:
        consts: set[int] = set()
        args: set[str] = set()
        unknown = False
        seen: set[tuple[int, str]] = set()
        todo = [(i, reg)]
        while todo:
            j, r = todo.pop()
            if (j, r) in seen:
                continue
            seen.add((j, r))
            budget -= 1
            if budget < 0:
                unknown = True
                break
            if self.insns[j][0] in self.entries:
                if r in ARG_REGS:
                    args.add(r)
                else:
                    unknown = True
                continue
            preds, blocked = self._predecessors(j)
            if blocked or not preds:
                unknown = True
            for p in preds:
                kind, v = _effect(self.insns[p], r)
                if kind == "const" and isinstance(v, int):
                    consts.add(v)
                elif kind == "copy" and isinstance(v, str):
                    todo.append((p, v))
                elif kind == "none":
                    todo.append((p, r))
                else:
                    unknown = True
        return Value(frozenset(consts), frozenset(args), unknown)


def decode_at(md: capstone.Cs, data: bytes, base: int, start: int, end: int) -> list[Insn]:
    """Decode ``[start, end)`` of a code blob that begins at ``base``."""
    lo, hi = max(start - base, 0), min(end - base, len(data))
    return sweep(md, data[lo:hi], base + lo) if lo < hi else []


def lands_on(insns: Iterable[Insn], addr: int) -> bool:
    return any(a == addr for a, _, _, _ in insns)
