"""aarch64 for the emulated platform: ``svc #0`` raises unicorn's EXCP_SWI
(interrupt 2, caught with UC_HOOK_INTR, the pc already past it); the number
is x8, the arguments x0..x5, the result x0; the TLS is TPIDR_EL0, which the
program sets itself (``msr``). The registers are in the order of Linux's
struct sigcontext (x0..x30, sp, pc) then the flags (NZCV, pstate's bits a
program sees), so kernel/plat/emu/frame_aarch64.c copies them to and from
the signal frame as they are; v0-v31, FPSR and FPCR are the frame's
fpsimd_context. The syscalls are served by the kernel's
aarch64 table (``abi_syscall_arch(ABI_ARCH_AARCH64, ...)``), which converts
what differs from x86_64 (kernel/core/arch.c)."""

from __future__ import annotations

from unicorn import arm64_const as a
from unicorn import unicorn_const as uc

from .arch import ABI_ARCH_AARCH64, Arch

_X = tuple(getattr(a, f"UC_ARM64_REG_X{i}") for i in range(29))
_REGS = (*_X, a.UC_ARM64_REG_X29, a.UC_ARM64_REG_X30, a.UC_ARM64_REG_SP, a.UC_ARM64_REG_PC,
         a.UC_ARM64_REG_NZCV)
# The signal frame's fpsimd_context: v0..v31, then FPSR and FPCR.
_FP = (*(getattr(a, f"UC_ARM64_REG_V{i}") for i in range(32)), a.UC_ARM64_REG_FPSR,
       a.UC_ARM64_REG_FPCR)

EXCP_SWI = 2  # qemu's exception number for svc, which unicorn hands to UC_HOOK_INTR


def _i(reg: int) -> int:
    return _REGS.index(reg)


ARCH = Arch(
    name="aarch64",
    abi_arch=ABI_ARCH_AARCH64,
    elf_machine=183,
    uc_arch=uc.UC_ARCH_ARM64,
    uc_mode=uc.UC_MODE_ARM,
    hook_type=uc.UC_HOOK_INTR,
    hook_insn=0,
    intno=EXCP_SWI,
    insn_len=4,
    hook_pc_offset=0,
    regs=_REGS,
    nr=_i(a.UC_ARM64_REG_X8),
    args=(0, 1, 2, 3, 4, 5),
    ret=0,
    pc=_i(a.UC_ARM64_REG_PC),
    sp=_i(a.UC_ARM64_REG_SP),
    tls=a.UC_ARM64_REG_TPIDR_EL0,
    fpregs=_FP,
    qemu="qemu-aarch64",
)
