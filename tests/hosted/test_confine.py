"""The second wall (docs/SECURITY.md, kernel/plat/hosted/confine.c): a guest
that jumps to a `syscall; ret` inside abi-run's text runs a raw host call, so
abi-run confines itself (Landlock, seccomp, no_new_privs) before the guest's
first instruction. progs/escape.c is that guest. The test hands it the
gadget's address (found in abi-run's ELF file and the process's host
/proc/PID/maps), so what is measured is the wall, not the hiding of
addresses. Controls: natively, and under abi-run --no-confine, the same
attempts get out, so these tests can fail."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hosted_util import ENV, HERE, REPO

SIGSYS_STATUS = 128 + 31
SECRET = b"top secret\n"


@pytest.fixture(scope="session")
def escape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    out = tmp_path_factory.mktemp("escape") / "escape"
    p = subprocess.run(["gcc", "-static", "-O1", "-mno-red-zone", "-o", str(out),
                        str(HERE / "progs" / "escape.c")], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stderr
    return out


def gadget_offset(binary: Path) -> int:
    """The offset from the image's first page (its load base) of a
    `syscall; ret` in an executable segment of binary."""
    with binary.open("rb") as f:
        elf = ELFFile(f)
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        first = min(int(s["p_vaddr"]) for s in loads) & ~0xFFF
        for seg in loads:
            if seg["p_flags"] & 1:
                i = seg.data().find(b"\x0f\x05\xc3")
                if i >= 0:
                    return int(seg["p_vaddr"]) + i - first
    raise AssertionError("no syscall; ret in abi-run")


# abi-run's own region (kernel/plat/hosted/hosted.h, HOSTED_REGION_*).
REGION = (0x7e8000000000, 0x7ef000000000)


def load_base(pid: int, binary: Path) -> int:
    """abi-run's load base (its first page), from the host's view of the
    process: in its region (linked there, start.c)."""
    real = str(binary.resolve())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            f = line.split()
            if len(f) >= 6 and f[5] == real and int(f[2], 16) == 0:
                base = int(f[0].split("-")[0], 16)
                if REGION[0] <= base < REGION[1]:
                    return base
        time.sleep(0.005)
    raise AssertionError("abi-run's mapping not found")


class World:
    """What lies outside the guest's trees, and how to tell it changed."""

    def __init__(self, d: Path) -> None:
        self.outside = d / "outside"
        self.out = self.outside / "out"
        self.secret = self.outside / "secret"
        self.root = d / "root"
        self.mnt = d / "mnt"
        for p in (self.out, self.root, self.mnt):
            p.mkdir(parents=True)
        self.secret.write_bytes(SECRET)
        self.secret.chmod(0o600)
        self.victim = subprocess.Popen(["sleep", "60"])
        self.before = self.snapshot()

    def snapshot(self) -> tuple[object, ...]:
        st = self.secret.stat() if self.secret.exists() else None
        return (self.secret.read_bytes() if st else None,
                (st.st_mode, st.st_mtime_ns, st.st_size, st.st_nlink) if st else None,
                os.listxattr(self.secret) if st else None,
                sorted(p.name for p in self.out.iterdir()),
                sorted(p.name for p in self.outside.iterdir()),
                self.victim.poll())

    def close(self) -> None:
        self.victim.kill()
        self.victim.wait()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


MODES = {
    "sandbox": lambda w: ["--sandbox"],
    "root-mount": lambda w: ["--root", str(w.root), "--mount", f"{w.mnt}:/mnt"],
}


