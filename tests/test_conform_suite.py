"""The real conformance suite: deterministic natively, and runnable with qemu-x86_64 as a
third-party runner whose differences are reported, not hidden."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from abi.conform.cli import register


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
