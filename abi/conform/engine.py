"""Running the suite: build, run each case under the reference and the runner, compare.

Every case runs in a fresh empty working directory (holding the case's input
files), once under the reference and once under the runner, with a timeout; a
hang is killed and reported as a timeout and the run goes on. ``-j N`` runs N
cases at once.
"""

from __future__ import annotations

import fnmatch
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abi.conform.build import BuildError, Variant, build_case
from abi.conform.compare import differences
from abi.conform.runners import Outcome, Runner, execute
from abi.conform.suite import Case, Known

OUTCOMES = ("pass", "fail", "timeout", "error", "skip")
SCHEMA = "abi-conform/1"


@dataclass
class Job:
    case: Case
    variant: Variant | None     # None for programs
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"{self.case.name}[{self.variant.name}]" if self.variant else self.case.name


@dataclass
class Result:
    id: str
    case: str
    kind: str
    variant: str | None
    source: str
    covers: list[str]
    outcome: str                 # one of OUTCOMES
    message: str = ""
    diffs: list[str] = field(default_factory=list)
    reference: dict[str, Any] = field(default_factory=dict)
    runner: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    """Everything one ``abi conform`` run found (the JSON report is this, as a dict)."""

    runner: str
    runner_cmd: list[str]
    reference: str
    arch: str
    variants: list[str]
    skipped_variants: dict[str, str]
    started: str
    seconds: float
    results: list[Result]
    schema: str = SCHEMA

    def counts(self) -> dict[str, int]:
        c = dict.fromkeys(OUTCOMES, 0)
        for r in self.results:
            c[r.outcome] += 1
        return c

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["counts"] = self.counts()
        return d

    def summary(self) -> str:
        c = self.counts()
        ran = len(self.results) - c["skip"]
        extra = "".join(f", {c[k]} {word}" for k, word in (("error", "errors"),
                                                            ("skip", "skipped")) if c[k])
        return (f"conform: {ran} cases, {c['pass']} passed, {c['fail']} failed, "
                f"{c['timeout']} timeouts{extra} (runner {self.runner} vs reference "
                f"{self.reference})")


def select(cases: list[Case], variants: list[Variant], pattern: str | None,
           arch: str = "x86_64") -> list[Job]:
    """One job per C case and variant, one per program, filtered by ``-k``."""
    jobs: list[Job] = []
    for c in cases:
        if c.kind == "c":
            jobs.extend(Job(c, v) for v in variants)
        elif (ported := c.for_arch(arch)) is None:
            jobs.append(Job(c, None, f"no {arch} build of this program (arch_paths)"))
        else:
            jobs.append(Job(ported, None, ported.missing()))
    if pattern:
        glob = any(ch in pattern for ch in "*?[")
        jobs = [j for j in jobs
                if (fnmatch.fnmatchcase(j.id, f"*{pattern}*") if glob else pattern in j.id)]
    return jobs


def _summary(o: Outcome) -> dict[str, Any]:
    return {"status": o.status_text(), "seconds": round(o.seconds, 4)}


