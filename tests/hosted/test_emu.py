"""The emulated platform, ``abi-run --emu``: unmodified programs run in
unicorn, their syscalls served by libabik.so (kernel/plat/emu).

Every behaviour is differential: the program runs natively and under
``abi run --emu`` in the same fresh directory, and the exit status (128+N
for a death by signal N), stdout and stderr must be the same. The only
expected results that are not a native run's are --emu's own options
(--count, --max-insns) and its error messages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import ABI_RUN, ENV, HERE, REPO, Result, run, tree
from test_run import APPLETS, WRITERS, files

ABI = REPO / ".venv" / "bin" / "abi"
PROGS = HERE / "progs"
THREADS = PROGS / "threads"
# The thread programs whose transcripts --emu reproduces: all but
# timers_cpu.c (a thread's CPU-clock timer must fire within a window while
# guest code runs one engine at a time: it passes alone, not on a loaded
# machine).
THREAD_CASES = ["sync", "tls", "cancel", "once", "detach", "robust", "futex", "tasks", "eintr",
                "sigaction", "sigqueue", "sigwait_ignored", "timers", "timers_exec", "sigframe",
                "faults"]
# exits.c's ways of ending: (argument, the native exit status)
EXITS = [("group", 42), ("thread-exit", 0), ("main-exit", 0), ("sigpipe", 128 + 13),
         ("epipe", 0), ("thread-segv", 128 + 11), ("thread-term", 128 + 15)]


@pytest.fixture(scope="session")
def emu() -> list[str]:
    """The command prefix of the emulated platform (libabik.so and unicorn)."""
    pytest.importorskip("unicorn")
    p = subprocess.run(["make", "-s", "kernel"], cwd=REPO, capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    return [str(ABI), "run", "--emu"]


@pytest.fixture(scope="session")
def emu_progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test programs, static glibc, compiled once."""
    d = tmp_path_factory.mktemp("emu-progs")
    out: dict[str, Path] = {}
    srcs = {"faults": PROGS / "emu_faults.c", "memory": PROGS / "emu_memory.c",
            "hello": PROGS / "hello.c"}
    srcs.update({f"thread-{n}": THREADS / f"{n}.c" for n in [*THREAD_CASES, "exits"]})
    for name, src in srcs.items():
        exe = d / name
        p = subprocess.run(["gcc", "-static", "-O1", "-Wall", "-Wextra", "-Werror",
                            f"-I{THREADS}", "-o", str(exe), str(src), "-lpthread"],
                           capture_output=True, text=True, check=False)
        assert p.returncode == 0, p.stderr
        out[name] = exe
    dyn = d / "hello-dynamic"
    p = subprocess.run(["gcc", "-O1", "-o", str(dyn), str(PROGS / "hello.c")],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    out["hello-dynamic"] = dyn
    return out


def both(emu: list[str], argv: list[str], d: Path, *, stdin: bytes = b"", setup=None,  # type: ignore[no-untyped-def]
         opts: tuple[str, ...] = ()) -> tuple[Result, Result, dict[str, bytes | None],
                                               dict[str, bytes | None]]:
    """argv natively and under --emu, each in d made afresh by setup."""
    out = []
    for prefix in ([], [*emu, *opts]):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
        if setup:
            setup(d)
        out.append((run([*prefix, *argv], cwd=d, stdin=stdin, timeout=120), tree(d)))
    (native, ntree), (emulated, etree) = out
    return native, emulated, ntree, etree


@pytest.mark.parametrize("prog", ["hello", "hello-dynamic"])
def test_hello(emu: list[str], emu_progs: dict[str, Path], tmp_path: Path, prog: str) -> None:
    native, emulated, _, _ = both(emu, [str(emu_progs[prog]), "a", "b c"], tmp_path / "w")
    assert emulated == native


@pytest.mark.parametrize("prog", ["faults", "memory"])
def test_faults_and_memory_changes(emu: list[str], emu_progs: dict[str, Path], tmp_path: Path,
                                   prog: str) -> None:
    """Faults become the guest's signals (si_code, si_addr, trapno, err);
    mmap, mprotect, munmap, mremap and brk reach the engine's map."""
    native, emulated, _, _ = both(emu, [str(emu_progs[prog])], tmp_path / "w")
    assert native.status == 0 and native.stdout
    assert emulated == native


@pytest.mark.parametrize("code", [
    "int main(void){ return *(volatile int *)16; }",                 # SIGSEGV
    "int main(void){ __asm__ volatile(\"ud2\"); return 0; }",          # SIGILL
    "int main(void){ ((void (*)(void))0x10)(); return 0; }",          # a jump to nowhere
    "int main(void){ __asm__ volatile(\".byte 0x0f, 0xff\"); return 0; }",  # an unknown opcode
], ids=["segv", "ud2", "jump", "unknown-insn"])
def test_bad_guest_dies_as_on_linux(emu: list[str], tmp_path: Path, code: str) -> None:
    """Bad guest behaviour ends the guest with Linux's signal: no traceback."""
    src = tmp_path / "bad.c"
    src.write_text(code)
    exe = tmp_path / "bad"
    subprocess.run(["gcc", "-static", "-O0", "-o", str(exe), str(src)], check=True)
    native, emulated, _, _ = both(emu, [str(exe)], tmp_path / "w")
    assert native.status > 128
    assert (emulated.status, emulated.stdout, emulated.stderr) == (native.status, b"", b"")


@pytest.mark.parametrize("case", THREAD_CASES)
def test_threads(emu: list[str], emu_progs: dict[str, Path], tmp_path: Path, case: str) -> None:
    """One engine per guest thread: mutexes, condition variables, TLS,
    cancellation, robust futexes, as natively."""
    native, emulated, _, _ = both(emu, [str(emu_progs[f"thread-{case}"])], tmp_path / "w")
    assert native.status == 0
    assert emulated == native


@pytest.mark.parametrize(("arg", "status"), EXITS, ids=[e[0] for e in EXITS])
def test_thread_exits(emu: list[str], emu_progs: dict[str, Path], tmp_path: Path, arg: str,
                      status: int) -> None:
    """exit_group from a thread stops every engine; a thread's fault or a
    SIGTERM ends the whole process by that signal."""
    native, emulated, _, _ = both(emu, [str(emu_progs["thread-exits"]), arg], tmp_path / "w")
    assert native.status == status
    assert emulated == native


@pytest.mark.parametrize(("args", "stdin"), APPLETS, ids=[" ".join(a[0][:3]) for a in APPLETS])
def test_busybox_applet(emu: list[str], busybox: Path, tmp_path: Path, args: list[str],
                        stdin: bytes) -> None:
    native, emulated, _, _ = both(emu, [str(busybox), *args], tmp_path / "w", stdin=stdin,
                                  setup=files)
    assert emulated == native


@pytest.mark.parametrize("args", WRITERS, ids=[" ".join(a[:3]) for a in WRITERS])
def test_busybox_writes_files(emu: list[str], busybox: Path, tmp_path: Path,
                              args: list[str]) -> None:
    native, emulated, ntree, etree = both(emu, [str(busybox), *args], tmp_path / "w",
                                          setup=files)
    assert emulated == native
    assert etree == ntree


def test_busybox_with_mounts(emu: list[str], busybox: Path, tmp_path: Path) -> None:
    """abi-run's options apply under --emu: --mount, --cwd, --env."""
    host = tmp_path / "data"
    host.mkdir()
    (host / "f.txt").write_bytes(b"mounted\n")
    r = run([*emu, "--mount", f"{host}:/mnt", "--cwd", "/mnt", "--env", "X=1", str(busybox),
             "sh", "-c", "read l < f.txt; echo $l; pwd; echo $X"], cwd=tmp_path)
    assert (r.status, r.stdout, r.stderr) == (0, b"mounted\n/mnt\n1\n", b"")


def test_trace_lines_are_abi_runs(emu: list[str], busybox: Path, tmp_path: Path) -> None:
    """--trace prints the same strace-format lines as abi-run (trace.c)."""
    if not ABI_RUN.exists():
        pytest.skip("no abi-run (make hosted)")
    argv = ["--trace", str(busybox), "echo", "hi"]
    hosted = run([str(ABI_RUN), *argv], cwd=tmp_path)
    emulated = run([*emu, *argv], cwd=tmp_path)
    assert emulated.status == hosted.status == 0
    assert emulated.stdout == hosted.stdout == b"hi\n"

    def calls(err: bytes) -> list[str]:
        # the same calls with the same results; addresses differ (the
        # guest range is placed differently), so are masked
        return [re.sub(r"0x[0-9a-f]+", "0x?", ln) for ln in err.decode().splitlines()]

    assert calls(emulated.stderr)[-3:] == calls(hosted.stderr)[-3:]
    assert "write(1, \"hi\\n\", 3)" in emulated.stderr.decode()
    assert emulated.stderr.decode().endswith("+++ exited with 0 +++\n")


def test_count_and_max_insns(emu: list[str], emu_progs: dict[str, Path], tmp_path: Path) -> None:
    r = run([*emu, "--count", str(emu_progs["hello"])], cwd=tmp_path)
    assert r.status == 0
    m = re.search(rb"abi-run: --count: (\d+) instructions, (\d+) syscalls\n", r.stderr)
    assert m and int(m.group(1)) > 1000 and int(m.group(2)) > 2, r.stderr
    # a run past --max-insns ends as a process past its CPU limit: SIGXCPU
    r = run([*emu, "--max-insns", "500", str(emu_progs["hello"])], cwd=tmp_path)
    assert (r.status, r.stdout) == (128 + 24, b"")


@pytest.mark.parametrize(("argv", "message"), [
    (["--max-insns", "x", "/bin/true"], b"--max-insns: not a positive number"),
    (["--arch", "sparc", "/bin/true"], b"no architecture 'sparc'"),
    (["/nonexistent/prog"], b"abi-run: /nonexistent/prog: ENOENT"),
    (["--bogus", "/bin/true"], b"unknown option --bogus"),
])
def test_bad_command_lines_are_one_line(emu: list[str], tmp_path: Path, argv: list[str],
                                        message: bytes) -> None:
    r = run([*emu, *argv], cwd=tmp_path)
    assert r.status == 2
    assert message in r.stderr and r.stderr.count(b"\n") == 1, r.stderr
    assert b"Traceback" not in r.stderr


def test_native_abi_run_hands_emu_to_python(tmp_path: Path) -> None:
    """abi-run --emu (the native binary) execs `abi run --emu`."""
    if not ABI_RUN.exists():
        pytest.skip("no abi-run (make hosted)")
    pytest.importorskip("unicorn")
    env = dict(ENV, PATH=f"{ABI.parent}:{os.environ.get('PATH', '')}")
    r = run([str(ABI.parent / "abi-run"), "--emu", "/bin/true"], cwd=tmp_path, env=env)
    assert (r.status, r.stderr) == (0, b"")
