"""make bench: every benchmark as a ratio against native Linux, measured in the same run.

Two kinds:
- syscall costs (tools/bench/libbench.c): the same operation as a raw `syscall`
  on the host and as a function call into the kernel library, best of five
  rounds of 20,000;
- programs under abi-run (when build/hosted/abi-run exists): wall time of a real
  program run natively and under abi-run, best of five; among them the host's
  `java -version` (OpenJDK 17) under `abi-run --root /`, a row that says
  "error" when abi-run fails to run it;
- directories (tools/bench/dirbench.c, under abi-run): creating, stating and
  unlinking 10,000 and 100,000 files in one directory, and mkdir+chdir 1,000
  and 5,000 levels deep, on ramfs (abi-run --sandbox; native: tmpfs, /dev/shm)
  and on hostfs (abi-run's default root; native: the same disk, under build/),
  timed inside the program;
- threads (tools/bench/threadbench.c, static, timed inside the program):
  thread create+join, a futex ping-pong between two threads, an uncontended
  mutex lock+unlock and a signal round trip (raise -> handler -> return),
  natively and under abi-run, best of five. A run that fails under abi-run
  is an error row, not a traceback.

`--only dirs` (or syscalls, programs, threads; comma-separated) runs one section.

Prints a Markdown table (the format of docs/BENCHMARKS.md) on stdout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
ROUNDS = 5


# A row: (name, native, abi or why abi-run failed, unit).
Row = tuple[str, float, float | str, str]


def libbench(exe: Path, lib: Path) -> list[Row]:
    out = subprocess.run([exe, lib], check=True, capture_output=True, text=True).stdout
    rows: list[Row] = []
    for line in out.splitlines():
        name, native, abi = line.split()
        rows.append((name, float(native), float(abi), "ns/op"))
    return rows


def best_wall(argv: list[str], cwd: Path, timeout: float | None = None) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL if timeout else None, timeout=timeout)
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


JAVA = Path("/usr/lib/jvm/java-17-openjdk-amd64/bin/java")


def wall_or_error(argv: list[str], cwd: Path) -> float | str:
    """best_wall of a program whose output is not wanted (stderr too), or
    why it failed: the row says so instead of ending the run."""
    try:
        return best_wall(argv, cwd, timeout=120)
    except subprocess.CalledProcessError as e:
        if e.returncode < 0:
            return f"error: killed by signal {-e.returncode}"
        return f"error: exit {e.returncode}"
    except subprocess.TimeoutExpired:
        return "error: timed out (120 s)"


def programs(abi_run: Path) -> list[Row]:
    busybox = shutil.which("busybox") or "/bin/busybox"
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="abi-bench-") as tmp:
        work = Path(tmp)
        (work / "data").write_bytes(os.urandom(16 << 20))
        for name, argv in (("busybox true", [busybox, "true"]),
                           ("busybox sha256sum 16 MiB", [busybox, "sha256sum", "data"]),
                           ("busybox find /usr/include", [busybox, "find", "/usr/include"])):
            rows.append((name, best_wall(argv, work), best_wall([str(abi_run), *argv], work),
                         "ms"))
        if JAVA.exists():
            argv = [str(JAVA), "-version"]
            rows.append(("java -version (OpenJDK 17, --root /)", best_wall(argv, work, timeout=120),
                         wall_or_error([str(abi_run), "--root", "/", *argv], work), "ms"))
        else:
            print(f"bench: no {JAVA}; the java -version row is skipped", file=sys.stderr)
    return rows


# (threadbench's name, operations per run, unit, what a row says)
THREAD_BENCHES = (("create-join", 5_000, "µs/op", "thread create+join"),
                  ("futex-pingpong", 50_000, "ns/round", "futex ping-pong between two threads"),
                  ("mutex", 5_000_000, "ns/op", "uncontended mutex lock+unlock"),
                  ("signal", 100_000, "ns/op", "signal round trip (raise, handler, return)"))


def best_threadbench(argv: list[str], name: str, n: int) -> float | str:
    """The best of ROUNDS runs in ns per operation, or why a run failed."""
    best = float("inf")
    for _ in range(ROUNDS):
        try:
            p = subprocess.run([*argv, name, str(n)], capture_output=True, text=True,
                               timeout=120, check=False)
        except subprocess.TimeoutExpired:
            return "error: timed out after 120 s"
        if p.returncode != 0:
            status = f"signal {-p.returncode}" if p.returncode < 0 else f"exit {p.returncode}"
            first = (p.stderr.strip().splitlines() or [""])[-1][:80]
            return f"error: {status}: {first}".rstrip(": ")
        try:
            best = min(best, float(p.stdout.split()[0]))
        except (IndexError, ValueError):
            return f"error: unexpected output {p.stdout[:40]!r}"
    return best


def threads(threadbench: Path, abi_run: Path) -> list[Row]:
    rows: list[tuple[str, float, float | str, str]] = []
    for name, n, unit, what in THREAD_BENCHES:
        scale = 1e-3 if unit.startswith("µs") else 1.0
        native = best_threadbench([str(threadbench)], name, n)
        if isinstance(native, str):
            raise SystemExit(f"bench: threadbench {name} fails natively: {native}")
        abi = best_threadbench([str(abi_run), str(threadbench)], name, n)
        rows.append((what, native * scale, abi if isinstance(abi, str) else abi * scale, unit))
    return rows


# (phase, unit, what a row says) for dirbench's phases; {n} is the count.
FILE_PHASES = (("create", "µs/file", "create {n} files in one directory"),
               ("stat", "µs/file", "stat {n} files in one directory"),
               ("unlink", "µs/file", "unlink {n} files in one directory"))
NEST_PHASES = (("nest", "µs/level", "mkdir+chdir to depth {n}"),
               ("unnest", "µs/level", "chdir ..+rmdir from depth {n}"))
PHASE_NAME = {"create": "create", "stat": "stat", "unlink": "unlink", "nest": "mkdir+chdir",
              "unnest": "chdir..+rmdir"}


class Timing:
    """One dirbench phase: mean µs per operation, and over its first and
    last tenth (a cost that grows with the entries or the depth shows as
    last well above first)."""

    def __init__(self, n: int, line: str) -> None:
        _, total_ms, first, last = line.rsplit(" ", 3)
        self.per_op = float(total_ms) * 1e3 / n
        self.first, self.last = float(first), float(last)


def run_dirbench(argv: list[str], n: int, phases: list[str]) -> dict[str, Timing]:
    out = subprocess.run([*argv, str(n), *phases], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    return {p: Timing(n, line) for p, line in zip(phases, out, strict=True)}


def best(a: dict[str, Timing] | None, b: dict[str, Timing]) -> dict[str, Timing]:
    if a is None:
        return b
    return {p: min(a[p], b[p], key=lambda t: t.per_op) for p in b}


# A directory row: (name, unit, native, abi).
DirRow = tuple[str, str, Timing, Timing]


def dir_rows(fs: str, results: dict[tuple[str, int], tuple[Timing, Timing]],
             phases: tuple[tuple[str, str, str], ...], counts: list[int]) -> list[DirRow]:
    rows = []
    for n in counts:
        for phase, unit, what in phases:
            native, abi = results[(phase, n)]
            rows.append((f"{fs}: {what.format(n=f'{n:,}')}", unit, native, abi))
    return rows


def dirs_ramfs(dirbench: Path, abi_run: Path, sizes: list[int], depths: list[int],
               rounds: int) -> list[DirRow]:
    """tmpfs natively against abi-run --sandbox's ramfs; each run starts
    empty and does every phase."""
    results: dict[tuple[str, int], tuple[Timing, Timing]] = {}
    shm = Path("/dev/shm")
    for counts, phases in ((sizes, ["create", "stat", "unlink"]), (depths, ["nest", "unnest"])):
        for n in counts:
            native = abi = None
            for _ in range(rounds):
                with tempfile.TemporaryDirectory(prefix="abi-bench-", dir=shm) as tmp:
                    native = best(native, run_dirbench([str(dirbench), tmp], n, phases))
                abi = best(abi, run_dirbench([str(abi_run), "--sandbox", str(dirbench), "/tmp"],
                                             n, phases))
            for p in phases:
                results[(p, n)] = (native[p], abi[p])  # type: ignore[index]
    return (dir_rows("ramfs", results, FILE_PHASES, sizes) +
            dir_rows("ramfs", results, NEST_PHASES, depths))


def dirs_hostfs(dirbench: Path, abi_run: Path, sizes: list[int], depths: list[int]) -> list[DirRow]:
    """The same disk natively and through hostfs (abi-run's root is the host's
    /), one run each. Every deletion comes last: ext4 makes an inode
    allocation soon after many deletions scan past the deleted inodes, which
    would charge one side for the other's unlinks."""
    results: dict[tuple[str, int], tuple[Timing, Timing]] = {}
    work = BUILD / "bench"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="abi-bench-", dir=work) as tmp:
        sides = {"native": [str(dirbench)], "abi": [str(abi_run), str(dirbench)]}
        plan = ([(n, "create") for n in sizes] + [(n, "nest") for n in depths] +
                [(n, "stat") for n in sizes] + [(n, "unlink") for n in sizes] +
                [(n, "unnest") for n in depths])
        got: dict[tuple[str, int, str], Timing] = {}
        for n, phase in plan:
            for side, argv in sides.items():
                where = Path(tmp) / f"{side}-{'d' if phase in ('nest', 'unnest') else 'f'}-{n}"
                where.mkdir(exist_ok=True)
                got[(side, n, phase)] = run_dirbench([*argv, str(where)], n, [phase])[phase]
        for n, phase in plan:
            results[(phase, n)] = (got[("native", n, phase)], got[("abi", n, phase)])
    return (dir_rows("hostfs", results, FILE_PHASES, sizes) +
            dir_rows("hostfs", results, NEST_PHASES, depths))


