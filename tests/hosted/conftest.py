"""Fixtures of the hosted-platform tests: the abi-run binary (built with
`make hosted`), busybox-static, and test programs built here with musl-gcc
and gcc. Every check runs the same command natively and under abi-run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import ABI_RUN, BUSYBOX, HERE, REPO, compile_c, run, tree


@pytest.fixture(scope="session")
def abi_run() -> Path:
    if shutil.which("make") is None:
        pytest.skip("make is needed to build abi-run")
    p = subprocess.run(["make", "-s", "hosted"], cwd=REPO, capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    probe = subprocess.run([str(ABI_RUN), "/bin/true-does-not-matter"], capture_output=True,
                           text=True, check=False)
    if "no Syscall User Dispatch" in probe.stderr:
        pytest.skip("this host has no Syscall User Dispatch")
    return ABI_RUN


@pytest.fixture(scope="session")
def busybox() -> Path:
    if not BUSYBOX.exists():
        pytest.skip("no /bin/busybox (apt-get install busybox-static)")
    return BUSYBOX


@pytest.fixture
def native_and_hosted(abi_run: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """native_and_hosted(argv, stdin=..., setup=..., after=...) runs argv
    natively and then under abi-run, each time in the same freshly made
    directory (prepared by setup), and returns (native, hosted, native after,
    hosted after): both results and, for each, what after(dir) found there
    afterwards (default: the whole tree). It compares nothing: each test
    asserts what must match."""

    def go(argv: list[str], *, stdin: bytes = b"", setup=None,  # type: ignore[no-untyped-def]
           after=None, abi_opts: tuple[str, ...] = ()):
        d = tmp_path / "work"
        out = []
        for prefix in ((), (str(abi_run), *abi_opts)):
            if d.exists():
                shutil.rmtree(d)
            d.mkdir()
            if setup:
                setup(d)
            res = run([*prefix, *argv], cwd=d, stdin=stdin)
            out.append((res, (after or tree)(d)))
        (native, nafter), (hosted, hafter) = out
        return native, hosted, nafter, hafter

    return go


@pytest.fixture(scope="session")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """tests/hosted/progs/hello.c as static musl (ET_EXEC), static glibc
    (ET_EXEC), static-pie glibc and dynamically linked glibc (PIE with the
    host's ld.so, loaded by the kernel's loader from hostfs)."""
    d = tmp_path_factory.mktemp("hosted-progs")
    src = HERE / "progs" / "hello.c"
    return {
        "musl": compile_c("musl-gcc", d / "hello-musl", src, "-static"),
        "glibc": compile_c("gcc", d / "hello-glibc", src, "-static"),
        "glibc-pie": compile_c("gcc", d / "hello-glibc-pie", src, "-static-pie", "-fPIE"),
        "glibc-dynamic": compile_c("gcc", d / "hello-glibc-dynamic", src),
        "exec-musl": compile_c("musl-gcc", d / "exec-musl", HERE / "progs" / "exec.c", "-static"),
        "exec-glibc": compile_c("gcc", d / "exec-glibc", HERE / "progs" / "exec.c", "-static"),
        "exec-dynamic": compile_c("gcc", d / "exec-dynamic", HERE / "progs" / "exec.c"),
        "raise": compile_c("gcc", d / "raise", HERE / "progs" / "raise.c", "-static"),
        "execveat": compile_c("gcc", d / "execveat", HERE / "progs" / "execveat.c", "-static"),
        "execveat-dynamic": compile_c("gcc", d / "execveat-dynamic",
                                     HERE / "progs" / "execveat.c"),
    }
