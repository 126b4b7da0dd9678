"""The C types that may appear in the syscall table.

A type is a scalar from SCALARS (size and signedness as on x86_64 and
aarch64, both LP64) or a pointer. The kernel sees every pointer as a guest
address (``uptr``); the generators use ``CType`` to choose the C prototype
type, the ctypes type and the tracer's default format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# name -> (size in bytes, signed). Must agree with kernel/include/abi/types.h;
# the generated C asserts it at compile time.
SCALARS: dict[str, tuple[int, bool]] = {
    "int": (4, True),
    "unsigned int": (4, False),
    "long": (8, True),
    "unsigned long": (8, False),
    "size_t": (8, False),
    "ssize_t": (8, True),
    "off_t": (8, True),
    "loff_t": (8, True),
    "pid_t": (4, True),
    "uid_t": (4, False),
    "gid_t": (4, False),
    "mode_t": (4, False),
    "umode_t": (2, False),
    "dev_t": (8, False),
    "clockid_t": (4, True),
    "timer_t": (4, True),
    "key_t": (4, True),
    "key_serial_t": (4, True),
    "mqd_t": (4, True),
    "socklen_t": (4, False),
    "idtype_t": (4, True),
    "id_t": (4, False),
    "qid_t": (4, False),
    "rwf_t": (4, True),
    "aio_context_t": (8, False),
    "u32": (4, False),
    "u64": (8, False),
    "s32": (4, True),
    "int32_t": (4, True),
    "uint32_t": (4, False),
    "int64_t": (8, True),
    "uint64_t": (8, False),
    "uintptr_t": (8, False),
}

# Typedef names that are pointers in the kernel's own headers.
POINTER_ALIASES: dict[str, str] = {
    "cap_user_header_t": "struct __user_cap_header_struct *",
    "cap_user_data_t": "struct __user_cap_data_struct *",
}

_POINTER = re.compile(
    r"^(?P<const>const\s+)?"
    r"(?P<base>void|struct\s+\w+|union\s+\w+|[a-z_][a-z0-9_ ]*?)"
    r"\s*\*(?P<rest>(\s*const)?\s*\*)?$"
)


@dataclass(frozen=True)
class CType:
    """A parsed table type."""

    spelling: str  # as written in the table, whitespace-normalised
    pointer: bool
    const: bool  # what the pointer points at is const (for pointers)
    base: str  # scalar name, or the pointee's base for pointers
    depth: int  # 0 for scalars, 1 or 2 for pointers

    @property
    def size(self) -> int:
        return 8 if self.pointer else SCALARS[self.base][0]

    @property
    def signed(self) -> bool:
        return False if self.pointer else SCALARS[self.base][1]

    @property
    def kernel(self) -> str:
        """The type a kernel prototype uses: guest pointers become uptr."""
        return "uptr" if self.pointer else self.base


class CTypeError(ValueError):
    """An unknown or malformed type."""


def parse_ctype(text: str) -> CType:
    spelling = re.sub(r"\* (?=[\w*])", "*", " ".join(text.replace("*", " * ").split()))
    if spelling in SCALARS:
        return CType(spelling, False, False, spelling, 0)
    if spelling in POINTER_ALIASES:
        aliased = parse_ctype(POINTER_ALIASES[spelling])
        return CType(spelling, True, False, aliased.base, aliased.depth)
    m = _POINTER.match(spelling)
    if not m:
        raise CTypeError(f"unknown type {text!r}")
    base = " ".join(m["base"].split())
    if not (base in ("void", "char") or base.startswith(("struct ", "union ")) or base in SCALARS):
        raise CTypeError(f"unknown pointee type {base!r} in {text!r}")
    depth = 2 if m["rest"] else 1
    const = bool(m["const"]) or "const" in (m["rest"] or "")
    return CType(spelling, True, const, base, depth)
