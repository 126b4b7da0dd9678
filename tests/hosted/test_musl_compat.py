"""musl-compat and abi-cc (musl-compat/README.md): one libc build that runs
natively (the `syscall` instruction) and under abi-run (the function-call
entry, AT_ABI_ENTRY). Every program here runs natively and under abi-run
--stats: both must agree, and under abi-run no call may trap. Nothing states
what a program prints but the native run (and the programs' own checks)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hosted_util import ENV, HERE, REPO, Result, call_totals, run

PREFIX = REPO / "build" / "musl-compat"
CASES = REPO / "conformance" / "cases"
PROGS = HERE / "progs" / "musl_compat"
CFLAGS = ["-O1", "-g0", "-Wall", "-Wextra", "-Werror", "-fno-stack-protector"]
# Whose transcripts name host-specific values (an inode number; the process
# group the test runner gives), which `abi conform` compares its own way.
HOST_SPECIFIC = {"files", "sched"}
MODES = {"static": ["-static"], "static-pie": ["-static-pie"], "dynamic": []}


@pytest.fixture(scope="session")
def musl_compat() -> Path:
    p = subprocess.run(["make", "-s", "musl-compat"], cwd=REPO, capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    return PREFIX


def abi_cc(args: list[str]) -> None:
    p = subprocess.run([sys.executable, "-m", "abi.cc", *args], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stderr


@pytest.fixture(scope="session")
def build(musl_compat: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("abi-cc")
    built: dict[tuple[str, str], Path] = {}

    def go(name: str, sources: list[Path], mode: str, extra: tuple[str, ...] = ()) -> Path:
        key = (name, mode)
        if key not in built:
            exe = out / f"{name}-{mode}"
            abi_cc([*MODES[mode], *CFLAGS, *extra, "-o", str(exe), *map(str, sources)])
            built[key] = exe
        return built[key]

    return go


def both(abi_run: Path, exe: Path, d: Path, timeout: float = 30) -> tuple[Result, Result]:
    """exe run natively and under abi-run --stats, each in a fresh directory
    d/native, d/hosted."""
    out = []
    for name, prefix in (("native", []), ("hosted", [str(abi_run), "--stats"])):
        w = d / name
        w.mkdir()
        out.append(run([*prefix, str(exe)], cwd=w, timeout=timeout))
    return out[0], out[1]


def fast_trapped(hosted: Result) -> tuple[int, int]:
    """--stats' total: (calls through the function-call entry, trapped calls)."""
    t = call_totals(hosted.stderr)
    return t.fast, t.trapped


def assert_all_fast(hosted: Result) -> None:
    """A program built with abi-cc makes every call through the entry."""
    fast, trapped = fast_trapped(hosted)
    assert fast > 0 and trapped == 0, hosted.stderr.decode(errors="replace")[-2000:]


def test_second_make_rebuilds_nothing(musl_compat: Path) -> None:
    p = subprocess.run(["make", "-q", "musl-compat"], cwd=REPO, capture_output=True, check=False)
    assert p.returncode == 0, "make -q musl-compat: something would be rebuilt"


def test_outputs(musl_compat: Path) -> None:
    for f in ("lib/libc.a", "lib/libc.so", "lib/crt1.o", "lib/Scrt1.o", "lib/rcrt1.o",
              "lib/crti.o", "lib/crtn.o", "include/stdio.h"):
        assert (musl_compat / f).is_file(), f


def _interp(exe: Path) -> str | None:
    with exe.open("rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg["p_type"] == "PT_INTERP":
                return str(seg.get_interp_name())
    return None


def _elf_type(exe: Path) -> str:
    with exe.open("rb") as f:
        return str(ELFFile(f).header["e_type"])


@pytest.mark.parametrize("mode", sorted(MODES))
def test_abi_cc_modes(abi_run: Path, build, tmp_path: Path, mode: str) -> None:  # type: ignore[no-untyped-def]
    exe = build("cancel", [PROGS / "cancel.c"], mode)
    want = {"static": ("ET_EXEC", None), "static-pie": ("ET_DYN", None),
            "dynamic": ("ET_DYN", str(PREFIX.resolve() / "lib" / "libc.so"))}[mode]
    assert (_elf_type(exe), _interp(exe)) == want


def test_abi_cc_shared(build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    so = tmp_path / "app.so"
    abi_cc(["-shared", "-fPIC", *CFLAGS, "-o", str(so), str(PROGS / "cancel.c")])
    assert _elf_type(so) == "ET_DYN" and _interp(so) is None
    with so.open("rb") as f:
        dynsym = ELFFile(f).get_section_by_name(".dynsym")
        assert dynsym.get_symbol_by_name("main"), "main is exported"


def test_abi_cc_unbuilt_prefix(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "abi.cc", "-c", "x.c"], capture_output=True,
                       text=True, env={**ENV, "ABI_MUSL_COMPAT": str(tmp_path)}, check=False)
    assert p.returncode == 2 and "musl-compat is not built" in p.stderr
    assert "Traceback" not in p.stderr


CASE_NAMES = sorted(p.stem for p in CASES.glob("*.c") if p.stem not in HOST_SPECIFIC)


@pytest.mark.parametrize("mode", ["static", "dynamic"])
@pytest.mark.parametrize("case", CASE_NAMES)
def test_conformance_case(abi_run: Path, build, tmp_path: Path, case: str, mode: str) -> None:  # type: ignore[no-untyped-def]
    """The conformance cases, their syscalls made through libc's syscall(3)."""
    exe = build(case, [CASES / f"{case}.c"], mode, ("-DCONFORM_LIBC_CALL", f"-I{CASES}"))
    native, hosted = both(abi_run, exe, tmp_path)
    assert native.status == 0, native.stderr.decode(errors="replace")
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout)
    assert_all_fast(hosted)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_cancel(abi_run: Path, build, tmp_path: Path, mode: str) -> None:  # type: ignore[no-untyped-def]
    """pthread_cancel of threads blocked in read, nanosleep and a condition
    wait; a signal handler's return; detached threads unmapping their stack."""
    exe = build("cancel", [PROGS / "cancel.c"], mode)
    native, hosted = both(abi_run, exe, tmp_path)
    lines = native.stdout.decode().splitlines()
    assert native.status == 7, native.stderr
    assert [ln for ln in lines if "canceled=" in ln] == [
        f"{w}: canceled=1 cleanup=1" for w in ("read", "nanosleep", "cond_wait")]
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout), hosted.stderr
    assert_all_fast(hosted)


