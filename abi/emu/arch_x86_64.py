"""x86_64 for the emulated platform: ``syscall`` is unicorn's UC_HOOK_INSN
with UC_X86_INS_SYSCALL; the number is rax, the arguments rdi, rsi, rdx,
r10, r8, r9, the result rax; the TLS is the FS base (arch_prctl). The
registers are in the order of the signal frame's gregs (ucontext's REG_R8
.. REG_EFL), so kernel/plat/emu/frame_x86_64.c hands them to the same frame
code abi-run uses (kernel/plat/hosted/signal.c)."""

from __future__ import annotations

from .arch import ABI_ARCH_X86_64, Arch
from .ucbind import const

uc = const("unicorn_const")
x = const("x86_const")

_REGS = (
    x.UC_X86_REG_R8, x.UC_X86_REG_R9, x.UC_X86_REG_R10, x.UC_X86_REG_R11,
    x.UC_X86_REG_R12, x.UC_X86_REG_R13, x.UC_X86_REG_R14, x.UC_X86_REG_R15,
    x.UC_X86_REG_RDI, x.UC_X86_REG_RSI, x.UC_X86_REG_RBP, x.UC_X86_REG_RBX,
    x.UC_X86_REG_RDX, x.UC_X86_REG_RAX, x.UC_X86_REG_RCX, x.UC_X86_REG_RSP,
    x.UC_X86_REG_RIP, x.UC_X86_REG_EFLAGS,
)


def _i(reg: int) -> int:
    return _REGS.index(reg)


ARCH = Arch(
    name="x86_64",
    abi_arch=ABI_ARCH_X86_64,
    elf_machine=62,
    uc_arch=uc.UC_ARCH_X86,
    uc_mode=uc.UC_MODE_64,
    hook_type=uc.UC_HOOK_INSN,
    hook_insn=x.UC_X86_INS_SYSCALL,
    intno=0,
    insn_len=2,
    hook_pc_offset=2,
    regs=_REGS,
    nr=_i(x.UC_X86_REG_RAX),
    args=(_i(x.UC_X86_REG_RDI), _i(x.UC_X86_REG_RSI), _i(x.UC_X86_REG_RDX),
          _i(x.UC_X86_REG_R10), _i(x.UC_X86_REG_R8), _i(x.UC_X86_REG_R9)),
    ret=_i(x.UC_X86_REG_RAX),
    pc=_i(x.UC_X86_REG_RIP),
    sp=_i(x.UC_X86_REG_RSP),
    tls=x.UC_X86_REG_FS_BASE,
    zero=(x.UC_X86_REG_GS_BASE,),
    fpregs=(x.UC_X86_REG_FPCW, x.UC_X86_REG_FPSW, x.UC_X86_REG_FPTAG, x.UC_X86_REG_MXCSR,
            *(x.UC_X86_REG_FP0 + i for i in range(8)),
            *(x.UC_X86_REG_XMM0 + i for i in range(16))),
    qemu="qemu-x86_64",
)
