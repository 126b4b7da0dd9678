"""The platform's hole in the guest range (abi_boot_args.hole_base/size:
abi-run's own region) on the library platform: no guest mapping ever
enters it (docs/DESIGN.md, "Address space"), and the boot personality is
the program's. abi-run's own behaviour is tests/hosted/test_addrspace.py."""

from __future__ import annotations

import ctypes

import pytest
from construct import Int32ul, Int64ul, Padding, Struct
from sides import BOOT_ARGS_UTS, NR, F, errno_of

BOOT_ARGS_FULL = Struct(*BOOT_ARGS_UTS.subcons, Padding(6), "argv" / Int64ul, "envp" / Int64ul,
                        "hole_base" / Int64ul, "hole_size" / Int64ul, "personality" / Int32ul,
                        "reserved0" / Int32ul)
BASE = 0x200000000000  # the library's default guest range: 64 GiB there
SIZE = 64 << 30
HOLE = BASE + (32 << 30)
HOLE_SIZE = 1 << 30
ADDR_NO_RANDOMIZE = 0x40000
PAGE = 4096
RW = F["PROT_READ"] | F["PROT_WRITE"]
ANON = F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"]


@pytest.fixture
def booted(lib: ctypes.CDLL):  # type: ignore[no-untyped-def]
    raw = BOOT_ARGS_FULL.build(dict(
        size=BOOT_ARGS_FULL.sizeof(), flags=0, uid=0, gid=0, umask=0o22, nofile=0,
        guest_base=BASE, guest_size=SIZE, release="", nodename="", argv=0, envp=0,
        hole_base=HOLE, hole_size=HOLE_SIZE, personality=ADDR_NO_RANDOMIZE, reserved0=0))
    assert BOOT_ARGS_FULL.sizeof() == 216
    buf = ctypes.create_string_buffer(raw)
    assert lib.abi_boot(ctypes.addressof(buf)) == 0
    yield lib
    lib.abi_reset()


def mmap(lib: ctypes.CDLL, addr: int, length: int, flags: int) -> int:
    return int(lib.abi_syscall(NR["mmap"], addr, length, RW, ANON | flags, -1, 0))


def test_fixed_mappings_stay_out(booted: ctypes.CDLL) -> None:
    lib = booted
    noreplace = F["MAP_FIXED_NOREPLACE"]
    assert errno_of(mmap(lib, HOLE, PAGE, noreplace)) == "EEXIST"  # as over a mapping
    assert errno_of(mmap(lib, HOLE - PAGE, 2 * PAGE, noreplace)) == "EEXIST"
    assert errno_of(mmap(lib, HOLE + HOLE_SIZE - PAGE, PAGE, F["MAP_FIXED"])) == "ENOMEM"
    # right beside it is the guest's
    assert mmap(lib, HOLE - PAGE, PAGE, noreplace) == HOLE - PAGE
    assert mmap(lib, HOLE + HOLE_SIZE, PAGE, noreplace) == HOLE + HOLE_SIZE
    # a hint in it moves elsewhere
    got = mmap(lib, HOLE + PAGE, PAGE, 0)
    assert got > 0 and not HOLE <= got < HOLE + HOLE_SIZE
    # mremap cannot move into it, nor grow across it
    assert errno_of(lib.abi_syscall(NR["mremap"], HOLE - PAGE, PAGE, PAGE,
                                    F["MREMAP_MAYMOVE"] | F["MREMAP_FIXED"], HOLE, 0)) == "EINVAL"
    assert errno_of(lib.abi_syscall(NR["mremap"], HOLE - PAGE, PAGE, 2 * PAGE, 0, 0, 0)) == "ENOMEM"


def test_search_steps_over_it(booted: ctypes.CDLL) -> None:
    """Top-down from the range's end: 31 GiB are free above the hole and 32
    below it; a second 20 GiB mapping no longer fits above, and goes below
    rather than across."""
    lib = booted
    first = mmap(lib, 0, 20 << 30, F["MAP_NORESERVE"])
    assert first >= HOLE + HOLE_SIZE
    second = mmap(lib, 0, 20 << 30, F["MAP_NORESERVE"])
    assert second > 0 and second + (20 << 30) <= HOLE


def test_boot_personality(booted: ctypes.CDLL) -> None:
    assert booted.abi_syscall(NR["personality"], 0xFFFFFFFF, 0, 0, 0, 0, 0) == ADDR_NO_RANDOMIZE
