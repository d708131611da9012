"""Stand-in Inspect tasks shaped like the public evals the built-in policies bind to, with synthetic data.

The real ``inspect_evals`` tasks (WMDP, LAB-Bench, Cybench, SWE-bench, MLE-bench) download their data or need
Docker at run time, which a demo or an offline test cannot. These tasks carry the same registry names and
metric shapes (multiple choice scored with ``accuracy``; SWE-bench-like exact answers scored with ``mean``),
with generated questions, so the real Inspect runs them end to end on scalegate's offline test model
(``scalegate/acc-P``). They demonstrate the pipeline; they measure nothing about any real model.

Run one with ``inspect eval src/scalegate/testing/standin_tasks.py@wmdp_bio --model scalegate/acc-0.74``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import Score, Target, accuracy, choice, mean, scorer, stderr
from inspect_ai.solver import TaskState, generate, multiple_choice

__all__ = ["STANDIN_FILE", "run_standin"]

STANDIN_FILE = Path(__file__)
"""This file, for ``inspect_ai.eval(f"{STANDIN_FILE}@wmdp_bio", ...)``."""


def _mcq(name: str, n: int, topics: list[str]) -> Task:
    samples = [
        Sample(
            id=f"{name}-{i:04d}",
            input=f"[{topics[i % len(topics)]}] Which option answers item {i}?",
            choices=["w", "x", "y", "z"],
            target="ABCD"[(i * 7) % 4],
            metadata={"topic": topics[i % len(topics)]},
        )
        for i in range(n)
    ]
    dataset = MemoryDataset(samples, name=f"{name}-standin", location=f"scalegate://standin/{name}")
    return Task(dataset=dataset, solver=multiple_choice(), scorer=choice(), version="standin-1")


@task
def wmdp_bio(n: int = 200) -> Task:
    """WMDP-Bio-shaped four-choice questions (synthetic)."""
    return _mcq("wmdp_bio", n, ["virology", "genetics", "pathogens"])


@task
def wmdp_chem(n: int = 200) -> Task:
    """WMDP-Chem-shaped four-choice questions (synthetic)."""
    return _mcq("wmdp_chem", n, ["synthesis", "toxicology"])


@task
def wmdp_cyber(n: int = 200) -> Task:
    """WMDP-Cyber-shaped four-choice questions (synthetic)."""
    return _mcq("wmdp_cyber", n, ["exploitation", "network", "malware"])


@task
def lab_bench_protocolqa(n: int = 120) -> Task:
    """LAB-Bench ProtocolQA-shaped questions (synthetic)."""
    return _mcq("lab_bench_protocolqa", n, ["protocol"])


@task
def lab_bench_cloning_scenarios(n: int = 40) -> Task:
    """LAB-Bench CloningScenarios-shaped questions (synthetic)."""
    return _mcq("lab_bench_cloning_scenarios", n, ["cloning"])


@task
def cybench(n: int = 40) -> Task:
    """Cybench-shaped capture-the-flag outcomes as questions (synthetic)."""
    return _mcq("cybench", n, ["ctf"])


@scorer(metrics=[accuracy(), stderr()])
def any_medal() -> Any:
    """MLE-bench's scorer name: correct (a medal) when the chosen option is the target."""
    graded = choice()

    async def score(state: TaskState, target: Target) -> Score | None:
        result: Score | None = await graded(state, target)
        return result

    return score


@task
def mle_bench(n: int = 40) -> Task:
    """MLE-bench-shaped medal outcomes as questions (synthetic), scored by `any_medal`."""
    task_ = _mcq("mle_bench", n, ["kaggle"])
    task_.scorer = [any_medal()]
    return task_


@scorer(metrics=[mean(), stderr()])
def resolved() -> Any:
    """1 when the answer resolves the issue (matches the target exactly), else 0: SWE-bench's `mean`."""

    async def score(state: TaskState, target: Target) -> Score:
        answer = state.output.completion.strip()
        return Score(value=1.0 if answer == target.text else 0.0, answer=answer)

    return score


@task
def swe_bench(n: int = 120) -> Task:
    """SWE-bench-shaped tasks: an exact patch id resolves the issue (synthetic)."""
    samples = [
        Sample(id=f"swe-{i:04d}", input=f"Fix issue {i}; reply with the patch id.", target=f"patch-{i}")
        for i in range(n)
    ]
    dataset = MemoryDataset(samples, name="swe_bench-standin", location="scalegate://standin/swe_bench")
    return Task(dataset=dataset, solver=generate(), scorer=resolved(), version="standin-1")


def run_standin(
    task_name: str,
    log_dir: Path,
    *,
    accuracy: float,
    n: int,
    elicitation: list[str] | None = None,
    seed: int = 0,
) -> Path:
    """Run one stand-in task on ``scalegate/acc-<accuracy>`` and return the log file written."""
    from inspect_ai import eval as inspect_eval

    [log] = inspect_eval(
        [f"{STANDIN_FILE}@{task_name}"],
        task_args={"n": n},
        model=f"scalegate/acc-{accuracy}",
        model_args={"seed": seed},
        log_dir=str(log_dir),
        display="none",
        metadata={"elicitation": elicitation or []},
    )
    if log.status != "success":
        raise RuntimeError(f"stand-in task {task_name} ended with status {log.status}")
    return Path(log.location)
