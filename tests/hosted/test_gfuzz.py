"""No guest call faults the kernel: gfuzz (tests/hosted/progs/gfuzz.c), a
static program without libc that makes random system calls with random
arguments (good, bad and hostile pointers, the console fds, paths into
/proc and /dev), runs under abi-run with each kind of stdin a shell can
give -- a regular file, a pipe, /dev/null, a host directory -- in both
modes: --sandbox, and --root of a scratch host directory (the same hostfs
paths as --root /, without handing a random caller, root in CI, the host's
own files).

Run i uses seed i, stdin kind i % 4 and mode (i // 4) % 2. Outcomes:

  completed     gfuzz made all its calls and exited 0;
  signal N      the program died of a signal of its own (a SIGPIPE, say);
  exit N        an exit status of its own (the calls it makes cannot exit,
                but an execve refusal after the point of no return could);
  hangs         no end within the timeout (counted, not failed: a random
                call may wait as Linux would).

"a fault in the kernel itself" on abi-run's stderr fails the test, with the
seed, the stdin kind and the command that reproduces it.

ABI_GFUZZ_RUNS sets the number of runs (make test: 16; make fuzz: 800),
ABI_GFUZZ_CALLS the calls per run (20,000); the counts per outcome go to
build/fuzz/gfuzz-outcomes.txt."""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import ENV, HERE, REPO

TIMEOUT = 20  # seconds a run may take (one takes about a second)
RUNS = int(os.environ.get("ABI_GFUZZ_RUNS", "16"))
CALLS = int(os.environ.get("ABI_GFUZZ_CALLS", "20000"))
OUTCOMES = REPO / "build" / "fuzz" / "gfuzz-outcomes.txt"
KERNEL_FAULT = b"a fault in the kernel itself"
STDINS = ("file", "pipe", "/dev/null", "directory")
MODES = ("--sandbox", "--root")


@pytest.fixture(scope="module")
def gfuzz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("cc") is None:
        pytest.skip("cc is not installed")
    out = tmp_path_factory.mktemp("gfuzz") / "gfuzz"
    p = subprocess.run(["cc", "-O1", "-static", "-nostdlib", "-fno-stack-protector", "-o",
                        str(out), str(HERE / "progs" / "gfuzz.c")],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return out


def one_run(abi_run: Path, gfuzz: Path, work: Path, seed: int) -> tuple[str, bytes, str]:
    """Runs seed i; returns its outcome, abi-run's stderr and a shell
    command that repeats it."""
    kind, mode = STDINS[seed % 4], MODES[(seed // 4) % 2]
    root = work / f"root{seed}"
    shutil.rmtree(root, ignore_errors=True)
    (root / "tmp").mkdir(parents=True)
    (root / "dir").mkdir()
    (root / "dir" / "entry").write_text("x")
    (root / "input").write_bytes(b"some input\n" * 64)
    shutil.copy(gfuzz, root / "gfuzz")
    opts = ["--sandbox"] if mode == "--sandbox" else ["--root", str(root)]
    argv = [str(abi_run), *opts, "./gfuzz", str(seed), str(CALLS)]
    stdin_path = {"file": root / "input", "/dev/null": Path("/dev/null"),
                  "directory": root / "dir"}.get(kind)
    shown = " ".join(argv) + (f" < {stdin_path}" if stdin_path else " < (a pipe)")
    try:
        if stdin_path is None:
            p = subprocess.run(argv, input=b"piped input\n" * 64, capture_output=True, env=ENV,
                               cwd=root, timeout=TIMEOUT, check=False)
        else:
            fd = os.open(stdin_path, os.O_RDONLY)
            try:
                p = subprocess.run(argv, stdin=fd, capture_output=True, env=ENV, cwd=root,
                                   timeout=TIMEOUT, check=False)
            finally:
                os.close(fd)
    except subprocess.TimeoutExpired:
        return "hangs", b"", shown
    finally:
        shutil.rmtree(root, ignore_errors=True)
    status = p.returncode
    if KERNEL_FAULT in p.stderr:
        return "kernel fault", p.stderr, shown
    if status == 0:
        return "completed", p.stderr, shown
    if status < 0:
        return f"signal {-status}", p.stderr, shown
    return f"exit {status}", p.stderr, shown


def test_no_call_faults_the_kernel(abi_run: Path, gfuzz: Path, tmp_path: Path) -> None:
    counts: collections.Counter[str] = collections.Counter()
    faults: list[str] = []
    for seed in range(RUNS):
        what, err, shown = one_run(abi_run, gfuzz, tmp_path, seed)
        kind, mode = STDINS[seed % 4], MODES[(seed // 4) % 2]
        counts[f"{what} ({mode}, stdin {kind})"] += 1
        if what == "kernel fault":
            tail = err.decode(errors="replace").splitlines()[-1:]
            faults.append(f"seed {seed}: {shown}: {tail}")
    OUTCOMES.parent.mkdir(parents=True, exist_ok=True)
    OUTCOMES.write_text(f"{RUNS} gfuzz runs of {CALLS} calls\n" + "".join(
        f"{n:8d} {what}\n" for what, n in sorted(counts.items())))
    assert not faults, "\n".join(faults)
