"""Rewritten syscall sites (kernel/plat/hosted/rewrite.c, docs/DESIGN.md
"Rewritten syscall sites"): a program not built for abi gets its hot
`mov $nr, %eax; syscall` sites turned into jumps to the function-call entry.
tests/hosted/progs/rewrite.c checks, from inside, what Linux's `syscall`
keeps (every register but rax, rcx and r11, the red zone, the vector
registers), that a jump straight to a rewritten site's syscall instruction
still makes the call in eax, and that memory mapped where abi-run keeps its
stubs behaves as the empty space it is on Linux; it must print the same
natively and under abi-run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hosted_util import HERE, REPO, call_totals, compile_c, run

SRC = HERE / "progs" / "rewrite.c"


@pytest.fixture(scope="module")
def progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("rewrite")
    return {"static": compile_c("gcc", d / "static", SRC, "-Wall", "-Werror", "-static"),
            "dynamic": compile_c("gcc", d / "dynamic", SRC, "-Wall", "-Werror")}


@pytest.mark.parametrize("kind", ["static", "dynamic"])
@pytest.mark.parametrize("args", [[], ["evict"]], ids=["plain", "evict"])
def test_rewritten_sites_keep_linux_behaviour(abi_run: Path, progs: dict[str, Path], kind: str,
                                              args: list[str], tmp_path: Path) -> None:
    native = run([str(progs[kind]), *args], cwd=tmp_path)
    assert native.status == 0 and b"registers kept: yes" in native.stdout, native
    hosted = run([str(abi_run), "--stats", str(progs[kind]), *args], cwd=tmp_path)
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout), hosted.stderr
    t = call_totals(hosted.stderr)
    assert t.rewritten > t.trapped and t.sites >= 3, hosted.stderr


@pytest.mark.parametrize("kind", ["static", "dynamic"])
def test_eviction_gives_the_sites_their_mov_back(abi_run: Path, progs: dict[str, Path],
                                                 kind: str, tmp_path: Path) -> None:
    """Mapping over the stub pages reverts the sites they served; they trap
    again, and are rewritten anew into another page."""
    plain = call_totals(run([str(abi_run), "--stats", str(progs[kind])], cwd=tmp_path).stderr)
    evict = call_totals(run([str(abi_run), "--stats", str(progs[kind]), "evict"],
                            cwd=tmp_path).stderr)
    assert evict.sites > plain.sites and evict.trapped > plain.trapped, (plain, evict)


@pytest.mark.parametrize("opt", ["--no-rewrite", "--no-fastcall", "--sandbox"])
def test_options_that_rewrite_nothing(abi_run: Path, progs: dict[str, Path], opt: str,
                                      tmp_path: Path) -> None:
    native = run([str(progs["static"])], cwd=tmp_path)
    hosted = run([str(abi_run), opt, "--stats", str(progs["static"])], cwd=tmp_path)
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout), hosted.stderr
    t = call_totals(hosted.stderr)
    assert (t.fast, t.rewritten, t.sites) == (0, 0, 0) and t.trapped == t.total, hosted.stderr


def test_host_program_mostly_rewritten(abi_run: Path, tmp_path: Path) -> None:
    """The host's own find, over the repository's kernel tree: the same
    output, and most of its calls made without a trap."""
    argv = ["/usr/bin/find", str(REPO / "kernel"), "-name", "*.c"]
    native = run(argv, cwd=tmp_path)
    hosted = run([str(abi_run), "--root", "/", "--stats", *argv], cwd=tmp_path)
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout), hosted.stderr
    t = call_totals(hosted.stderr)
    assert t.rewritten > 4 * t.trapped, hosted.stderr
