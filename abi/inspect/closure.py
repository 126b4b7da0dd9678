"""The DT_NEEDED closure, resolved as glibc's ld.so resolves it, under a root.

Search order for a name without a slash (ld.so(8)): the DT_RPATH of the
loading object and of its loaders (only when the loading object has no
DT_RUNPATH), DT_RUNPATH of the loading object, the directories of
``/etc/ld.so.conf`` (and its ``include`` files; ld.so reads the same list from
``/etc/ld.so.cache``), then the default directories. ``$ORIGIN`` is the
directory of the loading object; ``$LIB`` and ``$PLATFORM`` expand as on
Debian x86_64. A candidate of the wrong class or machine is skipped, as ld.so
does. Objects load breadth first; the first object defining a symbol binds
it (the global scope; LD_PRELOAD, dlopen scopes and symbol versions aside).
"""

from __future__ import annotations

import glob
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from abi.elf import ElfError, ElfFile, read_elf

DEFAULT_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                "/lib", "/usr/lib")
_EXPAND = {"$LIB": "lib/x86_64-linux-gnu", "${LIB}": "lib/x86_64-linux-gnu",
           "$PLATFORM": "x86_64", "${PLATFORM}": "x86_64"}


@dataclass
class Loaded:
    name: str  # the DT_NEEDED string (or the path given)
    path: str  # path inside the root
    elf: ElfFile
    needed_by: str | None  # name of the first object that needed it
    how: str  # "program", "interpreter", "dlopen", "rpath", "runpath", "ld.so.conf", "default"


@dataclass
class Closure:
    root: Path
    objects: list[Loaded]
    missing: list[tuple[str, str]]  # (needed name, needed by)

    def provider(self) -> dict[str, Loaded]:
        """Symbol name -> the object whose definition binds it."""
        out: dict[str, Loaded] = {}
        for obj in self.objects:
            for name in obj.elf.exports:
                out.setdefault(name, obj)
        return out


def _host(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def _ld_so_conf(root: Path, conf: str = "/etc/ld.so.conf", depth: int = 0) -> list[str]:
    """Directories listed by ld.so.conf and its includes (globs relative to /etc)."""
    out: list[str] = []
    try:
        text = _host(root, conf).read_text(errors="replace")
    except OSError:
        return out
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include") and depth < 8:
            pattern = line.split(None, 1)[1] if len(line.split(None, 1)) > 1 else ""
            if not pattern.startswith("/"):
                pattern = str(Path(conf).parent / pattern)
            for match in sorted(glob.glob(str(_host(root, pattern)))):
                out += _ld_so_conf(root, "/" + str(Path(match).relative_to(root)), depth + 1)
        elif line.startswith("/"):
            out.append(line.split()[0].rstrip("/"))
    return out


def _expand(entry: str, origin: str) -> str:
    for k, v in _EXPAND.items():
        entry = entry.replace(k, v)
    return entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)


def _fits(elf: ElfFile, machine: str) -> bool:
    return elf.machine == machine


@dataclass
class _Resolver:
    root: Path
    machine: str
    conf_dirs: list[str]

    def find(self, name: str, dirs: list[tuple[str, str]]) -> tuple[str, ElfFile, str] | None:
        for d, how in dirs:
            path = os.path.normpath(str(Path(d) / name))
            try:
                elf = read_elf(_host(self.root, path))
            except ElfError:
                continue
            if _fits(elf, self.machine):
                return path, elf, how
        return None


def _search_dirs(obj: Loaded, chain: list[Loaded], conf: list[str]) -> list[tuple[str, str]]:
    origin = str(Path(obj.path).parent)
    dirs: list[tuple[str, str]] = []
    if not obj.elf.runpath:
        for o in [obj, *chain]:
            dirs += [(_expand(p, str(Path(o.path).parent)), "rpath") for p in o.elf.rpath]
    dirs += [(_expand(p, origin), "runpath") for p in obj.elf.runpath]
    dirs += [(d, "ld.so.conf") for d in conf]
    dirs += [(d, "default") for d in DEFAULT_DIRS]
    return dirs


def resolve(program: str, root: Path, dlopen: list[str] | None = None) -> Closure:
    """Load ``program`` (a path inside ``root``), its interpreter, and the closure.

    ``dlopen`` names objects the program loads at run time (paths inside the root, or
    relative to the program's directory); each is appended with its own closure.
    """
    main = read_elf(_host(root, program))
    res = _Resolver(root, main.machine, _ld_so_conf(root))
    objects = [Loaded(Path(program).name, program, main, None, "program")]
    by_name: dict[str, Loaded] = {}
    missing: list[tuple[str, str]] = []
    parents: dict[int, list[Loaded]] = {0: []}
    queue: deque[int] = deque([0])
    if main.interp:
        try:
            interp = read_elf(_host(root, main.interp))
            objects.append(Loaded(Path(main.interp).name, main.interp, interp, objects[0].name,
                                  "interpreter"))
            by_name[Path(main.interp).name] = objects[-1]
            if interp.soname:
                by_name[interp.soname] = objects[-1]
        except ElfError:
            missing.append((main.interp, objects[0].name))
    extra = []
    for d in dlopen or []:
        path = os.path.normpath(d if d.startswith("/") else str(Path(program).parent / d))
        try:
            elf = read_elf(_host(root, path))
        except ElfError as exc:
            raise ElfError(f"--dlopen {path}: {exc}") from None
        extra.append(Loaded(Path(path).name, path, elf, None, "dlopen"))

    def drain() -> None:
        while queue:
            i = queue.popleft()
            obj = objects[i]
            chain = parents[i]
            for name in obj.elf.needed:
                if name in by_name:
                    continue
                if "/" in name:
                    try:
                        found: tuple[str, ElfFile, str] | None = (
                            name, read_elf(_host(root, _expand(name, str(Path(obj.path).parent)))),
                            "path")
                    except ElfError:
                        found = None
                else:
                    found = res.find(name, _search_dirs(obj, chain, res.conf_dirs))
                if found is None:
                    missing.append((name, obj.name))
                    by_name[name] = obj  # report once
                    continue
                path, elf, how = found
                loaded = Loaded(name, path, elf, obj.name, how)
                by_name[name] = loaded
                objects.append(loaded)
                parents[len(objects) - 1] = [obj, *chain]
                queue.append(len(objects) - 1)

    drain()
    for loaded in extra:
        if loaded.name in by_name:
            continue
        by_name[loaded.name] = loaded
        objects.append(loaded)
        parents[len(objects) - 1] = []
        queue.append(len(objects) - 1)
        drain()
    return Closure(root, objects, missing)
