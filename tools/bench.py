"""make bench: every benchmark as a ratio against native Linux, measured in the same run.

Two kinds:
- syscall costs (tools/bench/libbench.c): the same operation as a raw `syscall`
  on the host and as a function call into the kernel library, best of five
  rounds of 20,000;
- start-up (tools/bench/spawnbench.c): a static musl hello and `busybox true`
  run natively and under the installed abi-run (.venv/bin/abi-run, the
  native binary), by one fork+exec+wait loop, best of 300 runs;
- programs under abi-run (when build/hosted/abi-run exists): wall time of a real
  program run natively and under abi-run, best of five; among them the host's
  `java -version` (OpenJDK 17) under `abi-run --root /`, a row that says
  "error" when abi-run fails to run it;
- files: the host's own programs over a real tree under `abi-run --root /`
  (find, grep -r, md5sum of 500 files, an sqlite3 script, cp -a), best of
  five, native and abi-run taking turns round by round, and again with
  every call trapped (--no-rewrite);
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

- emu (tools/bench/emubench.c, static, timed inside the program; and the
  conformance suite): the emulated platform, `abi run --emu` (unicorn and
  libabik.so), against native and against qemu-x86_64 running the same
  binary: the syscall round trip (getppid), a compute loop and the
  instructions per second it runs at (counted by --emu --count), and the
  wall time of the whole conformance corpus under each runner (the sum of
  the runner's own per-case times that `abi conform` records); in the
  qemu rows the "native" column is qemu-x86_64's, so the ratio is emu's
  against qemu-user's.

- function calls (issue 17; tools/bench/callbench.c, static, built with
  abi-cc and with musl-gcc): per operation, the median of five rounds
  timed inside the program, in four columns: native Linux (the abi-cc
  build, whose libc uses `syscall` there), abi-run's function-call entry
  (the abi-cc build), abi-run's trapped path (the musl-gcc build under
  --no-rewrite) and libabik.so called directly (libbench's row for the
  same operation); and
  two whole programs: a 100 MiB copy in 4 KiB reads and writes (wall time,
  best of five, the sides taking turns) and a static hello's start-up
  (spawnbench, best of 300).

`--only dirs` (or syscalls, startup, programs, files, threads, emu, fastcall;
comma-separated) runs one section.

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
from collections.abc import Callable
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




def best_pair(native: list[str], hosted: list[str], cwd: Path, *, stdin: Path | None = None,
              stdout: Path | None = None,
              prepare: Callable[[], None] | None = None) -> tuple[float, float]:
    """Each side's best of ROUNDS runs in ms, the sides taking turns (on a
    shared machine the load moves between rounds, not within one);
    prepare() runs, untimed, before each run."""
    best = [float("inf"), float("inf")]
    for _ in range(ROUNDS):
        for side, argv in enumerate((native, hosted)):
            if prepare:
                prepare()
            with open(stdin or os.devnull, "rb") as i, open(stdout or os.devnull, "wb") as o:
                t0 = time.perf_counter()
                subprocess.run(argv, cwd=cwd, check=True, stdin=i, stdout=o)
                best[side] = min(best[side], time.perf_counter() - t0)
    return best[0] * 1e3, best[1] * 1e3


def startup(spawnbench: Path, abi_run: Path, hello: Path) -> list[Row]:
    """A native exec against the installed abi-run's: the best of 300 runs in µs (the
    median moves with the machine's load; spawnbench prints both)."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    installed = REPO / ".venv" / "bin" / "abi-run"
    runner = str(installed if installed.exists() else abi_run)
    rows: list[Row] = []
    for name, argv in (("start-up: static hello", [str(hello)]),
                       ("start-up: busybox true", [busybox, "true"])):
        def median(cmd: list[str]) -> float:
            out = subprocess.run([str(spawnbench), "300", *cmd], check=True,
                                 capture_output=True, text=True).stdout
            return float(out.split()[1])
        rows.append((name, median(argv), median([runner, *argv]), "µs"))
    return rows


SQL = """create table t(a integer, b text);
begin;
with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000)
insert into t select x, hex(randomblob(16)) from c;
commit;
select count(*), sum(a) from t where b like 'A%';
create index i on t(b);
select count(*) from t where b > '8';
"""


