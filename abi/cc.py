"""``abi-cc``: gcc against musl-compat, as ``musl-gcc`` is against musl.

musl-compat (musl-compat/README.md) is musl whose system calls go through
the kernel's function-call entry under abi-run and through the ``syscall``
instruction elsewhere. abi-cc runs gcc with a specs file that swaps glibc's
headers, start files and libraries for musl-compat's in build/musl-compat:

    abi-cc -O2 -o app app.c               # dynamic (PIE), PT_INTERP = musl-compat's libc.so
    abi-cc -static -o app app.c           # static
    abi-cc -static-pie -o app app.c       # static PIE
    abi-cc -shared -fPIC -o app.so app.c  # a shared object (abi-run ./app.so)

A dynamic program's PT_INTERP is the absolute path of build/musl-compat's
lib/libc.so (musl's libc.so is also its dynamic linker), so it runs from the
checkout that built it. ABI_MUSL_COMPAT names another musl-compat prefix;
ABI_CC another gcc.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

# The prefix make installs musl-compat into (musl-compat/musl-compat.mk).
DEFAULT_PREFIX = Path(__file__).resolve().parent.parent / "build" / "musl-compat"

# gcc spec strings: each %{a:X;b:Y;:Z} takes the first case that applies.
# Start files: none for -shared, rcrt1.o (self-relocating) for -static-pie,
# crt1.o for a fixed-address program, Scrt1.o for a PIE (gcc's default).
_SPECS = """\
%rename cpp_options old_cpp_options

*cpp_options:
-nostdinc -isystem {inc} -isystem include%s %(old_cpp_options)

*cc1:
%(cc1_cpu) -nostdinc -isystem {inc} -isystem include%s

*link_libgcc:
-L{lib} -L .%s

*libgcc:
libgcc.a%s %:if-exists(libgcc_eh.a%s)

*startfile:
%{{shared:;static-pie:{lib}/rcrt1.o;static:{lib}/crt1.o;no-pie:{lib}/crt1.o;:{lib}/Scrt1.o}} \
{lib}/crti.o \
%{{shared|static-pie:crtbeginS.o%s;static:crtbeginT.o%s;no-pie:crtbegin.o%s;:crtbeginS.o%s}}

*endfile:
%{{shared|static-pie:crtendS.o%s;static|no-pie:crtend.o%s;:crtendS.o%s}} {lib}/crtn.o

*link:
%{{!r:--build-id}} %{{!static|static-pie:--eh-frame-hdr}} --hash-style=gnu -nostdlib \
%{{shared:-shared}} %{{!shared:%{{!static:%{{!static-pie:%{{rdynamic:-export-dynamic}} \
-dynamic-linker {interp}}}}} %{{static:-static}} \
%{{static-pie:-static -pie --no-dynamic-linker -z text}}}}

"""


def prefix() -> Path:
    return Path(os.environ.get("ABI_MUSL_COMPAT", DEFAULT_PREFIX))


def interpreter(root: Path | None = None) -> Path:
    """The PT_INTERP abi-cc writes into a dynamic program."""
    return (root or prefix()).resolve() / "lib" / "libc.so"


def specs_text(root: Path) -> str:
    root = root.resolve()
    return _SPECS.format(inc=root / "include", lib=root / "lib", interp=interpreter(root))


def write_specs(root: Path) -> Path:
    """The specs file, beside the libraries; rewritten only when it differs."""
    path = root / "abi-cc.specs"
    text = specs_text(root)
    if not path.is_file() or path.read_text() != text:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return path


def command(args: Sequence[str], root: Path | None = None) -> list[str]:
    """The gcc command line abi-cc runs for args."""
    root = root or prefix()
    cc = os.environ.get("ABI_CC", "gcc")
    return [cc, f"-specs={write_specs(root)}", *args]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = prefix()
    if not (root / "lib" / "libc.a").is_file():
        print(f"abi-cc: musl-compat is not built in {root} (run `make musl-compat`)",
              file=sys.stderr)
        return 2
    cmd = command(args, root)
    if shutil.which(cmd[0]) is None:
        print(f"abi-cc: no compiler '{cmd[0]}'", file=sys.stderr)
        return 2
    os.execvp(cmd[0], cmd)
    return 127  # not reached: execvp replaced the process or raised


if __name__ == "__main__":
    sys.exit(main())
