"""`abi-run --trace` against strace 6.1: the same programs run under
`strace -f -qq` natively and under `abi-run --trace`, and every syscall line
both print must be the same line.

What is normalised, and why:
- the preamble: strace's lines up to and including the first `execve(`
  (abi-run starts the program without a traced execve);
- addresses (0x followed by 6 or more hex digits): the guest range is not
  the native one;
- pids: `= N` of set_tid_address, getpid and gettid, `si_pid=N`,
  `[pid N]`;
- the free counts of statfs (f_bfree, f_bavail, f_ffree): other processes
  write to the same filesystem between the two runs;
- uname's nodename: abi-run's own host name;
- getrandom's bytes;
- the time select and pselect6 leave ("left {...}");
- the `+++ exited with N +++` line, which `-qq` suppresses: it is compared
  with a run under `strace -f -q` instead.
Nothing is timed (no -t/-r/-T), so there is no timing to remove."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import ENV, HERE, REPO

PROG = HERE / "progs" / "strace_calls.c"

_ADDR = re.compile(r"0x[0-9a-f]{6,}")
_PID_RESULT = re.compile(r"^((?:set_tid_address|getpid|gettid)\(.*\) += )\d+$")
_FREE = re.compile(r"\b(f_bfree|f_bavail|f_ffree)=\d+")


def normalise(line: str) -> str:
    line = re.sub(r"^\[pid +\d+\] ", "[pid PID] ", line)
    line = re.sub(r" {2,}= ", " = ", line)  # the padding before " = " varies with the addresses
    line = _ADDR.sub("ADDR", line)
    line = _PID_RESULT.sub(r"\1PID", line)
    line = re.sub(r"si_pid=\d+", "si_pid=PID", line)
    line = _FREE.sub(r"\1=N", line)
    line = re.sub(r'^getrandom\("[^"]*"', 'getrandom("RANDOM"', line)
    line = re.sub(r"left \{[^}]*\}", "left {TIME}", line)
    return re.sub(r'nodename="[^"]*"', 'nodename="NODE"', line)


def body(trace: str) -> list[str]:
    """The trace without strace's preamble (up to the first execve)."""
    lines = trace.splitlines()
    for i, ln in enumerate(lines):
        if ln.startswith("execve("):
            lines = lines[i + 1:]
            break
    return [normalise(ln) for ln in lines if ln]


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed (apt-get install strace)")
    if shutil.which("musl-gcc") is None:
        pytest.skip("musl-gcc is not installed")
    out = tmp_path_factory.mktemp("strace") / "strace_calls"
    subprocess.run(["musl-gcc", "-static", "-O1", "-o", str(out), str(PROG)], check=True)
    return out


def traces(abi_run: Path, prog: Path, tmp_path: Path, *args: str,
           strace_opts: tuple[str, ...] = ("-f", "-qq"),
           core: int = 0) -> tuple[list[str], list[str], int, int]:
    """(native lines, abi-run lines, native status, abi-run status), each run
    in a fresh directory of the same name."""
    out = []
    for argv in (["strace", *strace_opts, str(prog), *args],
                 [str(abi_run), "--trace", str(prog), *args]):
        d = tmp_path / "work"
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
        p = subprocess.run(argv, cwd=d, env=ENV, capture_output=True, text=True,
                           errors="replace", timeout=60, check=False,
                           preexec_fn=lambda: resource.setrlimit(
                               resource.RLIMIT_CORE, (core, resource.RLIM_INFINITY)))
        out.append((body(p.stderr), p.returncode))
    (native, nst), (hosted, hst) = out
    return native, hosted, nst, hst


