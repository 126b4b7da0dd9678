"""ctypes bindings of the kernel library (``libabik.so``).

``Kernel`` boots a fresh kernel on entry and resets it on exit, so every test
gets a kernel with no files, descriptors or mappings left by another. Each
``k.sys.<name>(...)`` is typed from the generated table
(``build/gen/python/abi_sysdefs.py``): it returns the syscall's non-negative
result or raises ``Errno`` carrying the errno name.

In the library platform a guest address is a host address inside the range
the kernel reserved, so ``k.alloc`` maps guest memory through the kernel's own
``mmap`` and ``k.read``/``k.write`` copy to and from it.
"""

from __future__ import annotations

import ctypes
import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"

MAX_ERRNO = 4095


class Errno(OSError):
    """A syscall failed with -errno."""

    def __init__(self, syscall: str, errno: int, name: str) -> None:
        super().__init__(errno, f"{syscall}: {name}")
        self.syscall = syscall
        self.name = name


def load_sysdefs(build: Path = BUILD) -> ModuleType:
    """The generated Python view of the table."""
    path = build / "gen" / "python" / "abi_sysdefs.py"
    spec = importlib.util.spec_from_file_location("abi_sysdefs", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise FileNotFoundError(f"{path}: missing (run 'make gen')")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _ctype(size: int, signed: bool, pointer: bool) -> type[Any]:
    if pointer:
        return ctypes.c_uint64  # uptr is a one-word struct: passed as the word
    return {(2, False): ctypes.c_uint16, (4, True): ctypes.c_int32, (4, False): ctypes.c_uint32,
            (8, True): ctypes.c_int64, (8, False): ctypes.c_uint64}[(size, signed)]


class _Syscalls:
    """``k.sys.openat(...)``: the kernel's sys_<name> functions, typed."""

    def __init__(self, lib: ctypes.CDLL, defs: ModuleType) -> None:
        self._lib = lib
        self._defs = defs
        self._errno_names = {v: n for n, v in reversed(defs.ERRNO.items())}
        self._cache: dict[str, Callable[..., int]] = {}

    def __getattr__(self, name: str) -> Callable[..., int]:
        fn = self._cache.get(name)
        if fn is None:
            fn = self._cache[name] = self._bind(name)
        return fn

    def _bind(self, name: str) -> Callable[..., int]:
        if name not in self._defs.SYSCALLS:
            raise AttributeError(f"no syscall {name!r} in the table")
        _returns, _status, args = self._defs.SYSCALLS[name]
        cfn = getattr(self._lib, f"sys_{name}")
        cfn.argtypes = [_ctype(size, signed, ptr) for _n, _t, size, signed, ptr, _d in args]
        cfn.restype = ctypes.c_long
        errno_names = self._errno_names
        # Unsigned arguments take negative Python ints as the kernel would (-1 is all ones).
        masks = [None if signed else (1 << (8 * size)) - 1
                 for _n, _t, size, signed, _p, _d in args]

        def call(*values: int) -> int:
            if len(values) != len(args):
                raise TypeError(f"{name}() takes {len(args)} arguments ({len(values)} given)")
            ret = int(cfn(*(v if m is None else v & m for v, m in zip(values, masks, strict=True))))
            if -MAX_ERRNO <= ret < 0:
                raise Errno(name, -ret, errno_names.get(-ret, f"E{-ret}"))
            return ret

        call.__name__ = name
        return call


class Kernel:
    """A booted kernel; use as a context manager for a fresh one per test."""

    def __init__(self, lib: Path | None = None, build: Path = BUILD) -> None:
        path = lib or build / "kernel" / "libabik.so"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing (run 'make kernel')")
        self.lib = ctypes.CDLL(str(path))
        self.defs = load_sysdefs(build)
        self.sys = _Syscalls(self.lib, self.defs)
        self.lib.abi_boot.argtypes = [ctypes.c_void_p]
        self.lib.abi_boot.restype = ctypes.c_int
        self.lib.abi_reset.argtypes = []
        self.lib.abi_reset.restype = None

    def __enter__(self) -> Kernel:
        rc = self.lib.abi_boot(None)
        if rc < 0:
            raise OSError(-rc, "abi_boot failed")
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.lib.abi_reset()

    def alloc(self, size: int) -> int:
        """Fresh zeroed guest memory, mapped read-write by the kernel's mmap."""
        f = self.defs.FLAGS["x86_64"]
        return self.sys.mmap(0, size, f["PROT_READ"] | f["PROT_WRITE"],
                             f["MAP_PRIVATE"] | f["MAP_ANONYMOUS"], -1, 0)

    def write(self, addr: int, data: bytes) -> None:
        ctypes.memmove(addr, data, len(data))

    def read(self, addr: int, size: int) -> bytes:
        return ctypes.string_at(addr, size)

    def cstr(self, text: str | bytes) -> int:
        """A NUL-terminated copy of text in guest memory."""
        data = (text.encode() if isinstance(text, str) else text) + b"\0"
        addr = self.alloc(len(data))
        self.write(addr, data)
        return addr
