"""unicorn without its Python binding: the library and the constants.

``abi run --emu`` needs unicorn's C entry points (handed to the C engine)
and a few constants, not the binding, whose import (it loads every
architecture's module and sets up every prototype) costs more than the
library itself. The package is found without importing it; its generated
constant modules (plain assignments) are loaded by path, and
``lib/libunicorn.so.2`` with ctypes.
"""

from __future__ import annotations

import ctypes
import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType


class UnicornMissing(Exception):
    """The unicorn package is not installed."""


@cache
def package_dir() -> Path:
    spec = importlib.util.find_spec("unicorn")
    if spec is None or not spec.submodule_search_locations:
        raise UnicornMissing("the unicorn package is not installed (pip install 'unicorn>=2.1')")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def const(name: str) -> ModuleType:
    """unicorn's generated constants module ``name`` (unicorn_const, x86_const, arm64_const)."""
    path = package_dir() / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_abi_uc_{name}", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise UnicornMissing(f"{path}: missing from the unicorn package")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@cache
def library() -> ctypes.CDLL:
    """libunicorn, as the package ships it."""
    for name in ("libunicorn.so.2", "libunicorn.so"):
        path = package_dir() / "lib" / name
        if path.is_file():
            return ctypes.CDLL(str(path))
    raise UnicornMissing(f"{package_dir() / 'lib'}: no libunicorn.so.2 in the unicorn package")
