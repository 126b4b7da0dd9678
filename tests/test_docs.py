"""The docs tell the truth about the table: every YAML example of a table entry
or flag set in README.md and docs/*.md passes the table checker, and the counts
README.md quotes are the ones abi gen computes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from abi.gen import docs
from abi.table import Table, load_table

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.M | re.S)


def yaml_blocks() -> list[tuple[str, str]]:
    """(file:line, text) of every ```yaml block of the docs."""
    out = []
    for path in DOCS:
        text = path.read_text()
        for m in _BLOCK.finditer(text):
            line = text.count("\n", 0, m.start()) + 2
            out.append((f"{path.relative_to(REPO)}:{line}", m[1]))
    return out


def table_examples() -> list[tuple[str, str, str]]:
    """(where, kind, text): the blocks that are table entries or flag sets."""
    out = []
    for where, text in yaml_blocks():
        doc = yaml.safe_load(text)
        if isinstance(doc, list) and all(isinstance(e, dict) and "name" in e for e in doc):
            out.append((where, "entries", text))
        elif isinstance(doc, dict) and "flagsets" in doc:
            out.append((where, "flagsets", text))
    return out


def test_the_docs_have_table_examples() -> None:
    kinds = sorted({kind for _, kind, _ in table_examples()})
    assert kinds == ["entries", "flagsets"]
    assert len(table_examples()) >= 3  # docs/TABLE.md's two and README.md's entry


@pytest.mark.parametrize("where, kind, text", table_examples(),
                         ids=[w for w, _, _ in table_examples()])
def test_doc_example_passes_the_table_checker(tmp_path: Path, where: str, kind: str,
                                              text: str) -> None:
    """The example, in a copy of the real table's errno and flags files (an
    example entry as a family of its own; a flag-set example as flags.yaml)."""
    real = load_table().root
    root = tmp_path / "syscalls"
    root.mkdir()
    shutil.copy(real / "errno.yaml", root)
    if kind == "entries":
        shutil.copy(real / "flags.yaml", root)
        (root / "example.yaml").write_text("family: example\nsyscalls:\n" + text)
    else:
        (root / "flags.yaml").write_text(text)
    load_table(root)  # raises TableError (file:line: what) when the checker rejects it


def test_readme_counts_are_generated(table: Table) -> None:
    """Each number README.md quotes from the table sits in a region abi gen
    rewrites (make check-gen fails when one is stale)."""
    text = (REPO / "README.md").read_text()
    assert "<!-- abi gen: status-counts -->" in text
    assert docs.fill_regions(table, text) == text, "README.md is stale: run abi gen"


def test_a_stale_readme_count_fails_the_check(tmp_path: Path) -> None:
    shutil.copytree(REPO / "tests" / "data" / "table", tmp_path / "syscalls")
    readme = tmp_path / "README.md"
    readme.write_text("We serve <!-- abi gen: status-counts -->many<!-- /abi gen -->.\n")
    cmd = [sys.executable, "-m", "abi", "--table", str(tmp_path / "syscalls"), "gen"]
    r = subprocess.run([*cmd, "--check"], capture_output=True, text=True)
    assert r.returncode == 1 and "README.md" in r.stderr
    subprocess.run(cmd, check=True, capture_output=True)
    assert re.fullmatch(r"We serve <!-- abi gen: status-counts -->\d+ x86_64 syscalls "
                        r"implemented and \d+ partial<!-- /abi gen -->\.\n", readme.read_text())
    readme.write_text("<!-- abi gen: nonsense -->x<!-- /abi gen -->\n")
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nonsense" in r.stderr
