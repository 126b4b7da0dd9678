"""The libc call graph: which syscalls each exported libc function can reach.

Nodes are regions of the decoded text, one per known function entry (symbols,
exports, direct call targets). Edges, all resolved inside the object:

* direct ``call``/``jmp``/``jcc`` into another region (calls, tail calls,
  jumps to ``.cold`` parts) and falling off the end of a region into the next;
* a ``lea``/``mov`` of a code address (callbacks handed to pthread_once,
  qsort, atexit, ...);
* a rip-relative reference into a table of relocated code pointers: every
  function of the table. This is how stdio's vtable calls are followed: glibc
  checks each vtable against ``__start___libc_IO_vtables`` before calling
  through it, so ``fwrite`` refers to that table and reaches ``write``.

Other indirect calls are not followed; a function reached only that way is
missed. The reach of every region is computed once over the strongly
connected components (a syscall set is an int bit mask).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from abi.elf import ElfFile
from abi.inspect.syscalls import Sweep
from abi.inspect.x86 import UNCONDITIONAL, Insn, direct_target, is_branch, is_call, rip_target

_PADDING = frozenset({"nop", "int3", "xchg"})
_TABLE_GAP = 24  # vtables start with two zero words: allow that much between pointers


@dataclass(frozen=True)
class Reach:
    numbers: tuple[int, ...]
    unknown: tuple[int, ...]  # addresses of reachable sites whose number is unknown
    wrapper: bool  # reaches a syscall(nr, ...) wrapper: the caller's number counts
    direct: tuple[int, ...] = ()  # numbers of sites in the function's own code


def _pointer_tables(pointers: dict[int, int]) -> list[tuple[int, int, list[int]]]:
    """Runs of words pointing into the code: (start, end, code targets)."""
    runs: list[tuple[int, int, list[int]]] = []
    start = prev = -1
    targets: list[int] = []
    for where in sorted(pointers):
        if prev >= 0 and where - prev > _TABLE_GAP:
            runs.append((start, prev + 8, targets))
            start, targets = where, []
        if start < 0:
            start = where
        targets.append(pointers[where])
        prev = where
    if targets:
        runs.append((start, prev + 8, targets))
    return runs


def _falls_through(insns: list[Insn], k: int) -> bool:
    """Does the code before instruction ``k`` run into it? Padding is skipped; a call at
    the end of a function is taken to be a noreturn call (abort, __stack_chk_fail)."""
    for j in range(k - 1, max(k - 16, -1), -1):
        mn = insns[j][2]
        if mn in _PADDING or mn.endswith("nop"):
            continue
        return mn not in UNCONDITIONAL and not is_call(mn)
    return False


def _aligned_starts(insns: list[Insn]) -> set[int]:
    """Unnamed functions of a stripped object: 16-aligned code after a ret/jmp and padding."""
    out: set[int] = set()
    after_end = False
    for addr, _, mn, _ in insns:
        if mn in UNCONDITIONAL:
            after_end = True
        elif mn in _PADDING or mn.endswith("nop"):
            continue
        else:
            if after_end and addr % 16 == 0:
                out.add(addr)
            after_end = False
    return out


def _sccs(n: int, edges: list[set[int]]) -> list[list[int]]:
    """Tarjan, iterative; components come out callees first."""
    index = [-1] * n
    low = [0] * n
    on = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on[root] = True
        while work:
            v, it = work[-1]
            pushed = False
            for w in it:
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on[w] = True
                    work.append((w, iter(edges[w])))
                    pushed = True
                    break
                if on[w]:
                    low[v] = min(low[v], index[w])
            if pushed:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on[w] = False
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


def reach(elf: ElfFile, sw: Sweep, roots: dict[str, list[int]]) -> dict[str, Reach]:
    """For each named root (a list of entry addresses), the syscalls it can reach."""
    insns = sw.flow.insns
    if not insns:
        return {name: Reach((), (), False) for name in roots}
    lo, hi = insns[0][0], insns[-1][0] + insns[-1][1]
    starts = sorted({a for a in sw.flow.entries if lo <= a < hi} | _aligned_starts(insns))
    if not starts or starts[0] != lo:
        starts.insert(0, lo)
    n = len(starts)

    def region(addr: int) -> int:
        return bisect_right(starts, addr) - 1

    pointers = elf.code_pointers(lo, hi)
    tables = _pointer_tables(pointers)
    table_starts = [t[0] - 16 for t in tables]
    edges: list[set[int]] = [set() for _ in range(n)]
    r = 0
    for k, insn in enumerate(insns):
        addr, _, mn, ops = insn
        while r + 1 < n and starts[r + 1] <= addr:
            if _falls_through(insns, k):
                edges[r].add(r + 1)
            r += 1
        if is_call(mn) or is_branch(mn):
            t = direct_target(ops)
            if t is not None and lo <= t < hi:
                edges[r].add(region(t))
        if "[rip" in ops and (mn in ("lea", "mov") or is_call(mn) or is_branch(mn)):
            t = rip_target(insn)
            if t is None:
                continue
            if lo <= t < hi:
                edges[r].add(region(t))
                continue
            if mn != "lea":  # loads one pointer (a GOT slot, a hook variable)
                if t in pointers:
                    edges[r].add(region(pointers[t]))
                continue
            j = bisect_right(table_starts, t) - 1
            if j >= 0 and t < tables[j][1]:
                edges[r].update(region(x) for x in tables[j][2])
    own = [0] * n
    unknown = [0] * n
    wrapper = [False] * n
    unknown_sites: list[int] = []
    for s in sw.sites:
        if s.kind != "syscall":
            continue
        g = region(s.addr)
        for nr in s.numbers:
            own[g] |= 1 << nr
        if s.how == "via syscall()":
            wrapper[g] = True
        elif s.how != "constant":
            unknown[g] |= 1 << len(unknown_sites)
            unknown_sites.append(s.addr)
    for s in sw.sites:
        if s.kind == "call syscall()":
            g = region(s.addr)
            for nr in s.numbers:
                own[g] |= 1 << nr
            if s.how != "constant":
                unknown[g] |= 1 << len(unknown_sites)
                unknown_sites.append(s.addr)
    direct = list(own)
    for comp in _sccs(n, edges):
        nrs, unk, wr = 0, 0, False
        members = set(comp)
        for v in comp:
            nrs |= own[v]
            unk |= unknown[v]
            wr = wr or wrapper[v]
            for w in edges[v]:
                if w not in members:
                    nrs |= own[w]
                    unk |= unknown[w]
                    wr = wr or wrapper[w]
        for v in comp:
            own[v], unknown[v], wrapper[v] = nrs, unk, wr
    out: dict[str, Reach] = {}
    for name, addrs in roots.items():
        nrs, unk, wr, dnrs = 0, 0, False, 0
        for a in addrs:
            if lo <= a < hi:
                g = region(a)
                dnrs |= direct[g]
                nrs |= own[g]
                unk |= unknown[g]
                wr = wr or wrapper[g]
        out[name] = Reach(_bits(nrs), tuple(unknown_sites[i] for i in _bits(unk)), wr,
                          _bits(dnrs))
    return out


def _bits(mask: int) -> tuple[int, ...]:
    out = []
    i = 0
    while mask:
        if mask & 1:
            out.append(i)
        mask >>= 1
        i += 1
    return tuple(out)
