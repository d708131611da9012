"""bench/scale: the cost of an assessment and of a Capability Report as a model family grows.

Run: ``python -m bench scale``. Sizes: ``SCALEGATE_BENCH_SCALE_SIZES`` (default ``100,1000`` checkpoints).

One workspace per size, each with one family of N checkpoints under a policy of 20 indicators derived from the
built-in ``anthropic-rsp-2.2`` (its 5 indicators, plus 15 variants bound to renamed copies of their tasks).
Every checkpoint carries real Inspect results for every indicator: inspect_ai runs the stand-in tasks on
scalegate's offline test model at five accuracies, once, into ``bench/results/scale/`` (reused by later runs);
the 15 variant tasks are those logs with the task renamed in their header. Checkpoint i gets the logs of an
accuracy rising with i, so every forecast has a trend to fit. Checkpoints are registered, and logs ingested,
through the service layer in batches of ``BATCH`` checkpoints, one transaction per batch, with each log file
read and checked once (the same write path as ``ingest_files``).

Measured in the same run, for each size (SQL statements counted with a ``before_cursor_execute`` listener):

* **one assess, cold**: ``assess`` of the latest checkpoint, with forecasts, on a freshly opened workspace
  (the family's series is read and fitted);
* **one assess, warm**: the same again (the series and fits are kept under the unchanged audit root);
* **one assess without forecasts**, for reference;
* **assess all checkpoints**: ``assess_family`` of the whole family in one snapshot (findings with their
  intervals, required levels, standards and decisions of every checkpoint; no forecasts), starting cold,
  with the CPU time of this process beside the elapsed time (on a machine shared with other work, the elapsed
  time also counts the time the process waited for a core; the goal is judged on the elapsed time);
* **Capability Report data**: ``capability_data`` of the latest checkpoint.

Goals (issues 11 and 17): all 1,000 checkpoints x 20 indicators assessed in at most 10 s; one assess and one
Capability Report at most 100 SQL statements whatever N. The dashboard figures (overview, model page and
trends page p99 over real HTTP at N = 100, 1,000 and 10,000 checkpoints; goal 100 ms at 10,000) are measured
in the same run, after these, by ``bench._dashboard`` on workspaces of its own (see there).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "results" / "scale"
SIZES = [int(s) for s in os.environ.get("SCALEGATE_BENCH_SCALE_SIZES", "100,1000").split(",")]
BATCH = 100
"""Checkpoints per registration and ingestion transaction."""
LEVELS = (0.35, 0.45, 0.55, 0.65, 0.75)
"""Accuracies of the offline model: checkpoint i of N gets level i * len(LEVELS) // N."""
SAMPLES = {"wmdp_bio": 100, "lab_bench_protocolqa": 100, "swe_bench": 100, "cybench": 40}
"""Samples per stand-in task: at least each indicator's ``min_samples``."""
ELICITATION = ["helpful_only", "tool_use", "scaffolding"]
INDICATORS = 20
FAMILY, MODEL = "scale", "scale-1"
ASSESS_ALL_GOAL_S = 10.0
STATEMENTS_GOAL = 100


# -- the workspace -------------------------------------------------------------------------------------------


def _policy_file(directory: Path) -> tuple[Path, dict[str, str]]:
    """The built-in anthropic-rsp-2.2 with 15 variant indicators added (20 in all), and the task name of each
    variant -> the stand-in task whose logs it reuses."""
    import yaml

    from scalegate.policy.builtin import builtin_path

    document = yaml.safe_load(builtin_path("anthropic-rsp-2.2").read_text())
    document["id"] = "anthropic-rsp-2.2-scale20"
    bases = [(t, i) for t in document["thresholds"] for i in t.get("indicators") or []]
    variants: dict[str, str] = {}
    for k in range(INDICATORS - len(bases)):
        threshold, base = bases[k % len(bases)]
        task = base["evaluation"]["task"].removeprefix("inspect_evals/")
        name = f"{task}_v{k + 1}"
        variant = {**base, "id": f"{base['id']}-v{k + 1}", "evaluation": {**base["evaluation"]}}
        variant["evaluation"]["task"] = f"inspect_evals/{name}"
        threshold["indicators"].append(variant)
        variants[name] = task
    path = directory / "anthropic-rsp-2.2-scale20.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path, variants


