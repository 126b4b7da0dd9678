"""ELF facts for the tools: headers, dynamic section, symbols, relocations, code.

``read_elf(path)`` checks the header and returns an ``ElfFile``: the program
headers, dynamic tags and notes come from pyelftools (small, validated); the
bulk tables (symbols, relocations), which run to tens of thousands of entries
in a JVM, are unpacked with ``struct`` (pyelftools takes 1.7 s for libjvm's
``.symtab``, ``struct.iter_unpack`` a few milliseconds). Every defect of the
file is an ``ElfError`` with a one-line message, never another exception.
"""

from __future__ import annotations

import io
import struct
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from elftools.common.exceptions import ELFError as _PyElfError
from elftools.elf.constants import P_FLAGS, SH_FLAGS, SHN_INDICES
from elftools.elf.dynamic import DynamicSegment
from elftools.elf.elffile import ELFFile
from elftools.elf.enums import (
    ENUM_DT_FLAGS,
    ENUM_DT_FLAGS_1,
    ENUM_GNU_PROPERTY_X86_FEATURE_1_FLAGS,
    ENUM_NOTE_GNU_PROPERTY_TYPE,
    ENUM_P_TYPE_BASE,
    ENUM_SH_TYPE_BASE,
    ENUM_ST_INFO_BIND,
    ENUM_ST_INFO_TYPE,
    ENUM_ST_VISIBILITY,
    ENUM_RELOC_TYPE_x64,
)
from elftools.elf.segments import InterpSegment, NoteSegment

MACHINES = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64"}

# <elf.h> values by their <elf.h> names, from pyelftools' tables.
PT_LOAD, PT_DYNAMIC = ENUM_P_TYPE_BASE["PT_LOAD"], ENUM_P_TYPE_BASE["PT_DYNAMIC"]
PF_X = P_FLAGS.PF_X
SHT_SYMTAB, SHT_RELA = ENUM_SH_TYPE_BASE["SHT_SYMTAB"], ENUM_SH_TYPE_BASE["SHT_RELA"]
SHT_DYNSYM, SHT_NOBITS = ENUM_SH_TYPE_BASE["SHT_DYNSYM"], ENUM_SH_TYPE_BASE["SHT_NOBITS"]
SHT_GNU_VERSYM = ENUM_SH_TYPE_BASE["SHT_GNU_versym"]
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = SH_FLAGS.SHF_WRITE, SH_FLAGS.SHF_ALLOC, SH_FLAGS.SHF_EXECINSTR
STB_GLOBAL, STB_WEAK = ENUM_ST_INFO_BIND["STB_GLOBAL"], ENUM_ST_INFO_BIND["STB_WEAK"]
STT_OBJECT, STT_FUNC = ENUM_ST_INFO_TYPE["STT_OBJECT"], ENUM_ST_INFO_TYPE["STT_FUNC"]
STT_TLS = ENUM_ST_INFO_TYPE["STT_TLS"]
STT_GNU_IFUNC = ENUM_ST_INFO_TYPE["STT_LOOS"]  # <elf.h>: STT_GNU_IFUNC is STT_LOOS
STV_HIDDEN, STV_INTERNAL = ENUM_ST_VISIBILITY["STV_HIDDEN"], ENUM_ST_VISIBILITY["STV_INTERNAL"]
SHN_UNDEF = SHN_INDICES.SHN_UNDEF
DF_STATIC_TLS = ENUM_DT_FLAGS["DF_STATIC_TLS"]
DF_1_PIE = ENUM_DT_FLAGS_1["DF_1_PIE"]
R_X86_64_GLOB_DAT = ENUM_RELOC_TYPE_x64["R_X86_64_GLOB_DAT"]
R_X86_64_JUMP_SLOT = ENUM_RELOC_TYPE_x64["R_X86_64_JUMP_SLOT"]
R_X86_64_RELATIVE = ENUM_RELOC_TYPE_x64["R_X86_64_RELATIVE"]
R_X86_64_IRELATIVE = ENUM_RELOC_TYPE_x64["R_X86_64_IRELATIVE"]
R_X86_64_DTPMOD64 = ENUM_RELOC_TYPE_x64["R_X86_64_DTPMOD64"]
R_X86_64_TPOFF64 = ENUM_RELOC_TYPE_x64["R_X86_64_TPOFF64"]
GNU_PROPERTY_X86_FEATURE_1_AND = ENUM_NOTE_GNU_PROPERTY_TYPE["GNU_PROPERTY_X86_FEATURE_1_AND"]
X86_FEATURES = {v: k.removeprefix("GNU_PROPERTY_X86_FEATURE_1_")
                for k, v in ENUM_GNU_PROPERTY_X86_FEATURE_1_FLAGS.items()
                if k in ("GNU_PROPERTY_X86_FEATURE_1_IBT", "GNU_PROPERTY_X86_FEATURE_1_SHSTK")}

