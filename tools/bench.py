"""make bench: every benchmark as a ratio against native Linux, measured in the same run.

Two kinds:
- syscall costs (tools/bench/libbench.c): the same operation as a raw `syscall`
  on the host and as a function call into the kernel library, best of five
  rounds of 20,000;
- programs under abi-run (when build/hosted/abi-run exists): wall time of a real
  program run natively and under abi-run, best of five.

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


def libbench(exe: Path, lib: Path) -> list[tuple[str, float, float, str]]:
    out = subprocess.run([exe, lib], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        name, native, abi = line.split()
        rows.append((name, float(native), float(abi), "ns/op"))
    return rows


def best_wall(argv: list[str], cwd: Path) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def programs(abi_run: Path) -> list[tuple[str, float, float, str]]:
    busybox = shutil.which("busybox") or "/bin/busybox"
    rows = []
    with tempfile.TemporaryDirectory(prefix="abi-bench-") as tmp:
        work = Path(tmp)
        (work / "data").write_bytes(os.urandom(16 << 20))
        for name, argv in (("busybox true", [busybox, "true"]),
                           ("busybox sha256sum 16 MiB", [busybox, "sha256sum", "data"]),
                           ("busybox find /usr/include", [busybox, "find", "/usr/include"])):
            rows.append((name, best_wall(argv, work), best_wall([str(abi_run), *argv], work),
                         "ms"))
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--libbench", type=Path, default=BUILD / "bench" / "libbench")
    p.add_argument("--lib", type=Path, default=BUILD / "kernel" / "libabik.so")
    p.add_argument("--abi-run", type=Path, default=BUILD / "hosted" / "abi-run")
    args = p.parse_args()
    rows = libbench(args.libbench, args.lib)
    if args.abi_run.exists():
        rows += programs(args.abi_run)
    else:
        print(f"bench: {args.abi_run} not built; program benchmarks skipped", file=sys.stderr)
    print("| benchmark | native | abi | unit | abi / native |")
    print("| --- | ---: | ---: | --- | ---: |")
    for name, native, abi, unit in rows:
        print(f"| {name} | {native:.1f} | {abi:.1f} | {unit} | {abi / native:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
