"""Helpers of the loader tests: running a process, reading ELF program
headers, building a C program. The ELF field offsets are <elf.h>'s."""

from __future__ import annotations

import os
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HARNESS = REPO / "build" / "loader" / "harness"
BUSYBOX = Path("/bin/busybox")
TIMEOUT = 20

# <elf.h> offsets: (name, offset, struct format) of Elf64_Ehdr and Elf64_Phdr.
EHDR_FIELDS = [
    ("e_type", 16, "<H"), ("e_machine", 18, "<H"), ("e_version", 20, "<I"),
    ("e_entry", 24, "<Q"), ("e_phoff", 32, "<Q"), ("e_shoff", 40, "<Q"),
    ("e_flags", 48, "<I"), ("e_ehsize", 52, "<H"), ("e_phentsize", 54, "<H"),
    ("e_phnum", 56, "<H"),
]
PHDR_FIELDS = [
    ("p_type", 0, "<I"), ("p_flags", 4, "<I"), ("p_offset", 8, "<Q"), ("p_vaddr", 16, "<Q"),
    ("p_paddr", 24, "<Q"), ("p_filesz", 32, "<Q"), ("p_memsz", 40, "<Q"), ("p_align", 48, "<Q"),
]
PHENT = 56
PT_LOAD = 1
PT_INTERP = 3


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
    """The program headers of a well-formed ELF64 file, as dicts of fields."""
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phnum = struct.unpack_from("<H", data, 56)[0]
    return [{name: struct.unpack_from(fmt, data, phoff + i * PHENT + off)[0]
             for name, off, fmt in PHDR_FIELDS} | {"offset": phoff + i * PHENT}
            for i in range(phnum)]


def compile_c(out: Path, src: Path, *flags: str) -> Path:
    p = subprocess.run(["gcc", "-O1", "-o", str(out), str(src), *flags], capture_output=True,
                       text=True, check=False)
    if p.returncode != 0:
        pytest.skip(f"cannot build {out.name}: {p.stderr.strip().splitlines()[-1:]}")
    return out


def clean_env(home: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "TZ": "UTC", "LC_ALL": "C",
            "LANG": "C"} | ({"TMPDIR": os.environ["TMPDIR"]} if "TMPDIR" in os.environ else {})
