"""The committed porting reports in docs/porting/: what they are built from, and
how to regenerate or check them.

    python -m abi.inspect.porting            # rewrite docs/porting/*.md
    python -m abi.inspect.porting --check    # exit 1 if one is stale

A report depends on the binaries installed here. Each one lists the GNU
build-id of every object it was made from; ``--check`` compares a report only
when this machine has the same builds (it says "skipped" otherwise), so a
machine with another JDK does not call the committed report stale.
"""

from __future__ import annotations

import argparse
import glob
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from abi.elf import ElfError
from abi.inspect.cli import DEFAULT_CACHE, InspectError, inspect
from abi.inspect.objects import Cache
from abi.inspect.report import to_markdown
from abi.table import DEFAULT_DIR, Table, load_table

DOCS = DEFAULT_DIR.parent / "docs" / "porting"
_BUILD_ID = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]+|-)` \|$", re.M)


@dataclass(frozen=True)
class Target:
    doc: str  # file name under docs/porting/
    title: str
    binaries: tuple[str, ...]  # the first that exists is used (globs allowed)
    dlopen: tuple[str, ...] = ()


TARGETS = (
    # java -version opens these with dlopen (strace -e openat shows them).
    Target("jvm.md", "the JVM (OpenJDK 17, java -version)",
           ("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/usr/lib/jvm/*/bin/java"),
           ("../lib/server/libjvm.so", "../lib/libjava.so", "../lib/libjimage.so")),
    Target("python3.md", "CPython (/usr/bin/python3)", ("/usr/bin/python3",)),
    Target("busybox-static.md", "busybox-static (Debian)", ("/bin/busybox",)),
)


def find_binary(t: Target) -> str | None:
    for pattern in t.binaries:
        for match in sorted(glob.glob(pattern)):
            if Path(match).is_file():
                return match
    return None


def render(t: Target, table: Table, cache: Cache) -> str | None:
    """The Markdown report of a target, or None when it is not installed here."""
    binary = find_binary(t)
    if binary is None:
        return None
    report = inspect(binary, Path("/"), table, list(t.dlopen), cache)
    lines = [to_markdown(report, t.title).rstrip("\n"), "", "## Built from", "",
             "| object | GNU build-id |", "| --- | --- |"]
    lines += [f"| `{o.path}` | `{o.build_id or '-'}` |" for o in report.objects]
    cmd = " ".join(["abi inspect", binary, *(f"--dlopen {d}" for d in t.dlopen)])
    lines += ["", f"Regenerate with `python -m abi.inspect.porting` (`{cmd} --markdown -`).", ""]
    return "\n".join(lines)


def build_ids(markdown: str) -> dict[str, str]:
    return dict(_BUILD_ID.findall(markdown))


def check(t: Target, fresh: str, docs: Path = DOCS) -> str:
    """"fresh", "stale" or "skipped: why" for one committed report."""
    try:
        old = (docs / t.doc).read_text()
    except OSError:
        return "stale"
    if build_ids(old) != build_ids(fresh):
        return f"skipped: {t.doc} was made from other builds than this machine has"
    return "fresh" if old == fresh else "stale"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m abi.inspect.porting",
                                description="regenerate or check docs/porting/*.md")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if one is stale")
    p.add_argument("--table", metavar="DIR", help="syscall table directory")
    p.add_argument("--docs", metavar="DIR", default=str(DOCS))
    args = p.parse_args(argv)
    table = load_table(args.table)
    cache = Cache(DEFAULT_CACHE)
    docs = Path(args.docs)
    status = 0
    for t in TARGETS:
        try:
            fresh = render(t, table, cache)
        except (InspectError, ElfError) as exc:
            print(f"porting: {t.doc}: {exc}", file=sys.stderr)
            return 2
        if fresh is None:
            print(f"porting: {t.doc}: skipped: {t.binaries[0]} is not installed")
            continue
        if args.check:
            state = check(t, fresh, docs)
            print(f"porting: {t.doc}: {state}")
            status |= state == "stale"
        else:
            docs.mkdir(parents=True, exist_ok=True)
            (docs / t.doc).write_text(fresh)
            print(f"porting: wrote {docs / t.doc}")
    return status


if __name__ == "__main__":
    sys.exit(main())
