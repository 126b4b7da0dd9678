"""``abi gen``: everything derived from the syscall table.

Build outputs go under the build directory (never committed); docs/SYSCALLS.md
is committed so it can be read on the web, and ``--check`` keeps it fresh, as
it does README.md's marked regions (the counts it quotes from the table).
Generation is a pure function of the table: same table, same bytes.
"""

from __future__ import annotations

from pathlib import Path

from abi.gen import c, docs, py
from abi.table import Table


def outputs(table: Table, out: Path, root: Path) -> dict[Path, str]:
    """Every generated file, by absolute path."""
    files = {out / rel: text for rel, text in c.build_files(table).items()}
    files.update({out / rel: text for rel, text in py.build_files(table).items()})
    files.update({root / rel: text for rel, text in docs.doc_files(table).items()})
    readme = root / "README.md"
    if readme.is_file():
        files[readme] = docs.fill_regions(table, readme.read_text(encoding="utf-8"))
    return files


def write(files: dict[Path, str]) -> list[Path]:
    """Write files whose content changed; return those paths (mtimes of the rest stay)."""
    changed = []
    for path, text in sorted(files.items()):
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        changed.append(path)
    return changed


def stale(files: dict[Path, str]) -> list[Path]:
    """Files that are missing or differ from a fresh generation."""
    return [p for p, text in sorted(files.items())
            if not p.is_file() or p.read_text(encoding="utf-8") != text]
