"""The host's descriptors 0-2 are files of their own kind in the guest
(docs/SECURITY.md, "Inherited descriptors"): a regular file, /dev/null or a
pipe answers fstat, lseek, read, pread, fchdir and openat as natively, and
shares its file position with the host's other users; a host directory is
the guest's own open of that directory when the guest's filesystem shows it
(--root, the default /) and so behaves natively, ".." included; under
--sandbox it is closed in the guest, with one line from abi-run. Nothing
faults the kernel (an inherited directory once did, in open(".."))."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hosted_util import ENV, HERE, compile_c


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("inherited") / "inherited"
    return compile_c("gcc", out, HERE / "progs" / "inherited.c", "-static")


def run_with_stdin(argv: list[str], stdin: Path | bytes, cwd: Path) -> tuple[int, str, str]:
    if isinstance(stdin, bytes):
        p = subprocess.run(argv, input=stdin, capture_output=True, env=ENV, cwd=cwd,
                           timeout=30, check=False)
    else:
        fd = os.open(stdin, os.O_RDONLY)
        try:
            p = subprocess.run(argv, stdin=fd, capture_output=True, env=ENV, cwd=cwd,
                               timeout=30, check=False)
        finally:
            os.close(fd)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.mark.parametrize("kind", ["file", "/dev/null", "pipe", "directory"])
def test_stdin_of_every_kind_as_natively(abi_run: Path, prog: Path, tmp_path: Path,
                                         kind: str) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "entry").write_text("x")
    (tmp_path / "input").write_text("hello world\n")
    stdin: Path | bytes = {"file": tmp_path / "input", "/dev/null": Path("/dev/null"),
                           "directory": tmp_path / "dir"}.get(kind, b"piped\n")
    native = run_with_stdin([str(prog)], stdin, tmp_path)
    hosted = run_with_stdin([str(abi_run), str(prog)], stdin, tmp_path)
    assert "fault in the kernel" not in hosted[2]
    assert hosted == native


def test_directory_stdin_is_closed_under_sandbox(abi_run: Path, prog: Path,
                                                 tmp_path: Path) -> None:
    status, out, err = run_with_stdin([str(abi_run), "--sandbox", str(prog)], tmp_path, tmp_path)
    assert status == 0, err
    assert err == ("abi-run: fd 0 is a host directory outside the guest's filesystem; "
                   "it is closed in the guest\n")
    lines = out.splitlines()
    assert lines[0] == "fstat(0) Bad file descriptor kind 0"
    assert "openat(0, ..) Bad file descriptor" in lines
    assert "fchdir Bad file descriptor" in lines


def test_directory_outside_root_is_closed(abi_run: Path, prog: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "prog").write_bytes(prog.read_bytes())
    (root / "prog").chmod(0o755)
    status, out, err = run_with_stdin([str(abi_run), "--root", str(root), "/prog"], tmp_path,
                                      root)
    assert status == 0, err
    assert "fd 0 is a host directory outside the guest's filesystem" in err
    assert "openat(0, ..) Bad file descriptor" in out.splitlines()


def test_a_regular_file_shares_its_position(abi_run: Path, busybox: Path,
                                            tmp_path: Path) -> None:
    """`{ prog; echo b; } > out`: the shell's write comes after the guest's,
    as natively, because both move the one host file position."""
    script = f'{{ {abi_run} {busybox} echo a; echo b; }} > out; ' \
             f'{abi_run} {busybox} sh -c "read x; echo \\$x; read y; echo \\$y" < out'
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, env=ENV, cwd=tmp_path,
                       timeout=30, check=False)
    assert (tmp_path / "out").read_text() == "a\nb\n"
    assert p.stdout == b"a\nb\n", p.stderr


@pytest.mark.parametrize("kind", ["late pipe", "file"])
def test_waiting_for_stdin(abi_run: Path, tmp_path: Path, kind: str) -> None:
    """epoll and poll see a pipe's data that arrives while they wait (they
    once waited for ever, and epoll_ctl on fd 0 aborted the kernel); a
    regular file is refused by epoll_ctl (EPERM) and ready for poll."""
    prog = tmp_path / "waitin"
    p = subprocess.run(["gcc", "-static", "-O1", "-o", str(prog),
                        str(HERE / "progs" / "waitin.c")], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stderr
    (tmp_path / "input").write_text("from a file\n")
    feed = "(sleep 0.3; echo late)" if kind == "late pipe" else "cat input"
    out = []
    for prefix in ("", f"{abi_run} "):
        r = subprocess.run(["/bin/sh", "-c", f"{feed} | {prefix}{prog}" if kind == "late pipe"
                            else f"{prefix}{prog} < input"], capture_output=True, env=ENV,
                           cwd=tmp_path, timeout=30, check=False)
        out.append((r.returncode, r.stdout, r.stderr))
    assert out[1] == out[0]
    assert out[0][0] == 0
