"""Reports of conformance runs: JSON, JUnit XML, Markdown and a self-contained HTML page.

A report directory accumulates one ``<runner>.json`` (and ``junit-<runner>.xml``)
per runner; ``report.md`` and ``index.html`` are rebuilt from every JSON in it,
so running the suite for native, qemu and hosted into one directory gives one
matrix with a column per runner. Delete the directory to start afresh.

The matrix has one row per syscall that a case covers or that the table marks
``implemented``: its family and status from the table, the cases covering it,
and per runner how many of those cases passed. An ``implemented`` syscall with
no covering case is flagged, and so is a covered name the table does not know.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abi.conform.engine import SCHEMA, RunRecord
from abi.table import Table

ORDER = {"fail": 0, "timeout": 1, "error": 2, "pass": 3, "skip": 4}


@dataclass
class Cell:
    passed: int = 0
    total: int = 0
    failing: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.total == 0:
            return "none"
        return "pass" if self.passed == self.total else "fail"

    def text(self) -> str:
        if self.total == 0:
            return "-"
        return f"{self.passed}/{self.total}"


@dataclass
class Row:
    syscall: str
    family: str
    status: str
    cases: list[str]
    cells: dict[str, Cell]
    flag: str = ""

    @property
    def case_list(self) -> str:
        """The covering cases, a generated family (props/000...) as one entry."""
        groups: dict[str, int] = {}
        for c in self.cases:
            head, _, tail = c.rpartition("/")
            key = f"{head}/*" if head and tail.isdigit() else c
            groups[key] = groups.get(key, 0) + 1
        return ", ".join(k if n == 1 or not k.endswith("/*") else f"{k} ({n})"
                         for k, n in groups.items())


def write_run(record: RunRecord, out: Path, suite_covers: dict[str, list[str]],
              table: Table | None) -> list[Path]:
    """Write this run's JSON and JUnit, then rebuild the Markdown and HTML from every run."""
    out.mkdir(parents=True, exist_ok=True)
    slug = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in record.runner).strip("-")
    data = record.to_dict()
    data["suite_covers"] = suite_covers
    jpath = out / f"{slug or 'runner'}.json"
    jpath.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    xpath = out / f"junit-{slug or 'runner'}.xml"
    xpath.write_bytes(junit(data))
    runs = load_runs(out)
    md = out / "report.md"
    md.write_text(markdown(runs, table), encoding="utf-8")
    page = out / "index.html"
    page.write_text(html_page(runs, table), encoding="utf-8")
    return [jpath, xpath, md, page]


def load_runs(out: Path) -> list[dict[str, Any]]:
    """Every run recorded in a report directory, native first, then by runner name."""
    runs = []
    for p in sorted(out.glob("*.json")):
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(d, dict) and d.get("schema") == SCHEMA:
            runs.append(d)
    runs.sort(key=lambda d: (d["runner"] != "native", d["runner"]))
    return runs


def junit(run: dict[str, Any]) -> bytes:
    c = run["counts"]
    suite = ET.Element("testsuite", name=f"abi-conform.{run['runner']}",
                       tests=str(len(run["results"])), failures=str(c["fail"] + c["timeout"]),
                       errors=str(c["error"]), skipped=str(c["skip"]), time=str(run["seconds"]),
                       timestamp=run["started"])
    props = ET.SubElement(suite, "properties")
    for k in ("runner", "reference", "arch"):
        ET.SubElement(props, "property", name=k, value=str(run[k]))
    for r in run["results"]:
        cls = "conformance.cases" if r["kind"] == "c" else \
            "conformance.programs." + r["case"].split("/")[0]
        tc = ET.SubElement(suite, "testcase", classname=cls, name=r["id"],
                           time=str(r["runner"].get("seconds", 0)), file=r["source"])
        body = r["message"] + ("\n\n" + "\n".join(r["diffs"]) if r["diffs"] else "")
        if r["outcome"] in ("fail", "timeout"):
            ET.SubElement(tc, "failure", message=r["message"], type=r["outcome"]).text = body
        elif r["outcome"] == "error":
            ET.SubElement(tc, "error", message=r["message"]).text = body
        elif r["outcome"] == "skip":
            ET.SubElement(tc, "skipped", message=r["message"])
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"


def matrix(runs: list[dict[str, Any]], table: Table | None) -> list[Row]:
    covers: dict[str, set[str]] = {}
    for run in runs:
        for case, names in run.get("suite_covers", {}).items():
            for n in names:
                covers.setdefault(n, set()).add(case)
        for r in run["results"]:
            for n in r["covers"]:
                covers.setdefault(n, set()).add(r["case"])
    known = table.by_name if table else {}
    names = set(covers) | {s.name for s in (table.syscalls if table else ())
                           if s.status == "implemented"}
    rows = []
    for name in names:
        s = known.get(name)
        cells = {}
        for run in runs:
            cell = Cell()
            for r in run["results"]:
                if name in r["covers"] and r["outcome"] != "skip":
                    cell.total += 1
                    if r["outcome"] == "pass":
                        cell.passed += 1
                    else:
                        cell.failing.append(r["id"])
            cells[run["runner"]] = cell
        row = Row(name, s.family if s else "?", s.status if s else "not in table",
                  sorted(covers.get(name, ())), cells)
        if s is None:
            row.flag = "not in the table"
        elif not row.cases and s.status == "implemented":
            row.flag = "implemented, no case"
        rows.append(row)
    rows.sort(key=lambda r: (r.flag == "", r.family, r.syscall))
    return rows


