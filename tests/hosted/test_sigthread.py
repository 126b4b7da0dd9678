"""abi-run's signal thread starts when a program first needs it
(kernel/plat/hosted/thread.c, docs/DESIGN.md "Kicks and host signals"):
before that, a signal from outside does to abi-run what it does to the
program natively, and one the program's parent blocked waits to be the
program's pending signal, delivered when the program unblocks it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hosted_util import ENV, HERE, compile_c


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lazysig") / "lazysig"
    return compile_c("musl-gcc", out, HERE / "progs" / "lazysig.c", "-static")


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def _signal_during_read(argv: list[str], sig: int, ignored: bool) -> tuple[int, int]:
    """The status after sig arrives while argv blocks reading a pipe (one
    byte written after if it lives on), and abi-run's host threads then."""
    def pre() -> None:
        if ignored:
            signal.signal(sig, signal.SIG_IGN)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, env=ENV, preexec_fn=pre)
    time.sleep(0.3)
    threads = _threads(p.pid)
    os.kill(p.pid, sig)
    time.sleep(0.2)
    if p.poll() is None:
        assert p.stdin
        p.stdin.write(b"x")
        p.stdin.flush()
    return p.wait(timeout=30), threads


@pytest.mark.parametrize(("sig", "ignored"), [(signal.SIGTERM, False), (signal.SIGINT, False),
                                              (signal.SIGHUP, True),
                                              (signal.SIGWINCH, False)])
def test_signal_before_the_thread(abi_run: Path, prog: Path, sig: int, ignored: bool) -> None:
    native, _ = _signal_during_read([str(prog), "read"], sig, ignored)
    hosted, threads = _signal_during_read([str(abi_run), str(prog), "read"], sig, ignored)
    assert hosted == native
    assert threads == 1  # a read needs no signal thread


def _blocked_then_unblocked(argv: list[str]) -> tuple[int, bytes]:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, env=ENV)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
    time.sleep(0.1)
    os.kill(p.pid, signal.SIGUSR1)
    out, _ = p.communicate(timeout=30)
    return p.returncode, out


@pytest.mark.parametrize("handler", [False, True])
def test_blocked_signal_is_pending_at_the_unblock(abi_run: Path, prog: Path,
                                                  handler: bool) -> None:
    args = ["unblock", "h"] if handler else ["unblock"]
    native = _blocked_then_unblocked([str(prog), *args])
    hosted = _blocked_then_unblocked([str(abi_run), str(prog), *args])
    assert hosted == native
    assert native == ((0, b"after the unblock: handler 10\n") if handler
                      else (-signal.SIGUSR1, b""))
