"""``abi conform``: run the conformance suite against a runner and report where it differs.

Exit status: 0 every case matches, 1 any case differs or times out, 2 a runner
error or bad input (one line ``abi conform: ...``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO

from abi.conform.build import BuildError, build_probe, variants_for
from abi.conform.engine import Result, run_suite
from abi.conform.report import write_run
from abi.conform.runners import (
    ARCH_RUNNERS,
    PLANNED,
    REFERENCES,
    RunnerError,
    probe,
    resolve_reference,
    resolve_runner,
)
from abi.conform.suite import SuiteError, default_root, load_known, load_suite
from abi.table import TableError, load_table

REPO = Path(__file__).resolve().parent.parent.parent
DEFAULT_BUILD = REPO / "build" / "conformance"

EPILOG = """examples:
  abi conform                                  # native vs native: the suite is deterministic
  abi conform --runner qemu --report build/conformance/report
  abi conform --runner hosted -k files         # abi-run, only cases whose id contains 'files'
  abi conform --runner emu -j 2                # abi-run --emu: unicorn and the same kernel
  abi conform --runner "qemu-x86_64 -L /" -k 'busybox/*' -j 4
  abi conform --runner emu-aarch64 --report build/conformance/report   # vs qemu-aarch64

Runners: native (no prefix), qemu (qemu-x86_64), hosted (abi-run), emu (abi run
--emu, the emulated platform), emu-aarch64 (the same on the aarch64 builds, against
qemu-aarch64), qemu-aarch64, or any command prefix. Cases live
in conformance/ (see conformance/README.md); they are built into build/conformance/. A
report directory accumulates one JSON per runner and rebuilds report.md and index.html
(a syscall matrix across all of them)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("conform", help="run the conformance suite against a runner",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="Run every case under the reference and under the runner "
                                   "and compare exit status, stdout, stderr and files.")
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runner", default="native",
                   metavar="native|hosted|qemu|emu|emu-aarch64|qemu-aarch64|CMD",
                   help="what runs the cases under test (default: native)")
    p.add_argument("--reference", default=None, choices=REFERENCES,
                   help="what defines the expected behaviour (default: native; "
                        "qemu-aarch64 for an aarch64 runner)")
    p.add_argument("-k", dest="pattern", metavar="PATTERN",
                   help="only case ids containing PATTERN (a glob when it has * ? [), "
                        "e.g. files, 'busybox/*', '*[[]musl]'")
    p.add_argument("-j", dest="jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="cases run at once (default: the number of CPUs)")
    p.add_argument("--report", metavar="DIR",
                   help="write JSON, JUnit XML, report.md and index.html into DIR")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S",
                   help="seconds before a case is killed and reported as a timeout (default 30)")
    p.add_argument("--variant", action="append", metavar="NAME",
                   help="C build variants (repeatable; default glibc and musl; also glibc-call)")
    p.add_argument("--suite", metavar="DIR", default=None,
                   help="the conformance directory (default: the repository's conformance/)")
    p.add_argument("--build-dir", metavar="DIR", default=None,
                   help=f"where cases are built (default: {DEFAULT_BUILD})")
    p.add_argument("--list", action="store_true", help="list the selected case ids and exit")
    p.add_argument("--no-progress", action="store_true",
                   help="plain lines even on a terminal")
    if not any(a.dest == "table" for a in p._actions):
        p.add_argument("--table", metavar="DIR", default=argparse.SUPPRESS,
                       help="syscall table directory")


