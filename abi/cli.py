"""The ``abi`` command line: ``abi gen``, ``abi table``, ``abi inspect``, ...

Every subcommand returns an exit status: 0 success, 1 a check found a
difference, 2 bad input (reported as one line, ``file:line: what``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

# The table's, abi conform's, abi inspect's and abi gen's modules are
# imported when the parser is built: `abi run` (abi-run --emu) starts
# without them (the table's YAML loader alone costs a tenth of a second).
from typing import TYPE_CHECKING

from abi.hosted import exec_hosted

if TYPE_CHECKING:
    from abi.table import Syscall, Table


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def _load(args: argparse.Namespace) -> Table:
    from abi.table import load_table

    return load_table(args.table)


def cmd_gen(args: argparse.Namespace) -> int:
    from abi import gen

    table = _load(args)
    out = Path(args.out) if args.out else table.root.parent / "build" / "gen"
    try:
        files = gen.outputs(table, out.resolve(), table.root.parent)
    except gen.docs.RegionError as exc:
        print(f"abi gen: README.md: {exc}", file=sys.stderr)
        return 2
    if args.skip_docs:
        files = {p: t for p, t in files.items() if p.is_relative_to(out.resolve())}
    if args.check:
        bad = gen.stale(files)
        for p in bad:
            print(f"abi gen: stale: {p} (run 'abi gen')", file=sys.stderr)
        return 1 if bad else 0
    for p in gen.write(files):
        print(f"abi gen: wrote {p}")
    return 0


def _signature(s: Syscall) -> str:
    args = ", ".join(f"{a.type.spelling}{'' if a.type.spelling.endswith('*') else ' '}{a.name}"
                     for a in s.args)
    return f"{s.returns.spelling} {s.name}({args or 'void'})"


def _show(table: Table, s: Syscall) -> str:
    lines = [
        _signature(s),
        f"  defined at  {s.path}:{s.line}",
        f"  family      {s.family}",
        "  numbers     " + ", ".join(f"{a} {n}" for a, n in s.numbers.items()),
        f"  status      {s.status}" + (f" ({s.note})" if s.note else ""),
        "  classes     " + (", ".join(sorted(s.classes)) or "-"),
    ]
    for a in s.args:
        extra = [a.dir] + [f"{k}={v}" for k, v in (("kind", a.kind), ("flags", a.flags),
                                                     ("size", a.size)) if v]
        lines.append(f"  arg {a.name:<12} {a.type.spelling}  [{', '.join(extra)}]")
        if a.flags:
            names = " ".join(fv.name for fv in table.flagsets[a.flags].all_values())
            lines.append(f"      {a.flags}: {names}")
    lines.append("  errors      " + (" ".join(s.errors) or "-"))
    if s.since:
        lines.append(f"  since       Linux {s.since}")
    if s.notes:
        lines.append(f"  notes       {s.notes}")
    return "\n".join(lines)


def cmd_table(args: argparse.Namespace) -> int:
    from abi.table import ARCHES, STATUSES

    table = _load(args)
    if args.names:
        unknown = [n for n in args.names if n not in table.by_name]
        if unknown:
            print(f"abi table: no such syscall: {', '.join(unknown)}", file=sys.stderr)
            return 2
        print("\n\n".join(_show(table, table.by_name[n]) for n in args.names))
        return 0
    rows = [s for s in table.syscalls
            if (not args.status or s.status in args.status)
            and (not args.family or s.family in args.family)
            and (not args.cls or args.cls in s.classes)
            and (not args.arch or args.arch in s.numbers)]
    key = args.arch or "x86_64"
    rows.sort(key=lambda s: (s.numbers.get(key, 10_000), s.name))
    for s in rows:
        nrs = " ".join(f"{s.numbers[a]:>4}" if a in s.numbers else "   -" for a in ARCHES)
        print(f"{nrs}  {s.family:<8} {s.status:<12} {_signature(s)}")
    counts = Counter(s.status for s in rows)
    print(f"{len(rows)} syscalls: " + ", ".join(f"{counts[st]} {st}" for st in STATUSES))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from abi.conform.cli import register as register_conform
    from abi.inspect.cli import register as register_inspect
    from abi.table import ARCHES, CLASSES, DEFAULT_DIR, STATUSES

    p = argparse.ArgumentParser(
        prog="abi", formatter_class=_Formatter,
        description="abi: the Linux syscall table, its generator, and the tools around the "
                    "kernel.",
        epilog="examples:\n  abi table openat\n  abi table --status enosys --family file\n"
               "  abi gen --check")
    p.add_argument("--table", metavar="DIR", default=None,
                   help=f"syscall table directory (default: {DEFAULT_DIR})")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser("gen", help="generate C, Python and docs from the table",
                       formatter_class=_Formatter,
                       epilog="examples:\n  abi gen                 # write build/gen and "
                              "docs/SYSCALLS.md\n  abi gen --check         # exit 1 if anything "
                              "is stale")
    g.add_argument("--out", metavar="DIR",
                   help="directory for generated sources (default: build/gen beside the table)")
    g.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if a generated file differs from a fresh one")
    g.epilog = (g.epilog or "") + ("\n\ndocs/SYSCALLS.md is written beside the table's directory "
                                   "(the repository's docs/ by default), and so are the counts "
                                   "in README.md's `<!-- abi gen: NAME -->` regions.")
    g.add_argument("--skip-docs", action="store_true",
                   help="only the build directory, not docs/SYSCALLS.md and README.md "
                        "(what make uses)")
    g.set_defaults(func=cmd_gen)

    t = sub.add_parser("table", help="summarise or show syscall table entries",
                       formatter_class=_Formatter,
                       epilog="examples:\n  abi table openat mmap\n"
                              "  abi table --status enosys --family file\n"
                              "  abi table --class memory --arch aarch64")
    t.add_argument("names", nargs="*", metavar="SYSCALL", help="show these entries in full")
    t.add_argument("--status", action="append", choices=STATUSES, help="filter (repeatable)")
    t.add_argument("--family", action="append", help="filter (repeatable)")
    t.add_argument("--class", dest="cls", choices=sorted(CLASSES), help="filter by class tag")
    t.add_argument("--arch", choices=ARCHES, help="only syscalls that exist on this arch")
    t.set_defaults(func=cmd_table)

    r = sub.add_parser("run", help="run a Linux program on the kernel (same as abi-run)",
                       formatter_class=_Formatter, add_help=False,
                       epilog="example:\n  abi run --trace /bin/busybox echo hi\n"
                              "  abi run --help   (abi-run's options)")
    r.add_argument("args", nargs=argparse.REMAINDER, help="abi-run's options, PROGRAM, ARG...")
    r.set_defaults(func=cmd_run)
    register_conform(sub)
    register_inspect(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"]:
        # everything after `run` is abi-run's, options included (argparse's
        # REMAINDER refuses a leading option such as --trace)
        return exec_hosted(argv[1:])
    from abi.table import TableError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except TableError as exc:
        for e in exc.errors:
            print(f"{_shown(e.path)}:{e.line}: {e.message}", file=sys.stderr)
        return 2


def _shown(path: str) -> str:
    """A path relative to the working directory when it is below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def cmd_run(args: argparse.Namespace) -> int:
    return exec_hosted(args.args)


if __name__ == "__main__":
    sys.exit(main())