def print_dir_growth(rows: list[DirRow]) -> None:
    print()
    print("| benchmark | native first | native last | abi first | abi last | unit |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, unit, native, abi in rows:
        print(f"| {name} | {native.first:.1f} | {native.last:.1f} | {abi.first:.1f} | "
              f"{abi.last:.1f} | {unit} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--libbench", type=Path, default=BUILD / "bench" / "libbench")
    p.add_argument("--lib", type=Path, default=BUILD / "kernel" / "libabik.so")
    p.add_argument("--abi-run", type=Path, default=BUILD / "hosted" / "abi-run")
    p.add_argument("--dirbench", type=Path, default=BUILD / "bench" / "dirbench")
    p.add_argument("--threadbench", type=Path, default=BUILD / "bench" / "threadbench")
    p.add_argument("--only", default="syscalls,programs,dirs,threads",
                   help="comma-separated sections: syscalls, programs, dirs, threads")
    p.add_argument("--sizes", default="10000,100000",
                   help="dirs: files in one directory (comma-separated)")
    p.add_argument("--depths", default="1000,5000", help="dirs: nesting depths")
    p.add_argument("--fs", default="ramfs,hostfs", help="dirs: ramfs, hostfs")
    p.add_argument("--rounds", type=int, default=3, help="dirs: ramfs runs, the best kept")
    args = p.parse_args()
    only = set(args.only.split(","))
    unknown = only - {"syscalls", "programs", "dirs", "threads"}
    if unknown:
        p.error(f"unknown section {', '.join(sorted(unknown))}")
    needed = {"syscalls": [args.libbench, args.lib], "dirs": [args.dirbench],
              "threads": [args.threadbench]}
    missing = sorted({str(x) for s in only for x in needed.get(s, []) if not x.exists()})
    if missing:
        p.error(f"not built: {', '.join(missing)} (make bench builds them)")
    rows: list[Row] = []
    dirs: list[DirRow] = []
    if "syscalls" in only:
        rows += libbench(args.libbench, args.lib)
    if not args.abi_run.exists():
        print(f"bench: {args.abi_run} not built; abi-run benchmarks skipped", file=sys.stderr)
    else:
        if "programs" in only:
            rows += programs(args.abi_run)
        if "threads" in only:
            rows += threads(args.threadbench, args.abi_run)
        if "dirs" in only:
            sizes = [int(x) for x in args.sizes.split(",")]
            depths = [int(x) for x in args.depths.split(",")]
            fss = args.fs.split(",")
            if "ramfs" in fss:
                dirs += dirs_ramfs(args.dirbench, args.abi_run, sizes, depths, args.rounds)
            if "hostfs" in fss:
                dirs += dirs_hostfs(args.dirbench, args.abi_run, sizes, depths)
    print("| benchmark | native | abi | unit | abi / native |")
    print("| --- | ---: | ---: | --- | ---: |")
    for name, native, abi, unit in rows:
        if isinstance(abi, str):  # the run failed under abi-run: say why
            print(f"| {name} | {native:.1f} | {abi} | {unit} | - |")
        else:
            print(f"| {name} | {native:.1f} | {abi:.1f} | {unit} | {abi / native:.2f} |")
    for name, unit, nt, at in dirs:
        print(f"| {name} | {nt.per_op:.1f} | {at.per_op:.1f} | {unit} | "
              f"{at.per_op / nt.per_op:.2f} |")
    if dirs:
        print_dir_growth(dirs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
