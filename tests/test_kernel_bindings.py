"""abi.kernel's ctypes layer, against a stand-in library built from the
generated code for the small test table (the real libabik.so has its own
tests): arguments are typed as the table says and errors become Errno."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from abi import gen
from abi.kernel import Errno, Kernel
from abi.table import load_table

HERE = Path(__file__).parent
FAKE = r"""
#include <abi/syscalls.h>
#include <abi/errno.h>

static int booted;
int abi_boot(const void *args) { (void)args; booted++; return 0; }
void abi_reset(void) { booted = 0; }

long sys_read(unsigned int fd, uptr buf, size_t count)
{
    return booted ? (long)fd + (long)(buf.addr & 0xff) + (long)count : -EINVAL;
}

long sys_openat(int dfd, uptr filename, int flags, umode_t mode)
{
    (void)filename; (void)flags; (void)mode;
    return dfd == -100 ? -ENOENT : dfd;
}
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Kernel:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    tmp = tmp_path_factory.mktemp("fake")
    gen.write(gen.outputs(load_table(HERE / "data" / "table"), tmp / "gen", tmp))
    (tmp / "fake.c").write_text(FAKE)
    lib = tmp / "libfake.so"
    srcs = [str(p) for p in (tmp / "gen" / "src").glob("*.c")]
    subprocess.run(["gcc", "-shared", "-fPIC", "-I", str(tmp / "gen" / "include"),
                    "-I", str(HERE.parent / "kernel" / "include"), str(tmp / "fake.c"), *srcs,
                    "-o", str(lib)], check=True, capture_output=True, text=True)
    return Kernel(lib=lib, build=tmp)


def test_arguments_are_typed_by_the_table(kernel: Kernel) -> None:
    with kernel as k:
        assert k.sys.read(3, 0x1005, 10) == 3 + 5 + 10
        # fd is an unsigned int in the table: -1 arrives as 0xffffffff.
        assert k.sys.read(-1, 0, 0) == 0xFFFFFFFF


def test_errors_raise_errno_with_the_name(kernel: Kernel) -> None:
    with kernel as k:
        with pytest.raises(Errno) as info:
            k.sys.openat(-100, 0, 0, 0)
        assert info.value.name == "ENOENT" and info.value.errno == 2
        assert info.value.syscall == "openat"
        with pytest.raises(Errno, match="ENOSYS"):
            k.sys.lseek(0, 0, 0)


def test_reset_between_uses(kernel: Kernel) -> None:
    with kernel as k:
        assert k.sys.read(1, 0, 1) == 2
    with pytest.raises(Errno, match="EINVAL"):
        kernel.sys.read(1, 0, 1)


def test_bad_calls(kernel: Kernel) -> None:
    with pytest.raises(TypeError, match="takes 3 arguments"):
        kernel.sys.read(1)
    with pytest.raises(AttributeError, match="no syscall"):
        kernel.sys.frobnicate()


def test_missing_library_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make kernel"):
        Kernel(build=tmp_path)
