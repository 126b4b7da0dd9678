"""The real conformance suite: deterministic natively, and runnable with qemu-x86_64 as a
third-party runner whose differences are reported, not hidden."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from abi.conform.build import build_case, variants_for
from abi.conform.cli import register
from abi.conform.props import generate
from abi.conform.suite import load_suite


def conform(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    p = argparse.ArgumentParser(prog="abi")
    p.add_argument("--table", default=None)
    register(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(["conform", *argv])
    rc = args.func(args)
    out, err = capsys.readouterr()
    return rc, out, err


def test_native_against_native_matches(capsys, tmp_path):
    # Every case run twice natively gives the same transcript: the suite is deterministic.
    rc, out, err = conform(capsys, "-j", "2", "--report", str(tmp_path))
    assert rc == 0, out + err
    data = json.loads((tmp_path / "native.json").read_text())
    ran = [r for r in data["results"] if r["outcome"] != "skip"]
    assert all(r["outcome"] == "pass" for r in ran)
    c_cases = {r["case"] for r in ran if r["kind"] == "c"}
    assert {"files", "dirs", "fds", "mmap", "pipes", "time", "identity", "errno"} <= c_cases
    assert sum(r["kind"] == "program" for r in ran) >= 25 or not Path("/bin/busybox").exists()
    assert out.splitlines()[-1].startswith(f"conform: {len(ran)} cases, {len(ran)} passed")


def test_qemu_is_a_third_party_runner(capsys, tmp_path):
    if shutil.which("qemu-x86_64") is None:
        pytest.skip("qemu-x86_64 is not installed (Debian: apt-get install qemu-user)")
    rc, out, err = conform(capsys, "--runner", "qemu", "-j", "2", "--report", str(tmp_path))
    assert rc in (0, 1), err
    data = json.loads((tmp_path / "qemu.json").read_text())
    assert data["runner_cmd"][0].endswith("qemu-x86_64")
    bad = [r for r in data["results"] if r["outcome"] not in ("pass", "skip")]
    assert (rc == 1) == bool(bad)
    # Differences are reported in full: a diff per failing case, in the JSON and the page.
    page = (tmp_path / "index.html").read_text()
    for r in bad:
        assert r["outcome"] == "fail" and r["diffs"], r["id"]
        assert f"FAIL    {r['id']}" in out
        assert r["id"] in page
    # qemu-user 7.2 (Debian 12) is known to differ here; if it stops, update docs/README.
    assert out.splitlines()[-1].endswith("(runner qemu vs reference native)")


def test_props_sequences_are_reproducible_and_varied():
    a, b = generate(5, 30, 7), generate(5, 30, 7)
    assert a == b and len(set(a)) == 5
    assert all(len(s.splitlines()) == 30 for s in a)
    assert generate(5, 30, 8) != a
    kinds = {line.split()[0] for s in a for line in s.splitlines()}
    assert {"openat", "write", "ls", "stat"} <= kinds


def test_props_cases_come_from_props_yaml():
    props = [c for c in load_suite().cases if c.name.startswith("props/")]
    assert len(props) == 20 and all(c.stdin for c in props)
    assert {"openat", "renameat2", "pipe2"} <= set(props[0].covers)


@pytest.mark.parametrize("text, message", [
    ("openat AT_FDCWD \"a\" O_NOPE 0\n", "0 error: not a number, symbol"),
    ("close $3\n", "0 error: $N must name an earlier call"),
    ("frobnicate 1\n", "0 error: unknown call: frobnicate"),
    ("write 1 data:abc 1\n", "0 error: data: needs an even number"),
    ("read 0 buf:999999 1\n", "0 error: buffer size must be 0..65536"),
])
def test_the_player_refuses_a_bad_sequence(tmp_path, text, message):
    variant = variants_for("x86_64", ["glibc"])[0][0]
    case = next(c for c in load_suite().cases if c.name == "props/000")
    exe = build_case(case, variant, tmp_path)
    proc = subprocess.run([exe], input=text.encode(), capture_output=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout.decode().startswith(message)


def test_the_player_replays_a_sequence(tmp_path):
    variant = variants_for("x86_64", ["glibc"])[0][0]
    case = next(c for c in load_suite().cases if c.name == "props/000")
    exe = build_case(case, variant, tmp_path / "build")
    seq = ('openat AT_FDCWD "f" O_CREAT|O_RDWR 0644\nwrite $0 data:6869 2\n'
           'pread64 $0 buf:8 8 0\nread 99 bad 1\nstat "f"\nls "."\n')
    proc = subprocess.run([exe], input=seq.encode(), capture_output=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    lines = proc.stdout.decode().splitlines()
    # what Linux said, checked against Python's own view of the same calls
    assert lines[0] == '0 openat AT_FDCWD "f" O_CREAT|O_RDWR 0644 = 3'
    assert (tmp_path / "f").read_bytes() == b"hi"
    assert '  bytes: "hi"' in lines
    assert "3 read 99 bad 1 = -EBADF" in lines
    assert f"  stat f: mode={os.lstat(tmp_path / 'f').st_mode:o} nlink=1 size=2" in lines
    assert lines[-2] == "  ls .: build/4 f/8" and lines[-1] == "end"


def test_the_aarch64_subset_runs_under_qemu_aarch64(capsys, tmp_path):
    """The aarch64 builds: every C case (none needs threads) built with the cross
    compiler and busybox-static:arm64 (tools/setup.sh puts it in build/arm64/), 20+
    applets, in the same matrix report; qemu-aarch64 as runner must match itself."""
    rc, out, err = conform(capsys, "--runner", "qemu-aarch64", "-j", "2", "--report",
                           str(tmp_path))
    assert rc == 0, out + err
    data = json.loads((tmp_path / "qemu-aarch64.json").read_text())
    assert data["arch"] == "aarch64" and data["reference"] == "qemu-aarch64"
    ran = [r for r in data["results"] if r["outcome"] != "skip"]
    assert {r["case"] for r in ran if r["kind"] == "c"} >= {"files", "dirs", "pipes", "events"}
    busybox = [r for r in ran if r["case"].startswith("busybox/")]
    assert len(busybox) >= 20
    skipped = {r["case"]: r["message"] for r in data["results"] if r["outcome"] == "skip"}
    assert all(c.startswith("host/") for c in skipped), skipped
    assert (tmp_path / "junit-qemu-aarch64.xml").exists()
    assert "qemu-aarch64" in (tmp_path / "index.html").read_text()


def test_an_aarch64_runner_needs_an_aarch64_reference(capsys):
    rc, _out, err = conform(capsys, "--runner", "emu-aarch64", "--reference", "native")
    assert rc == 2 and err.count("\n") == 1
    assert "runs aarch64 programs" in err


def test_arch_paths_map_programs_to_their_aarch64_build(tmp_path):
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "p.yaml").write_text(
        "requires: [/bin/busybox]\n"
        "arch_paths:\n  aarch64: {/bin/busybox: build/arm64/busybox}\n"
        "programs:\n  - name: echo\n    argv: [/bin/busybox, echo, hi]\n")
    (case,) = load_suite(tmp_path).cases
    assert case.for_arch("x86_64") is case
    arm = case.for_arch("aarch64")
    assert arm is not None
    repo = tmp_path.parent  # relative paths are the repository's: the suite's parent
    assert arm.argv == (str(repo / "build/arm64/busybox"), "echo", "hi")
    assert arm.requires == (str(repo / "build/arm64/busybox"),)
    (tmp_path / "programs" / "p.yaml").write_text(
        "arch_paths:\n  riscv64: {/bin/x: y}\nprograms: []\n")
    with pytest.raises(Exception, match="unknown arch 'riscv64'"):
        load_suite(tmp_path)


def test_known_differences_mask_only_what_they_name(tmp_path):
    """A reference's known departures from Linux (conformance/known/REF.yaml) mask
    the named sections and lines of the cases they match, on both sides."""
    from abi.conform.suite import load_known

    (tmp_path / "known").mkdir()
    (tmp_path / "known" / "ref.yaml").write_text(
        "known:\n"
        "  - cases: 'copy'\n    sections: [openat2]\n    why: no openat2\n"
        "  - cases: ['a*', 'b']\n    lines: ['^x = ']\n    why: x differs\n")
    k1, k2 = load_known(tmp_path, "ref")
    assert load_known(tmp_path, "other") == ()
    assert k1.applies("copy") and not k1.applies("copy2")
    assert k2.applies("ab") and k2.applies("b") and not k2.applies("c")
    text = "-- flock\nf = 0\n-- openat2\nopenat2 = -ENOSYS\nv: 1\n-- next\nx = 1\n"
    assert k1.mask(text) == ("-- flock\nf = 0\n-- next\nx = 1\n", 3)
    assert k2.mask(text)[0] == text.replace("x = 1\n", "")


def test_the_real_known_differences_load():
    from abi.conform.suite import default_root, load_known

    known = load_known(default_root(), "qemu-aarch64")
    assert known and all(k.why for k in known)
