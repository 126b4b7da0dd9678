"""What an architecture is to the emulated platform (``abi.emu``).

An architecture is a small module, ``abi/emu/arch_<name>.py``, whose
``ARCH`` is an :class:`Arch`: data the C engine (kernel/plat/emu/emu.c)
works from. The rest, which data cannot say (the process entry state, the
signal frame and rt_sigreturn, a clone's registers), is C in
kernel/plat/emu/frame_<name>.c (struct emu_frame_ops in
kernel/plat/emu/emu.h), chosen by ``abi_arch``.

The engine reads every register of ``regs`` at each kernel entry into one
array (one batch call), finds the syscall number, arguments and result by
their index in it (``nr``, ``args``, ``ret``), and writes the array back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The generated table's architectures (build/gen/include/abi/syscalls.h's
# enum: ABI_ARCH_X86_64, ABI_ARCH_AARCH64).
ABI_ARCH_X86_64 = 0
ABI_ARCH_AARCH64 = 1


@dataclass(frozen=True)
class Arch:
    """One architecture of the emulated platform."""

    name: str  # the table's name: "x86_64", "aarch64"
    abi_arch: int  # ABI_ARCH_*
    elf_machine: int  # e_machine of its programs (EM_X86_64 62, EM_AARCH64 183)
    uc_arch: int  # unicorn's UC_ARCH_*
    uc_mode: int  # unicorn's UC_MODE_*
    # How a syscall instruction is caught: unicorn's UC_HOOK_INSN with
    # hook_insn (x86_64's syscall), or UC_HOOK_INTR with intno (aarch64's
    # svc #0 raises EXCP_SWI, 2).
    hook_type: int
    hook_insn: int
    intno: int
    insn_len: int  # bytes of the syscall instruction (pc - insn_len restarts it)
    # What to add to the pc unicorn shows in the syscall hook to get the
    # address after the instruction (x86_64: insn_len, unicorn adds it after
    # the hook returns; aarch64: 0, the pc is already past svc).
    hook_pc_offset: int
    # The general registers (unicorn ids) in the frame code's order, and
    # the positions in that list of the syscall number, its six arguments,
    # its result, the pc and the stack pointer.
    regs: tuple[int, ...]
    nr: int
    args: tuple[int, int, int, int, int, int]
    ret: int
    pc: int
    sp: int
    tls: int  # the TLS register (unicorn id): FS base, TPIDR_EL0
    # Registers the process entry sets to 0 besides regs (x86_64: GS base).
    zero: tuple[int, ...] = field(default=())
    # The FPU/SIMD registers the signal frame holds (unicorn ids, in the
    # order the frame code expects; read and written in one batch each
    # only when a frame is built or restored). x86_64: FPCW, FPSW, FPTAG,
    # MXCSR, FP0-7, XMM0-15; aarch64: its frame code's choice.
    fpregs: tuple[int, ...] = field(default=())
    # The qemu-user program that runs this architecture's binaries on the
    # host, for reference runs (conformance, benchmarks).
    qemu: str = ""

    def reg_index(self, uc_reg: int) -> int:
        """The position of unicorn register uc_reg in regs."""
        return self.regs.index(uc_reg)