def _logs(variants: dict[str, str]) -> dict[float, list[Path]]:
    """Per accuracy level, one log per distinct task of the policy: real runs, written once and kept."""
    out: dict[float, list[Path]] = {}
    for level in LEVELS:
        directory = CACHE / f"acc-{level}"
        real: dict[str, Path] = {}
        for task, n in SAMPLES.items():
            target = directory / f"{task}.eval"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                from scalegate.testing.standin_tasks import run_standin

                with tempfile.TemporaryDirectory() as tmp:
                    written = run_standin(task, Path(tmp), accuracy=level, n=n, elicitation=ELICITATION)
                    shutil.copy(written, target)
            real[task] = target
        renamed = [_renamed(real[base], directory / f"{name}.eval", name) for name, base in variants.items()]
        out[level] = [*real.values(), *renamed]
    return out


def _renamed(source: Path, target: Path, task: str) -> Path:
    """A copy of a real ``.eval`` log whose header names another task (kept once written)."""
    if target.exists():
        return target
    from scalegate.evidence.container import ZipContainer

    members = []
    with zipfile.ZipFile(source) as archive, ZipContainer(source) as container:
        for info in archive.infolist():
            data = container.read(info.filename)
            if info.filename in ("header.json", "_journal/start.json"):
                doc = json.loads(data)
                doc["eval"].update(task=task, task_registry_name=task)
                data = json.dumps(doc).encode()
            members.append((info.filename, data))
    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    partial.replace(target)
    return target