_SYM = struct.Struct("<IBBHQQ")  # Elf64_Sym: st_name st_info st_other st_shndx st_value st_size
_RELA = struct.Struct("<QQq")  # Elf64_Rela: r_offset r_info r_addend


class ElfError(Exception):
    """The file is not an ELF object these tools can read; the message says why."""


class Section(NamedTuple):
    """The section header fields the tools use (Elf64_Shdr's names)."""

    name: str
    sh_type: int  # -1 for a type these tools do not read
    sh_addr: int
    sh_offset: int
    sh_size: int
    sh_link: int
    sh_flags: int


class Segment(NamedTuple):
    """The program header fields the tools use (Elf64_Phdr's names)."""

    p_type: int  # PT_LOAD, PT_DYNAMIC, or 0 for a type these tools do not read
    p_flags: int
    p_offset: int
    p_vaddr: int
    p_filesz: int


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int
    type: int  # STT_*
    bind: int  # STB_*
    defined: bool
    hidden: bool  # a non-default symbol version (name@VER, not name@@VER)


@dataclass(frozen=True)
class Code:
    """Bytes of one executable section (or segment when sections are stripped)."""

    name: str
    addr: int
    data: bytes

    @property
    def end(self) -> int:
        return self.addr + len(self.data)


@dataclass(frozen=True)
class Relocs:
    slots: dict[int, str]  # GOT slot address -> symbol (GLOB_DAT, JUMP_SLOT)
    pointers: dict[int, int]  # word address -> link-time target (RELATIVE, IRELATIVE)
    counts: dict[int, int]  # relocation type -> count


