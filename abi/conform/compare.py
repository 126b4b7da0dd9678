"""Comparing a runner's outcome with the reference's, after the case's own normalisation.

What is compared: the exit status, stdout, stderr and each declared output
file. Before comparing, every stream goes through the case's rules (declared
next to the case) and one mechanical substitution: the run's own working
directory path becomes ``<workdir>`` (the two runs use different directories).
"""

from __future__ import annotations

import difflib

from abi.conform.runners import Outcome
from abi.conform.suite import Case, Known

MAX_DIFF_LINES = 200


def text(data: bytes | None) -> str:
    if data is None:
        return "<missing>\n"
    return data.decode("utf-8", "backslashreplace")


def normalise(case: Case, stream: str, data: bytes | None, workdir: str) -> str:
    s = text(data).replace(workdir, "<workdir>")
    for rule in case.rules:
        s = rule.apply(stream, s)
    return s


def fields(case: Case, o: Outcome, workdir: str) -> dict[str, str]:
    """Every compared field of one outcome, normalised."""
    out = {
        "status": o.status_text() + "\n",
        "stdout": normalise(case, "stdout", o.stdout, workdir),
        "stderr": normalise(case, "stderr", o.stderr, workdir),
    }
    for name in case.outputs:
        out[f"file {name}"] = normalise(case, "files", o.files.get(name), workdir)
    return out


def differences(case: Case, ref: Outcome, ref_dir: str, run: Outcome, run_dir: str,
                ref_label: str = "reference", run_label: str = "runner",
                known: tuple[Known, ...] = (), masked: list[str] | None = None) -> list[str]:
    """One unified diff per differing field (empty: the runs match). The
    reference's known differences are masked in stdout first, and what they
    masked is appended to ``masked``."""
    a, b = fields(case, ref, ref_dir), fields(case, run, run_dir)
    for k in known:
        a["stdout"], gone_a = k.mask(a["stdout"])
        b["stdout"], gone_b = k.mask(b["stdout"])
        if (gone_a or gone_b) and masked is not None:
            masked.append(f"{max(gone_a, gone_b)} lines: {k.why}")
    diffs = []
    for key in a:
        if a[key] != b[key]:
            lines = list(difflib.unified_diff(
                a[key].splitlines(keepends=True), b[key].splitlines(keepends=True),
                f"{ref_label}/{key}", f"{run_label}/{key}", n=2))
            if len(lines) > MAX_DIFF_LINES:
                lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more\n"]
            diffs.append("".join(ln if ln.endswith("\n") else ln + "\n\\ no newline\n"
                                 for ln in lines))
    return diffs
