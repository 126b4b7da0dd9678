"""``abi run --emu``: loads unicorn and the kernel, and hands them the program.

Everything after the hand-over is C (kernel/plat/emu/emu.c in
``libabik.so``): abi-run's own start-up and options, the kernel's exec, the
syscall and fault hooks, one engine per guest thread. Python's part is to
find unicorn's entry points (the ``unicorn`` package loaded them), describe
the architecture (``arch_<name>.py``), and call ``abi_emu_main``, which ends
the process as the guest's process ends.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .arch import Arch
from .ucbind import UnicornMissing, const, library

REPO = Path(__file__).resolve().parent.parent.parent
LIBABIK = REPO / "build" / "kernel" / "libabik.so"
EMU_MAX_REGS = 48
EMU_MAX_FP = 40
ABI_EMU_COUNT = 0x1

USAGE = """\
usage: abi-run --emu [--count] [--max-insns N] [--arch A] [ABI-RUN OPTIONS] PROGRAM [ARG...]
Runs the program's instructions in unicorn, its syscalls on the same kernel
as abi-run (libabik.so); every abi-run option applies (abi-run --help).
  --count          print the instructions and syscalls executed, at exit
  --max-insns N    end the program with SIGXCPU after N instructions
  --arch A         x86_64 (default) or aarch64; default: the program's ELF machine
"""

_F = ctypes.c_void_p  # every entry point travels as a plain pointer


class EmuUcApi(ctypes.Structure):
    """kernel/plat/emu/emu.h's struct emu_uc_api."""

    _fields_ = [("size", ctypes.c_uint32)] + [
        (n, _F) for n in (
            "open", "close", "emu_start", "emu_stop", "reg_read_batch", "reg_write_batch",
            "mem_map_ptr", "mem_unmap", "mem_protect", "mem_regions", "free", "hook_add",
            "strerror", "ctl", "context_alloc", "context_save", "context_restore",
            "pthread_attr_init", "pthread_attr_setstack",
            "pthread_attr_setdetachstate", "pthread_create")
    ] + [(n, ctypes.c_int) for n in (
        "hook_code", "hook_block", "hook_mem_invalid", "hook_insn_invalid", "hook_intr",
        "hook_insn",
        "mem_read", "mem_write", "mem_fetch", "mem_read_unmapped", "mem_write_unmapped",
        "mem_fetch_unmapped", "mem_read_prot", "mem_write_prot", "mem_fetch_prot",
        "ctl_tlb_flush")]


class EmuArch(ctypes.Structure):
    """kernel/plat/emu/emu.h's struct emu_arch."""

    _fields_ = [
        ("size", ctypes.c_uint32), ("abi_arch", ctypes.c_int), ("uc_arch", ctypes.c_int),
        ("uc_mode", ctypes.c_int), ("hook_type", ctypes.c_int), ("hook_insn", ctypes.c_int),
        ("intno", ctypes.c_int), ("insn_len", ctypes.c_int), ("hook_pc_offset", ctypes.c_int),
        ("nregs", ctypes.c_int), ("regs", ctypes.c_int * EMU_MAX_REGS),
        ("i_nr", ctypes.c_int), ("i_ret", ctypes.c_int), ("i_args", ctypes.c_int * 6),
        ("i_pc", ctypes.c_int), ("i_sp", ctypes.c_int), ("reg_tls", ctypes.c_int),
        ("nzero", ctypes.c_int), ("zero", ctypes.c_int * 8),
        ("nfp", ctypes.c_int), ("fp", ctypes.c_int * EMU_MAX_FP),
    ]


def _addr(fn: Any) -> int:
    return ctypes.cast(fn, ctypes.c_void_p).value or 0


def uc_api() -> EmuUcApi:
    """unicorn's entry points and constants, as the unicorn package loaded them."""
    uc = const("unicorn_const")
    uclib = library()
    libc = ctypes.CDLL(None)
    api = EmuUcApi(size=ctypes.sizeof(EmuUcApi))
    for name in ("open", "close", "emu_start", "emu_stop", "reg_read_batch", "reg_write_batch",
                 "mem_map_ptr", "mem_unmap", "mem_protect", "mem_regions", "free", "hook_add",
                 "strerror", "ctl", "context_alloc", "context_save", "context_restore"):
        setattr(api, name, _addr(getattr(uclib, f"uc_{name}")))
    for name in ("pthread_attr_init", "pthread_attr_setstack", "pthread_attr_setdetachstate",
                 "pthread_create"):
        setattr(api, name, _addr(getattr(libc, name)))
    api.hook_code = uc.UC_HOOK_CODE
    api.hook_block = uc.UC_HOOK_BLOCK
    api.hook_mem_invalid = uc.UC_HOOK_MEM_INVALID
    api.hook_insn_invalid = uc.UC_HOOK_INSN_INVALID
    api.hook_intr = uc.UC_HOOK_INTR
    api.hook_insn = uc.UC_HOOK_INSN
    api.mem_read = uc.UC_MEM_READ
    api.mem_write = uc.UC_MEM_WRITE
    api.mem_fetch = uc.UC_MEM_FETCH
    api.mem_read_unmapped = uc.UC_MEM_READ_UNMAPPED
    api.mem_write_unmapped = uc.UC_MEM_WRITE_UNMAPPED
    api.mem_fetch_unmapped = uc.UC_MEM_FETCH_UNMAPPED
    api.mem_read_prot = uc.UC_MEM_READ_PROT
    api.mem_write_prot = uc.UC_MEM_WRITE_PROT
    api.mem_fetch_prot = uc.UC_MEM_FETCH_PROT
    api.ctl_tlb_flush = (uc.UC_CTL_IO_WRITE << 30) | uc.UC_CTL_TLB_FLUSH
    return api