def _build(url: str, size: int, policy: Path, logs: dict[float, list[Path]]) -> float:
    """A workspace with one family of ``size`` checkpoints, each with every indicator's results; seconds."""
    from scalegate.actor import Actor
    from scalegate.evidence.service import _file_source, _write
    from scalegate.registry.lookup import resolve_checkpoint
    from scalegate.registry.service import create_model, create_run, register_checkpoints
    from scalegate.registry.specs import CheckpointSpec
    from scalegate.workspace import init_workspace

    start = time.perf_counter()
    actor = Actor(name="bench", roles=frozenset({"evaluator", "rso"}))
    workspace = init_workspace(url, str(policy))
    create_model(workspace, actor, MODEL, FAMILY, "bench")
    create_run(workspace, actor, MODEL, "main", algorithmic_multiplier=1.0)
    first = workspace.now() - timedelta(hours=size + 1)
    specs = [
        (
            None,
            CheckpointSpec(
                name=f"step-{i:05d}",
                step=(i + 1) * 1000,
                training_flops=1e22 * 1000 ** (i / max(size - 1, 1)),
                recorded_at=first + timedelta(hours=i),
                run="main",
            ),
        )
        for i in range(size)
    ]
    sources = {level: [_file_source(path) for path in paths] for level, paths in logs.items()}
    for lo in range(0, size, BATCH):
        register_checkpoints(workspace, actor, MODEL, specs[lo : lo + BATCH])
        with workspace.transaction() as session:
            for i in range(lo, min(lo + BATCH, size)):
                checkpoint = resolve_checkpoint(session, f"{MODEL}@step-{i:05d}")
                for source in sources[LEVELS[i * len(LEVELS) // size]]:
                    _write(workspace, session, actor, checkpoint, source, [], {})
    workspace.close()
    return time.perf_counter() - start


# -- measurements --------------------------------------------------------------------------------------------


@contextmanager
def _counted(workspace: Any) -> Iterator[list[int]]:
    """Count the SQL statements sent to the workspace's engine inside the block (the list holds the count)."""
    from sqlalchemy import event

    box = [0]

    def count(*_: Any) -> None:
        box[0] += 1

    event.listen(workspace.engine, "before_cursor_execute", count)
    try:
        yield box
    finally:
        event.remove(workspace.engine, "before_cursor_execute", count)


@dataclass
class Figures:
    size: int
    build_s: float
    cold_s: float
    cold_sql: int
    warm_s: float
    warm_sql: int
    bare_s: float
    bare_sql: int
    all_s: float
    all_cpu_s: float
    report_s: float
    report_sql: int
    series_s: float
    series_sql: int
    evidence_each_s: float
    evidence_each_sql: int
    evidence_bulk_s: float
    evidence_bulk_sql: int


def _timed(workspace: Any, call: Callable[[], Any]) -> tuple[float, int]:
    with _counted(workspace) as box:
        start = time.perf_counter()
        call()
        elapsed = time.perf_counter() - start
    return elapsed, box[0]


def measure(url: str, size: int, build_s: float) -> Figures:
    """Every figure of one size, each on a freshly opened workspace where being cold matters."""
    from scalegate.assessment.forecast import clear_forecast_cache
    from scalegate.assessment.service import assess, assess_family
    from scalegate.reports.capability import capability_data
    from scalegate.workspace import open_workspace

    latest = f"{MODEL}@step-{size - 1:05d}"
    refs = [f"{MODEL}@step-{i:05d}" for i in range(size)]
    clear_forecast_cache()
    workspace = open_workspace(url)
    with workspace.reading() as ctx:  # validate the policy outside the figures (a long-lived process has it)
        ctx.policy  # noqa: B018
    import scipy.stats  # noqa: F401  (the forecast's t quantile: imported once per process, not measured)

    cold_s, cold_sql = _timed(workspace, lambda: assess(workspace, latest))
    warm_s, warm_sql = _timed(workspace, lambda: assess(workspace, latest))
    bare_s, bare_sql = _timed(workspace, lambda: assess(workspace, latest, with_forecasts=False))
    clear_forecast_cache()
    # Every checkpoint of the family, each with its findings, intervals, required levels, standards and
    # decisions, in one snapshot (``assess_family``: each assessment is what ``assess`` gives for it;
    # tests/assessment/test_family.py checks that). Forecasts are placed per checkpoint on request; the
    # one-checkpoint figures above include them.
    cpu = time.process_time()
    all_s, _ = _timed(workspace, lambda: assess_family(workspace, FAMILY))
    all_cpu_s = time.process_time() - cpu
    assert len(refs) == size
    clear_forecast_cache()
    report_s, report_sql = _timed(workspace, lambda: capability_data(workspace, latest))
    parts = _parts(workspace, latest)
    workspace.close()
    return Figures(
        size,
        build_s,
        cold_s,
        cold_sql,
        warm_s,
        warm_sql,
        bare_s,
        bare_sql,
        all_s,
        all_cpu_s,
        report_s,
        report_sql,
        *parts,
    )


def _parts(workspace: Any, ref: str) -> tuple[float, int, float, int, float, int]:
    """Where an assessment's statements go: the family's series read from scratch, and one checkpoint's
    evidence read one indicator at a time (``indicator_evidence``, what the assessment does today) and all at
    once (``checkpoint_evidence``)."""
    from scalegate.evidence.series import checkpoint_evidence, clear_series_cache, family_series
    from scalegate.evidence.service import indicator_evidence
    from scalegate.registry.lookup import resolve_checkpoint

    clear_series_cache()
    with workspace.read() as session:
        policy = workspace.active_in(session).policy
        checkpoint_id = resolve_checkpoint(session, ref).id
        series = _timed(workspace, lambda: family_series(session, policy, FAMILY))
        each = _timed(
            workspace,
            lambda: {
                i.id: indicator_evidence(workspace, session, checkpoint_id, i) for _, i in policy.indicators()
            },
        )
        bulk = _timed(workspace, lambda: checkpoint_evidence(session, policy, checkpoint_id))
    return (*series, *each, *bulk)


def _goal(met: bool) -> str:
    return "MET" if met else "NOT MET"


def report(figures: list[Figures]) -> None:
    print(f"policy: anthropic-rsp-2.2 + variants, {INDICATORS} indicators; one family; batches of {BATCH}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end of the run")
    for f in figures:
        print(f"-- N = {f.size:,} checkpoints (workspace built in {f.build_s:.1f} s)")
        print(f"one assess, cold (series read, fitted)  {f.cold_s * 1000:9.1f} ms  {f.cold_sql:6d} SQL")
        print(f"one assess, warm (kept under audit root)  {f.warm_s * 1000:9.1f} ms  {f.warm_sql:6d} SQL")
        print(f"one assess without forecasts             {f.bare_s * 1000:9.1f} ms  {f.bare_sql:6d} SQL")
        print(
            f"assess all {f.size:,} checkpoints              {f.all_s:9.2f} s   "
            f"({f.all_s / f.size * 1000:.1f} ms each; this process's CPU {f.all_cpu_s:.2f} s)"
        )
        print(f"Capability Report data                   {f.report_s * 1000:9.1f} ms  {f.report_sql:6d} SQL")
        print(f"  family series, nothing kept            {f.series_s * 1000:9.1f} ms  {f.series_sql:6d} SQL")
        print(
            f"  one checkpoint's evidence, per indicator {f.evidence_each_s * 1000:7.1f} ms  "
            f"{f.evidence_each_sql:6d} SQL  (indicator_evidence x {INDICATORS})"
        )
        print(
            f"  one checkpoint's evidence, at once     {f.evidence_bulk_s * 1000:9.1f} ms  "
            f"{f.evidence_bulk_sql:6d} SQL  (checkpoint_evidence)"
        )
    if len(figures) > 1:
        a, b = figures[0], figures[-1]
        growth = b.size / a.size
        print(f"-- growth from N = {a.size:,} to N = {b.size:,} ({growth:.0f}x checkpoints)")
        print(
            f"one assess SQL, cold / warm: {b.cold_sql / a.cold_sql:.2f}x / {b.warm_sql / a.warm_sql:.2f}x;  "
            f"Capability Report SQL: {b.report_sql / a.report_sql:.2f}x;  "
            f"assess all time: {b.all_s / a.all_s:.1f}x"
        )
    largest = figures[-1]
    worst_sql = max(max(f.cold_sql, f.warm_sql) for f in figures)
    worst_report = max(f.report_sql for f in figures)
    print(
        f"goal: assess all {largest.size:,} x {INDICATORS} indicators <= {ASSESS_ALL_GOAL_S:.0f} s: "
        f"{largest.all_s:.2f} s  {_goal(largest.all_s <= ASSESS_ALL_GOAL_S)}"
        + ("" if largest.size >= 1000 else "  (measured below 1,000 checkpoints)")
    )
    print(
        f"goal: one assess <= {STATEMENTS_GOAL} SQL at every N: worst {worst_sql}  "
        f"{_goal(worst_sql <= STATEMENTS_GOAL)}"
    )
    print(
        f"goal: Capability Report <= {STATEMENTS_GOAL} SQL at every N: worst {worst_report}  "
        f"{_goal(worst_report <= STATEMENTS_GOAL)}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        policy, variants = _policy_file(directory)
        logs = _logs(variants)
        figures = []
        for size in SIZES:
            url = f"sqlite:///{directory / f'scale-{size}.db'}"
            build_s = _build(url, size, policy, logs)
            figures.append(measure(url, size, build_s))
            print(f"   (N = {size:,} measured)", flush=True)
        report(figures)
        from bench import _dashboard  # imported here: it imports this module

        _dashboard.run(directory, policy, logs)


if __name__ == "__main__":
    main()
