"""``abi inspect``: the porting report of a binary (static analysis, optional run merge)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from abi.elf import ElfError, read_elf
from abi.inspect.closure import resolve
from abi.inspect.needs import Report, build
from abi.inspect.objects import Cache
from abi.inspect.report import to_json, to_markdown, to_text
from abi.inspect.run import RunReportError, load_run, merge
from abi.table import DEFAULT_DIR, Table, TableError, load_table

DEFAULT_CACHE = DEFAULT_DIR.parent / "build" / "inspect-cache"

EPILOG = """examples:
  abi inspect /usr/bin/python3
  abi inspect /usr/lib/jvm/java-17-openjdk-amd64/bin/java \\
      --dlopen ../lib/server/libjvm.so --markdown jvm.md
  abi inspect --root /srv/sysroot /bin/busybox --json -
  abi inspect /usr/bin/python3 --merge-run run.json

Static analysis: the DT_NEEDED closure as ld.so resolves it, every syscall site
found with capstone, libc's call graph for the functions the closure imports,
joined with the syscall table. docs/porting/README.md explains the report."""


class InspectError(Exception):
    """Bad input: ``path: what is wrong``."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("inspect", help="porting report for a binary",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="What does this program need from the kernel?")
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("binary", help="the program (a path inside --root)")
    p.add_argument("--root", metavar="DIR", default="/",
                   help="resolve the program, its libraries and /etc/ld.so.conf under DIR")
    p.add_argument("--dlopen", metavar="LIB", action="append", default=[],
                   help="an object the program loads at run time (repeatable; relative paths "
                        "are relative to the program's directory)")
    p.add_argument("--json", metavar="FILE", help="write the report as JSON ('-': stdout)")
    p.add_argument("--markdown", metavar="FILE", help="write the report as Markdown ('-': stdout)")
    p.add_argument("--title", help="title of the Markdown report")
    p.add_argument("--merge-run", metavar="FILE",
                   help="join an abi-run --report FILE: statically needed vs actually used")
    p.add_argument("--cache", metavar="DIR", default=str(DEFAULT_CACHE),
                   help="per-object analysis cache (default: build/inspect-cache)")
    p.add_argument("--no-cache", action="store_true", help="analyse every object afresh")
    if not any(a.dest == "table" for a in p._actions):
        p.add_argument("--table", metavar="DIR", default=argparse.SUPPRESS,
                       help=f"syscall table directory (default: {DEFAULT_DIR})")


def inspect(binary: str, root: Path, table: Table, dlopen: list[str] | None = None,
            cache: Cache | None = None) -> Report:
    """Build the static report; ``InspectError`` for bad input."""
    host = root / binary.lstrip("/")
    try:
        elf = read_elf(host)
    except ElfError as exc:
        raise InspectError(f"{binary}: {exc}") from None
    if elf.machine != "x86_64":
        raise InspectError(f"{binary}: {elf.machine} ELF: only x86_64 programs can be inspected")
    try:
        closure = resolve(binary, root, dlopen)
    except ElfError as exc:
        raise InspectError(f"{binary}: {exc}") from None
    cache = cache or Cache(None)
    analyses = []
    for obj in closure.objects:
        try:
            analyses.append(cache.analyze(obj.elf))
        except ElfError as exc:
            raise InspectError(f"{obj.path}: {exc}") from None
    return build(closure, analyses, table)


def _write(target: str, text: str) -> None:
    if target == "-":
        sys.stdout.write(text)
    else:
        Path(target).write_text(text)


def run(args: argparse.Namespace) -> int:
    try:
        table = load_table(getattr(args, "table", None))
    except TableError as exc:
        first = str(exc.errors[0]) if exc.errors else "cannot load"
        print(f"abi inspect: syscall table: {first}", file=sys.stderr)
        return 2
    return run_with(args, table)


def run_with(args: argparse.Namespace, table: Table) -> int:
    """``run`` with the table already loaded (tests load it once)."""
    root = Path(args.root)
    if not root.is_dir():
        print(f"abi inspect: {args.root}: --root is not a directory", file=sys.stderr)
        return 2
    try:
        report = inspect(args.binary, root, table, args.dlopen,
                         Cache(None if args.no_cache else Path(args.cache)))
        if args.merge_run:
            try:
                merge(report, load_run(Path(args.merge_run)), Path(args.merge_run).name)
            except RunReportError as exc:
                raise InspectError(f"{args.merge_run}: {exc}") from None
    except InspectError as exc:
        print(f"abi inspect: {exc}", file=sys.stderr)
        return 2
    if args.json:
        _write(args.json, to_json(report))
    if args.markdown:
        _write(args.markdown, to_markdown(report, args.title))
    if "-" not in (args.json, args.markdown):
        sys.stdout.write(to_text(report))
    return 0