def test_syscall_lines_match_strace(abi_run: Path, prog: Path, tmp_path: Path) -> None:
    native, hosted, nst, hst = traces(abi_run, prog, tmp_path)
    assert nst == hst == 3
    # -qq leaves out the exit line; abi-run always prints it, as strace without -qq
    assert hosted[-1] == "+++ exited with 3 +++"
    assert hosted[:-1] == native
    # the cases this is about, so that a lost line cannot pass unseen
    text = "\n".join(native)
    for want in ("mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = ADDR",
                 "close(-1) = -1 EBADF (Bad file descriptor)",
                 'open("/nonexistent/file", O_RDONLY|O_LARGEFILE) = -1 ENOENT (No such file or',
                 '"hello \\"world\\"\\n\\t\\1\\377 and a long str"..., 50) = 50',
                 "fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)",
                 "rt_sigprocmask(SIG_BLOCK, [USR1 TERM], NULL, 8) = 0",
                 "fstat(3, {st_mode=S_IFREG|0644, st_size=4, ...}) = 0",
                 "statfs(\"/\", {f_type=", "umask(000) = 022", "pipe2([4, 5], O_CLOEXEC) = 0",
                 'readv(4, [{iov_base="abc", iov_len=3}, {iov_base="d\\n", iov_len=10}], 2) = 5',
                 "poll([{fd=4, events=POLLIN|POLLPRI}, {fd=5, events=POLLOUT}, {fd=-1}], 3, 0) = 2 "
                 "([{fd=4, revents=POLLIN}, {fd=5, revents=POLLOUT}])",
                 "rt_sigaction(SIGUSR1, {sa_handler=ADDR, sa_mask=[INT], "
                 "sa_flags=SA_RESTORER|SA_RESTART|SA_SIGINFO, sa_restorer=ADDR}, NULL, 8) = 0",
                 "epoll_pwait(6, [{events=EPOLLIN, data={u32=7, u64=7}}], 1, 0, NULL, 8) = 1",
                 'stat("/", NULL) = -1 EFAULT (Bad address)',
                 "TCSETS, {c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, "
                 "c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|IEXTEN|ECHOCTL, ...})",
                 "TIOCSWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0})",
                 "FUTEX_WAIT_PRIVATE, 0, NULL) = -1 EAGAIN (Resource temporarily unavailable)",
                 'utimensat(AT_FDCWD, "u", [{tv_sec=1, tv_nsec=0} /* 1970-01-01T00:00:01+0000 */, '
                 "{tv_sec=1700000000, tv_nsec=500} /* 2023-11-14T22:13:20.000000500+0000 */], 0)",
                 'chown("u", -1, -1) = 0', "[0] => [3], 3) = 3",
                 'mknod("fifo", S_IFIFO|0600) = 0', "personality(ADDR) = 0 (PER_LINUX)",
                 "{it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=5, tv_nsec=0}}",
                 "select(6, [4], [5], NULL, {tv_sec=0, tv_usec=1000}) = 2 "
                 "(in [4], out [5], left {TIME})",
                 "select(1, NULL, NULL, [0], {tv_sec=0, tv_usec=1000}) = 0 (Timeout)",
                 "pselect6(6, NULL, [5], NULL, {tv_sec=0, tv_nsec=1000}, "
                 "{sigmask=[], sigsetsize=8}) = 1 (out [5], left {TIME})"):
        assert want in text, want


def test_exit_line_matches_strace(abi_run: Path, prog: Path, tmp_path: Path) -> None:
    native, hosted, _, _ = traces(abi_run, prog, tmp_path, strace_opts=("-f", "-q"))
    assert native[-2:] == hosted[-2:] == ["exit_group(3) = ?", "+++ exited with 3 +++"]


@pytest.mark.parametrize("how,sig,code", [
    ("accerr", "SIGSEGV", "SEGV_ACCERR"), ("bus", "SIGBUS", "BUS_ADRERR"),
    ("trap", "SIGTRAP", "SI_KERNEL"), ("ill", "SIGILL", "ILL_ILLOPN"),
    ("gp", "SIGSEGV", "SI_KERNEL")])
def test_fault_signal_lines_match_strace(abi_run: Path, prog: Path, tmp_path: Path, how: str,
                                         sig: str, code: str) -> None:
    native, hosted, nst, hst = traces(abi_run, prog, tmp_path, how)
    assert nst == hst < 0
    assert hosted == native
    assert native[-2].startswith(f"--- {sig} {{si_signo={sig}, si_code={code}, si_addr=")
    assert native[-1] == f"+++ killed by {sig} +++"


@pytest.mark.parametrize("core", [0, resource.RLIM_INFINITY])
def test_fatal_signal_lines_match_strace(abi_run: Path, prog: Path, tmp_path: Path,
                                         core: int) -> None:
    """A SIGSEGV kill, without a core limit and with one: strace adds
    "(core dumped)" when the host dumped one, and so must abi-run."""
    native, hosted, nst, hst = traces(abi_run, prog, tmp_path, "segv", core=core)
    assert nst == hst == -11
    assert hosted == native
    assert native[-2] == "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---"
    assert native[-1].startswith("+++ killed by SIGSEGV ")
    if core == 0 and not Path("/proc/sys/kernel/core_pattern").read_text().startswith("|"):
        assert native[-1] == "+++ killed by SIGSEGV +++"


