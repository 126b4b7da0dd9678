"""The fixtures of the kernel's differential tests: the one lib and the one
sides (helpers are in sides.py)."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from pathlib import Path

import pytest
from sides import NativeDir, Side, boot_guest, build_kernel, native_release, native_side


@pytest.fixture(scope="session")
def lib() -> ctypes.CDLL:
    """libabik.so, built if needed (one load for the whole session)."""
    return build_kernel()


@pytest.fixture
def sides(lib: ctypes.CDLL, tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    """(linux, abi): native Linux in a fresh directory (on tmpfs when there is
    one: ramfs models tmpfs) and a freshly booted kernel, which must leak no
    heap memory when reset."""
    d = NativeDir(tmp_path)
    linux = native_side(d.path)
    abi = boot_guest(lib)
    yield linux, abi
    native_release(linux)
    d.remove()
    lib.abi_reset()
    assert lib.abi_reset_leaked() == 0, "the kernel leaked heap memory"