@dataclass
class ElfFile:
    path: Path
    machine: str  # "x86_64", "aarch64" or the EM_ name
    elf_type: str  # "ET_EXEC", "ET_DYN", ...
    entry: int
    interp: str | None
    has_dynamic: bool
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    soname: str | None
    flags: int
    flags_1: int
    init: tuple[int, ...]  # DT_INIT and DT_INIT_ARRAY entries that are known statically
    init_array: tuple[int, int] | None  # (address, size) of DT_INIT_ARRAY
    tls: bool
    exec_stack: bool | None  # None: no PT_GNU_STACK
    x86_features: tuple[str, ...]
    build_id: str | None
    _raw: bytes = field(repr=False)
    _sections: tuple[Section, ...] = field(repr=False)
    _segments: tuple[Segment, ...] = field(repr=False)

    @property
    def static(self) -> bool:
        return self.interp is None and not (self.has_dynamic and self.needed)

    @property
    def pie(self) -> bool:
        return self.elf_type == "ET_DYN" and (
            bool(self.flags_1 & DF_1_PIE) or self.interp is not None)

    def _section_bytes(self, offset: int, size: int) -> bytes:
        if offset + size > len(self._raw):
            raise ElfError(f"section at offset {offset:#x} runs past the end of the file")
        return self._raw[offset : offset + size]

    def _sections_of(self, sh_type: int) -> list[Section]:
        return [s for s in self._sections if s.sh_type == sh_type]

    def _strtab(self, link: int) -> bytes:
        if not 0 <= link < len(self._sections):
            raise ElfError(f"bad string table index {link}")
        s = self._sections[link]
        return self._section_bytes(s.sh_offset, s.sh_size)

    def _symbols(self, sh_type: int) -> list[Symbol]:
        out: list[Symbol] = []
        for s in self._sections_of(sh_type):
            data = self._section_bytes(s.sh_offset, s.sh_size - s.sh_size % _SYM.size)
            strtab = self._strtab(s.sh_link)
            versym = self._versym() if sh_type == SHT_DYNSYM else b""
            for i, (name, info, other, shndx, value, sz) in enumerate(_SYM.iter_unpack(data)):
                end = strtab.find(b"\0", name)
                nm = strtab[name : end if end >= 0 else len(strtab)].decode("utf-8", "replace")
                hidden = len(versym) >= 2 * i + 2 and bool(
                    struct.unpack_from("<H", versym, 2 * i)[0] & 0x8000)
                vis = other & 3
                out.append(Symbol(nm, value, sz, info & 0xF, info >> 4,
                                  shndx != SHN_UNDEF and vis not in (STV_HIDDEN, STV_INTERNAL)
                                  if sh_type == SHT_DYNSYM else shndx != SHN_UNDEF, hidden))
        return out

    def _versym(self) -> bytes:
        for s in self._sections_of(SHT_GNU_VERSYM):
            return self._section_bytes(s.sh_offset, s.sh_size)
        return b""

    @cached_property
    def dynsyms(self) -> list[Symbol]:
        return self._symbols(SHT_DYNSYM)

    @cached_property
    def symtab(self) -> list[Symbol]:
        return self._symbols(SHT_SYMTAB)

    @cached_property
    def imports(self) -> tuple[str, ...]:
        names = {s.name for s in self.dynsyms
                 if s.name and s.bind in (STB_GLOBAL, STB_WEAK) and s.value == 0
                 and not s.defined and s.type != STT_TLS}
        return tuple(sorted(names))

    @cached_property
    def weak_imports(self) -> frozenset[str]:
        """Imports that may stay undefined (STB_WEAK references)."""
        return frozenset(s.name for s in self.dynsyms if not s.defined and s.bind == STB_WEAK)

    @cached_property
    def exports(self) -> dict[str, int]:
        """Defined global functions and objects: name -> address (the default version wins)."""
        out: dict[str, int] = {}
        for s in sorted(self.dynsyms, key=lambda s: s.hidden):
            if (s.name and s.defined and s.bind in (STB_GLOBAL, STB_WEAK)
                    and s.type in (STT_FUNC, STT_GNU_IFUNC, STT_OBJECT) and s.name not in out):
                out[s.name] = s.value
        return out

    @cached_property
    def exported_functions(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in sorted(self.dynsyms, key=lambda s: s.hidden):
            if (s.name and s.defined and s.bind in (STB_GLOBAL, STB_WEAK)
                    and s.type in (STT_FUNC, STT_GNU_IFUNC) and s.name not in out):
                out[s.name] = s.value
        return out

    @cached_property
    def functions(self) -> tuple[tuple[int, int, str], ...]:
        """Every named function (symtab and dynsym): (address, size, name), sorted."""
        seen: dict[int, tuple[int, int, str]] = {}
        for s in [*self.dynsyms, *self.symtab]:
            if s.type in (STT_FUNC, STT_GNU_IFUNC) and s.value and s.name:
                old = seen.get(s.value)
                # Prefer the public (dynsym, first) name, then the longest size.
                if old is None or (s.size > old[1] and old[1] == 0):
                    seen[s.value] = (s.value, s.size, old[2] if old else s.name)
        return tuple(sorted(seen.values()))

    @cached_property
    def _function_starts(self) -> list[int]:
        return [f[0] for f in self.functions]

    def function_at(self, addr: int) -> tuple[int, int, str] | None:
        """The named function containing ``addr`` (by symbol size, or the nearest before)."""
        i = bisect_right(self._function_starts, addr) - 1
        if i < 0:
            return None
        f = self.functions[i]
        if f[1] and addr >= f[0] + f[1]:
            return None
        return f

    @cached_property
    def code(self) -> tuple[Code, ...]:
        secs = [s for s in self._sections
                if s.sh_flags & SHF_EXECINSTR and s.sh_type != SHT_NOBITS and s.sh_size]
        if secs:
            return tuple(Code(s.name, s.sh_addr, self._section_bytes(s.sh_offset, s.sh_size))
                         for s in secs)
        return tuple(Code(f"PT_LOAD@{p.p_vaddr:#x}", p.p_vaddr,
                          self._section_bytes(p.p_offset, p.p_filesz))
                     for p in self._segments
                     if p.p_type == PT_LOAD and p.p_flags & PF_X and p.p_filesz)

    @cached_property
    def relocs(self) -> Relocs:
        slots: dict[int, str] = {}
        pointers: dict[int, int] = {}
        counts: dict[int, int] = {}
        for s in self._sections_of(SHT_RELA):
            syms: list[Symbol] = []
            link = s.sh_link
            if 0 < link < len(self._sections) and self._sections[link].sh_type == SHT_DYNSYM:
                syms = self.dynsyms
            data = self._section_bytes(s.sh_offset, s.sh_size - s.sh_size % _RELA.size)
            for r_offset, r_info, r_addend in _RELA.iter_unpack(data):
                rtype, rsym = r_info & 0xFFFFFFFF, r_info >> 32
                counts[rtype] = counts.get(rtype, 0) + 1
                if rtype in (R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT) and 0 < rsym < len(syms):
                    slots[r_offset] = syms[rsym].name
                elif rtype in (R_X86_64_RELATIVE, R_X86_64_IRELATIVE):
                    pointers[r_offset] = r_addend
        return Relocs(slots, pointers, counts)

    def read_word(self, addr: int) -> int | None:
        """The 8-byte word at a virtual address, as stored in the file."""
        for p in self._segments:
            if p.p_type == PT_LOAD and p.p_vaddr <= addr and addr + 8 <= p.p_vaddr + p.p_filesz:
                pos = p.p_offset + addr - p.p_vaddr
                if pos + 8 <= len(self._raw):
                    return int(struct.unpack_from("<Q", self._raw, pos)[0])
        return None

    def code_pointers(self, lo: int, hi: int) -> dict[int, int]:
        """Words that point into [lo, hi) once relocated: RELA RELATIVE targets, and the
        words of writable sections that hold such an address already (DT_RELR, static)."""
        out = {a: t for a, t in self.relocs.pointers.items() if lo <= t < hi}
        for s in self._sections:
            if not s.sh_flags & SHF_WRITE or not s.sh_flags & SHF_ALLOC \
                    or s.sh_type == SHT_NOBITS:
                continue
            addr, size = s.sh_addr, s.sh_size
            data = self._section_bytes(s.sh_offset, size)
            skip = (-addr) % 8
            words = data[skip : skip + (size - skip) // 8 * 8]
            for i, (word,) in enumerate(struct.iter_unpack("<Q", words)):
                if lo <= word < hi:
                    out[addr + skip + 8 * i] = word
        return out

    def section_named(self, name: str) -> tuple[int, int] | None:
        """(address, size) of a section."""
        for s in self._sections:
            if s.name == name:
                return s.sh_addr, s.sh_size
        return None


def _strings(dyn: Any, tag: str, attr: str) -> list[str]:
    return [str(getattr(t, attr)) for t in dyn.iter_tags() if t.entry.d_tag == tag]


def _paths(values: list[str]) -> tuple[str, ...]:
    return tuple(p for v in values for p in v.split(":") if p)


def _x86_features(elf: ELFFile, raw: bytes) -> tuple[str, ...]:
    """GNU_PROPERTY_X86_FEATURE_1_AND bits of PT_GNU_PROPERTY (notes aligned to 8)."""
    feats: set[str] = set()
    for seg in elf.iter_segments():
        if seg["p_type"] != "PT_GNU_PROPERTY":
            continue
        data = raw[seg["p_offset"] : seg["p_offset"] + seg["p_filesz"]]
        pos = 0
        while pos + 12 <= len(data):
            namesz, descsz, _ = struct.unpack_from("<III", data, pos)
            desc = pos + 12 + ((namesz + 7) & ~7)
            end = min(desc + descsz, len(data))
            while desc + 8 <= end:
                pr_type, pr_datasz = struct.unpack_from("<II", data, desc)
                if (pr_type == GNU_PROPERTY_X86_FEATURE_1_AND and pr_datasz >= 4
                        and desc + 12 <= end):
                    bits = struct.unpack_from("<I", data, desc + 8)[0]
                    feats |= {n for b, n in X86_FEATURES.items() if bits & b}
                desc += 8 + ((pr_datasz + 7) & ~7)
            pos = 12 + pos + ((namesz + 7) & ~7) + ((descsz + 7) & ~7)
    return tuple(sorted(feats))


def _build_id(elf: ELFFile) -> str | None:
    for seg in elf.iter_segments():
        if not isinstance(seg, NoteSegment) or seg["p_type"] != "PT_NOTE":
            continue
        for note in seg.iter_notes():
            if note["n_type"] == "NT_GNU_BUILD_ID":
                return str(note["n_desc"])
    return None


def read_elf(path: Path | str) -> ElfFile:
    """Read and check an ELF file; ``ElfError`` says what is wrong with it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ElfError("is a directory") from None
    except FileNotFoundError:
        raise ElfError("no such file") from None
    except OSError as exc:
        raise ElfError(exc.strerror or str(exc)) from None
    if raw[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if raw[4:5] != b"\x02" or raw[5:6] != b"\x01":
        raise ElfError("not a 64-bit little-endian ELF file")
    try:
        return _parse(path, raw)
    except ElfError:
        raise
    except (_PyElfError, Exception) as exc:  # a malformed file may fail anywhere in pyelftools
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ElfError(f"malformed ELF: {msg}") from None


def _parse(path: Path, raw: bytes) -> ElfFile:
    elf = ELFFile(io.BytesIO(raw))
    h = elf.header
    segments = []
    interp = None
    tls = False
    exec_stack: bool | None = None
    for seg in elf.iter_segments():
        p_type = seg.header.p_type
        num = {"PT_LOAD": PT_LOAD, "PT_DYNAMIC": PT_DYNAMIC}.get(p_type, 0)
        if p_type == "PT_LOAD" and seg["p_offset"] + seg["p_filesz"] > len(raw):
            raise ElfError(f"PT_LOAD at offset {seg['p_offset']:#x} runs past the end of the file")
        segments.append(Segment(num, seg["p_flags"], seg["p_offset"], seg["p_vaddr"],
                                seg["p_filesz"]))
        if isinstance(seg, InterpSegment):
            interp = seg.get_interp_name()
        elif p_type == "PT_TLS":
            tls = True
        elif p_type == "PT_GNU_STACK":
            exec_stack = bool(seg["p_flags"] & PF_X)
    sections = []
    for sec in elf.iter_sections():
        sh = sec.header
        # pyelftools gives a known type by its name, an unknown one as a number
        sh_type = sh.sh_type if isinstance(sh.sh_type, int) else \
            ENUM_SH_TYPE_BASE.get(sh.sh_type, -1)
        sections.append(Section(sec.name, sh_type, sh.sh_addr, sh.sh_offset, sh.sh_size,
                                sh.sh_link, sh.sh_flags))
    needed: list[str] = []
    rpath: list[str] = []
    runpath: list[str] = []
    soname = None
    flags = flags_1 = 0
    init: list[int] = []
    init_array = None
    dyn = next((s for s in elf.iter_segments() if isinstance(s, DynamicSegment)), None)
    if dyn is not None:
        needed = _strings(dyn, "DT_NEEDED", "needed")
        rpath = _strings(dyn, "DT_RPATH", "rpath")
        runpath = _strings(dyn, "DT_RUNPATH", "runpath")
        sonames = _strings(dyn, "DT_SONAME", "soname")
        soname = sonames[0] if sonames else None
        arr_addr = arr_size = None
        for t in dyn.iter_tags():
            tag = t.entry.d_tag
            if tag == "DT_FLAGS":
                flags = t.entry.d_val
            elif tag == "DT_FLAGS_1":
                flags_1 = t.entry.d_val
            elif tag == "DT_INIT":
                init.append(t.entry.d_ptr)
            elif tag == "DT_INIT_ARRAY":
                arr_addr = t.entry.d_ptr
            elif tag == "DT_INIT_ARRAYSZ":
                arr_size = t.entry.d_val
        if arr_addr is not None and arr_size is not None:
            init_array = (arr_addr, arr_size)
    machine = MACHINES.get(h.e_machine, str(h.e_machine))
    return ElfFile(
        path=path, machine=machine, elf_type=str(h.e_type), entry=h.e_entry, interp=interp,
        has_dynamic=dyn is not None, needed=tuple(needed), rpath=_paths(rpath),
        runpath=_paths(runpath), soname=soname, flags=flags, flags_1=flags_1, init=tuple(init),
        init_array=init_array, tls=tls, exec_stack=exec_stack, x86_features=_x86_features(elf, raw),
        build_id=_build_id(elf), _raw=raw, _sections=tuple(sections),
        _segments=tuple(segments))
