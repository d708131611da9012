"""bench/cli: whole-process start-up of the CLI against `python -c pass`, measured in the same run, as ratios.

Every command pays for what it imports before it does any work, so these are timed as fresh processes, each
the median of N runs: the baseline interpreter start (`python -c pass`), `scalegate --help`, and the read
command `scalegate policy list --json` (goal for both: <= 5x the baseline). For comparison, without a goal,
the same read as a table (Typer and Rich load) and `scalegate audit log --json` on a small workspace (the
workspace, the policy model and SQLAlchemy load).

Run: ``python -m bench cli`` (``BENCH_CLI_RUNS``, default 15).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_CLI_RUNS", "15"))
GOAL = 5.0


def _time(cmd: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        samples.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return statistics.median(samples)


def _workspace(directory: Path) -> str:
    """A small workspace: the default policy and an administrator who may read the audit log."""
    from scalegate.actor import Actor
    from scalegate.governance.users import add_user
    from scalegate.store.engine import default_url
    from scalegate.workspace import init_workspace

    url = default_url(directory)
    workspace = init_workspace(url, mode="demo")  # a throwaway: SCALEGATE_USER acts without a credential
    add_user(workspace, Actor(name="bench"), "ada", roles=["rso"], admin=True)
    workspace.close()
    return url


def main() -> None:
    scalegate = str(Path(sys.executable).parent / "scalegate")
    with tempfile.TemporaryDirectory() as tmp:
        url = _workspace(Path(tmp))
        env = {**os.environ, "SCALEGATE_DATABASE_URL": url, "SCALEGATE_USER": "ada", "COLUMNS": "150"}
        cases = [
            ("python -c pass", [sys.executable, "-c", "pass"], None),
            ("scalegate --help", [scalegate, "--help"], GOAL),
            ("scalegate policy list --json", [scalegate, "policy", "list", "--json"], GOAL),
            ("scalegate policy list", [scalegate, "policy", "list"], None),
            ("scalegate audit log --json", [scalegate, "audit", "log", "--json"], None),
        ]
        for _, cmd, _goal in cases:
            subprocess.run(cmd, env=env, capture_output=True, check=False)  # warm the file cache
        times = {name: _time(cmd, env, RUNS) for name, cmd, _goal in cases}
    load = os.getloadavg()[0]
    baseline = times["python -c pass"]
    print(f"{RUNS} fresh processes each, median wall time; load average {load:.2f} on {os.cpu_count()} cores")
    for name, _cmd, goal in cases:
        ratio = times[name] / baseline
        verdict = "" if goal is None else f"  goal <= {goal:.0f}x  {'MET' if ratio <= goal else 'NOT MET'}"
        label = "(baseline)" if name == "python -c pass" else f"ratio {ratio:6.2f}x"
        print(f"{name:<30} median {times[name] * 1000:7.1f} ms  {label}{verdict}")


if __name__ == "__main__":
    main()
