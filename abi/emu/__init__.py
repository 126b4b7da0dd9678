"""The emulated platform: ``abi-run --emu`` (``abi run --emu``).

The program's instructions run in unicorn; its syscalls are served by the
same kernel, ``libabik.so``, from a C hook (kernel/plat/emu/emu.c) that
calls ``abi_syscall_arch``. Guest memory is host memory mapped into each
engine at the same address, and the kernel's mmap & co reach the engines
through ``plat_mem_hook``. An architecture is a module ``arch_<name>.py``
(see ``arch.py``) plus its frame code in C (kernel/plat/emu/frame_<name>.c).
"""