def attempt(abi_run: Path | None, opts: list[str], escape: Path, what: str,
            w: World, *, own_syscall: bool = False) -> tuple[int, str]:
    """Runs one attempt; returns (exit status, stdout)."""
    args = [what, str(w.secret), str(w.out), str(w.victim.pid)]
    if abi_run is None:
        argv, cwd = [str(escape), *args], w.root
    else:
        prog = escape
        if "--root" in opts:
            shutil.copy(escape, w.root / "escape")
            prog = Path("/escape")
        argv, cwd = [str(abi_run), *opts, str(prog), *args], w.root
    p = subprocess.Popen(argv, cwd=cwd, env=ENV, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    addr = 0
    if abi_run is not None and not own_syscall:
        addr = load_base(p.pid, abi_run) + gadget_offset(abi_run)
    out, err = p.communicate(f"{addr:x}\n".encode(), timeout=30)
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    assert b"fault in the kernel" not in err, err
    return status, out.decode()


# Attempts whose success natively and unconfined shows the gadget works.
CONTROLS = ["read", "read-dotdot", "create", "mkdir", "chmod", "chmod-dotdot", "link-in", "kill"]


def settle(w: World, what: str) -> None:
    """Gives a signal sent or a child forked by the attempt time to land."""
    if what in ("kill", "tgkill", "fork"):
        with contextlib.suppress(subprocess.TimeoutExpired):
            w.victim.wait(timeout=0.3)


def result(out: str, what: str) -> int | None:
    m = re.fullmatch(rf"{re.escape(what)} (-?\d+)\n", out)
    return int(m.group(1)) if m else None


# Landlock covers these; the seccomp filter kills the rest.
ATTEMPTS = ["read", "read-proc-root", "read-dotdot", "create", "mkdir", "unlink", "rename",
            "link-in", "link-fd", "rename-in", "truncate",
            "ptrace", "mount", "unshare", "bpf", "io_uring_setup", "process_vm_readv",
            "personality", "kill", "tgkill", "execve", "fork", "socket", "seccomp-off", "x32",
            "open_by_handle_at"]
# Landlock has no rights for metadata: a raw chmod or setxattr by path is
# stopped only by the mount namespace, which abi-run sets up when it runs as
# root (docs/SECURITY.md).
METADATA = ["chmod", "setxattr", "chmod-dotdot"]
NAMESPACE = os.geteuid() == 0


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("what", ATTEMPTS + [pytest.param(
    g, marks=pytest.mark.xfail(not NAMESPACE, strict=True,
                               reason="no mount namespace without root")) for g in METADATA])
def test_escape_is_confined(abi_run: Path, escape: Path, world: World, mode: str,
                            what: str) -> None:
    status, out = attempt(abi_run, MODES[mode](world), escape, what, world)
    r = result(out, what)
    assert status == SIGSYS_STATUS or (status == 0 and r is not None and r < 0), (status, out)
    settle(world, what)
    assert world.snapshot() == world.before


def test_harmless_call_goes_through(abi_run: Path, escape: Path, world: World) -> None:
    """The gadget really is a host syscall under abi-run: getpid answers the
    host's pid (the kernel's own getpid would say 1)."""
    status, out = attempt(abi_run, ["--sandbox"], escape, "getpid", world)
    assert status == 0 and (r := result(out, "getpid")) is not None and r > 1, out


@pytest.mark.parametrize("what", CONTROLS)
def test_control_native(escape: Path, world: World, what: str) -> None:
    status, out = attempt(None, [], escape, what, world)
    assert status == 0 and (r := result(out, what)) is not None and r >= 0, out
    # read returns the secret's length, read-dotdot a descriptor; the others
    # change the world
    settle(world, what)
    if what.startswith("read"):
        assert r == len(SECRET) if what == "read" else r >= 0
    else:
        assert world.snapshot() != world.before


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("what", CONTROLS)
def test_control_unconfined(abi_run: Path, escape: Path, world: World, mode: str,
                            what: str) -> None:
    """Without the wall (--no-confine) the same jump gets out."""
    status, out = attempt(abi_run, ["--no-confine", *MODES[mode](world)], escape, what, world)
    assert status == 0 and (r := result(out, what)) is not None and r >= 0, out
    # read returns the secret's length, read-dotdot a descriptor; the others
    # change the world
    settle(world, what)
    if what.startswith("read"):
        assert r == len(SECRET) if what == "read" else r >= 0
    else:
        assert world.snapshot() != world.before


def test_every_host_call_is_in_the_filter() -> None:
    """Each HOST_NR(name) the kernel makes is in confine.c's allowed list
    (or its argument-checked rules), or is made only before confinement."""
    src = (REPO / "kernel" / "plat" / "hosted" / "confine.c").read_text()
    allowed = set(re.findall(r"\bN\((\w+)\)", src))
    before_start = {"umask", "prlimit64", "getcwd", "readlink", "seccomp",
                    "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
                    "unshare", "mount", "pivot_root", "umount2", "chdir",
                    "capget",  # capget: plat_host_caps, at boot
                    "personality", "sysinfo",
                    "execve"}  # execve: options.c hands Python options to `abi run`
    used: set[str] = set()
    for p in (REPO / "kernel").rglob("*.c"):
        used |= set(re.findall(r"HOST_NR\((\w+)\)", p.read_text()))
    assert used - allowed - before_start == set()


def test_sandbox_info(abi_run: Path) -> None:
    p = subprocess.run([str(abi_run), "--sandbox-info"], capture_output=True, text=True,
                       check=False, timeout=10)
    assert p.returncode == 0, p.stderr
    for word in ("landlock", "seccomp filter", "no_new_privs", "openat2", "mount namespace"):
        assert word in p.stdout


def test_confined_run_still_works(abi_run: Path, world: World) -> None:
    """A confined guest still reads and writes its own trees, and the
    verbose line says which walls went up."""
    (world.mnt / "in").write_text("hello\n")
    shutil.copy("/bin/busybox", world.root / "busybox")
    p = subprocess.run([str(abi_run), "--verbose", "--require-confinement", "--root",
                        str(world.root), "--mount", f"{world.mnt}:/mnt", "/busybox", "cp",
                        "/mnt/in", "/mnt/out"], cwd=world.root, env=ENV, capture_output=True,
                       text=True, check=False, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "confined: Landlock ABI" in p.stderr
    assert ("mount namespace used" in p.stderr) == NAMESPACE
    assert (world.mnt / "out").read_text() == "hello\n"


@pytest.mark.parametrize("what", ["ptrace", "bpf", "personality", "socket", "io_uring_setup",
                                  "x32", "fork", "kill"])
def test_guest_calls_never_reach_the_filter(abi_run: Path, escape: Path, world: World,
                                            what: str) -> None:
    """The guest's own syscall instructions are trapped by Syscall User
    Dispatch before seccomp sees them: the kernel answers, nothing is killed."""
    status, out = attempt(abi_run, ["--sandbox"], escape, what, world, own_syscall=True)
    assert status == 0 and result(out, what) is not None, (status, out)
    settle(world, what)
    assert world.snapshot() == world.before


def test_missing_wall_warns(abi_run: Path, tmp_path: Path) -> None:
    env = {**ENV, "ABI_HOSTED_NO_LANDLOCK": "1"}
    p = subprocess.run([str(abi_run), "--sandbox", "/bin/busybox", "true"], env=env,
                       capture_output=True, text=True, check=False, timeout=30)
    assert p.returncode == 0
    assert re.fullmatch(r"abi-run: warning: no Landlock on this host \(ENOSYS\).*\n", p.stderr)
    p = subprocess.run([str(abi_run), "--require-confinement", "--sandbox", "/bin/busybox",
                        "true"], env=env, capture_output=True, text=True, check=False,
                       timeout=30)
    assert p.returncode == 2
    assert "--require-confinement: Landlock is not available" in p.stderr
    p = subprocess.run([str(abi_run), "--sandbox", "/bin/busybox", "true"], env=ENV,
                       capture_output=True, text=True, check=False, timeout=30)
    assert (p.returncode, p.stderr) == (0, "")
