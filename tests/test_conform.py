"""abi conform: the runner, its comparisons, exit codes and reports, on a small suite of its own.

The test suite below is built in a temporary directory with sys.h from the real
one. "Runners" that differ from native are plain command prefixes (``env VAR=1``),
so every behaviour is deterministic and needs no qemu or abi-run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abi.conform.cli import Progress, register
from abi.conform.compare import differences
from abi.conform.engine import Result
from abi.conform.runners import Outcome
from abi.conform.suite import Case, Rule, SuiteError, load_suite

REPO = Path(__file__).resolve().parent.parent
SYS_H = REPO / "conformance" / "cases" / "sys.h"

CASES = {
    "ok.c": """/* ok: a case that always matches.
 * covers: write
 */
#include "sys.h"
int main(void) { out("hello\\n"); return done(); }
""",
    "differs.c": """/* differs: prints whether the runner set CONFORM_TEST_FLAG.
 * covers: getpid
 */
#include "sys.h"
#include <stdlib.h>
int main(void) { out("flag %s\\n", getenv("CONFORM_TEST_FLAG") ? "set" : "unset");
                 return done(); }
""",
    "hang.c": """/* hang: sleeps for a minute when the runner set CONFORM_TEST_FLAG.
 * covers: nanosleep
 */
#include "sys.h"
#include <stdlib.h>
#include <time.h>
int main(void) {
    struct timespec t = {60, 0};
    if (getenv("CONFORM_TEST_FLAG")) SC(nanosleep, &t, NULL);
    out("awake\\n");
    return done();
}
""",
    "masked.c": """/* masked: prints its pid (different every run); masked.yaml normalises it.
 * covers: getpid gettid
 */
#include "sys.h"
int main(void) {
    out("pid=%ld\\n", SC(getpid));
    long fd = SC(openat, AT_FDCWD, "out.txt", O_CREAT | O_WRONLY, 0644);
    char b[32];
    int n = snprintf(b, sizeof b, "written by %ld\\n", SC(getpid));
    SC(write, fd, b, n);
    return done();
}
""",
    "masked.yaml": """outputs: [out.txt]
normalise:
  - regex: 'pid=[0-9]+'
    replace: 'pid=N'
    streams: [stdout]
  - regex: 'by [0-9]+'
    replace: 'by N'
    streams: [files]
