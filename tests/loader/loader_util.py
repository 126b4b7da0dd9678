"""Helpers of the loader tests: running a process, reading and rewriting ELF
headers, building a C program. The ELF headers are construct structs with
<elf.h>'s field names; constants come from pyelftools."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from construct import Bytes, Construct, Int16ul, Int32ul, Int64ul, Struct
from elftools.elf.enums import ENUM_P_TYPE_BASE

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HARNESS = REPO / "build" / "loader" / "harness"
BUSYBOX = Path("/bin/busybox")
TIMEOUT = 20

ELF64_EHDR = Struct(
    "e_ident" / Bytes(16), "e_type" / Int16ul, "e_machine" / Int16ul, "e_version" / Int32ul,
    "e_entry" / Int64ul, "e_phoff" / Int64ul, "e_shoff" / Int64ul, "e_flags" / Int32ul,
    "e_ehsize" / Int16ul, "e_phentsize" / Int16ul, "e_phnum" / Int16ul,
    "e_shentsize" / Int16ul, "e_shnum" / Int16ul, "e_shstrndx" / Int16ul,
)
ELF64_PHDR = Struct(
    "p_type" / Int32ul, "p_flags" / Int32ul, "p_offset" / Int64ul, "p_vaddr" / Int64ul,
    "p_paddr" / Int64ul, "p_filesz" / Int64ul, "p_memsz" / Int64ul, "p_align" / Int64ul,
)
PHENT = ELF64_PHDR.sizeof()
EI_CLASS, EI_DATA = 4, 5  # <elf.h>: indexes into e_ident
PT_LOAD, PT_INTERP = ENUM_P_TYPE_BASE["PT_LOAD"], ENUM_P_TYPE_BASE["PT_INTERP"]


@dataclass(frozen=True)
class Field:
    """One field of a header struct, where it lies and how it is written."""

    name: str
    offset: int
    subcon: Construct

    @property
    def size(self) -> int:
        return int(self.subcon.sizeof())

    def poke(self, data: bytearray, base: int, value: int) -> None:
        """Writes value (cut to the field's width) at base + offset."""
        value &= (1 << 8 * self.size) - 1
        data[base + self.offset:base + self.offset + self.size] = self.subcon.build(value)


def fields(s: Struct) -> dict[str, Field]:
    out: dict[str, Field] = {}
    offset = 0
    for sc in s.subcons:
        out[sc.name] = Field(sc.name, offset, sc.subcon)
        offset += sc.sizeof()
    return out


EHDR = fields(ELF64_EHDR)
PHDR = fields(ELF64_PHDR)
# The Elf64_Ehdr fields the loader reads (the section header fields it ignores).
EHDR_FIELDS = [f for n, f in EHDR.items()
               if n not in ("e_ident", "e_shentsize", "e_shnum", "e_shstrndx")]
PHDR_FIELDS = list(PHDR.values())


@dataclass(frozen=True)
class Run:
    """What a process did, as the differential tests compare it."""

    status: int
    stdout: bytes
    stderr: bytes


def run(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        stdin: bytes = b"") -> Run:
    p = subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=cwd,
                       timeout=TIMEOUT, check=False)
    return Run(p.returncode, p.stdout, p.stderr)


def phdrs(data: bytes) -> list[dict[str, int]]:
    """The program headers of a well-formed ELF64 file, as dicts of fields,
    plus "offset": where the header itself lies in the file."""
    eh = ELF64_EHDR.parse(data)
    out = []
    for i in range(eh.e_phnum):
        off = eh.e_phoff + i * PHENT
        ph = ELF64_PHDR.parse(data[off:off + PHENT])
        out.append({n: ph[n] for n in PHDR} | {"offset": off})
    return out


def compile_c(out: Path, src: Path, *flags: str) -> Path:
    p = subprocess.run(["gcc", "-O1", "-o", str(out), str(src), *flags], capture_output=True,
                       text=True, check=False)
    if p.returncode != 0:
        pytest.skip(f"cannot build {out.name}: {p.stderr.strip().splitlines()[-1:]}")
    return out


def clean_env(home: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "TZ": "UTC", "LC_ALL": "C",
            "LANG": "C"} | ({"TMPDIR": os.environ["TMPDIR"]} if "TMPDIR" in os.environ else {})