class Engine:
    def __init__(self, runner: Runner, reference: Runner, build_dir: Path, timeout: float,
                 jobs: int, known: tuple[Known, ...] = ()) -> None:
        self.known = known
        self.runner = runner
        self.reference = reference
        self.build_dir = build_dir
        self.timeout = timeout
        self.jobs = max(1, jobs)
        self.work_root = build_dir / "work"  # a private directory per run, made by run()

    def build(self, jobs: list[Job]) -> dict[str, Path]:
        """Compile every C job's executable (in parallel); BuildError on the first failure."""
        todo = {(j.case.source, j.variant.name): j for j in jobs if j.variant and not j.skip}
        with ThreadPoolExecutor(self.jobs) as pool:
            futs = {k: pool.submit(build_case, j.case, j.variant, self.build_dir)
                    for k, j in todo.items() if j.variant}
            built = {}
            for (src, vname), f in futs.items():
                built[f"{src}:{vname}"] = f.result()
        return built

    def run(self, jobs: list[Job], on_result: Callable[[Result], None]) -> list[Result]:
        built = self.build(jobs)
        (self.build_dir / "work").mkdir(parents=True, exist_ok=True)
        self.work_root = Path(tempfile.mkdtemp(prefix="run-", dir=self.build_dir / "work"))
        results: list[Result | None] = [None] * len(jobs)

        def one(i: int) -> None:
            j = jobs[i]
            exe = built.get(f"{j.case.source}:{j.variant.name}") if j.variant else None
            r = self._run_job(j, exe)
            results[i] = r
            on_result(r)

        with ThreadPoolExecutor(self.jobs) as pool:
            list(pool.map(one, range(len(jobs))))
        return [r for r in results if r is not None]

    def _run_job(self, j: Job, exe: Path | None) -> Result:
        c = j.case
        res = Result(id=j.id, case=c.name, kind=c.kind,
                     variant=j.variant.name if j.variant else None,
                     source=f"{c.source}:{c.line}", covers=list(c.covers), outcome="skip")
        if j.skip:
            res.message = j.skip
            return res
        argv = [str(exe), *c.argv] if exe else list(c.argv)
        timeout = c.timeout or self.timeout
        with tempfile.TemporaryDirectory(prefix="case-", dir=self.work_root) as tmp:
            ref_dir, run_dir = Path(tmp, "reference"), Path(tmp, "runner")
            for d in (ref_dir, run_dir):
                d.mkdir()
                for name, data in c.files.items():
                    (d / name).parent.mkdir(parents=True, exist_ok=True)
                    (d / name).write_bytes(data)
            kw: dict[str, Any] = {"stdin": c.stdin, "env": c.env, "timeout": timeout,
                                  "outputs": c.outputs}
            ref = execute(self.reference, argv, ref_dir, **kw)
            res.reference = _summary(ref)
            if ref.error or ref.timed_out:
                res.outcome = "error"
                res.message = (f"the reference could not run the case: {ref.error}" if ref.error
                               else f"the reference timed out after {timeout:g}s")
                return res
            if c.kind == "c" and ref.status != 0:
                res.outcome = "error"
                res.message = (f"the case exits {ref.status_text()} under the reference "
                               f"(a case must exit 0 on Linux): "
                               f"{ref.stderr.decode('utf-8', 'replace').strip()[:200]}")
                return res
            run = execute(self.runner, argv, run_dir, **kw)
            res.runner = _summary(run)
            if run.error:
                res.outcome = "error"
                res.message = f"the runner could not start: {run.error}"
                return res
            masked: list[str] = []
            res.diffs = differences(c, ref, str(ref_dir), run, str(run_dir),
                                    self.reference.name, self.runner.name,
                                    tuple(k for k in self.known if k.applies(c.name)), masked)
            if run.timed_out:
                res.outcome = "timeout"
                res.message = f"killed after {timeout:g}s"
            elif res.diffs:
                res.outcome = "fail"
                res.message = "differs in " + ", ".join(
                    d.split("\n", 1)[0].split("/", 1)[1] for d in res.diffs)
            else:
                res.outcome = "pass"
                if masked:
                    res.message = (f"known differences of {self.reference.name} masked: "
                                   + "; ".join(masked))
        return res


def run_suite(cases: list[Case], variants: list[Variant], skipped: dict[str, str],
              runner: Runner, reference: Runner, *, build_dir: Path, timeout: float, jobs: int,
              pattern: str | None, on_start: Callable[[int], None] | None = None,
              on_result: Callable[[Result], None] = lambda r: None,
              known: tuple[Known, ...] = ()) -> RunRecord:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic()
    selected = select(cases, variants, pattern, reference.arch)
    if on_start:
        on_start(len(selected))
    engine = Engine(runner, reference, build_dir, timeout, jobs, known)
    results = engine.run(selected, on_result)
    shutil.rmtree(engine.work_root, ignore_errors=True)
    return RunRecord(runner=runner.name, runner_cmd=list(runner.prefix),
                     reference=reference.name, arch=reference.arch,
                     variants=[v.name for v in variants], skipped_variants=skipped,
                     started=started, seconds=round(time.monotonic() - t0, 2), results=results)


__all__ = ["BuildError", "Job", "Result", "RunRecord", "run_suite", "select"]
