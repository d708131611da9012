"""bench/gate: wall time of `scalegate gate` against `python -c pass`, measured in the same run, as a ratio.

Pipelines call the gate on every evaluation step, so its start-up matters. Three measurements, each the median
of N fresh processes: the baseline interpreter start (`python -c pass`), the gate answering from its verdict
cache (the common case: nothing changed since the last call), and the gate deciding from scratch (cache
invalidated by a state change). Goal: cached gate <= 3x the baseline.
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
    ratio = cached / baseline
    print(f"python -c pass          median {baseline * 1000:7.1f} ms  (baseline, {RUNS} runs)")
    print(
        f"scalegate gate (cached) median {cached * 1000:7.1f} ms  ratio {ratio:5.2f}x  goal <= {GOAL:.0f}x  "
        f"{'MET' if ratio <= GOAL else 'NOT MET'}"
    )
    print(
        f"scalegate gate (cold)   median {cold * 1000:7.1f} ms  ratio {cold / baseline:5.2f}x  (full engine)"
    )


if __name__ == "__main__":
    main()