def files(abi_run: Path) -> list[Row]:
    """The host's programs over /usr/include, natively and under
    `abi-run --root /`, each side's best of five; then again with every
    call trapped (`--no-rewrite`), to show what the rewritten sites save."""
    inc = Path("/usr/include")
    found = {t: shutil.which(t) for t in ("find", "grep", "md5sum", "sqlite3", "cp")}
    missing = [t for t, p in found.items() if not p]
    tools = {t: str(p) for t, p in found.items()}
    if missing or not inc.is_dir():
        print(f"bench: files section skipped (missing: {', '.join(missing) or inc})",
              file=sys.stderr)
        return []
    hosted = [str(abi_run), "--root", "/"]
    names = sorted(str(p) for p in inc.rglob("*.h") if p.is_file() and not p.is_symlink())[:500]
    rows: list[Row] = []
    work = BUILD / "bench"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="abi-files-", dir=work) as tmp:
        w = Path(tmp)
        (w / "w.sql").write_text(SQL)

        def fresh(p: Path) -> Callable[[], None]:
            def go() -> None:
                if p.is_dir():
                    shutil.rmtree(p)
                elif p.exists():
                    p.unlink()
            return go

        # (row, argv, stdin, the output file, what to remove before a run)
        cases: list[tuple[str, list[str], Path | None, Path | None, Path | None]] = [
            ("find /usr/include", [tools["find"], str(inc)], None, w / "out", None),
            ("grep -r define /usr/include", [tools["grep"], "-r", "define", str(inc)], None,
             w / "out", None),
            ("md5sum 500 files of /usr/include", [tools["md5sum"], *names], None, w / "out",
             None),
            ("sqlite3: 20,000 rows, an index, two queries", [tools["sqlite3"], "db"],
             w / "w.sql", w / "out", w / "db"),
            ("cp -a /usr/include/linux", [tools["cp"], "-a", str(inc / "linux"), "copy"], None,
             None, w / "copy"),
        ]
        for name, argv, stdin, stdout, remove in cases:
            prep = fresh(remove) if remove else None
            argv = [a for a in argv if a]
            native, abi = best_pair(argv, [*hosted, *argv], w, stdin=stdin, stdout=stdout,
                                    prepare=prep)
            rows.append((name, native, abi, "ms"))
            native, abi = best_pair(argv, [*hosted, "--no-rewrite", *argv], w, stdin=stdin,
                                    stdout=stdout, prepare=prep)
            rows.append((f"{name}, every call trapped (--no-rewrite)", native, abi, "ms"))
    return rows


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


EMU = [str(REPO / ".venv" / "bin" / "abi"), "run", "--emu"]


def emubench_value(argv: list[str]) -> float:
    """The one number emubench prints, best (lowest) of ROUNDS runs."""
    return min(float(subprocess.run(argv, check=True, capture_output=True, text=True)
                     .stdout.split()[0]) for _ in range(ROUNDS))


def emu_insns(emubench: Path, n: int) -> int:
    """Instructions of n iterations of emubench's loop: --count of n less --count of 0."""
    def count(k: int) -> int:
        err = subprocess.run([*EMU, "--count", str(emubench), "loop", str(k)], check=True,
                             capture_output=True, text=True).stderr
        for line in err.splitlines():
            if line.startswith("abi-run: --count: "):
                return int(line.split()[2])
        raise RuntimeError(f"no --count line in {err!r}")
    return count(n) - count(0)