class Progress:
    """A progress bar on a terminal; one plain line per case otherwise."""

    def __init__(self, stream: TextIO, bar: bool) -> None:
        self.stream = stream
        self.bar = bar
        self.total = 0
        self.done = 0
        self.bad = 0
        self.lock = threading.Lock()

    def start(self, total: int) -> None:
        self.total = total

    def result(self, r: Result) -> None:
        with self.lock:
            self.done += 1
            self.bad += r.outcome in ("fail", "timeout", "error")
            secs = r.runner.get("seconds")
            line = (f"{r.outcome.upper():<7} {r.id}" + (f"  {secs}s" if secs is not None else "")
                    + (f"  {r.message}" if r.outcome != "pass" and r.message else ""))
            if not self.bar:
                print(line, file=self.stream, flush=True)
                return
            width = 30
            filled = width * self.done // max(1, self.total)
            clear = "\r\033[K"
            if r.outcome not in ("pass", "skip"):
                self.stream.write(clear + line + "\n")
            self.stream.write(f"{clear}[{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total}  {self.bad} bad  {r.id[:40]}")
            self.stream.flush()

    def finish(self) -> None:
        if self.bar and self.total:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _fail(msg: str) -> int:
    print(f"abi conform: {msg}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (SuiteError, RunnerError, BuildError) as exc:
        return _fail(str(exc))
    except TableError as exc:
        e = exc.errors[0]
        return _fail(f"{e.path}:{e.line}: {e.message}")
    except KeyboardInterrupt:
        return _fail("interrupted")
    except BrokenPipeError:  # abi conform --list | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace) -> int:
    if args.runner in PLANNED:  # before building anything: it cannot run
        return _fail(f"runner {args.runner}: {PLANNED[args.runner]}")
    if args.jobs < 1:
        return _fail("-j needs a positive number")
    if args.timeout <= 0:
        return _fail("--timeout needs a positive number of seconds")
    suite = load_suite(Path(args.suite) if args.suite else default_root())
    table = load_table(getattr(args, "table", None))
    unknown = sorted({n for c in suite.cases for n in c.covers if n not in table.by_name})
    if unknown:
        c = next(c for c in suite.cases if unknown[0] in c.covers)
        return _fail(f"{c.source}:{c.line}: covers {unknown[0]!r}, which is not in the table")
    arch, implied = ARCH_RUNNERS.get(args.runner, ("x86_64", "native"))
    reference = resolve_reference(args.reference or implied)
    if args.runner in ARCH_RUNNERS and reference.arch != arch:
        return _fail(f"runner {args.runner} runs {arch} programs; the reference "
                     f"{reference.name} runs {reference.arch} ones")
    variants, skipped = variants_for(reference.arch, args.variant)
    if not variants:
        return _fail("no C build variant can be built here: "
                     + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    if args.list:
        from abi.conform.engine import select
        for j in select(list(suite.cases), variants, args.pattern, reference.arch):
            print(j.id + (f"  (skip: {j.skip})" if j.skip else ""))
        return 0
    runner = resolve_runner(args.runner)
    runner = type(runner)(runner.name, runner.prefix, reference.arch)
    build_dir = Path(args.build_dir) if args.build_dir else DEFAULT_BUILD
    header = suite.root / "cases" / "sys.h"
    exe = build_probe(variants[0], build_dir, header)
    build_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="probe-", dir=build_dir) as tmp:
        probe(reference, exe, Path(tmp), min(args.timeout, 60))
        probe(runner, exe, Path(tmp), min(args.timeout, 60))
    for v, why in skipped.items():
        print(f"abi conform: variant {v} skipped: {why}", file=sys.stderr)
    bar = sys.stderr.isatty() and not args.no_progress
    progress = Progress(sys.stderr if bar else sys.stdout, bar)
    record = run_suite(list(suite.cases), variants, skipped, runner, reference,
                       build_dir=build_dir, timeout=args.timeout, jobs=args.jobs,
                       pattern=args.pattern, on_start=progress.start, on_result=progress.result,
                       known=load_known(suite.root, reference.name))
    progress.finish()
    if not record.results:
        return _fail(f"no case matches -k {args.pattern!r}")
    if args.report:
        covers = {c.name: list(c.covers) for c in suite.c_cases}
        paths = write_run(record, Path(args.report), covers, table)
        rel = os.path.relpath(paths[-1])
        print(f"abi conform: report in {paths[-1] if rel.startswith('..') else rel}")
    print(record.summary())
    counts = record.counts()
    if counts["error"]:
        return 2
    return 1 if counts["fail"] or counts["timeout"] else 0
