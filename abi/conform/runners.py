"""Runners: how a program is started on the implementation under test or the reference.

A runner is a command prefix: ``native`` is none, ``qemu`` is ``qemu-x86_64``,
``hosted`` is ``abi-run``, ``emu`` is ``abi run --emu`` (the emulated
platform: unicorn and the same kernel), ``emu-aarch64`` the same on the
aarch64 builds (against qemu-aarch64), ``qemu-aarch64`` is qemu-aarch64 (the
aarch64 reference run as a runner), and any other string is split like a
shell command line (``"qemu-x86_64 -L /"``). Before a run the
runner must pass a probe (a static program that prints ``probe ok``), so an
absent or not-yet-working runner is one clear error instead of N failures.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

NAMED = ("native", "hosted", "qemu", "emu", "emu-aarch64", "qemu-aarch64")
# Runners of another arch than x86_64: the reference they imply.
ARCH_RUNNERS = {"emu-aarch64": ("aarch64", "qemu-aarch64"),
                "qemu-aarch64": ("aarch64", "qemu-aarch64")}
# Runners the design names that do not exist yet: refused by name, never run.
PLANNED: dict[str, str] = {}
REFERENCES = ("native", "qemu-aarch64")
# The environment every case sees (plus the case's own env): nothing from the caller leaks in.
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}


class RunnerError(Exception):
    """A runner cannot be used: one line saying why."""


@dataclass(frozen=True)
class Runner:
    name: str
    prefix: tuple[str, ...]
    arch: str = "x86_64"

    @property
    def slug(self) -> str:
        """A file-name-safe form of the name (for report files)."""
        s = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in self.name)
        return s.strip("-") or "runner"


@dataclass
class Outcome:
    """What one run of one case did."""

    status: int | None          # exit status; 128+N when killed by signal N; None: no run
    stdout: bytes = b""
    stderr: bytes = b""
    files: dict[str, bytes | None] = field(default_factory=dict)
    timed_out: bool = False
    seconds: float = 0.0
    error: str | None = None    # could not start at all

    def status_text(self) -> str:
        if self.timed_out:
            return "timeout"
        if self.status is None:
            return f"not run ({self.error})"
        if self.status > 128 and self.status - 128 < 65:
            with contextlib.suppress(ValueError):
                return f"{self.status} ({signal.Signals(self.status - 128).name})"
        return str(self.status)


def find_abi_run() -> str | None:
    """abi-run beside the running Python (the repo's .venv) or on PATH."""
    here = Path(sys.executable).parent / "abi-run"
    if here.exists():
        return str(here)
    repo = Path(__file__).resolve().parent.parent.parent / ".venv" / "bin" / "abi-run"
    if repo.exists():
        return str(repo)
    return shutil.which("abi-run")


def resolve_runner(spec: str) -> Runner:
    """The runner named by ``--runner``."""
    if spec in PLANNED:
        raise RunnerError(f"runner {spec}: {PLANNED[spec]}")
    if spec == "native":
        return Runner("native", ())
    if spec == "qemu":
        return Runner("qemu", (_need("qemu-x86_64", "apt-get install qemu-user"),))
    if spec == "qemu-aarch64":
        return Runner(spec, (_need("qemu-aarch64", "apt-get install qemu-user"),), "aarch64")
    if spec in ("emu", "emu-aarch64"):
        # `abi run --emu` straight from the venv's abi (abi-run --emu would
        # exec it too, one exec later); it picks the arch from the ELF.
        abi = Path(sys.executable).parent / "abi"
        if not abi.exists():
            raise RunnerError(f"runner {spec}: {abi} not found (make setup installs it)")
        return Runner(spec, (str(abi), "run", "--emu"),
                      "aarch64" if spec == "emu-aarch64" else "x86_64")
    if spec == "hosted":
        # The hosted platform's binary itself (no Python start-up per case).
        from abi.hosted import hosted_binary

        binary = hosted_binary(build=False)
        if binary.exists():
            return Runner(spec, (str(binary),))
        exe = find_abi_run()
        if exe is None:
            raise RunnerError(f"runner {spec}: abi-run not found (make setup installs it)")
        return Runner(spec, (exe,))
    try:
        words = shlex.split(spec)
    except ValueError as exc:
        raise RunnerError(f"runner {spec!r}: {exc}") from None
    if not words:
        raise RunnerError("runner: empty command")
    exe = shutil.which(words[0])
    if exe is None:
        raise RunnerError(f"runner {spec!r}: {words[0]} not found")
    return Runner(spec, tuple(words))


def resolve_reference(spec: str) -> Runner:
    """The reference named by ``--reference``: native Linux, or qemu-aarch64 for aarch64."""
    if spec == "native":
        return Runner("native", ())
    if spec == "qemu-aarch64":
        exe = _need("qemu-aarch64", "apt-get install qemu-user")
        return Runner("qemu-aarch64", (exe,), arch="aarch64")
    raise RunnerError(f"reference {spec!r}: expected one of {', '.join(REFERENCES)}")


def _need(prog: str, how: str) -> str:
    exe = shutil.which(prog)
    if exe is None:
        raise RunnerError(f"{prog} not found (Debian: {how})")
    return exe


def execute(runner: Runner, argv: list[str], workdir: Path, *, stdin: bytes = b"",
            env: dict[str, str] | None = None, timeout: float = 20.0,
            outputs: tuple[str, ...] = ()) -> Outcome:
    """Run ``runner.prefix + argv`` in ``workdir``; a hang is killed (the whole process group)."""
    cmd = [*runner.prefix, *argv]
    full_env = {**BASE_ENV, **(env or {})}
    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, cwd=workdir, env=full_env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        return Outcome(None, error=f"{cmd[0]}: {exc.strerror or exc}")
    timed_out = False
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    seconds = time.monotonic() - start
    rc = proc.returncode
    status = 128 - rc if rc < 0 else rc
    files: dict[str, bytes | None] = {}
    for name in outputs:
        p = workdir / name
        try:
            files[name] = p.read_bytes() if p.is_file() else None
        except OSError:
            files[name] = None
    return Outcome(status, out, err, files, timed_out, seconds)


def probe(runner: Runner, exe: Path, workdir: Path, timeout: float) -> None:
    """Raise RunnerError unless the runner runs the probe program correctly."""
    o = execute(runner, [str(exe)], workdir, timeout=timeout)
    what = f"runner {runner.name} ({' '.join(runner.prefix) or 'native'})"
    if o.error:
        raise RunnerError(f"{what} cannot start: {o.error}")
    if o.timed_out:
        raise RunnerError(f"{what} did not finish the probe program in {timeout:g}s")
    if o.status == 0 and o.stdout == b"probe ok\nend\n":
        return
    said = next((ln.strip() for ln in o.stderr.decode("utf-8", "replace").splitlines()
                 if ln.strip()), "")
    if o.status == 2 and "not available" in said:
        raise RunnerError(f"{what} is not available yet: {said}")
    detail = said or f"stdout {o.stdout[:60]!r}"
    raise RunnerError(f"{what} failed the probe (exit {o.status_text()}): {detail}")