def corpus_seconds(runner: str) -> float:
    """The runner's summed per-case wall time over the conformance suite."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(REPO / ".venv" / "bin" / "abi"), "conform", "--runner", runner,
                        "-j", "1", "--no-progress", "--report", tmp], check=False,
                       capture_output=True)
        data = json.loads((Path(tmp) / f"{runner}.json").read_text())
    return sum(r["runner"]["seconds"] for r in data["results"] if r.get("runner"))


def emu(emubench: Path) -> list[Row]:
    qemu = shutil.which("qemu-x86_64")
    rows: list[Row] = []
    calls, iters = 20_000, 2_000_000
    native_sys = emubench_value([str(emubench), "syscall", str(calls)])
    emu_sys = emubench_value([*EMU, str(emubench), "syscall", str(calls)])
    rows.append(("emu: getppid round trip", native_sys, emu_sys, "ns/op"))
    native_loop = emubench_value([str(emubench), "loop", str(iters)])
    emu_loop = emubench_value([*EMU, str(emubench), "loop", str(iters)])
    rows.append(("emu: compute loop (2M iterations)", native_loop, emu_loop, "ms"))
    insns = emu_insns(emubench, iters)
    rows.append(("emu: instructions per second, compute loop", insns / native_loop / 1e3,
                 insns / emu_loop / 1e3, "M insns/s"))
    if qemu:
        q_sys = emubench_value([qemu, str(emubench), "syscall", str(calls)])
        q_loop = emubench_value([qemu, str(emubench), "loop", str(iters)])
        rows.append(("emu vs qemu-x86_64: getppid round trip", q_sys, emu_sys, "ns/op"))
        rows.append(("emu vs qemu-x86_64: compute loop", q_loop, emu_loop, "ms"))
        rows.append(("emu vs qemu-x86_64: conformance corpus, runner wall",
                     corpus_seconds("qemu"), corpus_seconds("emu"), "s"))
    return rows


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


# (callbench's op, operations per round, what a row says, libbench's row)
CALL_OPS = (("getpid", 200_000, "getpid", "getpid"),
            ("clock_gettime", 200_000, "clock_gettime(CLOCK_MONOTONIC)",
             "clock_gettime-monotonic"),
            ("write-null", 100_000, "write 1 byte to /dev/null", "write-1-dev-null"),
            ("read-4k", 50_000, "pread 4 KiB from a ramfs file", "pread64-4k"),
            ("open-close", 20_000, "open+close", "openat+close"),
            ("stat", 50_000, "stat", "newfstatat"),
            ("mmap-munmap", 20_000, "mmap+touch+munmap 64 KiB", "mmap+touch+munmap-64k"),
            ("futex-wake", 200_000, "futex wake, no waiter", "futex-wake-no-waiter"))

# A function-call row: (name, native, fast, trapped, libabik.so or None, unit).
CallRow = tuple[str, float, float | str, float | str, float | None, str]


def callbench(argv: list[str]) -> float | str:
    """callbench's median ns per operation, or why the run failed."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        return "error: timed out after 300 s"
    if p.returncode != 0:
        return f"error: exit {p.returncode}: {p.stderr.strip()[-80:]}"
    return float(p.stdout.split()[0])


def fastcall(abi_run: Path, libbench_exe: Path, lib: Path, spawnbench: Path) -> list[CallRow]:
    fast_exe, trapped_exe = BUILD / "bench" / "callbench-abi", BUILD / "bench" / "callbench-musl"
    libabik = {name: abi for name, _, abi, _ in libbench(libbench_exe, lib)}
    rows: list[CallRow] = []
    for op, n, what, lib_row in CALL_OPS:
        native = callbench([str(fast_exe), op, str(n)])
        if isinstance(native, str):
            raise SystemExit(f"bench: callbench {op} fails natively: {native}")
        fast = callbench([str(abi_run), str(fast_exe), op, str(n)])
        trapped = callbench([str(abi_run), "--no-rewrite", str(trapped_exe), op, str(n)])
        lib_ns = libabik.get(lib_row)
        rows.append((what, native, fast, trapped,
                     lib_ns if isinstance(lib_ns, float) else None, "ns/op"))
    work = BUILD / "bench"
    with tempfile.TemporaryDirectory(prefix="abi-copy-", dir=work) as tmp:
        w = Path(tmp)
        with (w / "src").open("wb") as f:
            for _ in range(100):
                f.write(os.urandom(1 << 20))
        best = [float("inf")] * 3
        sides = ([str(fast_exe)], [str(abi_run), str(fast_exe)],
                 [str(abi_run), "--no-rewrite", str(trapped_exe)])
        for _ in range(ROUNDS):
            for i, argv in enumerate(sides):
                (w / "dst").unlink(missing_ok=True)
                t0 = time.perf_counter()
                subprocess.run([*argv, "copy", "src", "dst"], cwd=w, check=True)
                best[i] = min(best[i], time.perf_counter() - t0)
        rows.append(("copy 100 MiB in 4 KiB chunks (hostfs)", best[0] * 1e3, best[1] * 1e3,
                     best[2] * 1e3, None, "ms"))

    def spawn(cmd: list[str]) -> float:
        out = subprocess.run([str(spawnbench), "300", *cmd], check=True, capture_output=True,
                             text=True).stdout
        return float(out.split()[1])

    hello_abi, hello_musl = BUILD / "bench" / "hello-abi", BUILD / "bench" / "hello"
    rows.append(("start-up: static hello", spawn([str(hello_abi)]),
                 spawn([str(abi_run), str(hello_abi)]), spawn([str(abi_run), str(hello_musl)]),
                 None, "µs"))
    return rows


