"""Fixtures of the loader tests: the harness (tests/loader/harness.c, built by
`make loader-harness`), test programs built here with gcc, and busybox."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from loader_util import BUSYBOX, HARNESS, HERE, PT_INTERP, REPO, compile_c, phdrs


@pytest.fixture(scope="session")
def harness() -> Path:
    if shutil.which("gcc") is None or shutil.which("make") is None:
        pytest.skip("gcc and make are needed to build the loader harness")
    p = subprocess.run(["make", "-s", "loader-harness"], cwd=REPO, capture_output=True,
                       text=True, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    return HARNESS


@pytest.fixture(scope="session")
def programs(tmp_path_factory: pytest.TempPathFactory, harness: Path) -> dict[str, Path]:
    """Test programs: hello (static-pie glibc), stackdump (static -nostdlib,
    ET_EXEC) and stackdump-pie (static-pie -nostdlib, ET_DYN)."""
    d = tmp_path_factory.mktemp("progs")
    hello_c = d / "hello.c"
    hello_c.write_text(
        '#include <stdio.h>\n#include <stdlib.h>\n'
        'int main(int argc, char **argv) {\n'
        '  printf("hello from %s, %d args, HOME=%s\\n", argv[0], argc, getenv("HOME"));\n'
        '  fprintf(stderr, "to stderr\\n");\n'
        '  return 3;\n}\n')
    nolibc = ("-nostdlib", "-fno-stack-protector", "-fno-asynchronous-unwind-tables")
    return {
        "hello": compile_c(d / "hello", hello_c, "-static-pie", "-fPIE"),
        "stackdump": compile_c(d / "stackdump", HERE / "stackdump.c", "-static", "-no-pie",
                               *nolibc),
        "stackdump-pie": compile_c(d / "stackdump-pie", HERE / "stackdump.c", "-static-pie",
                                   "-fPIE", *nolibc),
    }


@pytest.fixture(scope="session")
def busybox() -> Path:
    if not BUSYBOX.exists():
        pytest.skip("no /bin/busybox (apt-get install busybox-static)")
    if any(ph["p_type"] == PT_INTERP for ph in phdrs(BUSYBOX.read_bytes())):
        pytest.skip("/bin/busybox is not static (install busybox-static)")
    return BUSYBOX
