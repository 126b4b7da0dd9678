"""The host's CPython and JVM, natively and under abi-run --root /: what
test_runtimes.py runs, and how it reads CPython's regression-test results
(also used by tools/cpython_excluded.py)."""

from __future__ import annotations

import re
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "runtimes"
EXCLUDED = HERE / "cpython_excluded.txt"
# Debian's own python3 (3.11), whose regression tests libpython3.11-testsuite
# installs; never a python3 that PATH may find first.
PYTHON = "/usr/bin/python3"
JDK = Path("/usr/lib/jvm/java-17-openjdk-amd64")
JAVA = JDK / "bin" / "java"
JAVAC = JDK / "bin" / "javac"

MODULES = ("test_threading", "test_thread", "test_threading_local", "test_queue", "test_signal",
           "test_sched", "test_select", "test_time", "test_fcntl", "test_os")


def excluded() -> dict[str, str]:
    """cpython_excluded.txt as {test id: reason}."""
    out = {}
    for line in EXCLUDED.read_text().splitlines():
        test_id, _, reason = line.partition("#")
        if test_id.strip():
            out[test_id.strip()] = reason.strip()
    return out


# unittest -v: "test_x (test.mod.Class.test_x) ... ok" (a docstring's first line
# may come on a line of its own before " ... "), and "  test_x (...) [sub] ... FAIL"
# for a failed subtest.
DESCRIPTION = re.compile(r"^(\w+) \(([\w.]+)\)")
SUBTEST = re.compile(r"^  (\w+) \(([\w.]+)\) .* \.\.\. (FAIL|ERROR)$")
VERDICT = {"ok": "pass", "FAIL": "fail", "ERROR": "error", "skipped": "skip",
           "expected failure": "xfail", "unexpected success": "xpass"}


def verdict(text: str) -> str | None:
    for word, v in VERDICT.items():
        if text == word or text.startswith(word + " "):
            return v
    return None


def parse_verbose(out: str) -> dict[str, str]:
    """{test id: verdict} from regrtest -v output ("started" when the test
    began and no verdict followed: the run died or hung in it). The verdict
    is the text right after the description's " ... " or a line of its own
    after the test's output, so that a dying test's stray output ("x ...
    ok") is not taken for one."""
    res: dict[str, str] = {}
    current = None
    for line in out.splitlines():
        sub = SUBTEST.match(line)
        if sub and sub.group(2).endswith("." + sub.group(1)):
            res[sub.group(2)] = "fail"
            continue
        d = DESCRIPTION.match(line)
        if d and d.group(2).endswith("." + d.group(1)):
            current = d.group(2)
            res.setdefault(current, "started")
            rest = line[d.end():]
            if not rest.startswith(" ... "):
                continue  # a docstring line comes next, with the " ... "
            text = rest[len(" ... "):]
        elif current is not None and " ... " in line:
            text = line.rsplit(" ... ", 1)[1]  # after a docstring line
        elif current is not None:
            text = line  # after the test's own output, when it is not captured
        else:
            continue
        v = verdict(text.strip())
        if v:
            if res[current] == "started":
                res[current] = v
            current = None
    return res


def parse_junit(path: Path) -> dict[str, str]:
    """{test id: verdict} from regrtest --junit-xml. A test whose subtest
    failed has no name there (RegressionTestResult records no subtests):
    the -v output has it."""
    res = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        name = tc.get("name")
        if not name:
            continue
        tags = {child.tag for child in tc}
        if "failure" in tags:
            res[name] = "fail"
        elif "error" in tags:
            res[name] = "error"
        elif "skipped" in tags:
            res[name] = "skip"
        elif "output" in tags:
            res[name] = "xfail"
        elif "outcome" in tags:
            res[name] = "xpass"
        else:
            res[name] = "pass"
    return res


@dataclass(frozen=True)
class Regrtest:
    results: dict[str, str]
    status: int
    tail: str  # the end of its output, to show when the results differ
    seconds: float


def regrtest(prefix: list[str], module: str, work: Path, env: dict[str, str],
             timeout: float) -> Regrtest:
    """python3 -m test -v --junit-xml MODULE, with the excluded tests left
    out (-i, their full ids), under prefix (abi-run) or natively ([])."""
    work.mkdir(parents=True, exist_ok=True)
    xml = work / f"{module}.xml"
    xml.unlink(missing_ok=True)
    ignores = [a for t in excluded() if t.startswith(f"test.{module}.") for a in ("-i", t)]
    argv = [*prefix, PYTHON, "-u", "-m", "test", "-v", "--junit-xml", str(xml), *ignores, module]
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=work, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, check=False)
        out, status = p.stdout.decode(errors="replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + f"\n[timed out after {timeout:.0f} s]"
        status = -9
    seconds = time.monotonic() - t0
    results = parse_verbose(out)
    if xml.exists():
        results.update(parse_junit(xml))
    return Regrtest(results, status, "\n".join(out.splitlines()[-40:]), seconds)
