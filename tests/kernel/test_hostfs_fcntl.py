"""fcntl's record locks, flock and leases on hostfs files behave as on ramfs
files: test_fcntl's differential cases again, with the kernel side's
directory a hostfs mount of a host directory (Linux works in a twin
directory). The kernel keeps these locks itself, per kernel inode, on every
filesystem (kernel/README.md, fcntl)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sides import Side, boot_guest, native_release, native_side
from test_fcntl import (  # noqa: F401 (the cases, collected again here)
    test_close_drops_posix_locks,
    test_flock_and_record_locks_apart,
    test_leases,
    test_lock_argument_errors,
    test_lock_conflicts_and_reports,
    test_lock_split_and_merge,
    test_setlkw_waits_for_release,
)
from test_hostfs import NativeDir, finish, kernel_lib, mount


@pytest.fixture
def sides() -> Iterator[tuple[Side, Side]]:
    """(linux, abi), abi's working directory /tmp/t being on hostfs."""
    lib = kernel_lib()
    native, host = NativeDir(), NativeDir()
    linux = native_side(native.path)
    abi = boot_guest(lib)
    mount(lib, host.path)
    yield linux, abi
    native_release(linux)
    native.remove()
    host.remove()
    finish(lib)