def _failures(runs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for run in runs:
        for r in sorted(run["results"], key=lambda r: (ORDER[r["outcome"]], r["id"])):
            if r["outcome"] in ("fail", "timeout", "error"):
                out.append((run["runner"], r))
    return out


def _summary_line(run: dict[str, Any]) -> str:
    c = run["counts"]
    ran = len(run["results"]) - c["skip"]
    s = (f"{ran} cases, {c['pass']} passed, {c['fail']} failed, {c['timeout']} timeouts, "
         f"{c['error']} errors, {c['skip']} skipped")
    return s


def markdown(runs: list[dict[str, Any]], table: Table | None) -> str:
    lines = ["# Conformance report", ""]
    for run in runs:
        lines.append(f"- **{run['runner']}** vs {run['reference']} ({run['arch']}; "
                     f"variants {', '.join(run['variants']) or '-'}; {run['started']}): "
                     f"{_summary_line(run)}")
        for v, why in run["skipped_variants"].items():
            lines.append(f"  - variant {v} skipped: {why}")
    rows = matrix(runs, table)
    names = [r["runner"] for r in runs]
    lines += ["", "## Syscall matrix", "",
              "| syscall | family | table status | cases | " + " | ".join(names) + " |",
              "|---|---|---|---|" + "---|" * len(names)]
    for row in rows:
        cells = []
        for n in names:
            c = row.cells[n]
            mark = {"pass": "✅", "fail": "❌", "none": ""}[c.state]
            cells.append(f"{mark} {c.text()}".strip())
        flag = f" ⚠ {row.flag}" if row.flag else ""
        lines.append(f"| `{row.syscall}`{flag} | {row.family} | {row.status} | "
                     f"{row.case_list or '—'} | " + " | ".join(cells) + " |")
    missing = [r.syscall for r in rows if r.flag == "implemented, no case"]
    lines += ["", "## Implemented syscalls with no covering case", "",
              ", ".join(f"`{m}`" for m in missing) if missing else "None.", ""]
    lines += ["## Failures", ""]
    fails = _failures(runs)
    if not fails:
        lines.append("None.")
    for runner, r in fails:
        lines += [f"### {r['id']} under {runner}: {r['outcome']}", "",
                  f"{r['message']} (`{r['source']}`)", ""]
        if r["diffs"]:
            lines += ["```diff", *("".join(r["diffs"]).rstrip("\n").split("\n")), "```", ""]
    lines += ["", "## Programs", ""]
    for run in runs:
        progs = [r for r in run["results"] if r["kind"] == "program"]
        if progs:
            lines.append(f"- {run['runner']}: " + ", ".join(
                f"{r['id']} {r['outcome']}" for r in progs))
    return "\n".join(lines) + "\n"


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2330;
background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde;
padding-bottom:4px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{background:#fff;border:1px solid #dde;border-radius:8px;padding:10px 14px;flex:0 1 480px}
.card b{font-size:15px}.card .n{font-size:13px;color:#556}
.bar{display:flex;height:8px;border-radius:4px;overflow:hidden;margin-top:6px;background:#eee}
.bar span{display:block}
table{border-collapse:collapse;background:#fff;border:1px solid #dde}
th,td{padding:3px 9px;border-bottom:1px solid #eef;text-align:left;vertical-align:top}
th{background:#f1f3f7;position:sticky;top:0;font-weight:600}
td.pass{background:#e3f6e8;color:#17602c;font-weight:600}
td.fail{background:#fde4e4;color:#9b1c1c;font-weight:600}
td.none{color:#aab}
tr.flag td:first-child{border-left:4px solid #d97706}
.tag{font-size:11px;padding:1px 6px;border-radius:9px;margin-left:6px;white-space:nowrap}
.implemented{background:#dcfce7;color:#166534}.partial{background:#fef3c7;color:#92400e}
.enosys{background:#eef;color:#556}.warn{background:#ffedd5;color:#9a3412}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.cases{color:#445;font-size:12px}
details{background:#fff;border:1px solid #dde;border-radius:6px;margin:6px 0;padding:6px 10px}
summary{cursor:pointer;font-weight:600}
pre{font:12px/1.35 ui-monospace,Menlo,monospace;overflow:auto;background:#f6f8fa;padding:8px;
margin:6px 0}
.add{color:#17602c}.del{color:#9b1c1c}.hunk{color:#6b46c1}
.o-pass{color:#17602c}.o-fail,.o-error{color:#9b1c1c}.o-timeout{color:#b45309}.o-skip{color:#889}
"""


def _e(s: object) -> str:
    return html.escape(str(s))


def _diff_html(diff: str) -> str:
    out = []
    for ln in diff.splitlines():
        cls = ("hunk" if ln.startswith("@@") else "add" if ln.startswith("+")
               else "del" if ln.startswith("-") else "")
        out.append(f'<span class="{cls}">{_e(ln)}</span>' if cls else _e(ln))
    return "\n".join(out)


def html_page(runs: list[dict[str, Any]], table: Table | None) -> str:
    names = [r["runner"] for r in runs]
    parts = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
             "<title>abi conformance report</title>", f"<style>{CSS}</style></head><body>",
             "<h1>abi conformance report</h1>",
             "<div class=n>Each case runs under the reference and under the runner; exit "
             "status, stdout, stderr and declared files are compared after the case's own "
             "normalisation.</div><div class=cards>"]
    for run in runs:
        c = run["counts"]
        total = max(1, sum(c.values()))
        bar = "".join(f'<span style="width:{100 * c[k] / total:.1f}%;background:{col}"></span>'
                      for k, col in (("pass", "#22c55e"), ("fail", "#ef4444"),
                                     ("timeout", "#f59e0b"), ("error", "#b91c1c"),
                                     ("skip", "#cbd5e1")))
        skipped = "".join(f"<div class=n>variant {_e(v)} skipped: {_e(w)}</div>"
                          for v, w in run["skipped_variants"].items())
        parts.append(f"<div class=card><b>{_e(run['runner'])}</b> <span class=n>vs "
                     f"{_e(run['reference'])} · {_e(run['arch'])} · "
                     f"{_e(', '.join(run['variants']))}</span>"
                     f"<div class=n>{_e(_summary_line(run))} · {run['seconds']}s · "
                     f"{_e(run['started'])}</div>{skipped}<div class=bar>{bar}</div></div>")
    parts.append("</div>")
    rows = matrix(runs, table)
    missing = [r for r in rows if r.flag == "implemented, no case"]
    parts.append(f"<h2>Syscall matrix</h2><div class=n>{len(rows)} syscalls · "
                 f"{len(missing)} implemented with no covering case (flagged)</div>")
    parts.append("<table><thead><tr><th>syscall</th><th>family</th><th>table status</th>"
                 "<th>covering cases</th>" + "".join(f"<th>{_e(n)}</th>" for n in names)
                 + "</tr></thead><tbody>")
    for row in rows:
        st = row.status.replace(" ", "-")
        flag = f'<span class="tag warn">{_e(row.flag)}</span>' if row.flag else ""
        cells = "".join(
            f'<td class="{row.cells[n].state}" title="{_e(", ".join(row.cells[n].failing))}">'
            f"{_e(row.cells[n].text())}</td>" for n in names)
        parts.append(f'<tr class="{"flag" if row.flag else ""}"><td><code>{_e(row.syscall)}'
                     f"</code>{flag}</td><td>{_e(row.family)}</td><td><span class='tag {st}'>"
                     f"{_e(row.status)}</span></td><td class=cases>"
                     f"{_e(row.case_list) or '—'}</td>{cells}</tr>")
    parts.append("</tbody></table>")
    parts.append("<h2>Implemented syscalls with no covering case</h2><p>"
                 + (", ".join(f"<code>{_e(r.syscall)}</code>" for r in missing) or "None.")
                 + "</p>")
    parts.append("<h2>Failures</h2>")
    fails = _failures(runs)
    if not fails:
        parts.append("<p>None.</p>")
    for runner, r in fails:
        parts.append(f"<details open><summary><span class=o-{r['outcome']}>{_e(r['outcome'])}"
                     f"</span> {_e(r['id'])} under {_e(runner)} — {_e(r['message'])}</summary>"
                     f"<div class=n><code>{_e(r['source'])}</code></div>"
                     + "".join(f"<pre>{_diff_html(d)}</pre>" for d in r["diffs"])
                     + "</details>")
    parts.append("<h2>All results</h2><table><thead><tr><th>case</th>"
                 + "".join(f"<th>{_e(n)}</th>" for n in names) + "</tr></thead><tbody>")
    by_run = [{r["id"]: r for r in run["results"]} for run in runs]
    ids = sorted({i for d in by_run for i in d})
    for i in ids:
        tds = []
        for d in by_run:
            res = d.get(i)
            if res is None:
                tds.append("<td class=none>-</td>")
                continue
            secs = res["runner"].get("seconds")
            extra = f" <span class=n>{secs}s</span>" if secs is not None else ""
            tds.append(f"<td><span class=o-{res['outcome']}>{_e(res['outcome'])}</span>{extra}"
                       f"</td>")
        parts.append(f"<tr><td><code>{_e(i)}</code></td>{''.join(tds)}</tr>")
    parts.append("</tbody></table></body></html>\n")
    return "\n".join(parts)
