"""Per-object syscall analysis and its cache.

An object's analysis depends only on its bytes, so it is cached as JSON under
``build/inspect-cache/`` keyed by (path, size, mtime) and ``VERSION``. A libc
(glibc's ``libc.so.6`` or musl's) and a static program are swept whole; libc
also gets its call graph (``libc.py``); other objects are scanned.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abi.elf import ElfFile
from abi.inspect.libc import Reach, reach
from abi.inspect.syscalls import Site, scan_sites, sweep_sites
from abi.inspect.x86 import disassembler

VERSION = 4  # bump when the analysis changes what it finds
INIT = "<init>"  # the root of libc's constructors and __libc_early_init


def is_libc(elf: ElfFile) -> bool:
    name = elf.soname or elf.path.name
    return name == "libc.so.6" or name.startswith(("libc.musl", "ld-musl"))


@dataclass
class ObjectSyscalls:
    kind: str  # "libc", "static" or "object"
    sites: list[Site]
    reach: dict[str, Reach]  # libc: exported function (and INIT) -> what it reaches
    seconds: float
    cached: bool = False

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "sites": [s.to_json() for s in self.sites],
                "reach": {k: [list(r.numbers), list(r.unknown), r.wrapper, list(r.direct)]
                          for k, r in self.reach.items()},
                "seconds": self.seconds}

    @staticmethod
    def from_json(d: dict[str, Any]) -> ObjectSyscalls:
        reached = {k: Reach(tuple(v[0]), tuple(v[1]), bool(v[2]), tuple(v[3]))
                   for k, v in d["reach"].items()}
        return ObjectSyscalls(str(d["kind"]), [Site.from_json(s) for s in d["sites"]], reached,
                              float(d["seconds"]), True)


def _init_roots(elf: ElfFile) -> list[int]:
    roots = list(elf.init)
    if elf.init_array:
        addr, size = elf.init_array
        for a in range(addr, addr + min(size, 8 * 4096), 8):
            t = elf.relocs.pointers.get(a) or elf.read_word(a)
            if t:
                roots.append(t)
    if "__libc_early_init" in elf.exported_functions:
        roots.append(elf.exported_functions["__libc_early_init"])
    return roots


def analyze(elf: ElfFile) -> ObjectSyscalls:
    start = time.perf_counter()
    md = disassembler()
    if is_libc(elf):
        sw = sweep_sites(elf, md)
        roots = {n: [a] for n, a in elf.exported_functions.items()}
        roots[INIT] = _init_roots(elf)
        kind, sites, reached = "libc", sw.sites, reach(elf, sw, roots)
    elif elf.static:
        kind, sites, reached = "static", sweep_sites(elf, md).sites, {}
    else:
        kind, sites, reached = "object", scan_sites(elf, md), {}
    return ObjectSyscalls(kind, sites, reached, round(time.perf_counter() - start, 3))


@dataclass(frozen=True)
class Cache:
    """Analysis results by (path, size, mtime); ``dir`` None disables caching."""

    dir: Path | None

    def _file(self, path: Path) -> tuple[Path, str] | None:
        if self.dir is None:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{VERSION}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return self.dir / f"{path.name}-{digest}.json", key

    def analyze(self, elf: ElfFile) -> ObjectSyscalls:
        slot = self._file(elf.path)
        if slot is not None:
            file, key = slot
            try:
                data = json.loads(file.read_text())
                if data.get("key") == key:
                    return ObjectSyscalls.from_json(data["analysis"])
            except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
                pass
        result = analyze(elf)
        if slot is not None:
            file, key = slot
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
                tmp = file.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps({"key": key, "analysis": result.to_json()}))
                tmp.replace(file)
            except OSError:
                pass  # a cache that cannot be written is only slower
        return result
