"""Join a run report (``abi-run --report FILE``) into the static report.

The run report format is documented in docs/porting/README.md: a JSON object
``{"format": "abi-run-report/1", "program": ..., "arch": "x86_64",
"syscalls": [{"name", "nr"?, "count", "errors"?}], "unimplemented": [...]}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abi.inspect.needs import Report

FORMAT = "abi-run-report/1"


class RunReportError(Exception):
    """The run report is unreadable or malformed; the message says where."""


@dataclass(frozen=True)
class Used:
    name: str
    count: int
    errors: dict[str, int]


@dataclass(frozen=True)
class RunReport:
    program: str
    used: list[Used]
    unimplemented: list[str]  # in the order they were first hit


def _field(obj: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise RunReportError(f"{where}: missing '{key}'")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RunReportError(f"{where}.{key}: expected {kind.__name__}")
    return value


def load_run(path: Path) -> RunReport:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise RunReportError(exc.strerror or str(exc)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunReportError(f"not JSON: {str(exc).splitlines()[0]}") from None
    if _field(data, "format", str, "report") != FORMAT:
        raise RunReportError(f"report.format: expected '{FORMAT}'")
    if _field(data, "arch", str, "report") != "x86_64":
        raise RunReportError("report.arch: only x86_64 runs can be merged")
    used = []
    for i, entry in enumerate(_field(data, "syscalls", list, "report")):
        where = f"syscalls[{i}]"
        errors = entry.get("errors", {}) if isinstance(entry, dict) else {}
        if not isinstance(errors, dict) or not all(
                isinstance(k, str) and isinstance(v, int) for k, v in errors.items()):
            raise RunReportError(f"{where}.errors: expected {{ERRNO: count}}")
        used.append(Used(_field(entry, "name", str, where), _field(entry, "count", int, where),
                         dict(errors)))
    unimpl = []
    for i, entry in enumerate(data.get("unimplemented", [])):
        unimpl.append(_field(entry, "name", str, f"unimplemented[{i}]"))
    return RunReport(str(data.get("program", "")), used, unimpl)


def merge(report: Report, run: RunReport, source: str) -> None:
    static = {n.name for n in report.needs}
    used = {u.name for u in run.used if u.count > 0}
    found = sorted(used & static)
    report.run = {
        "source": source,
        "program": run.program,
        "summary": (f"{len(used)} syscalls used, {len(found)} of them in the static set; "
                    f"{len(static - used)} statically needed but not used in this run"),
        "used": [{"name": u.name, "count": u.count, "errors": u.errors} for u in run.used],
        "used_not_found": sorted(used - static),
        "needed_not_used": sorted(static - used),
        "first_unimplemented": run.unimplemented,
    }
