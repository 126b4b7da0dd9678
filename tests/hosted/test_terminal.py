"""abi-run in a real terminal: tmux runs a program natively and under
abi-run, types into it (send-keys) and reads the screen (capture-pane); the
two screens must be the same. Also: the terminal ioctls as Linux answers
them, ptys, the terminal given back as it was whatever the guest did, and a
wait on the console that costs no CPU (the one wait's host half)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hosted_util import ABI_RUN, HERE, run

PYTHON = Path("/usr/bin/python3")
GUEST_ENV = "env -i PATH=/usr/bin:/bin TERM=xterm HOME=/root LC_ALL=C PS1='$ '"


@pytest.fixture(scope="module", autouse=True)
def _needs_tmux() -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (tools/setup.sh installs it)")


@pytest.fixture(scope="module")
def tprogs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The C programs of this module, static glibc."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    d = tmp_path_factory.mktemp("terminal-progs")
    out = {}
    for name in ("tty_ioctl", "pty", "rawfault", "idlepoll", "epollet"):
        p = subprocess.run(["gcc", "-static", "-O1", "-o", str(d / name),
                            str(HERE / "progs" / f"{name}.c")],
                           capture_output=True, text=True, check=False)
        assert p.returncode == 0, p.stderr
        out[name] = d / name
    return out


class Tmux:
    """One tmux server (its own socket) with one 80x24 pane running cmd
    through sh; the pane stays after cmd ends, showing "[exit N]"."""

    def __init__(self, tmp: Path, cmd: str, *, cwd: Path) -> None:
        self.env = {"PATH": "/usr/bin:/bin", "TMUX_TMPDIR": str(tmp), "SHELL": "/bin/sh",
                    "TERM": "xterm", "HOME": "/root", "LC_ALL": "C"}
        self.tmux("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "-c", str(cwd),
                  f"{cmd}; echo \"[exit $?]\"; sleep 600")

    def tmux(self, *args: str) -> str:
        p = subprocess.run(["tmux", "-L", "abi", "-f", "/dev/null", *args], env=self.env,
                           capture_output=True, text=True, timeout=30, check=False)
        assert p.returncode == 0, p.stderr
        return p.stdout

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, line: str) -> None:
        """Types line literally, then Enter."""
        self.tmux("send-keys", "-t", "t", "-l", line)
        self.send("Enter")

    def screen(self) -> str:
        lines = [ln.rstrip() for ln in self.tmux("capture-pane", "-p", "-t", "t").splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)

    def wait_for(self, pred: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        end = time.monotonic() + timeout
        while True:
            s = self.screen()
            if pred(s):
                return s
            if time.monotonic() > end:
                raise AssertionError(f"waited {timeout}s for {what}; the screen:\n{s}")
            time.sleep(0.05)

    def wait_text(self, text: str, timeout: float = 30) -> str:
        return self.wait_for(lambda s: text in s, repr(text), timeout)

    def wait_count(self, text: str, n: int, timeout: float = 30) -> str:
        """Waits for the n-th line that starts with text (a prompt)."""
        return self.wait_for(lambda s: sum(ln.startswith(text) for ln in s.splitlines()) >= n,
                             f"{n} x {text!r}", timeout)

    def pane_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())

    def close(self) -> None:
        subprocess.run(["tmux", "-L", "abi", "-f", "/dev/null", "kill-server"], env=self.env,
                       capture_output=True, check=False)


MakeTerm = Callable[..., Tmux]


@pytest.fixture
def term(tmp_path: Path) -> Iterator[MakeTerm]:

    def make(cmd: str, *, cwd: Path | None = None) -> Tmux:
        # tmux's socket lives under TMUX_TMPDIR: a short path, as a socket
        # path is at most 107 bytes
        d = Path(tempfile.mkdtemp(prefix="abi-tmux-", dir="/tmp"))
        dirs.append(d)
        t = Tmux(d, cmd, cwd=cwd or tmp_path)
        made.append(t)
        return t

    made: list[Tmux] = []
    dirs: list[Path] = []
    yield make
    for t in made:
        t.close()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


def both(prefix_hosted: str = "") -> list[tuple[str, str]]:
    """(label, command prefix) for a native and a hosted run."""
    return [("native", GUEST_ENV), ("hosted", f"{GUEST_ENV} {ABI_RUN} {prefix_hosted}".rstrip())]


def test_busybox_sh_takes_typed_lines(abi_run: Path, busybox: Path, term: MakeTerm) -> None:
    screens = {}
    for label, pre in both():
        t = term(f"{pre} {busybox} sh -i")
        t.wait_count("$", 1)
        t.type("echo hello")
        t.wait_count("$", 2)
        t.type("read x")
        # the shell's line editor has the terminal raw until it runs read:
        # words typed before then are not echoed (natively too)
        time.sleep(0.5)
        t.type("typed words")
        t.wait_count("$", 3)
        t.type('echo "got $x" $((6 * 7))')
        t.wait_count("$", 4)
        t.type("exit 5")
        screens[label] = t.wait_text("[exit 5]")
    assert "got typed words 42" in screens["native"]
    assert "job control turned off" not in screens["hosted"]
    assert screens["hosted"] == screens["native"]


def test_python_repl(abi_run: Path, term: MakeTerm) -> None:
    if not PYTHON.exists():
        pytest.skip("no /usr/bin/python3")
    screens = {}
    for label, pre in both("--root /"):
        t = term(f"{pre} {PYTHON} -q")
        t.wait_count(">>>", 1)
        t.type("1+2")
        t.wait_count(">>>", 2)
        t.type('print("hi " * 3)')
        t.wait_count(">>>", 3)
        t.type("import os, sys; sys.stdin.isatty(), tuple(os.get_terminal_size())")
        t.wait_count(">>>", 4)
        t.type('input("name? ")')
        t.wait_text("name? ")
        t.type("abi")
        t.wait_count(">>>", 5)
        t.send("C-d")
        screens[label] = t.wait_text("[exit 0]")
    assert "(True, (80, 24))" in screens["native"]
    assert screens["hosted"] == screens["native"]


def test_ls_prints_columns(abi_run: Path, busybox: Path, term: MakeTerm, tmp_path: Path) -> None:
    d = tmp_path / "many"
    d.mkdir()
    for i in range(40):
        (d / f"file{i:02d}").write_text("")
    screens = {}
    for label, pre in both():
        t = term(f"{pre} {busybox} ls", cwd=d)
        screens[label] = t.wait_text("[exit 0]")
    lines = screens["native"].splitlines()
    assert len(lines) < 20 and "file00" in lines[0] and "file01" in lines[1], screens["native"]
    assert screens["hosted"] == screens["native"]


def test_vi_opens_and_saves(abi_run: Path, busybox: Path, term: MakeTerm, tmp_path: Path) -> None:
    texts = {}
    for label, pre in both():
        d = tmp_path / label
        d.mkdir()
        (d / "notes.txt").write_text("first line\n")
        t = term(f"{pre} {busybox} vi notes.txt", cwd=d)
        t.wait_text("first line")
        t.send("G", "o")
        t.send("-l", "typed in vi")
        t.send("Escape")
        # a pause, as a person makes: bytes within 50 ms of an escape are
        # read by vi as one key (an escape sequence), natively too
        time.sleep(0.3)
        t.send("-l", ":wq")
        t.send("Enter")
        t.wait_text("[exit 0]")
        texts[label] = (d / "notes.txt").read_text()
    assert texts["native"] == "first line\ntyped in vi\n"
    assert texts["hosted"] == texts["native"]


@pytest.mark.parametrize("opts", ["", "--root /:ro"])
def test_terminal_ioctls_as_linux(abi_run: Path, tprogs: dict[str, Path], term: MakeTerm,
                                  opts: str) -> None:
    """Also under a read-only root, where Landlock keeps the host's /dev out
    and /dev/tty and the terminal's /dev/pts/N are reached through fds 0-2."""
    screens = {}
    for label, pre in both(opts):
        t = term(f"{pre} {tprogs['tty_ioctl']}")
        screens[label] = t.wait_text("[exit 0]")
    assert "TIOCSPGRP none No such process" in screens["native"]
    assert screens["hosted"] == screens["native"]


