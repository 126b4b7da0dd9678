"""The host's CPython and OpenJDK 17 under `abi-run --root /`, against
native runs in the same session (issue 15, "What must run"):

- CPython scripts (tests/hosted/runtimes/py_*.py): threading, queue,
  signal, time and select, each case printing deterministic lines;
- CPython's own regression tests (Debian's libpython3.11-testsuite), module
  by module, compared test case by test case ({test id: verdict}), with the
  tests in cpython_excluded.txt left out on both sides;
- the JVM: `java -version`, and Churn.java (threads, a ConcurrentHashMap,
  synchronized, wait/notify, a caught NullPointerException, many GCs),
  compiled here with the host's javac.

Each has a native-only test too: the harness itself must pass on Linux
(exit 0, the same output twice, no failing regression test). tools/setup.sh
installs the packages; without them these tests skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hosted_util import ENV, Result, run
from runtimes_util import (
    JAVA,
    JAVAC,
    MODULES,
    PYTHON,
    SCRIPTS,
    Regrtest,
    excluded,
    parse_verbose,
    regrtest,
)

# Under abi-run a runtime may hang (a lost wake-up, a signal never
# delivered): every run has a timeout, and a timed-out run is a result.
TIMEOUT = 120


def run_timed(argv: list[str], *, cwd: Path, timeout: float = TIMEOUT) -> Result:
    try:
        return run(argv, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return Result(-1, e.stdout or b"", (e.stderr or b"") + b"[timed out]")


@pytest.fixture(scope="session")
def cpython() -> str:
    probe = "import sys, test.test_threading; print(sys.version_info[:2])"
    p = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, check=False)
    if p.returncode != 0 or p.stdout.strip() != "(3, 11)":
        pytest.skip(f"{PYTHON} 3.11 with libpython3.11-testsuite is needed (tools/setup.sh)")
    return PYTHON


@pytest.fixture(scope="session")
def jdk() -> Path:
    if not (JAVA.exists() and JAVAC.exists()):
        pytest.skip(f"{JAVAC} is needed: apt-get install openjdk-17-jdk-headless (tools/setup.sh)")
    return JAVA


def abi(abi_run: Path) -> list[str]:
    return [str(abi_run), "--root", "/"]


# --- CPython scripts ---------------------------------------------------------

SCRIPT_CASES = ["py_threads lock", "py_threads sync", "py_threads misc",
                "py_queue producers", "py_queue kinds",
                "py_signal kill", "py_signal alarm", "py_signal itimer", "py_signal sigwait",
                "py_signal pthread_kill",
                "py_time clocks", "py_time sleeps", "py_time threads",
                "py_select pipes", "py_select thread"]


def script_argv(case: str) -> list[str]:
    script, arg = case.split()
    return [PYTHON, str(SCRIPTS / f"{script}.py"), arg]


@pytest.fixture(scope="session")
def native_script(cpython: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> Callable[[str], Result]:
    """A case's native result, run once per session."""
    cache: dict[str, Result] = {}
    work = tmp_path_factory.mktemp("py-native")

    def get(case: str) -> Result:
        if case not in cache:
            cache[case] = run_timed(script_argv(case), cwd=work)
        return cache[case]

    return get


@pytest.mark.parametrize("case", SCRIPT_CASES)
def test_script_native(native_script: Callable[[str], Result], tmp_path: Path,
                       case: str) -> None:
    """The script passes natively and prints the same lines twice."""
    first = native_script(case)
    assert first.status == 0 and first.stderr == b"", first
    assert first.stdout
    assert run_timed(script_argv(case), cwd=tmp_path) == first


@pytest.mark.parametrize("case", SCRIPT_CASES)
def test_script(abi_run: Path, native_script: Callable[[str], Result], tmp_path: Path,
                case: str) -> None:
    native = native_script(case)
    hosted = run_timed([*abi(abi_run), *script_argv(case)], cwd=tmp_path)
    assert hosted == native


# --- CPython's regression tests ----------------------------------------------

@pytest.fixture(scope="session")
def native_regrtest(cpython: str, tmp_path_factory: pytest.TempPathFactory
                    ) -> Callable[[str], Regrtest]:
    cache: dict[str, Regrtest] = {}
    work = tmp_path_factory.mktemp("regrtest-native")

    def get(module: str) -> Regrtest:
        if module not in cache:
            cache[module] = regrtest([], module, work, ENV, timeout=600)
        return cache[module]

    return get


def test_excluded_list(cpython: str) -> None:
    """Every line of cpython_excluded.txt names a test case that exists (an
    -i with a stale id would leave nothing out) and gives a reason."""
    ex = excluded()
    assert ex
    cases = subprocess.run([PYTHON, "-m", "test", "--list-cases", *MODULES], capture_output=True,
                           text=True, check=True, env=ENV).stdout.split()
    assert sorted(set(ex) - set(cases)) == []
    assert [t for t, why in ex.items() if not why] == []


