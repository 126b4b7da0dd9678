"""Writes tests/hosted/cpython_excluded.txt: the CPython regression tests that
tests/hosted/test_runtimes.py leaves out, each with its reason.

A test is left out when, run natively, it makes a new process (fork, vfork,
clone or clone3 without CLONE_THREAD), runs a program (execve) or opens a
socket (socket, socketpair): abi-run has no second process yet, and the
comparison is about threads, signals and time. The tool runs each module
once under strace, and attributes each such call to the test whose
`test_x (test.module.Class.test_x) ... ` line unittest wrote last (-v output,
unbuffered). MANUAL adds the tests that strace cannot attribute (a call made
by a class's setUpClass, before its first test's line) or that are left out
for another reason, which it states; the strace run leaves them out too.

    python3 tools/cpython_excluded.py > tests/hosted/cpython_excluded.txt

It takes about as long as the modules take natively under strace (2 min).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "hosted"))
from runtimes_util import MODULES, PYTHON  # noqa: E402

# test id -> reason, for what the strace pass misses or for other reasons.
MANUAL: dict[str, str] = {
    # As root these set the host's real-time clock (one of them an hour back,
    # then forward again): not on a machine that other work shares.
    "test.test_time.TimeTestCase.test_clock_settime": "sets the host's clock (as root)",
    "test.test_time.TimeTestCase.test_monotonic_settime": "sets the host's clock back an hour "
                                                         "(as root)",
    # splice(2) is still a stub of the kernel's table (status enosys): under
    # abi-run these skip themselves, natively they pass.
    **{f"test.test_os.FileTests.{t}": "splice is ENOSYS in the kernel (syscalls/file.yaml)"
       for t in ("test_splice", "test_splice_offset_in", "test_splice_offset_out")},
}

DESCRIPTION = re.compile(r'write\(1, "(?:\\n)?(\w+) \((test\.[\w.]+)\)')
CALL = re.compile(r"^(\d+)\s+(?:<\.\.\. )?(\w+)\(")


def reason_of(call: str, line: str) -> str | None:
    """The reason a strace line excludes its test, or None."""
    if call in ("fork", "vfork"):
        return "fork: a second process"
    if call in ("clone", "clone3"):
        if "CLONE_THREAD" in line or "resumed>" in line:
            return None
        return "fork: a second process" if "CLONE_VFORK" not in line else \
            "vfork: runs a program (subprocess)"
    if call in ("execve", "execveat"):
        return "execve: runs a program (subprocess)"
    if call in ("socket", "socketpair"):
        m = re.search(r"\((AF_\w+)", line)
        return f"{call}({m.group(1) if m else '?'}): a socket"
    return None


def scan(module: str, tmp: Path) -> dict[str, set[str]]:
    log = tmp / f"{module}.strace"
    argv = ["strace", "-f", "-qq", "-s", "400", "-o", str(log),
            "-e", "trace=write,fork,vfork,clone,clone3,execve,execveat,socket,socketpair",
            PYTHON, "-u", "-m", "test", "-v",
            *[a for t in MANUAL if t.startswith(f"test.{module}.") for a in ("-i", t)], module]
    subprocess.run(argv, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    found: dict[str, set[str]] = {}
    current = f"{module}, before its first test"
    first_exec = True
    for line in log.read_text(errors="replace").splitlines():
        d = DESCRIPTION.search(line)
        if d and d.group(2).endswith("." + d.group(1)):
            current = d.group(2)
            continue
        m = CALL.match(line)
        if not m:
            continue
        call = m.group(2)
        if call == "execve" and first_exec:
            first_exec = False  # python3 itself
            continue
        why = reason_of(call, line)
        if why:
            found.setdefault(current, set()).add(why)
    return found


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("modules", nargs="*", default=list(MODULES))
    args = p.parse_args()
    found: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="abi-cpython-") as tmp:
        for module in args.modules:
            print(f"cpython_excluded: {module}", file=sys.stderr)
            found.update(scan(module, Path(tmp)))
    for test_id, why in MANUAL.items():
        found.setdefault(test_id, set()).add(why)
    print("# CPython regression tests that tests/hosted/test_runtimes.py leaves out,")
    print("# natively and under abi-run: `test id  # reason`. Made by")
    print("# tools/cpython_excluded.py (strace of a native run; see its docstring).")
    print("# Reasons: the test makes a second process or opens a socket, or it")
    print("# changes the host (MANUAL in the tool).")
    for test_id in sorted(found):
        if " " in test_id:
            # regrtest's start-up (its -v header's platform.processor() runs
            # `uname -p`) and the module's import: nothing to leave out.
            print(f"# {test_id} (regrtest's start-up, the import): "
                  f"{'; '.join(sorted(found[test_id]))}")
        else:
            print(f"{test_id}  # {'; '.join(sorted(found[test_id]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