def emu_arch(a: Arch) -> EmuArch:
    """The C view of an architecture module's ARCH."""
    e = EmuArch(size=ctypes.sizeof(EmuArch), abi_arch=a.abi_arch, uc_arch=a.uc_arch,
                uc_mode=a.uc_mode, hook_type=a.hook_type, hook_insn=a.hook_insn, intno=a.intno,
                insn_len=a.insn_len, hook_pc_offset=a.hook_pc_offset, nregs=len(a.regs),
                i_nr=a.nr, i_ret=a.ret, i_pc=a.pc, i_sp=a.sp, reg_tls=a.tls, nzero=len(a.zero),
                nfp=len(a.fpregs))
    for i, r in enumerate(a.regs):
        e.regs[i] = r
    for i, r in enumerate(a.args):
        e.i_args[i] = r
    for i, r in enumerate(a.zero):
        e.zero[i] = r
    for i, r in enumerate(a.fpregs):
        e.fp[i] = r
    return e


def arch_named(name: str) -> Arch:
    """The architecture module's ARCH; KeyError for an unknown name."""
    if name == "x86_64":
        from .arch_x86_64 import ARCH
        return ARCH
    if name == "aarch64":
        try:
            from . import arch_aarch64  # type: ignore[attr-defined,unused-ignore]
        except ImportError:
            raise KeyError(name) from None
        arch: Arch = arch_aarch64.ARCH
        return arch
    raise KeyError(name)


def program_arch(path: str) -> str:
    """The architecture of an ELF program by its e_machine (x86_64 unless it says aarch64)."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return "x86_64"
    if head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == 183:
        return "aarch64"
    return "x86_64"


def _find_program(argv: Sequence[str]) -> str | None:
    """The program abi-run's options name (the first word that is no option or value)."""
    with_value = {"--trace-file", "--report", "--seed", "--cwd", "--env", "--root", "--mount"}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return argv[i + 1] if i + 1 < len(argv) else None
        if not a.startswith("-"):
            return a
        i += 2 if a in with_value else 1
    return None


def run(argv: Sequence[str]) -> int:
    """``abi run --emu ARGS``: does not return once the program started;
    2 (with a message) for a bad command line or a missing library."""
    args = list(argv)
    flags = 0
    max_insns = 0
    arch_name: str | None = None
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--" or not a.startswith("-"):
            rest.extend(args[i:])
            break
        if a == "--emu":
            pass
        elif a == "--count":
            flags |= ABI_EMU_COUNT
        elif a in ("--max-insns", "--arch"):
            if i + 1 >= len(args):
                print(f"abi-run: {a} needs a value (abi-run --emu --help)", file=sys.stderr)
                return 2
            val = args[i + 1]
            i += 1
            if a == "--arch":
                arch_name = val
            elif not val.isdigit() or int(val) == 0:
                print(f"abi-run: --max-insns: not a positive number: {val!r}", file=sys.stderr)
                return 2
            else:
                max_insns = int(val)
        elif a in ("--help", "-h"):
            sys.stdout.write(USAGE)
            return 0
        else:
            rest.append(a)
        i += 1
    if arch_name is None:
        prog = _find_program(rest)
        arch_name = program_arch(prog) if prog and "/" in prog else "x86_64"
    try:
        arch = arch_named(arch_name)
        api = uc_api()
    except KeyError:
        why = ("its module abi/emu/arch_aarch64.py is not there" if arch_name == "aarch64"
               else "expected x86_64 or aarch64")
        print(f"abi-run: --emu: no architecture {arch_name!r}: {why}", file=sys.stderr)
        return 2
    except (UnicornMissing, OSError) as exc:
        print(f"abi-run: --emu: {exc}", file=sys.stderr)
        return 2
    if not LIBABIK.is_file():
        print(f"abi-run: --emu: {LIBABIK} is missing (run 'make kernel')", file=sys.stderr)
        return 2
    lib = ctypes.CDLL(str(LIBABIK))
    main = lib.abi_emu_main
    main.restype = ctypes.c_int
    main.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p),
                     ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(EmuUcApi),
                     ctypes.POINTER(EmuArch), ctypes.c_uint32, ctypes.c_uint64]
    words = [os.fsencode("abi-run"), *(os.fsencode(a) for a in rest)]
    c_argv = (ctypes.c_char_p * (len(words) + 1))(*words, None)
    env = [os.fsencode(f"{k}={v}") for k, v in os.environ.items()]
    c_env = (ctypes.c_char_p * (len(env) + 1))(*env, None)
    c_arch = emu_arch(arch)
    sys.stdout.flush()
    sys.stderr.flush()
    return int(main(len(words), c_argv, c_env, ctypes.byref(api), ctypes.byref(c_arch), flags,
                    max_insns))
