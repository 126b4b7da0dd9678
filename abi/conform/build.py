"""Building the C cases: one static executable per case and variant, in build/conformance/.

A variant is a toolchain plus flags. The same source builds as every variant
(conformance/cases/sys.h hides the differences):

- ``glibc``: gcc -static, raw ``syscall`` instructions
- ``musl``: musl-gcc -static (Debian's musl-tools), raw ``syscall`` instructions
- ``glibc-call``: gcc -static -DCONFORM_LIBC_CALL, every syscall a call of libc's
  syscall(3) (the function-call path; musl-compat builds will join here)

Builds are cached: an executable is rebuilt when its source, sys.h, the
compiler or the flags change (a hash kept beside it).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from abi.conform.suite import Case

CFLAGS = ("-static", "-O1", "-g0", "-Wall", "-Wextra", "-Werror", "-fno-stack-protector")


class BuildError(Exception):
    """A case or the probe did not compile: ``path: first compiler message``."""


@dataclass(frozen=True)
class Variant:
    name: str
    arch: str
    cc: str
    cflags: tuple[str, ...] = ()
    default: bool = True

    def available(self) -> str | None:
        """None when this variant can be built here, else why not."""
        if shutil.which(self.cc) is None:
            hint = {"musl-gcc": " (Debian: apt-get install musl-tools)",
                    "aarch64-linux-gnu-gcc": " (Debian: apt-get install gcc-aarch64-linux-gnu)"}
            return f"{self.cc} not found{hint.get(self.cc, '')}"
        return None


VARIANTS: tuple[Variant, ...] = (
    Variant("glibc", "x86_64", "gcc"),
    Variant("musl", "x86_64", "musl-gcc"),
    Variant("glibc-call", "x86_64", "gcc", ("-DCONFORM_LIBC_CALL",), default=False),
    Variant("glibc", "aarch64", "aarch64-linux-gnu-gcc"),
)


def variants_for(arch: str, names: list[str] | None) -> tuple[list[Variant], dict[str, str]]:
    """The variants to build for ``arch`` (defaults or the named ones) and the skipped ones."""
    known = [v for v in VARIANTS if v.arch == arch]
    if names:
        unknown = [n for n in names if n not in {v.name for v in known}]
        if unknown:
            raise BuildError(f"unknown variant {unknown[0]!r} for {arch} "
                             f"(known: {', '.join(v.name for v in known)})")
        chosen = [v for v in known if v.name in names]
    else:
        chosen = [v for v in known if v.default]
    usable, skipped = [], {}
    for v in chosen:
        why = v.available()
        if why:
            skipped[v.name] = why
        else:
            usable.append(v)
    return usable, skipped


def _digest(variant: Variant, src: Path, header: Path) -> str:
    h = hashlib.sha256()
    for part in (variant.cc, *variant.cflags, *CFLAGS):
        h.update(part.encode() + b"\0")
    h.update(src.read_bytes())
    if header.exists():
        h.update(header.read_bytes())
    return h.hexdigest()


def build_source(src: Path, variant: Variant, out_dir: Path, header: Path) -> Path:
    """Compile one C source into ``out_dir/<arch>-<variant>/<stem>``; reuse a fresh one."""
    dest_dir = out_dir / f"{variant.arch}-{variant.name}"
    dest_dir.mkdir(parents=True, exist_ok=True)
    exe = dest_dir / src.stem
    stamp = dest_dir / f"{src.stem}.hash"
    digest = _digest(variant, src, header)
    if exe.exists() and stamp.exists() and stamp.read_text() == digest:
        return exe
    tmp = exe.with_suffix(".tmp")
    cmd = [variant.cc, *CFLAGS, *variant.cflags, "-I", str(header.parent), "-o", str(tmp),
           str(src)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"{src}: {variant.cc} failed to run: {exc}") from None
    if proc.returncode != 0:
        first = next((ln for ln in proc.stderr.splitlines() if "error" in ln),
                     proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else "")
        raise BuildError(f"{src}: {variant.name} build failed: {first.strip()}")
    tmp.replace(exe)
    stamp.write_text(digest)
    return exe


def build_case(case: Case, variant: Variant, out_dir: Path) -> Path:
    header = case.source.parent / "sys.h"
    if not header.exists():  # props/player.c shares the cases' header
        header = case.source.parent.parent / "cases" / "sys.h"
    return build_source(case.source, variant, out_dir, header)


PROBE_SOURCE = """\
/* The runner probe: a runner must run this and print exactly "probe ok". */
#include "sys.h"
int main(void)
{
    out("probe ok\\n");
    return done() ? 1 : 0;
}
"""


def build_probe(variant: Variant, out_dir: Path, header: Path) -> Path:
    """The smallest static program a runner must be able to run (prints ``probe ok``)."""
    src_dir = out_dir / "probe-src"
    src_dir.mkdir(parents=True, exist_ok=True)
    src = src_dir / "probe.c"
    if not src.exists() or src.read_text() != PROBE_SOURCE:
        src.write_text(PROBE_SOURCE)
    shutil.copyfile(header, src_dir / "sys.h")
    return build_source(src, variant, out_dir, src_dir / "sys.h")
