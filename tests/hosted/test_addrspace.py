"""The guest's address space is Linux's 47-bit user range, laid out as Linux
lays it out (docs/DESIGN.md, "Address space"). progs/addrspace.c runs
natively and under abi-run; where the test claims Linux's behaviour, both
must agree, and ranges come from Linux's own layout code (arch/x86/mm/mmap.c,
fs/binfmt_elf.c) as observed here."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hosted_util import ENV, HERE, compile_c, run

TOP = 0x7FFFFFFFF000  # TASK_SIZE
STACK_RND = 0x3FFFFF << 12  # randomize_stack_top: 22 bits of pages
MMAP_RND = 1 << 40  # arch_mmap_rnd: 28 bits of pages
BRK_RND = 1 << 30  # arch_randomize_brk on 64-bit (Linux 6.11+)
ET_DYN_BASE = 0x555555554000  # ELF_ET_DYN_BASE, page-aligned
REGION = (0x7E8000000000, 0x7EF000000000)  # abi-run's own (hosted.h)
NO_RANDOMIZE = 0x40000


@pytest.fixture(scope="module")
def progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("addrspace")
    src = HERE / "progs" / "addrspace.c"
    return {
        "pie": compile_c("gcc", d / "as-pie", src),
        "static-pie": compile_c("gcc", d / "as-static-pie", src, "-static-pie"),
        "static": compile_c("gcc", d / "as-static", src, "-static", "-no-pie"),
    }


def both(abi_run: Path, argv: list[str], tmp_path: Path) -> tuple[str, str]:
    native = run(argv, cwd=tmp_path)
    hosted = run([str(abi_run), *argv], cwd=tmp_path)
    assert native.status == 0, native.stderr
    assert hosted.status == 0, hosted.stderr
    return native.stdout.decode(), hosted.stdout.decode()


@pytest.mark.parametrize("what", ["probe", "go", "mremap", "brk", "mapslate"])
def test_whole_range(abi_run: Path, progs: dict[str, Path], tmp_path: Path, what: str) -> None:
    """Hints and MAP_FIXED_NOREPLACE from mmap_min_addr to just below the
    top (and ENOMEM past it), Go's arena hint at 0xc000000000 and a 4 TiB
    PROT_NONE reservation at a high hint, a page moved by mremap across the
    range, brk, a sanitizer's 14 TiB MAP_NORESERVE shadow: the same answers
    as Linux."""
    native, hosted = both(abi_run, [str(progs["pie"]), what], tmp_path)
    assert hosted == native
    if what == "mapslate":  # /proc/self/maps is made when read, not when opened
        assert native == "mapped 1 seen 1\n"
    if what == "go":
        assert "arena 0xc000000000\n" in native
        assert "shadow-touch 1\n" in native


def test_mmap_min_addr(abi_run: Path, progs: dict[str, Path], tmp_path: Path) -> None:
    """The host's vm.mmap_min_addr binds the program as it would natively:
    without CAP_SYS_RAWIO a fixed mapping below it is EPERM (page 0 here),
    one at it works."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run as an ordinary user")
    user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    with tempfile.TemporaryDirectory() as d:  # reachable by that user
        os.chmod(d, 0o755)
        prog = Path(d) / "as-static"
        shutil.copy(progs["static"], prog)
        _low(abi_run, user, prog)


def _low(abi_run: Path, user: list[str], prog: Path) -> None:
    low = Path("/proc/sys/vm/mmap_min_addr").read_text().strip()
    native = run([*user, str(prog), "low", low], cwd=Path("/"))
    hosted = run([*user, str(abi_run), str(prog), "low", low], cwd=Path("/"))
    assert native.status == 0, native.stderr
    assert hosted.stdout == native.stdout
    assert native.stdout.startswith(b"noreplace 0 EPERM\n")


def test_region_is_abi_runs(abi_run: Path, progs: dict[str, Path], tmp_path: Path) -> None:
    """abi-run's own region is occupied: a NOREPLACE mapping there is
    EEXIST and MAP_FIXED is ENOMEM (it cannot be replaced). A documented
    difference: natively the range is free."""
    for a in (REGION[0], REGION[1] - 0x1000):
        r = run([str(abi_run), str(progs["pie"]), "region", hex(a)], cwd=tmp_path)
        assert r.stdout.decode() == (f"noreplace {a:#x} EEXIST\nfixed {a:#x} ENOMEM\n")


def stub_page(pid: int, span: str) -> bool:
    """A stub page of rewritten syscall sites: its first word is the
    address of the entry the stubs jump to, in abi-run's region."""
    with open(f"/proc/{pid}/mem", "rb") as mem:
        mem.seek(int(span.split("-")[0], 16))
        entry = int.from_bytes(mem.read(8), "little")
    return REGION[0] <= entry < REGION[1]