def print_fastcall(rows: list[CallRow]) -> None:
    def cell(v: float | str | None) -> str:
        return "-" if v is None else v if isinstance(v, str) else f"{v:.1f}"

    print()
    print("| benchmark | native | abi-run fast (abi-cc) | abi-run trapped (musl-gcc) | "
          "libabik.so call | unit | native / fast |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
    for name, native, fast, trapped, lib_ns, unit in rows:
        speed = "-" if isinstance(fast, str) else f"{native / fast:.2f}"
        print(f"| {name} | {cell(native)} | {cell(fast)} | {cell(trapped)} | {cell(lib_ns)} | "
              f"{unit} | {speed} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--libbench", type=Path, default=BUILD / "bench" / "libbench")
    p.add_argument("--lib", type=Path, default=BUILD / "kernel" / "libabik.so")
    p.add_argument("--abi-run", type=Path, default=BUILD / "hosted" / "abi-run")
    p.add_argument("--dirbench", type=Path, default=BUILD / "bench" / "dirbench")
    p.add_argument("--threadbench", type=Path, default=BUILD / "bench" / "threadbench")
    p.add_argument("--spawnbench", type=Path, default=BUILD / "bench" / "spawnbench")
    p.add_argument("--emubench", type=Path, default=BUILD / "bench" / "emubench")
    p.add_argument("--hello", type=Path, default=BUILD / "bench" / "hello")
    p.add_argument("--only",
                   default="syscalls,startup,programs,files,dirs,threads,emu,fastcall",
                   help="comma-separated sections: syscalls, startup, programs, files, dirs, "
                   "threads, emu, fastcall")
    p.add_argument("--sizes", default="10000,100000",
                   help="dirs: files in one directory (comma-separated)")
    p.add_argument("--depths", default="1000,5000", help="dirs: nesting depths")
    p.add_argument("--fs", default="ramfs,hostfs", help="dirs: ramfs, hostfs")
    p.add_argument("--rounds", type=int, default=3, help="dirs: ramfs runs, the best kept")
    args = p.parse_args()
    only = set(args.only.split(","))
    unknown = only - {"syscalls", "startup", "programs", "files", "dirs", "threads", "emu",
                      "fastcall"}
    if unknown:
        p.error(f"unknown section {', '.join(sorted(unknown))}")
    needed = {"syscalls": [args.libbench, args.lib], "dirs": [args.dirbench],
              "startup": [args.spawnbench, args.hello], "threads": [args.threadbench],
              "emu": [args.emubench, args.lib],
              "fastcall": [args.libbench, args.lib, args.spawnbench, args.hello,
                           BUILD / "bench" / "callbench-abi", BUILD / "bench" / "callbench-musl",
                           BUILD / "bench" / "hello-abi"]}
    missing = sorted({str(x) for s in only for x in needed.get(s, []) if not x.exists()})
    if missing:
        p.error(f"not built: {', '.join(missing)} (make bench builds them)")
    rows: list[Row] = []
    dirs: list[DirRow] = []
    calls: list[CallRow] = []
    if "syscalls" in only:
        rows += libbench(args.libbench, args.lib)
    if "emu" in only:
        rows += emu(args.emubench)
    if not args.abi_run.exists():
        print(f"bench: {args.abi_run} not built; abi-run benchmarks skipped", file=sys.stderr)
    else:
        if "startup" in only:
            rows += startup(args.spawnbench, args.abi_run, args.hello)
        if "programs" in only:
            rows += programs(args.abi_run)
        if "files" in only:
            rows += files(args.abi_run)
        if "threads" in only:
            rows += threads(args.threadbench, args.abi_run)
        if "fastcall" in only:
            calls = fastcall(args.abi_run, args.libbench, args.lib, args.spawnbench)
        if "dirs" in only:
            sizes = [int(x) for x in args.sizes.split(",")]
            depths = [int(x) for x in args.depths.split(",")]
            fss = args.fs.split(",")
            if "ramfs" in fss:
                dirs += dirs_ramfs(args.dirbench, args.abi_run, sizes, depths, args.rounds)
            if "hostfs" in fss:
                dirs += dirs_hostfs(args.dirbench, args.abi_run, sizes, depths)
    if rows or dirs:
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
    if calls:
        print_fastcall(calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
