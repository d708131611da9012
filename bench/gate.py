"""bench/gate: wall time of `scalegate gate` against `python -c pass`, measured in the same run, as a ratio.

Pipelines call the gate on every evaluation step, so its start-up matters. Three measurements, each the median
of N fresh processes: the baseline interpreter start (`python -c pass`), the gate answering from its verdict
cache (the common case: nothing changed since the last call), and the gate deciding from scratch (cache
invalidated by a state change). Goal: cached gate <= 3x the baseline.

A fourth line isolates the check of the rows a verdict relies on against the audit log
(``scalegate.gate.relied``): fresh in-process evaluations with the check and with it replaced by a no-op,
interleaved in the same run, as a ratio.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_GATE_RUNS", "21"))
GOAL = 3.0


def _time(cmd: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _workspace(directory: Path) -> str:
    """A demo-like workspace: the default policy, a model family with checkpoints (no evaluations needed)."""
    from scalegate.actor import Actor
    from scalegate.store.engine import default_url
    from scalegate.testing.demo_data import seed_demo_family
    from scalegate.workspace import init_workspace

    url = default_url(directory)
    workspace = init_workspace(url)
    seed_demo_family(workspace, Actor(name="bench", roles=frozenset({"rso"})))
    workspace.close()
    return url


def main() -> None:
    scalegate = str(Path(sys.executable).parent / "scalegate")
    with tempfile.TemporaryDirectory() as tmp:
        url = _workspace(Path(tmp))
        env = {**os.environ, "SCALEGATE_DATABASE_URL": url}
        gate = [scalegate, "gate", "aurora-1", "--action", "continue-training"]
        subprocess.run(gate, env=env, capture_output=True, check=False)  # fill the cache
        baseline = _time([sys.executable, "-c", "pass"], env, RUNS)
        cached = _time(gate, env, RUNS)
        # Deciding from scratch: drop the cache before each run.
        import sqlite3

        db = url.removeprefix("sqlite:///")
        cold_samples = []
        for _ in range(max(3, RUNS // 3)):
            with sqlite3.connect(db) as conn:
                conn.execute("DELETE FROM gate_verdicts")
            cold_samples.append(_time(gate, env, 1))
        cold = statistics.median(cold_samples)
        checked, unchecked, rows = _relied_check_cost(url)
    ratio = cached / baseline
    print(f"python -c pass          median {baseline * 1000:7.1f} ms  (baseline, {RUNS} runs)")
    print(
        f"scalegate gate (cached) median {cached * 1000:7.1f} ms  ratio {ratio:5.2f}x  goal <= {GOAL:.0f}x  "
        f"{'MET' if ratio <= GOAL else 'NOT MET'}"
    )
    print(
        f"scalegate gate (cold)   median {cold * 1000:7.1f} ms  ratio {cold / baseline:5.2f}x  (full engine)"
    )
    print(
        f"relied-row check        median {checked * 1000:7.1f} ms  ratio {checked / unchecked:5.2f}x  "
        f"(fresh in-process evaluation with / without it, {rows} rows checked)"
    )


def _relied_check_cost(url: str) -> tuple[float, float, int]:
    """Median in-process ``evaluate_actions`` with the relied-row check and with a no-op in its place, and the
    number of rows the check reads."""
    import scalegate.gate.service as service
    from scalegate.gate.relied import RowCheck
    from scalegate.workspace import open_workspace

    real = getattr(service, "check_relied_rows")  # noqa: B009  (the name the service calls)
    workspace = open_workspace(url)
    seen: list[int] = []

    def counted(*args: object) -> RowCheck:
        result: RowCheck = real(*args)
        seen.append(result.rows)
        return result

    def skipped(*_: object) -> RowCheck:
        return RowCheck([], 0, False)

    samples: dict[str, list[float]] = {"on": [], "off": []}
    try:
        service.evaluate_actions(workspace, "aurora-1")  # warm: policy, series
        for _ in range(RUNS):
            for name, check in (("on", counted), ("off", skipped)):
                setattr(service, "check_relied_rows", check)  # noqa: B010  (swapped for the baseline)
                start = time.perf_counter()
                service.evaluate_actions(workspace, "aurora-1")
                samples[name].append(time.perf_counter() - start)
    finally:
        setattr(service, "check_relied_rows", real)  # noqa: B010
        workspace.close()
    return statistics.median(samples["on"]), statistics.median(samples["off"]), max(seen, default=0)


if __name__ == "__main__":
    main()