""",
}

FLAG_RUNNER = "env CONFORM_TEST_FLAG=1"


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suite")
    (root / "cases").mkdir()
    (root / "programs").mkdir()
    shutil.copy(SYS_H, root / "cases" / "sys.h")
    for name, text in CASES.items():
        (root / "cases" / name).write_text(text)
    (root / "programs" / "tools.yaml").write_text(
        "programs:\n"
        "  - name: echo\n    argv: [/bin/echo, hi]\n"
        "  - name: absent\n    argv: [/no/such/program]\n")
    return root


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("build")


def conform(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    p = argparse.ArgumentParser(prog="abi")
    p.add_argument("--table", default=None)
    sub = p.add_subparsers(dest="command", required=True)
    register(sub)
    args = p.parse_args(["conform", *argv])
    rc = args.func(args)
    out, err = capsys.readouterr()
    return rc, out, err


def small(suite_dir: Path, build_dir: Path, *argv: str) -> list[str]:
    return ["--suite", str(suite_dir), "--build-dir", str(build_dir), "--variant", "glibc",
            "--timeout", "3", *argv]


def test_matching_cases_exit_0(capsys, suite_dir, build_dir, tmp_path):
    rc, out, err = conform(capsys, *small(suite_dir, build_dir, "--report", str(tmp_path)))
    assert rc == 0, out + err
    assert out.strip().splitlines()[-1] == (
        "conform: 5 cases, 5 passed, 0 failed, 0 timeouts, 1 skipped "
        "(runner native vs reference native)")
    data = json.loads((tmp_path / "native.json").read_text())
    skipped = [r for r in data["results"] if r["outcome"] == "skip"]
    assert [r["id"] for r in skipped] == ["tools/absent"]
    assert "/no/such/program is not installed" in skipped[0]["message"]


def test_normalisation_rules_are_applied(capsys, suite_dir, build_dir, tmp_path):
    # pid differs between the two runs in stdout and in out.txt; the sidecar masks both.
    rc, out, _ = conform(capsys, *small(suite_dir, build_dir, "-k", "masked",
                                        "--report", str(tmp_path)))
    assert rc == 0, out
    r = json.loads((tmp_path / "native.json").read_text())["results"][0]
    assert r["outcome"] == "pass" and r["diffs"] == []


def test_a_differing_case_is_reported_with_its_diff(capsys, suite_dir, build_dir, tmp_path):
    rc, out, _ = conform(capsys, *small(suite_dir, build_dir, "--runner", FLAG_RUNNER,
                                        "-k", "differs", "--report", str(tmp_path)))
    assert rc == 1
    assert "FAIL    differs[glibc]" in out
    assert "1 failed" in out.splitlines()[-1]
    data = json.loads(next(tmp_path.glob("env-*.json")).read_text())
    (r,) = data["results"]
    assert r["outcome"] == "fail" and r["message"] == "differs in stdout"
    (diff,) = r["diffs"]
    assert "-flag unset" in diff and "+flag set" in diff
    assert "--- native/stdout" in diff


def test_a_hanging_case_times_out_and_the_run_goes_on(capsys, suite_dir, build_dir, tmp_path):
    rc, out, _ = conform(capsys, *small(suite_dir, build_dir, "--runner", FLAG_RUNNER,
                                        "--timeout", "1", "-j", "2", "-k", "*[[]glibc]",
                                        "--report", str(tmp_path)))
    assert rc == 1
    data = json.loads(next(tmp_path.glob("env-*.json")).read_text())
    outcomes = {r["id"]: r["outcome"] for r in data["results"]}
    assert outcomes == {"ok[glibc]": "pass", "masked[glibc]": "pass",
                        "differs[glibc]": "fail", "hang[glibc]": "timeout"}
    hang = next(r for r in data["results"] if r["id"] == "hang[glibc]")
    assert hang["runner"]["status"] == "timeout"
    assert hang["runner"]["seconds"] < 10
    assert out.splitlines()[-1].startswith("conform: 4 cases, 2 passed, 1 failed, 1 timeouts")


def test_reports_are_well_formed(capsys, suite_dir, build_dir, tmp_path):
    conform(capsys, *small(suite_dir, build_dir, "--report", str(tmp_path)))
    conform(capsys, *small(suite_dir, build_dir, "--runner", FLAG_RUNNER, "--timeout", "1",
                           "--report", str(tmp_path)))
    names = sorted(p.name for p in tmp_path.iterdir())
    flag_slug = "env-CONFORM_TEST_FLAG-1"
    assert names == sorted(["index.html", "report.md", "native.json", f"{flag_slug}.json",
                            "junit-native.xml", f"junit-{flag_slug}.xml"])
    suite = ET.parse(tmp_path / f"junit-{flag_slug}.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "6" and suite.get("failures") == "2"
    assert suite.get("skipped") == "1"
    failure = suite.find("testcase[@name='differs[glibc]']/failure")
    assert failure is not None and "+flag set" in (failure.text or "")
    timeout = suite.find("testcase[@name='hang[glibc]']/failure")
    assert timeout is not None and timeout.get("type") == "timeout"
    page = (tmp_path / "index.html").read_text()
    _check_html(page)
    # The matrix: one column per runner, a row per covered syscall with the table's status.
    assert "<th>native</th>" in page and "<th>env CONFORM_TEST_FLAG=1</th>" in page
    assert "<code>nanosleep</code>" in page and "<code>getpid</code>" in page
    assert "implemented, no case" in page   # the table's implemented calls this suite lacks
    assert "+flag set" in page              # the failing diff
    md = (tmp_path / "report.md").read_text()
    assert "## Syscall matrix" in md and "| `getpid` |" in md


VOID = frozenset({"meta", "br", "img", "hr", "input", "link"})


class _Checker(HTMLParser):

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def _check_html(page: str) -> None:
    c = _Checker()
    c.feed(page)
    assert c.stack == []
    assert "<script" not in page and "http" not in page.split("<body>")[0]  # self-contained


def test_unavailable_runner_exits_2_with_one_line(capsys, suite_dir, build_dir):
    fake = "sh -c 'echo \"abi-run: not available yet in this version of abi\" >&2; exit 2'"
    rc, _, err = conform(capsys, *small(suite_dir, build_dir, "--runner", fake))
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("abi conform: runner sh -c")
    assert "is not available yet: abi-run: not available yet" in err


def test_emu_runner_passes_the_probe_and_runs_cases(capsys, suite_dir, build_dir):
    """--runner emu: abi run --emu (unicorn and libabik.so) in the same matrix."""
    pytest.importorskip("unicorn")
    rc, out, err = conform(capsys, *small(suite_dir, build_dir, "--runner", "emu", "-k", "ok"))
    assert rc == 0, err
    assert out.splitlines()[-1].endswith("(runner emu vs reference native)")


def test_hosted_runner_passes_the_probe_and_runs_cases(capsys, suite_dir, build_dir):
    rc, out, err = conform(capsys, *small(suite_dir, build_dir, "--runner", "hosted", "-k", "ok"))
    assert rc == 0, err
    assert out.splitlines()[-1].endswith("(runner hosted vs reference native)")


@pytest.mark.parametrize("argv, message", [
    (["--runner", "no-such-runner-cmd"], "no-such-runner-cmd not found"),
    (["--reference", "native", "-j", "0"], "-j needs a positive number"),
    (["--variant", "nope"], "unknown variant 'nope'"),
    (["-k", "nothing-matches-this"], "no case matches"),
])
def test_bad_input_exits_2(capsys, suite_dir, build_dir, argv, message):
    rc, _, err = conform(capsys, *small(suite_dir, build_dir, *argv))
    assert rc == 2 and message in err and err.count("\n") == 1


@pytest.mark.parametrize("sidecar, message", [
    ("colour: red\n", "unknown key 'colour'"),
    ("normalise:\n  - regex: '(['\n", "bad regex"),
    ("normalise:\n  - {regex: x, streams: [stdin]}\n", "unknown stream 'stdin'"),
    ("outputs: [/etc/passwd]\n", "must be relative"),
    ("timeout: -1\n", "timeout is seconds > 0"),
])
def test_bad_sidecars_are_located(tmp_path, sidecar, message):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "x.c").write_text("/* covers: read */\n")
    (tmp_path / "cases" / "x.yaml").write_text(sidecar)
    with pytest.raises(SuiteError) as exc:
        load_suite(tmp_path)
    assert message in str(exc.value) and f"{tmp_path / 'cases' / 'x.yaml'}:" in str(exc.value)


def test_a_case_without_covers_is_refused(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "x.c").write_text("int main(void) { return 0; }\n")
    with pytest.raises(SuiteError, match="no 'covers:' line"):
        load_suite(tmp_path)


def test_covers_must_name_table_syscalls(capsys, tmp_path, build_dir):
    (tmp_path / "cases").mkdir()
    shutil.copy(SYS_H, tmp_path / "cases" / "sys.h")
    (tmp_path / "cases" / "x.c").write_text("/* covers: read not_a_syscall */\n")
    rc, _, err = conform(capsys, "--suite", str(tmp_path), "--build-dir", str(build_dir))
    assert rc == 2 and "covers 'not_a_syscall', which is not in the table" in err


def test_the_real_suite_loads_and_names_table_syscalls(table):
    suite = load_suite()
    names = {c.name for c in suite.cases}
    for family in ("files", "dirs", "fds", "mmap", "pipes", "time", "identity", "errno"):
        assert family in names
    for c in suite.cases:
        assert all(n in table.by_name for n in c.covers), c.name
    progs = [c for c in suite.cases if c.kind == "program"]
    assert len(progs) >= 25
    assert all(c.argv and Path(c.argv[0]).is_absolute() for c in progs)


def test_plain_progress_lines():
    import io
    s = io.StringIO()
    p = Progress(s, bar=False)
    p.start(2)
    p.result(Result("a[glibc]", "a", "c", "glibc", "a.c:1", [], "pass", runner={"seconds": 0.5}))
    p.result(Result("b", "b", "program", None, "p.yaml:3", [], "fail", "differs in stdout"))
    assert s.getvalue() == "PASS    a[glibc]  0.5s\nFAIL    b  differs in stdout\n"


def _case(rules: tuple[Rule, ...] = ()) -> Case:
    return Case(name="t", kind="c", source=Path("t.c"), line=1, rules=rules)


@given(st.binary(max_size=200), st.binary(max_size=200))
def test_differences_are_empty_exactly_when_streams_match(a, b):
    ra, rb = Outcome(0, stdout=a), Outcome(0, stdout=b)
    diffs = differences(_case(), ra, "/w1", rb, "/w2")
    same = a.decode("utf-8", "backslashreplace") == b.decode("utf-8", "backslashreplace")
    assert (diffs == []) == same
    if not same:
        assert diffs[0].startswith("--- reference/stdout\n+++ runner/stdout\n")


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=5),
       st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=5))
def test_a_rule_masks_what_it_names_and_only_that(xs, ys):
    import re
    rule = Rule(re.compile(r"ino=[0-9]+"), "ino=N", ("stdout",))
    case = _case((rule,))
    n = min(len(xs), len(ys))
    a = "".join(f"ino={x}\n" for x in xs[:n]).encode()
    b = "".join(f"ino={y}\n" for y in ys[:n]).encode()
    assert differences(case, Outcome(0, stdout=a), "/w", Outcome(0, stdout=b), "/w") == []
    # The same text in stderr is not masked: the rule names stdout only.
    diffs = differences(case, Outcome(0, stderr=a), "/w", Outcome(0, stderr=b), "/w")
    assert (diffs == []) == (xs[:n] == ys[:n])


def test_the_workdir_path_is_masked_and_status_and_files_compared():
    case = Case(name="t", kind="program", source=Path("t.yaml"), line=1, outputs=("o",))
    ra = Outcome(0, stdout=b"in /tmp/a/reference\n", files={"o": b"x"})
    rb = Outcome(0, stdout=b"in /tmp/a/runner\n", files={"o": None})
    (diff,) = differences(case, ra, "/tmp/a/reference", rb, "/tmp/a/runner")
    assert "reference/file o" in diff and "+<missing>" in diff
    (diff,) = differences(case, Outcome(0), "/a", Outcome(139), "/b")
    assert "+139 (SIGSEGV)" in diff


def test_help_has_examples(capsys):
    p = argparse.ArgumentParser(prog="abi")
    register(p.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):
        p.parse_args(["conform", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "--runner qemu" in out


def test_html_report_renders_in_chromium(capsys, suite_dir, build_dir, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    conform(capsys, *small(suite_dir, build_dir, "--report", str(tmp_path / "r")))
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=1000,800", f"--screenshot={shot}",
                    (tmp_path / "r" / "index.html").as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


def test_a_case_that_does_not_compile_is_a_runner_error(capsys, tmp_path):
    (tmp_path / "s" / "cases").mkdir(parents=True)
    shutil.copy(SYS_H, tmp_path / "s" / "cases" / "sys.h")
    (tmp_path / "s" / "cases" / "broken.c").write_text("/* covers: read */\nint main(void) {\n")
    rc, _, err = conform(capsys, "--suite", str(tmp_path / "s"), "--build-dir",
                         str(tmp_path / "b"), "--variant", "glibc")
    assert rc == 2 and "broken.c: glibc build failed:" in err and err.count("\n") == 1


def test_a_case_that_fails_on_linux_is_an_error(capsys, tmp_path):
    (tmp_path / "s" / "cases").mkdir(parents=True)
    shutil.copy(SYS_H, tmp_path / "s" / "cases" / "sys.h")
    (tmp_path / "s" / "cases" / "bad.c").write_text(
        '/* covers: read */\n#include "sys.h"\nint main(void) { out("x\\n"); done(); return 3; }\n')
    rc, out, _ = conform(capsys, "--suite", str(tmp_path / "s"), "--build-dir",
                         str(tmp_path / "b"), "--variant", "glibc")
    assert rc == 2
    assert "ERROR   bad[glibc]" in out and "exits 3 under the reference" in out