SAMPLE = """
import os, unittest

class A(unittest.TestCase):
    def test_ok(self): pass
    def test_doc(self):
        \"\"\"A docstring line.\"\"\"
    def test_fail(self): self.assertEqual(1, 2)
    def test_error(self): 1 / 0
    def test_skip(self): self.skipTest("no")
    @unittest.expectedFailure
    def test_xfail(self): self.fail()
    @unittest.expectedFailure
    def test_xpass(self): pass
    def test_noisy(self): print("its own output", flush=True)
    def test_subtests(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertNotEqual(i, 1)
    def test_zz_dies(self):
        print("stray ... ok", flush=True)
        os._exit(3)
"""


def test_parse_verbose(tmp_path: Path) -> None:
    """The -v reader, on unittest's own output: every verdict, a failed
    subtest, a test's own output before its verdict, and a run that dies in
    a test (its stray output is no verdict)."""
    (tmp_path / "sample.py").write_text(SAMPLE)
    p = subprocess.run([PYTHON, "-u", "-m", "unittest", "-v", "sample"], cwd=tmp_path,
                       capture_output=True, text=True, check=False, env=ENV)
    got = parse_verbose(p.stderr)
    assert got == {"sample.A.test_ok": "pass", "sample.A.test_doc": "pass",
                   "sample.A.test_fail": "fail", "sample.A.test_error": "error",
                   "sample.A.test_skip": "skip", "sample.A.test_xfail": "xfail",
                   "sample.A.test_xpass": "xpass", "sample.A.test_subtests": "fail",
                   "sample.A.test_noisy": "pass",
                   "sample.A.test_zz_dies": "started"}, p.stderr


@pytest.mark.parametrize("module", MODULES)
def test_regrtest_native(native_regrtest: Callable[[str], Regrtest], module: str) -> None:
    """Natively every test that is not left out passes or skips."""
    r = native_regrtest(module)
    bad = {t: v for t, v in r.results.items() if v not in ("pass", "skip", "xfail")}
    assert r.status == 0 and r.results and not bad, (bad, r.tail)
    assert not set(r.results) & set(excluded())


@pytest.mark.parametrize("module", list(MODULES))
def test_regrtest(abi_run: Path, native_regrtest: Callable[[str], Regrtest], tmp_path: Path,
                  module: str) -> None:
    """Under abi-run each test case ends as it does natively."""
    native = native_regrtest(module)
    hosted = regrtest(abi(abi_run), module, tmp_path, ENV, timeout=60 + 6 * native.seconds)
    ids = sorted(set(native.results) | set(hosted.results))
    diff = {t: (native.results.get(t, "missing"), hosted.results.get(t, "missing"))
            for t in ids if native.results.get(t) != hosted.results.get(t)}
    assert not diff and hosted.status == native.status, (
        f"{len(diff)} of {len(ids)} test cases differ (native, abi-run): "
        f"{dict(list(diff.items())[:20])}\nabi-run's status {hosted.status}, its output ends:\n"
        f"{hosted.tail}")


# --- The JVM -----------------------------------------------------------------

def test_java_version_native(jdk: Path, tmp_path: Path) -> None:
    r = run_timed([str(jdk), "-version"], cwd=tmp_path)
    assert r.status == 0 and re.match(rb'openjdk version "17\.', r.stderr), r


@pytest.mark.parametrize("case", ["java -version"])
def test_java_version(abi_run: Path, jdk: Path, tmp_path: Path, case: str) -> None:
    native = run_timed([str(jdk), "-version"], cwd=tmp_path)
    hosted = run_timed([*abi(abi_run), str(jdk), "-version"], cwd=tmp_path)
    assert hosted == native


@pytest.fixture(scope="session")
def churn(jdk: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Churn.java compiled by the host's javac; the command that runs it."""
    classes = tmp_path_factory.mktemp("churn")
    shutil.copy(SCRIPTS / "Churn.java", classes)
    p = subprocess.run([str(JAVAC), "-d", str(classes), str(classes / "Churn.java")],
                       capture_output=True, text=True, check=False, env=ENV, timeout=300)
    assert p.returncode == 0, p.stderr
    return [str(jdk), "-Xmx64m", "-cp", str(classes), "Churn"]


def test_java_churn_native(churn: list[str], tmp_path: Path) -> None:
    first = run_timed(churn, cwd=tmp_path)
    assert first.status == 0 and first.stderr == b"", first
    assert b"several collections: true" in first.stdout
    assert b"null dereferences caught: 2062" in first.stdout
    assert run_timed(churn, cwd=tmp_path) == first


@pytest.mark.parametrize("case", ["java Churn"])
def test_java_churn(abi_run: Path, churn: list[str], tmp_path: Path, case: str) -> None:
    native = run_timed(churn, cwd=tmp_path)
    hosted = run_timed([*abi(abi_run), *churn], cwd=tmp_path)
    assert hosted == native