@pytest.mark.parametrize("stdin", [b"data\n", None])
def test_terminal_ioctls_off_a_terminal(abi_run: Path, tprogs: dict[str, Path], tmp_path: Path,
                                        stdin: bytes | None) -> None:
    """On a pipe (or /dev/null) every terminal ioctl is ENOTTY, whatever its
    argument, as Linux answers before looking at it."""
    argv = [str(tprogs["tty_ioctl"])]
    if stdin is None:
        with open("/dev/null", "rb") as null:
            native = subprocess.run(argv, stdin=null, capture_output=True, check=False)
            null.seek(0)
            hosted = subprocess.run([str(abi_run), *argv], stdin=null, capture_output=True,
                                    check=False)
    else:
        native = subprocess.run(argv, input=stdin, capture_output=True, check=False)
        hosted = subprocess.run([str(abi_run), *argv], input=stdin, capture_output=True,
                                check=False)
    assert b"TIOCSPGRP -1 Inappropriate ioctl for device" in native.stdout
    assert (hosted.returncode, hosted.stdout) == (native.returncode, native.stdout)


def test_dev_tty(abi_run: Path, busybox: Path, term: MakeTerm) -> None:
    screens = {}
    for label, pre in both():
        t = term(f"{pre} {busybox} sh -c 'echo via-dev-tty > /dev/tty; "
                 f"read x < /dev/tty; echo got $x'")
        t.wait_text("via-dev-tty")
        t.type("line")
        screens[label] = t.wait_text("[exit 0]")
    assert "got line" in screens["native"]
    assert screens["hosted"] == screens["native"]


