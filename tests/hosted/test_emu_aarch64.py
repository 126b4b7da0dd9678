"""``abi-run --emu`` on aarch64: static aarch64 programs (built at test time
with Debian's cross compiler) and Debian's busybox-static:arm64
(build/arm64/, tools/setup.sh) run in unicorn on the same kernel, through
its aarch64 table.

The reference is qemu-aarch64: each program runs under it and under
``abi run --emu`` in the same fresh directory, and the exit status, stdout
and stderr must be the same. Where qemu-user 7.2 departs from Linux's arm64
ABI the difference is named here (conformance/known/qemu-aarch64.yaml lists
the conformance suite's).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import HERE, REPO, Result, run

ABI = REPO / ".venv" / "bin" / "abi"
BUSYBOX = REPO / "build" / "arm64" / "busybox"
PROGS = HERE / "progs"
QEMU = shutil.which("qemu-aarch64")
CC = shutil.which("aarch64-linux-gnu-gcc")

# Applets of busybox-static:arm64 beyond the conformance suite's
# (conformance/programs/busybox.yaml runs 29 more under abi conform --runner emu-aarch64).
APPLETS = [
    ["echo", "hello", "aarch64"], ["uname", "-m"], ["true"], ["false"], ["pwd"],
    ["printf", "%05d|%x|%s\n", "42", "255", "arm"], ["seq", "-s", ",", "1", "12"],
    ["expr", "length", "aarch64"], ["basename", "/a/b/c.txt", ".txt"], ["id", "-u"],
    ["ls", "-a", "."], ["sh", "-c", "x=6; echo $((x * 7)); exit 3"], ["test", "-d", "/"],
    ["wc", "-c", "/etc/hostname"], ["stat", "-c", "%F %a", "."], ["env", "-i", "A=1"],
    ["nproc", "--all"], ["dirname", "/usr/lib/x"], ["cut", "-c", "1-3", "/etc/hostname"],
    ["date", "-u", "-d", "@0"],
    ["mkdir", "-p", "d/e"], ["sleep", "0"], ["realpath", "."], ["tr", "a-z", "A-Z"],
]


@pytest.fixture(scope="session")
def emu() -> list[str]:
    pytest.importorskip("unicorn")
    assert QEMU and CC, "tools/setup.sh installs qemu-user and gcc-aarch64-linux-gnu"
    p = subprocess.run(["make", "-s", "kernel"], cwd=REPO, capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    return [str(ABI), "run", "--emu"]


@pytest.fixture(scope="session")
def progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("a64-progs")
    out = {}
    for name, src in (("signals", PROGS / "aarch64" / "signals.c"),
                      ("reference", HERE.parent / "kernel" / "aarch64" / "reference.c")):
        exe = d / name
        subprocess.run([str(CC), "-static", "-O1", "-Wall", "-Wextra", "-Werror", "-pthread",
                        "-o", str(exe), str(src)], check=True)
        out[name] = exe
    return out


def both(emu: list[str], argv: list[str], d: Path, stdin: bytes = b"") -> tuple[Result, Result]:
    """argv under qemu-aarch64 and under --emu, each in d made afresh."""
    out = []
    for prefix in ([str(QEMU)], emu):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
        out.append(run([*prefix, *argv], cwd=d, stdin=stdin, timeout=120))
    return out[0], out[1]


def test_the_aarch64_facts(emu: list[str], progs: dict[str, Path], tmp_path: Path) -> None:
    """Struct layouts, flag values, F_GETFL, open errors and uname as an aarch64
    program sees them (reference.c), but O_LARGEFILE and MINSIGSTKSZ, where
    qemu-aarch64 departs from Linux (tests/kernel/test_aarch64.py)."""
    ref, emulated = both(emu, [str(progs["reference"])], tmp_path / "w")
    assert ref.status == emulated.status == 0
    qemu_lines = dict(ln.split(" ", 1) for ln in ref.stdout.decode().splitlines())
    emu_lines = dict(ln.split(" ", 1) for ln in emulated.stdout.decode().splitlines())
    large = 0o400000  # arm64's O_LARGEFILE, which qemu 7.2's F_GETFL drops
    for key in ("getfl", "getfl2", "open_dir_getfl"):
        assert int(emu_lines.pop(key)) & ~large == int(qemu_lines.pop(key)), key
    assert emu_lines.pop("sigaltstack_4096") == "-12"  # ENOMEM: 4096 < MINSIGSTKSZ
    qemu_lines.pop("sigaltstack_4096")
    assert emu_lines == qemu_lines


def test_signals(emu: list[str], progs: dict[str, Path], tmp_path: Path) -> None:
    """Delivery with siginfo and ucontext (the fpsimd record), the mask, the
    alternate stack, faults, udf and brk resumed by a handler that moves the
    saved pc, restarts with SA_RESTART and EINTR without, a death by signal."""
    ref, emulated = both(emu, [str(progs["signals"])], tmp_path / "w")
    assert ref.status == emulated.status == 128 + 10  # SIGUSR1, default action
    # udf: arm64 Linux's do_undefinstr says ILL_ILLOPC (1); qemu 7.2 says ILL_ILLOPN (2)
    qemu_out = ref.stdout.replace(b"udf: sig 4 code 2", b"udf: sig 4 code 1")
    assert emulated.stdout == qemu_out
    assert emulated.stderr == ref.stderr


@pytest.mark.parametrize("code", [
    "int main(void){ return *(volatile int *)16; }",                  # SIGSEGV
    "int main(void){ ((void (*)(void))0x10)(); return 0; }",           # a jump to nowhere
    "int main(void){ __asm__ volatile(\"brk #0\"); return 0; }",       # SIGTRAP
    "int main(void){ __asm__ volatile(\"udf #0\"); return 0; }",       # SIGILL
], ids=["segv", "jump", "brk", "udf"])
def test_bad_guest_dies_as_under_qemu(emu: list[str], tmp_path: Path, code: str) -> None:
    src = tmp_path / "bad.c"
    src.write_text(code)
    exe = tmp_path / "bad"
    subprocess.run([str(CC), "-static", "-O0", "-o", str(exe), str(src)], check=True)
    ref, emulated = both(emu, [str(exe)], tmp_path / "w")
    assert ref.status > 128
    assert (emulated.status, emulated.stdout, emulated.stderr) == (ref.status, b"", b"")


@pytest.mark.parametrize("args", APPLETS, ids=[" ".join(a)[:40] for a in APPLETS])
def test_busybox_arm64_applet(emu: list[str], tmp_path: Path, args: list[str]) -> None:
    assert BUSYBOX.exists(), "tools/setup.sh fetches busybox-static:arm64 into build/arm64"
    stdin = b"mixed Case input\n" if args[0] == "tr" else b""
    ref, emulated = both(emu, [str(BUSYBOX), *args], tmp_path / "w", stdin)
    assert emulated == ref


def test_trace_names_aarch64_calls(emu: list[str], tmp_path: Path) -> None:
    """--trace decodes with the aarch64 table: numbers, flags and struct stat."""
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "f").write_text("abc")
    r = run([*emu, "--trace", str(BUSYBOX), "stat", "-c", "%s", "f"], cwd=tmp_path / "w",
            timeout=120)
    assert r.status == 0 and r.stdout == b"3\n"
    err = r.stderr.decode()
    assert 'newfstatat(AT_FDCWD, "f", {st_mode=S_IFREG|0644, st_size=3, ...}, 0) = 0' in err \
        or 'newfstatat(AT_FDCWD, "f", {st_mode=S_IFREG|0644, st_size=3, ...}, ' \
           'AT_SYMLINK_NOFOLLOW) = 0' in err, err
    assert err.rstrip().endswith("+++ exited with 0 +++")
