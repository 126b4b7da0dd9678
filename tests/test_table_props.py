"""Property tests: whatever is wrong with a table file, loading it either
succeeds or fails with located ``file:line: message`` errors, never with a
traceback; and the mutations that must be rejected are."""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from abi.table import TableError, load_table

DATA = Path(__file__).parent / "data" / "table"
FILES = sorted(p.name for p in DATA.glob("*.yaml"))
LOCATED = re.compile(r"^[^\n]+\.yaml:\d+: \S.*$")
ORIGINAL = {name: yaml.safe_load((DATA / name).read_text()) for name in FILES}
REQUIRED = ("name", "numbers", "args", "returns", "errors", "status")


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a nested structure."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, (*prefix, i))
    return out


def parent(obj: Any, path: tuple[Any, ...]) -> Any:
    for k in path[:-1]:
        obj = obj[k]
    return obj


def load_variant(docs: dict[str, Any] | None = None, texts: dict[str, str] | None = None) -> None:
    """Write the test table with some files replaced and load it; the loader must
    either succeed or raise TableError whose every line is located."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in FILES:
            if texts and name in texts:
                text = texts[name]
            else:
                text = yaml.safe_dump((docs or ORIGINAL)[name], sort_keys=False)
            (root / name).write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            load_table(root)
        except TableError as exc:
            lines = str(exc).splitlines()
            assert lines
            for ln in lines:
                assert LOCATED.match(ln), ln
            raise


def copy_docs() -> dict[str, Any]:
    return yaml.safe_load(yaml.safe_dump(ORIGINAL))


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.text(max_size=8),
                    st.floats(allow_nan=False))
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.text(min_size=1, max_size=5), scalars, max_size=2))


@given(st.data())
def test_any_value_replaced(data: st.DataObject) -> None:
    docs = copy_docs()
    name = data.draw(st.sampled_from(FILES))
    path = data.draw(st.sampled_from(paths(docs[name])))
    parent(docs[name], path)[path[-1]] = data.draw(values)
    with contextlib.suppress(TableError):
        load_variant(docs)


@given(st.data())
def test_any_key_deleted(data: st.DataObject) -> None:
    docs = copy_docs()
    name = data.draw(st.sampled_from(FILES))
    path = data.draw(st.sampled_from(paths(docs[name])))
    del parent(docs[name], path)[path[-1]]
    with contextlib.suppress(TableError):
        load_variant(docs)


@given(st.sampled_from(["file.yaml", "mm.yaml", "process.yaml"]), st.data())
def test_required_key_deleted_is_rejected(name: str, data: st.DataObject) -> None:
    docs = copy_docs()
    entry = data.draw(st.sampled_from(docs[name]["syscalls"]))
    key = data.draw(st.sampled_from(REQUIRED))
    del entry[key]
    try:
        load_variant(docs)
    except TableError as exc:
        assert f"missing required key {key!r}" in str(exc)
    else:
        raise AssertionError("accepted an entry without " + key)


@given(st.data())
def test_duplicate_number_is_rejected(data: st.DataObject) -> None:
    docs = copy_docs()
    entries = [e for n in ("file.yaml", "mm.yaml", "process.yaml") for e in docs[n]["syscalls"]]
    a, b = data.draw(st.permutations(entries))[:2]
    arch = data.draw(st.sampled_from(sorted(set(a["numbers"]) & set(b["numbers"]))))
    b["numbers"][arch] = a["numbers"][arch]
    try:
        load_variant(docs)
    except TableError as exc:
        assert f"{arch} number {a['numbers'][arch]}" in str(exc)
    else:
        raise AssertionError("accepted a duplicate number")


@given(st.sampled_from(FILES), st.data())
def test_text_corruption(name: str, data: st.DataObject) -> None:
    text = (DATA / name).read_text()
    pos = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 20))
    insert = data.draw(st.text(alphabet=":{}[]-,'\"\n #&*!|>%@`\t\x00\ufeffa1", max_size=6))
    with contextlib.suppress(TableError):
        load_variant(texts={name: text[:pos] + insert + text[pos + cut:]})