def test_dev_tty_without_a_terminal(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    argv = [str(busybox), "sh", "-c", "echo x > /dev/tty; echo $?"]
    native = subprocess.run(["setsid", "-w", *argv], capture_output=True, check=False)
    hosted = subprocess.run(["setsid", "-w", str(abi_run), *argv], capture_output=True,
                            check=False)
    # no controlling terminal: ENXIO, and busybox's redirection fails
    assert b"No such device or address" in native.stderr
    assert (hosted.stdout, hosted.stderr) == (native.stdout, native.stderr)


def test_pty_as_linux(abi_run: Path, tprogs: dict[str, Path], tmp_path: Path) -> None:
    native = run([str(tprogs["pty"])], cwd=tmp_path)
    hosted = run([str(abi_run), str(tprogs["pty"])], cwd=tmp_path)
    assert b"master read 4 ping" in native.stdout
    assert (hosted.status, hosted.stdout) == (native.status, native.stdout)


@pytest.mark.parametrize("how", ["exit", "segv"])
def test_termios_restored_at_exit(abi_run: Path, tprogs: dict[str, Path], term: MakeTerm,
                                  tmp_path: Path, how: str) -> None:
    """The guest leaves the terminal raw and dies; abi-run puts it back.
    Natively the terminal stays raw (the check that the test means it)."""
    results = {}
    for label, pre in (("native", ""), ("hosted", str(abi_run))):
        d = tmp_path / label
        d.mkdir()
        t = term(f"stty -g > before; {pre} {tprogs['rawfault']} {how}; "
                 f"echo status=$? > status; stty -g > after", cwd=d)
        t.wait_text("[exit 0]")
        results[label] = ((d / "before").read_text(), (d / "after").read_text(),
                          (d / "status").read_text())
    nb, na, nstatus = results["native"]
    hb, ha, hstatus = results["hosted"]
    assert nb != na, "natively the program leaves the terminal raw"
    assert hb == ha
    assert hstatus == nstatus == ("status=139\n" if how == "segv" else "status=3\n")


@pytest.mark.parametrize("sig", ["TERM", "HUP", "INT"])
def test_termios_restored_when_killed(abi_run: Path, tprogs: dict[str, Path], term: MakeTerm,
                                      tmp_path: Path, sig: str) -> None:
    """A host signal kills abi-run while the guest has the terminal raw."""
    d = tmp_path / "run"
    d.mkdir()
    t = term(f"stty -g > before; {abi_run} {tprogs['rawfault']} wait; "
             f"echo status=$? > status; stty -g > after", cwd=d)
    t.wait_text("raw")
    sh = t.pane_pid()
    child = int(Path(f"/proc/{sh}/task/{sh}/children").read_text().split()[0])
    subprocess.run(["kill", f"-{sig}", str(child)], check=True)
    t.wait_text("[exit 0]")
    signum = {"TERM": 15, "HUP": 1, "INT": 2}[sig]
    assert (d / "status").read_text() == f"status={128 + signum}\n"
    assert (d / "before").read_text() == (d / "after").read_text()


def cpu_and_switches(pid: int) -> tuple[int, int]:
    """utime+stime (ticks) and context switches of every thread of pid."""
    cpu = switches = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        cpu += int(fields[11]) + int(fields[12])
        for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines():
            if "ctxt_switches:" in line:  # voluntary and nonvoluntary
                switches += int(line.split()[1])
    return cpu, switches


def assert_idle(pid: int) -> None:
    c0, s0 = cpu_and_switches(pid)
    time.sleep(1)
    c1, s1 = cpu_and_switches(pid)
    assert c1 - c0 <= 1, f"{c1 - c0} ticks of CPU in 1 s of waiting"
    assert s1 - s0 <= 2, f"{s1 - s0} context switches in 1 s of waiting (a polling loop)"


@pytest.mark.parametrize("how", ["poll", "select", "epoll", "read"])
def test_idle_wait_on_a_terminal_uses_no_cpu(abi_run: Path, tprogs: dict[str, Path],
                                             term: MakeTerm, how: str) -> None:
    t = term(f"{abi_run} {tprogs['idlepoll']} {how}")
    t.wait_text("waiting")
    sh = t.pane_pid()
    children = Path(f"/proc/{sh}/task/{sh}/children").read_text().split()
    assert len(children) == 1
    assert_idle(int(children[0]))
    t.type("x")
    t.wait_text(f"{how} 1")


@pytest.mark.parametrize("how", ["poll", "select", "epoll", "read"])
def test_idle_wait_on_a_pipe_uses_no_cpu(abi_run: Path, tprogs: dict[str, Path],
                                         tmp_path: Path, how: str) -> None:
    p = subprocess.Popen([str(abi_run), str(tprogs["idlepoll"]), how], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, cwd=tmp_path)
    try:
        assert p.stdout is not None and p.stdin is not None
        assert p.stdout.readline() == b"waiting\n"
        time.sleep(0.2)
        assert_idle(p.pid)
        p.stdin.write(b"x\n")
        p.stdin.flush()
        assert p.stdout.readline() == f"{how} 1\n".encode()
        assert p.wait(timeout=10) == 0
    finally:
        p.kill()
        p.wait()


def test_window_size_is_the_hosts_at_each_call(abi_run: Path, term: MakeTerm) -> None:
    """TIOCGWINSZ asks the host each time: a resize shows at the next call."""
    if not PYTHON.exists():
        pytest.skip("no /usr/bin/python3")
    script = "import os; print(*os.get_terminal_size()); input(); print(*os.get_terminal_size())"
    for _label, pre in both("--root /"):
        t = term(f'{pre} {PYTHON} -c "{script}"')
        t.wait_text("80 24")
        t.tmux("resize-window", "-t", "t", "-x", "100", "-y", "30")
        t.type("")
        t.wait_text("100 30")


def test_write_to_a_full_pipe_waits_without_cpu(abi_run: Path, tprogs: dict[str, Path],
                                                tmp_path: Path) -> None:
    """A nonblocking write to a full pipe is EAGAIN after as many bytes as
    natively; a blocking one then sleeps in the one wait, not in the host,
    until the reader drains the pipe."""
    lines = {}
    for label, prefix in (("native", []), ("hosted", [str(abi_run)])):
        p = subprocess.Popen([*prefix, str(tprogs["idlepoll"]), "write"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=tmp_path)
        try:
            assert p.stdout is not None and p.stderr is not None
            filled = p.stderr.readline()
            time.sleep(0.2)
            if label == "hosted":
                assert_idle(p.pid)
            data = p.stdout.read()
            lines[label] = (filled, p.stderr.read(), len(data), p.wait(timeout=10))
        finally:
            p.kill()
            p.wait()
    assert lines["native"][0].startswith(b"filled 65536 Resource temporarily unavailable")
    assert lines["hosted"] == lines["native"]


def drive_epollet(argv: list[str], cwd: Path) -> bytes:
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd)
    assert p.stdin is not None and p.stdout is not None
    out = [p.stdout.readline()]
    p.stdin.write(b"a")
    p.stdin.flush()
    while out[-1]:
        out.append(p.stdout.readline())
        if out[-1] == b"next\n":
            time.sleep(0.1)
            p.stdin.write(b"b")
            p.stdin.flush()
    assert p.wait(timeout=10) == 0
    return b"".join(out)


def test_epollet_on_the_console_reports_edges(abi_run: Path, tprogs: dict[str, Path],
                                              tmp_path: Path) -> None:
    """An EPOLLET item on a host-backed file reports new input once, not
    again while it sits unread; a level-triggered one reports it each time."""
    native = drive_epollet([str(tprogs["epollet"])], tmp_path)
    hosted = drive_epollet([str(abi_run), str(tprogs["epollet"])], tmp_path)
    assert b"et again 0\n" in native and b"lt again 1\n" in native
    assert hosted == native