# wait4's status, whole or resumed after another process's line
WAIT_STATUS = re.compile(r"(?:wait4\(\d+, |<\.\.\. wait4 resumed>)(\[\{.*\}\]), ")


@pytest.fixture(scope="module")
def formatter() -> Path:
    """tests/kernel/c/test_trace.c: abi-run's formatter fed with given values."""
    subprocess.run(["make", "-s", "build/kernel/tests/test_trace"], cwd=REPO, check=True,
                   capture_output=True)
    return REPO / "build" / "kernel" / "tests" / "test_trace"


def test_signal_senders_and_restart_codes(formatter: Path, tmp_path: Path) -> None:
    """Lines no guest can make yet (signals from kill, tkill, sigqueue, a
    POSIX timer, an itimer and dying children; the restart codes a signal
    leaves in pause and read; wait4's statuses): tests/hosted/progs/signals.c
    runs natively under strace and prints the values it saw, and abi-run's
    formatter, given them, must print strace's very lines."""
    if shutil.which("strace") is None or shutil.which("gcc") is None:
        pytest.skip("strace and gcc are needed")
    exe = tmp_path / "signals"
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(HERE / "progs" / "signals.c")], check=True)
    p = subprocess.run(["strace", "-f", "-qq", str(exe)], env=ENV, capture_output=True,
                       text=True, timeout=60, check=True)
    lines = p.stderr.splitlines()
    # each in its order (the program reports a call after the signal that
    # ended it; strace prints the call first)
    # strace -f follows the children: their own lines carry "[pid N]"
    lines = [ln for ln in lines if not ln.startswith("[pid")]
    want = {"sig": [ln for ln in lines if ln.startswith("---")],
            "call": [ln for ln in lines if " = ? ERESTART" in ln],
            "wait": [m[1] for ln in lines if (m := WAIT_STATUS.match(ln))]}
    got: dict[str, list[str]] = {"sig": [], "call": [], "wait": []}
    for rec in p.stdout.splitlines():
        kind, *vals = rec.split()
        argv = [str(formatter), {"sig": "signal"}.get(kind, kind), *vals]
        line = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.rstrip()
        got[kind].append(line)
    assert [len(want[k]) for k in ("sig", "call", "wait")] == [7, 2, 2]
    assert got == want


def test_clone_lines(formatter: Path, tmp_path: Path) -> None:
    """clone and clone3 (fork-like, so that a C program can make them
    itself) natively under strace, and abi-run's formatter given the same
    arguments and memory; the tid words move to the formatter's memory, so
    addresses are normalised."""
    if shutil.which("strace") is None or shutil.which("gcc") is None:
        pytest.skip("strace and gcc are needed")
    exe = tmp_path / "clones"
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(HERE / "progs" / "clones.c")], check=True)
    # without -f: the children's lines would split the parent's
    p = subprocess.run(["strace", "-qq", "-e", "trace=clone,clone3", str(exe)], env=ENV,
                       capture_output=True, text=True, timeout=60, check=True)
    want = [_ADDR.sub("ADDR", ln) for ln in p.stderr.splitlines() if ln.startswith("clone")]
    got = [_ADDR.sub("ADDR", subprocess.run([str(formatter), "call", *rec.split()[1:]],
                                            capture_output=True, text=True,
                                            check=True).stdout.rstrip())
           for rec in p.stdout.splitlines()]
    assert len(want) == 3 and got == want
    assert "=> {parent_tid=[" in got[0] and "parent_tid=[" in got[2]


def test_socket_address_lines(formatter: Path, tmp_path: Path) -> None:
    """connect's socket addresses of each family (AF_UNIX paths, abstract
    and unnamed; AF_INET; AF_INET6 with every shape of "::"; sa_data)
    natively under strace, and abi-run's formatter given the same bytes."""
    if shutil.which("strace") is None or shutil.which("gcc") is None:
        pytest.skip("strace and gcc are needed")
    exe = tmp_path / "sockaddrs"
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(HERE / "progs" / "sockaddrs.c")],
                   check=True)
    p = subprocess.run(["strace", "-qq", "-e", "trace=connect", str(exe)], env=ENV,
                       capture_output=True, text=True, timeout=60, check=True)
    want = p.stderr.splitlines()
    got = [subprocess.run([str(formatter), "call", *rec.split()[1:]], capture_output=True,
                          text=True, check=True).stdout.rstrip()
           for rec in p.stdout.splitlines()]
    assert len(want) == 18 and got == want
