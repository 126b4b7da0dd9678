"""The conformance suite on disk: C cases, real programs, and their declarations.

A C case is ``conformance/cases/NAME.c``. Its header comment lists what it covers::

    /* covers: openat read write close */

(several ``covers:`` lines add up). An optional sidecar ``NAME.yaml`` beside it
declares what else to compare and how this case's transcript is normalised::

    outputs: [result.txt]             # files in the working directory to compare
    normalise:                        # applied to both runs before comparing
      - {regex: 'ino=[0-9]+', replace: 'ino=N', streams: [stdout]}
    args: [...]  stdin: "..."  timeout: 10  covers: [...]

``conformance/programs/*.yaml`` lists real programs (schema in
conformance/README.md). Every problem is a ``SuiteError`` at ``file:line``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from abi.conform.props import generate
from abi.yamlload import LDict, LList, SourceError, load_located

STREAMS = ("stdout", "stderr", "files")
_COVERS = re.compile(r"^\s*(?:/\*+|\*|//)?\s*covers:\s*(.*?)\s*(?:\*/)?\s*$")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
_CASE_KEYS = {"covers", "outputs", "normalise", "args", "stdin", "timeout", "env", "files"}
_PROGRAM_KEYS = _CASE_KEYS | {"name", "argv", "requires"}


class SuiteError(SourceError):
    """A located problem in a case, a sidecar or a programs file."""


@dataclass(frozen=True)
class Rule:
    """One normalisation: ``re.sub(regex, replace)`` over the named streams."""

    regex: re.Pattern[str]
    replace: str
    streams: tuple[str, ...] = STREAMS

    def apply(self, stream: str, text: str) -> str:
        return self.regex.sub(self.replace, text) if stream in self.streams else text


@dataclass(frozen=True)
class Case:
    """One thing to run under the reference and the runner and compare."""

    name: str              # "files", "busybox/echo"
    kind: str              # "c" or "program"
    source: Path           # the .c file or the programs .yaml
    line: int
    covers: tuple[str, ...] = ()
    argv: tuple[str, ...] = ()   # programs: the command; C cases: extra arguments
    stdin: bytes = b""
    files: dict[str, bytes] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None
    requires: tuple[str, ...] = ()
    # programs: arch -> {x86_64 path: that arch's build of the same program}
    # (a programs file's arch_paths); x86_64 needs none.
    arch_paths: dict[str, dict[str, str]] = field(default_factory=dict)

    def for_arch(self, arch: str) -> Case | None:
        """This program as it runs on arch (its paths replaced), or None when
        the programs file names no build of it for arch."""
        if self.kind != "program" or arch == "x86_64":
            return self
        paths = self.arch_paths.get(arch)
        if paths is None:
            return None
        return replace(self, argv=tuple(paths.get(a, a) for a in self.argv),
                       requires=tuple(paths.get(r, r) for r in self.requires))

    def missing(self) -> str | None:
        """Why this case cannot run on this machine, or None."""
        for r in self.requires:
            if not Path(r).exists():
                return f"{r} is not installed"
        return None


@dataclass(frozen=True)
class Suite:
    root: Path
    cases: tuple[Case, ...]

    @property
    def c_cases(self) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.kind == "c")


def default_root() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "conformance"


def load_suite(root: Path | None = None) -> Suite:
    """Read every case under ``root`` (default: the repository's conformance/)."""
    root = root or default_root()
    if not root.is_dir():
        raise SuiteError(root, 0, "no such conformance directory")
    cases: list[Case] = []
    for src in sorted((root / "cases").glob("*.c")):
        cases.append(_load_c_case(src))
    for prog in sorted((root / "programs").glob("*.yaml")):
        cases.extend(_load_programs(prog))
    if (root / "props" / "props.yaml").exists():
        cases.extend(_load_props(root / "props"))
    seen: dict[str, Case] = {}
    for c in cases:
        if c.name in seen:
            raise SuiteError(c.source, c.line, f"duplicate case name {c.name!r} "
                                               f"(also {seen[c.name].source})")
        seen[c.name] = c
    return Suite(root, tuple(cases))


def covers_of(src: Path) -> list[str]:
    """The syscalls a C case's ``covers:`` lines name, in order."""
    names: list[str] = []
    for i, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
        m = _COVERS.match(line)
        if m:
            for n in m.group(1).split():
                if not re.fullmatch(r"[a-z_][a-z0-9_]*", n):
                    raise SuiteError(src, i, f"covers: {n!r} is not a syscall name")
                names.append(n)
    return names


def _load_c_case(src: Path) -> Case:
    covers = covers_of(src)
    side = src.with_suffix(".yaml")
    opts: dict[str, Any] = {}
    if side.exists():
        raw = load_located(side)
        if not isinstance(raw, LDict):
            raise SuiteError(side, getattr(raw, "line", 1), "a sidecar is a mapping")
        opts = _options(raw, _CASE_KEYS, f"case {src.stem}")
        covers += [c for c in opts.pop("covers", ()) if c not in covers]
    if not covers:
        raise SuiteError(src, 1, "no 'covers:' line in the header comment")
    return Case(name=src.stem, kind="c", source=src, line=1, covers=tuple(dict.fromkeys(covers)),
                argv=tuple(opts.pop("args", ())), **opts)


def _load_programs(path: Path) -> list[Case]:
    raw = load_located(path)
    if not isinstance(raw, LDict) or "programs" not in raw:
        raise SuiteError(path, getattr(raw, "line", 1), "expected a mapping with 'programs:'")
    unknown = set(raw) - {"programs", "requires", "arch_paths"}
    if unknown:
        raise SuiteError(path, raw.line_of(sorted(unknown)[0]),
                         f"unknown key {sorted(unknown)[0]!r}")
    common = tuple(_strings(raw, "requires")) if "requires" in raw else ()
    arch_paths = _arch_paths(raw, path.parent.parent.parent)
    progs = raw["programs"]
    if not isinstance(progs, LList):
        raise SuiteError(path, raw.line_of("programs"), "'programs' is a list")
    out = []
    for i, entry in enumerate(progs):
        if not isinstance(entry, LDict):
            raise SuiteError(path, progs.item_lines[i], "each program is a mapping")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise SuiteError(path, entry.line, "a program needs a 'name' (letters, digits, -_.+)")
        opts = _options(entry, _PROGRAM_KEYS, f"program {name}")
        argv = tuple(opts.pop("argv", ()))
        if not argv:
            raise SuiteError(path, entry.line, f"program {name}: 'argv' is required")
        opts.pop("name")
        opts.pop("args", None)
        requires = tuple(opts.pop("requires", ())) + common
        if argv[0].startswith("/") and argv[0] not in requires:
            requires += (argv[0],)
        out.append(Case(name=f"{path.stem}/{name}", kind="program", source=path, line=entry.line,
                        argv=argv, requires=requires, arch_paths=arch_paths,
                        covers=tuple(opts.pop("covers", ())), **opts))
    return out


def _arch_paths(raw: LDict, repo: Path) -> dict[str, dict[str, str]]:
    """``arch_paths: {aarch64: {/bin/busybox: build/arm64/busybox}}``: the same
    programs built for another arch; a relative path is the repository's."""
    if "arch_paths" not in raw:
        return {}
    m = raw["arch_paths"]
    line = raw.line_of("arch_paths")
    if not isinstance(m, LDict):
        raise SuiteError(raw.path, line, "'arch_paths' maps an arch to {path: path}")
    out: dict[str, dict[str, str]] = {}
    for arch, paths in m.items():
        if arch not in ("aarch64",):
            raise SuiteError(raw.path, m.line_of(arch), f"arch_paths: unknown arch {arch!r} "
                                                         "(x86_64 programs need none; aarch64)")
        if not isinstance(paths, LDict) or not all(isinstance(v, str) for v in paths.values()):
            raise SuiteError(raw.path, m.line_of(arch), f"arch_paths: {arch} maps paths to paths")
        out[arch] = {str(k): str(v if v.startswith("/") else repo / v) for k, v in paths.items()}
    return out


def _load_props(props: Path) -> list[Case]:
    """props/props.yaml: how many generated sequences player.c replays (abi.conform.props)."""
    path = props / "props.yaml"
    raw = load_located(path)
    if not isinstance(raw, LDict):
        raise SuiteError(path, getattr(raw, "line", 1), "expected a mapping")
    unknown = sorted(set(raw) - {"sequences", "steps", "seed"})
    if unknown:
        raise SuiteError(path, raw.line_of(unknown[0]), f"unknown key {unknown[0]!r}")
    got = []
    for key, low, high in (("sequences", 0, 1000), ("steps", 1, 512), ("seed", 0, 2**32)):
        v = raw.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high:
            raise SuiteError(path, raw.line_of(key), f"{key} must be an integer in {low}..{high}")
        got.append(v)
    player = props / "player.c"
    covers = tuple(covers_of(player))
    return [Case(name=f"props/{i:03d}", kind="c", source=player, line=raw.line, covers=covers,
                 stdin=seq.encode())
            for i, seq in enumerate(generate(*got))]


def _options(m: LDict, allowed: set[str], what: str) -> dict[str, Any]:
    """Check and convert a case's optional keys into Case fields."""
    for k in m:
        if k not in allowed:
            known = ", ".join(sorted(allowed))
            raise SuiteError(m.path, m.line_of(k),
                             f"{what}: unknown key {k!r} (expected one of {known})")
    out: dict[str, Any] = {}
    for k in ("covers", "outputs", "args", "argv", "requires"):
        if k in m:
            out[k] = _strings(m, k)
    if "outputs" in out:
        for o in out["outputs"]:
            if o.startswith("/") or ".." in Path(o).parts:
                raise SuiteError(m.path, m.line_of("outputs"),
                                 f"{what}: output {o!r} must be relative to the working directory")
        out["outputs"] = tuple(out["outputs"])
    if "name" in m:
        out["name"] = m["name"]
    if "stdin" in m:
        out["stdin"] = _text(m, "stdin", what).encode("latin-1")
    if "timeout" in m:
        t = m["timeout"]
        if not isinstance(t, int | float) or isinstance(t, bool) or t <= 0:
            raise SuiteError(m.path, m.line_of("timeout"), f"{what}: timeout is seconds > 0")
        out["timeout"] = float(t)
    for k in ("files", "env"):
        if k in m:
            d = m[k]
            if not isinstance(d, LDict) or not all(isinstance(v, str | int) for v in d.values()):
                raise SuiteError(m.path, m.line_of(k), f"{what}: {k!r} maps names to strings")
            if k == "files":
                out[k] = {n: str(v).encode("latin-1") for n, v in d.items()}
            else:
                out[k] = {n: str(v) for n, v in d.items()}
    if "normalise" in m:
        out["rules"] = tuple(_rules(m, what))
    return out


def _strings(m: LDict, key: str) -> list[str]:
    v = m[key]
    if not isinstance(v, list) or not all(isinstance(x, str | int | float) for x in v):
        raise SuiteError(m.path, m.line_of(key), f"{key!r} is a list of strings")
    return [str(x) for x in v]


def _text(m: LDict, key: str, what: str) -> str:
    v = m[key]
    if not isinstance(v, str):
        raise SuiteError(m.path, m.line_of(key), f"{what}: {key!r} is a string")
    return v


def _rules(m: LDict, what: str) -> list[Rule]:
    raw = m["normalise"]
    if not isinstance(raw, LList):
        raise SuiteError(m.path, m.line_of("normalise"), f"{what}: 'normalise' is a list")
    rules = []
    for i, r in enumerate(raw):
        line = raw.item_lines[i]
        if not isinstance(r, LDict) or "regex" not in r:
            raise SuiteError(m.path, line, f"{what}: a rule is a mapping with 'regex'")
        extra = set(r) - {"regex", "replace", "streams"}
        if extra:
            raise SuiteError(m.path, line, f"{what}: unknown rule key {sorted(extra)[0]!r}")
        try:
            rx = re.compile(str(r["regex"]), re.MULTILINE)
        except re.error as exc:
            raise SuiteError(m.path, r.line_of("regex"), f"{what}: bad regex: {exc}") from None
        streams = tuple(_strings(r, "streams")) if "streams" in r else STREAMS
        bad = [s for s in streams if s not in STREAMS]
        if bad:
            raise SuiteError(m.path, r.line_of("streams"),
                             f"{what}: unknown stream {bad[0]!r} (one of {', '.join(STREAMS)})")
        rules.append(Rule(rx, str(r.get("replace", "")), streams))
    return rules


@dataclass(frozen=True)
class Known:
    """A reference's known departure from Linux (conformance/known/REFERENCE.yaml):
    in the cases its globs match, the stdout lines it names (whole ``-- NAME``
    sections, or lines matching a regex) are masked on both sides."""

    cases: tuple[str, ...]
    why: str
    sections: tuple[str, ...] = ()
    lines: tuple[re.Pattern[str], ...] = ()

    def applies(self, case_name: str) -> bool:
        """Whether it covers the case (its name: every variant)."""
        return any(fnmatch.fnmatchcase(case_name, g) for g in self.cases)

    def mask(self, text: str) -> tuple[str, int]:
        """text without the lines this names, and how many went."""
        out, gone, skipping = [], 0, False
        for line in text.splitlines(keepends=True):
            if line.startswith("-- "):
                skipping = line[3:].rstrip("\n") in self.sections
            if skipping or any(rx.search(line) for rx in self.lines):
                gone += 1
                continue
            out.append(line)
        return "".join(out), gone


def load_known(root: Path, reference: str) -> tuple[Known, ...]:
    """The known differences of a reference (none when it has no file)."""
    path = root / "known" / f"{reference}.yaml"
    if not path.exists():
        return ()
    raw = load_located(path)
    if not isinstance(raw, LDict) or set(raw) != {"known"} or not isinstance(raw["known"], LList):
        raise SuiteError(path, getattr(raw, "line", 1), "expected a mapping with 'known:' (a list)")
    out = []
    for i, e in enumerate(raw["known"]):
        line = raw["known"].item_lines[i]
        if not isinstance(e, LDict) or "cases" not in e or "why" not in e:
            raise SuiteError(path, line, "a known difference has 'cases' and 'why'")
        extra = sorted(set(e) - {"cases", "why", "sections", "lines"})
        if extra:
            raise SuiteError(path, e.line_of(extra[0]), f"unknown key {extra[0]!r}")
        cases = [e["cases"]] if isinstance(e["cases"], str) else _strings(e, "cases")
        try:
            lines = tuple(re.compile(x) for x in (_strings(e, "lines") if "lines" in e else []))
        except re.error as exc:
            raise SuiteError(path, e.line_of("lines"), f"bad regex: {exc}") from None
        sections = tuple(_strings(e, "sections")) if "sections" in e else ()
        if not lines and not sections:
            raise SuiteError(path, line, "a known difference names 'sections' or 'lines'")
        out.append(Known(tuple(cases), _text(e, "why", "known difference"), sections, lines))
    return tuple(out)