def test_abi_run_lives_in_its_region(abi_run: Path, progs: dict[str, Path],
                                     tmp_path: Path) -> None:
    """Seen from the host, while a program runs: every mapping that is not
    the guest's own (nor the PROT_NONE reservation of the guest's free
    space) lies in abi-run's region, abi-run's image among them, and the
    host's vDSO and first stack are gone. The one exception is the stub
    pages of rewritten syscall sites (docs/DESIGN.md), in the guest range
    within reach of their sites, which the guest does not see."""
    p = subprocess.Popen([str(abi_run), str(progs["pie"]), "hold"], cwd=tmp_path, env=ENV,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        assert p.stdout is not None
        out = ""
        while not out.endswith("end\n"):
            line = p.stdout.readline().decode()
            assert line, out
            out += line
        host = [ln.split() for ln in Path(f"/proc/{p.pid}/maps").read_text().splitlines()]
        stubs = {f[0] for f in host if f[1] == "r-xp" and len(f) == 5 and stub_page(p.pid, f[0])}
    finally:
        p.communicate(b"", timeout=10)
    guest = parse(out).maps
    real = str(abi_run.resolve())
    assert any(f[-1] == real for f in host)
    for f in host:
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        if f[1] == "---p" or hi > TOP:  # the reservation; [vsyscall]
            continue
        if f[0] in stubs:
            assert hi - lo == 0x1000 and not any(g[0] < hi and lo < g[1] for g in guest), f
            continue
        ours = REGION[0] <= lo < hi <= REGION[1]
        guests = any(g[0] <= lo and hi <= g[1] for g in guest)
        assert ours != guests, f
        if f[-1] == real:
            assert ours, f
    assert not any(f[-1] in ("[vdso]", "[vvar]", "[vvar_vclock]") for f in host)


@dataclass
class Layout:
    keys: dict[str, int]
    maps: list[tuple[int, int, str]]  # start, end, name ("" for anonymous)

    def named(self, name: str) -> list[tuple[int, int, str]]:
        return [m for m in self.maps if m[2] == name]

    @property
    def stack_end(self) -> int:
        return self.named("[stack]")[0][1]

    @property
    def heap(self) -> int:
        return self.named("[heap]")[0][0]

    def image(self, prog: Path) -> tuple[int, int]:
        own = [m for m in self.maps if m[2] == str(prog)]
        return own[0][0], max(m[1] for m in own)

    def interp(self) -> int | None:
        ld = [m for m in self.maps if "ld-linux" in m[2]]
        return ld[0][0] if ld else None


def parse(out: str) -> Layout:
    keys: dict[str, int] = {}
    maps: list[tuple[int, int, str]] = []
    for line in out.splitlines():
        k, _, v = line.partition(" ")
        if k == "map":
            f = v.split(maxsplit=5)
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            maps.append((lo, hi, f[5] if len(f) > 5 else ""))
        elif v:
            keys[k] = int(v, 16)
    return Layout(keys, maps)


def layout(argv: list[str], tmp_path: Path) -> Layout:
    r = run([*argv, "layout"], cwd=tmp_path)
    assert r.status == 0, r.stderr
    return parse(r.stdout.decode())


def check_linux_layout(lay: Layout, prog: Path, kind: str) -> None:
    """Linux's x86_64 layout with randomisation, whoever ran the program."""
    stack = lay.stack_end
    assert TOP - STACK_RND - 0x2000 <= stack <= TOP and stack % 4096 == 0
    assert stack - (8 << 20) - 0x3000 <= lay.keys["sp"] < stack
    # mmap_base: below the stack's rlimit (8 MiB), its random range and the
    # guard gap, less up to 1 TiB; everything but the stack is below it
    mmap_base_hi = TOP - (8 << 20) - STACK_RND - (1 << 20)
    below = [m for m in lay.maps
             if m[2] not in ("[stack]", "[vsyscall]") and 0x700000000000 < m[0] < TOP]
    assert below and max(m[1] for m in below) <= mmap_base_hi
    assert min(m[0] for m in below) >= mmap_base_hi - MMAP_RND - (1 << 30)
    assert mmap_base_hi - MMAP_RND - (1 << 30) <= lay.keys["mmap"] < mmap_base_hi
    lo, hi = lay.image(prog)
    if kind == "pie":
        assert ET_DYN_BASE <= lo < ET_DYN_BASE + MMAP_RND
        assert hi + 0x1000 <= lay.heap <= hi + 0x1000 + BRK_RND
        assert (interp := lay.interp()) and interp > mmap_base_hi - MMAP_RND - (1 << 30)
    elif kind == "static-pie":  # in the mmap area, its brk at ELF_ET_DYN_BASE
        assert lo > mmap_base_hi - MMAP_RND - (1 << 30)
        assert ET_DYN_BASE + 0x1000 <= lay.heap <= ET_DYN_BASE + 0x1000 + BRK_RND
    else:
        assert lo == 0x400000
        assert hi + 0x1000 <= lay.heap <= hi + 0x1000 + BRK_RND
    assert lay.keys["personality"] == 0


@pytest.mark.parametrize("kind", ["pie", "static-pie", "static"])
def test_layout(abi_run: Path, progs: dict[str, Path], tmp_path: Path, kind: str) -> None:
    """Stack near the top with Linux's random gap, mmap top-down below it,
    the program and its heap where Linux puts them: natively and under
    abi-run, different on every run."""
    prog = progs[kind]
    for prefix in ([], [str(abi_run)]):
        a, b = layout([*prefix, str(prog)], tmp_path), layout([*prefix, str(prog)], tmp_path)
        for lay in (a, b):
            check_linux_layout(lay, prog, kind)
        assert a.stack_end != b.stack_end and a.keys["mmap"] != b.keys["mmap"]
        assert a.heap != b.heap
        if kind != "static":
            assert a.image(prog) != b.image(prog)
        if prefix:  # no vDSO under abi-run (docs/DESIGN.md)
            assert not a.named("[vdso]") and not a.named("[vvar]")
        else:
            assert a.named("[vdso]")


def test_seed_is_reproducible(abi_run: Path, progs: dict[str, Path], tmp_path: Path) -> None:
    prog = str(progs["pie"])
    a = run([str(abi_run), "--seed", "7", prog, "layout"], cwd=tmp_path)
    b = run([str(abi_run), "--seed", "7", prog, "layout"], cwd=tmp_path)
    c = run([str(abi_run), "--seed", "8", prog, "layout"], cwd=tmp_path)
    assert a.status == b.status == 0
    assert a.stdout == b.stdout
    assert parse(a.stdout.decode()).stack_end != parse(c.stdout.decode()).stack_end
    check_linux_layout(parse(a.stdout.decode()), progs["pie"], "pie")


@pytest.mark.parametrize("kind", ["pie", "static-pie", "static"])
@pytest.mark.parametrize("how", ["setarch-outside", "setarch-inside", "personality"])
def test_no_randomize(abi_run: Path, progs: dict[str, Path], tmp_path: Path, kind: str,
                      how: str) -> None:
    """ADDR_NO_RANDOMIZE gives Linux's fixed bases, the same natively and
    under abi-run: set on abi-run itself (setarch -R abi-run ...), by a
    guest setarch, or by the program's own personality() before it execs
    itself."""
    prog = str(progs[kind])
    native = layout(["setarch", "-R", prog], tmp_path)
    argv = {
        "setarch-outside": ["setarch", "-R", str(abi_run), prog],
        "setarch-inside": [str(abi_run), "/usr/bin/setarch", "-R", prog],
        "personality": [str(abi_run), prog, "norandom"],
    }[how]
    hosted = layout(argv, tmp_path)
    assert native.keys["personality"] == hosted.keys["personality"] == NO_RANDOMIZE
    assert hosted.stack_end == native.stack_end == TOP
    assert hosted.heap == native.heap
    assert hosted.image(progs[kind])[0] == native.image(progs[kind])[0]
    assert hosted.interp() == native.interp()
    assert hosted.keys["brk"] == native.keys["brk"]
    if kind == "pie":
        assert native.image(progs[kind])[0] == ET_DYN_BASE


SANITIZER_MEMORY_ERRORS = ("ReserveShadowMemoryRange", "can not protect",
                           "unexpected memory mapping", "failed to allocate",
                           "Shadow memory range interleaves")


PROBE_SRC = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    /* what the sanitizer's runtime has taken: a raw mmap, below its interceptor */
    for (unsigned long a = 0x10000000000UL; a < 0x7ff000000000UL; a += 0x10000000000UL / 16) {
        long p = syscall(SYS_mmap, a, 4096, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | 0x100000 /* FIXED_NOREPLACE */, -1, 0);
        if (p < 0)
            printf("taken %#lx\n", a);
        else
            syscall(SYS_munmap, p, 4096);
    }
    puts("sanitized");
    return 0;
}
"""


@pytest.mark.parametrize("sanitizer", ["address", "thread"])
def test_sanitizer_shadow(abi_run: Path, tmp_path: Path, sanitizer: str) -> None:
    """gcc's ASan and TSan leave abi-run's region alone: natively, nothing
    they reserve lies in it (Debian 12's TSan takes 0x7a00...-0x7e80...),
    and under abi-run their shadow and protected ranges are free. (They go
    on to need sigaltstack and threads; until those exist the run stops
    there, so only a shadow failure fails this test.)"""
    src = tmp_path / "s.c"
    src.write_text(PROBE_SRC)
    out = tmp_path / f"s-{sanitizer}"
    p = subprocess.run(["gcc", f"-fsanitize={sanitizer}", "-o", str(out), str(src)],
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        pytest.skip(f"no -fsanitize={sanitizer} here: {p.stderr[-200:]}")
    native = run([str(out)], cwd=tmp_path)
    assert native.status == 0 and native.stdout.endswith(b"sanitized\n"), native.stderr
    taken = [int(ln.split()[1], 16) for ln in native.stdout.decode().splitlines()
             if ln.startswith("taken ")]
    assert not [a for a in taken if REGION[0] <= a < REGION[1]]
    hosted = run([str(abi_run), str(out)], cwd=tmp_path)
    err = hosted.stderr.decode(errors="replace")
    assert not any(m in err for m in SANITIZER_MEMORY_ERRORS), err
    if hosted.status == 0:
        assert hosted.stdout.endswith(b"sanitized\n")