@pytest.mark.parametrize("mode", ["static", "static-pie"])
def test_entry_path(abi_run: Path, build, tmp_path: Path, mode: str) -> None:  # type: ignore[no-untyped-def]
    """The overlay's entry path, with a stand-in entry (progs/musl_compat/
    fake_entry.c) that makes each call with `syscall`: every primitive then
    runs the `call` way, natively and under abi-run (where the stand-in
    replaces abi-run's entry once the constructors run), cancellation
    included."""
    plain = build("cancel", [PROGS / "cancel.c"], mode)
    exe = build("cancel-fake", [PROGS / "cancel.c", PROGS / "fake_entry.c"], mode)
    want = run([str(plain)], cwd=tmp_path)
    native, hosted = both(abi_run, exe, tmp_path)
    for r in (native, hosted):
        assert (r.status, r.stdout) == (want.status, want.stdout), r.stderr
        m = re.search(rb"fake entry: calls=(\d+) clones=(\d+)", r.stderr)
        # 3 cancelled threads, 1 reader and 8 detached ones, all cloned
        assert m and int(m.group(1)) > 50 and int(m.group(2)) == 12, r.stderr


def test_debsrc(tmp_path: Path) -> None:
    """musl-compat/debsrc.py: deb-src entries for the release's own suites,
    from both formats of apt's configuration."""
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "sources.list").write_text(
        "# comment\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://archive.example/ubuntu noble main universe\n"
        "deb http://other.example/apt cloud-sdk-noble main\n"
        "deb-src http://archive.example/ubuntu noble main\n")
    (etc / "sources.list.d" / "distro.sources").write_text(
        "Types: deb\nURIs: http://deb.example/debian\nSuites: noble-updates noble-security\n"
        "Components: main\nSigned-By: /usr/share/keyrings/x.gpg\n\n"
        "Types: deb\nURIs: http://deb.example/off\nSuites: noble\nComponents: main\n"
        "Enabled: no\n\n"
        "Types: deb\nURIs: https://node.example\nSuites: nodistro\nComponents: main\n")
    p = subprocess.run([sys.executable, str(REPO / "musl-compat" / "debsrc.py"), str(etc),
                        "noble"], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout == (
        "Types: deb-src\nURIs: http://archive.example/ubuntu\nSuites: noble\n"
        "Components: main universe\nSigned-By: /k.gpg\n\n"
        "Types: deb-src\nURIs: http://deb.example/debian\nSuites: noble-updates noble-security\n"
        "Components: main\nSigned-By: /usr/share/keyrings/x.gpg\n")
    p = subprocess.run([sys.executable, str(REPO / "musl-compat" / "debsrc.py"), str(etc),
                        "bookworm"], capture_output=True, text=True, check=False)
    assert p.returncode == 1 and "no deb entry for 'bookworm'" in p.stderr


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_without_entry_traps(abi_run: Path, build, tmp_path: Path, mode: str) -> None:  # type: ignore[no-untyped-def]
    """abi-run --no-fastcall gives no AT_ABI_ENTRY: the same binary then
    makes every call with `syscall`, trapped, and behaves the same."""
    exe = build("cancel", [PROGS / "cancel.c"], mode)
    native = run([str(exe)], cwd=tmp_path)
    hosted = run([str(abi_run), "--no-fastcall", "--stats", str(exe)], cwd=tmp_path)
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout), hosted.stderr
    fast, trapped = fast_trapped(hosted)
    assert fast == 0 and trapped > 0, hosted.stderr
