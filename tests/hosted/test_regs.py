"""The registers a program sees, compared with Linux: at its first
instruction, after each kind of syscall return (a plain result, an error, a
copy to the program, a copy that faults, an unknown number, a failed
execve) and at the entry of the program a successful execve starts.
tests/hosted/progs/regs.c dumps every general,
flag, selector, FS/GS base, x87, SSE, AVX and AVX-512 register (XSAVE) and
the auxv; it runs natively and under abi-run and the dumps must match, so
that no register holds an address of abi-run (where its syscall
instructions are) or anything else Linux does not give.

Signal frames are not checked: abi-run delivers no signals to the program
yet; when it does, a handler's entry state and the state after its
rt_sigreturn belong here too."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hosted_util import HERE, run

GPRS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
SEGS = ["cs", "ds", "es", "fs", "gs", "ss"]
PROBES = ["getpid", "close-ebadf", "uname", "uname-efault", "nr-1000", "execve-enoent"]
AT_SYSINFO_EHDR, AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN = 33, 27, 28


@dataclass
class Dump:
    comps: dict[int, tuple[int, int]] = field(default_factory=dict)  # offset, size
    aux: list[tuple[int, str]] = field(default_factory=list)
    padding: dict[str, int] = field(default_factory=dict)
    states: dict[str, dict[str, str]] = field(default_factory=dict)
    inputs: list[list[int]] = field(default_factory=list)


def xstate(xs: bytes, comps: dict[int, tuple[int, int]]) -> dict[str, str]:
    """The registers in a standard-form XSAVE area, a component whose
    XSTATE_BV bit is clear read as its initial state (the area's bytes for
    it are not written by XSAVE)."""
    bv = int.from_bytes(xs[512:520], "little")

    def comp(bit: int, data: bytes) -> bytes:
        return data if bv >> bit & 1 else bytes(len(data))

    out: dict[str, str] = {}
    x87 = xs[:32] if bv & 1 else bytes.fromhex("7f03") + bytes(30)
    out["fcw"] = x87[0:2][::-1].hex()
    out["fsw"] = x87[2:4][::-1].hex()
    out["ftw"] = x87[4:5].hex()
    out["fop"] = x87[6:8][::-1].hex()
    out["fip"] = x87[8:16][::-1].hex()
    out["fdp"] = x87[16:24][::-1].hex()
    out["mxcsr"] = xs[24:28][::-1].hex()
    for i in range(8):
        out[f"st{i}"] = comp(0, xs[32 + 16 * i:42 + 16 * i])[::-1].hex()
    ymmh_off = comps.get(2, (0, 0))[0]
    zmmh_off = comps.get(6, (0, 0))[0]
    hi16_off = comps.get(7, (0, 0))[0]
    k_off = comps.get(5, (0, 0))[0]
    for i in range(32):
        if i < 16:
            v = comp(1, xs[160 + 16 * i:176 + 16 * i])
            if ymmh_off:
                v += comp(2, xs[ymmh_off + 16 * i:ymmh_off + 16 * i + 16])
            if zmmh_off:
                v += comp(6, xs[zmmh_off + 32 * i:zmmh_off + 32 * i + 32])
        elif hi16_off:
            v = comp(7, xs[hi16_off + 64 * (i - 16):hi16_off + 64 * (i - 15)])
        else:
            continue
        out[f"zmm{i}"] = v[::-1].hex()
    if k_off:
        for i in range(8):
            out[f"k{i}"] = comp(5, xs[k_off + 8 * i:k_off + 8 * i + 8])[::-1].hex()
    if 9 in comps:
        off = comps[9][0]
        out["pkru"] = comp(9, xs[off:off + 4])[::-1].hex()
    return out


def parse(stdout: bytes) -> Dump:
    d = Dump()
    cur: dict[str, str] = {}
    for ln in stdout.decode().splitlines():
        word, *rest = ln.split()
        if word == "xcomp":
            bit, off, size = (int(x, 16) for x in rest)
            if size:
                d.comps[bit] = (off, size)
        elif word in ("auxv", "auxv-stack"):
            d.aux.append((int(rest[0], 16), "stack" if word == "auxv-stack" else rest[1]))
        elif word == "padding-nonzero":
            d.padding[f"{len(d.padding)}"] = int(rest[0], 16)
        elif word == "in":
            d.inputs.append([int(x, 16) for x in rest])
        elif word == "state":
            cur = d.states[rest[0]] = {}
        elif word == "gpr":
            cur.update(zip(GPRS, rest, strict=True))
        elif word == "flags":
            cur["rflags"] = rest[0]
        elif word == "seg":
            cur.update(zip(SEGS, rest, strict=True))
        elif word == "bases":
            cur["fsbase"], cur["gsbase"] = rest
        elif word == "xsave":
            cur.update(xstate(bytes.fromhex(rest[0]), d.comps))
    return d


def normalized(d: Dump) -> dict[str, dict[str, str]]:
    """The states with rsp as the stacks' layouts fix it: at an entry its
    alignment, after a syscall its distance from the entry rsp. getpid's
    result is a pid, which differs between runs anyway."""
    out = {}
    entry_rsp = int(d.states["entry"]["rsp"], 16)
    for name, st in d.states.items():
        st = dict(st)
        rsp = int(st["rsp"], 16)
        st["rsp"] = f"entry, {rsp % 16} mod 16" if "entry" in name else f"{rsp - entry_rsp:+d}"
        if name == "getpid":
            st["rax"] = "a pid" if int(st["rax"], 16) > 0 else st["rax"]
        out[name] = st
    return out


@pytest.fixture(scope="session")
def regs_prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if "xsave" not in Path("/proc/cpuinfo").read_text().split():
        pytest.skip("the register dump needs XSAVE")
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    out = tmp_path_factory.mktemp("regs") / "regs"
    p = subprocess.run(["gcc", "-static", "-nostdlib", "-no-pie", "-fno-pie", "-O1", "-o",
                        str(out), str(HERE / "progs" / "regs.c")],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return out


@pytest.fixture(scope="session")
def dumps(regs_prog: Path, abi_run: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Dump, Dump]:
    d = tmp_path_factory.mktemp("regs-run")
    native = run([str(regs_prog)], cwd=d)
    hosted = run([str(abi_run), str(regs_prog)], cwd=d)
    assert native.status == 0, native.stderr.decode()
    assert hosted.status == 0, hosted.stderr.decode()
    return parse(native.stdout), parse(hosted.stdout)


def differences(native: dict[str, str], hosted: dict[str, str]) -> list[str]:
    return [f"{k}: Linux {native.get(k)}, abi-run {hosted.get(k)}"
            for k in sorted(native.keys() | hosted.keys()) if native.get(k) != hosted.get(k)]


@pytest.mark.parametrize("state", ["entry", *PROBES, "child-entry"])
def test_registers_match_linux(dumps: tuple[Dump, Dump], state: str) -> None:
    """Every register after `state`: the program's entry, the return of
    each probe syscall, the entry of the program execve started."""
    native, hosted = (normalized(d) for d in dumps)
    assert state in native and state in hosted
    assert differences(native[state], hosted[state]) == []


def test_native_expectations(dumps: tuple[Dump, Dump]) -> None:
    """What the comparisons rely on, as this Linux does it: at entry every
    general register 0 but rsp, rflags 0x202 (IF and the always-one bit),
    no FS/GS base, the FPU in its initial state; after a syscall only rax,
    rcx (the return rip) and r11 (rflags) changed."""
    native = normalized(dumps[0])
    for name in ("entry", "child-entry"):
        st = native[name]
        assert all(st[r] == "0" for r in GPRS if r != "rsp"), st
        assert st["rsp"] == "entry, 0 mod 16"
        assert (st["rflags"], st["cs"], st["ss"], st["fsbase"] in ("0", "-")) == \
            ("202", "33", "2b", True)
        assert (st["fcw"], st["fsw"], st["ftw"], st["mxcsr"]) == ("037f", "0000", "00", "00001f80")
        assert all(int(v, 16) == 0 for k, v in st.items() if k.startswith(("zmm", "k", "st")))
    for name, inputs in zip(PROBES, dumps[0].inputs[:len(PROBES)], strict=True):
        raw = dumps[0].states[name]
        changed = [r for i, r in enumerate(GPRS) if int(raw[r], 16) != inputs[i] and r != "rsp"]
        assert changed == ["rax", "rcx", "r11"], name
        assert raw["r11"] == raw["rflags"]
        assert raw["fsbase"] in ("123456789000", "-") and raw["gsbase"] in ("7654321ab000", "-")


def test_auxv_and_stack(dumps: tuple[Dump, Dump]) -> None:
    """The auxv holds Linux's entries and values, pointers into the stack
    excepted (their offsets move with the random gap), and the padding of
    the initial stack is zero. abi-run has no vDSO and no rseq, so
    AT_SYSINFO_EHDR and the AT_RSEQ_* entries are not there."""
    native, hosted = dumps
    missing = {AT_SYSINFO_EHDR, AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN}
    assert [a for a in native.aux if a[0] not in missing] == hosted.aux
    assert set(native.padding.values()) == set(hosted.padding.values()) == {0}
