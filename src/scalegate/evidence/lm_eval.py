"""Reading EleutherAI lm-evaluation-harness (0.4) results files, and their per-sample files when present.

A results file (``results_<timestamp>.json``) holds, per task, metrics keyed ``"<metric>,<filter>"`` with
standard errors keyed ``"<metric>_stderr,<filter>"`` (the string ``"N/A"`` when lm-eval did not compute one),
plus ``versions``, ``n-samples``, ``higher_is_better``, ``configs``, ``config`` and, for groups, ``groups``.
With ``--log_samples`` lm-eval also writes ``samples_<task>_<timestamp>.jsonl`` next to it: one line per
document and filter, each metric as a key. When such a file sits beside the results file, its per-sample
scores are read (and stored with the evidence) so intervals can be computed from the samples; a metric whose
per-sample mean does not reproduce the reported value (a corpus-level metric such as BLEU or F1) keeps the
reported standard error.

Each task of the file becomes one ``ParsedResult``; each (metric, filter) pair one ``ScorerScores`` whose
scorer name is the filter (``none`` by default).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from scalegate.errors import EvidenceError
from scalegate.evidence.parsed import ParsedResult, ScorerScores, check_finite, file_int
from scalegate.inputs import check_int, load_json
from scalegate.jsonable import JsonObject

__all__ = ["is_lm_eval_results", "is_lm_eval_samples", "read_lm_eval_results"]

_TIMESTAMP = re.compile(
    r"^(?:results_(?P<any>.+)|(?:.+_)?(?P<ts>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(?:\.\d+)?))\.json$"
)
"""``results_<timestamp>.json``, or ``<name>_<timestamp>.json`` when lm-eval was given ``--output_path
<name>.json``: the samples files beside either are ``samples_<task>_<timestamp>.jsonl``."""
_SKIP_KEYS = frozenset({"alias", "name", "sample_len", "samples", " "})


def is_lm_eval_results(document: Any) -> bool:
    """Whether a parsed JSON document looks like an lm-eval results file."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("results"), dict)
        and (
            "versions" in document or "n-samples" in document or "config" in document or "configs" in document
        )
    )


def is_lm_eval_samples(first_line: bytes) -> bool:
    """Whether a JSONL file's first line looks like an lm-eval sample record."""
    try:
        record = load_json(first_line)
    except (ValueError, UnicodeDecodeError):
        return False
    return (
        isinstance(record, dict) and "doc_id" in record and ("filtered_resps" in record or "resps" in record)
    )


def read_lm_eval_results(path: Path, document: dict[str, Any]) -> list[ParsedResult]:
    """One ``ParsedResult`` per task of a results file (already parsed as ``document``)."""
    try:
        results = document["results"]
        if not results:
            raise ValueError("`results` is empty")
        return [
            _task(path, document, task, _mapping(entry, f"results.{task}")) for task, entry in results.items()
        ]
    except EvidenceError:
        raise
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        message = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise EvidenceError(message, where=str(path)) from exc


def _task(path: Path, document: dict[str, Any], task: str, entry: dict[str, Any]) -> ParsedResult:
    scorers = _scorers(task, entry)
    n_info = _mapping(document.get("n-samples", {}).get(task) or {}, f"n-samples.{task}")
    effective = n_info.get("effective")
    if effective is None:
        effective = _group_size(document, task)
    if effective is not None:
        effective = check_int(file_int(effective), f"n-samples.{task}.effective")
    for scorer in scorers:
        scorer.reported_n = effective
    attachments: dict[str, bytes] = {}
    samples_file = _samples_file(path, task)
    if samples_file is not None:
        data = samples_file.read_bytes()
        attachments[samples_file.name] = data
        _attach_samples(scorers, data, samples_file)
    config = document.get("configs", {}).get(task) or {}
    version = document.get("versions", {}).get(task)
    return ParsedResult(
        harness="lm_eval",
        format="lm_eval_results",
        task=task,
        task_version=None if version is None else str(version),
        model=_model_name(document),
        run_id=str(document.get("date") or document.get("start_time") or ""),
        status="success",
        epochs=1,
        scorers=scorers,
        counts={
            "samples": _sample_count(scorers, effective),
            "errors": 0,
            "limits": 0,
            "refusals": 0,
            "limit_kinds": {},
        },
        elicitation=[],
        info=_info(document, task, config, n_info, samples_file),
        attachments=attachments,
    )


def _scorers(task: str, entry: dict[str, Any]) -> list[ScorerScores]:
    values: dict[tuple[str, str], float | None] = {}
    stderrs: dict[tuple[str, str], float | None] = {}
    for key, raw in entry.items():
        if key in _SKIP_KEYS or not isinstance(key, str):
            continue
        metric, _, filter_name = key.partition(",")
        filter_name = filter_name or "none"
        if metric.endswith("_stderr"):
            stderrs[(metric.removesuffix("_stderr"), filter_name)] = _stderr(raw, f"results.{task}.{key}")
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            values[(metric, filter_name)] = check_finite(float(raw), f"results.{task}.{key}")
        elif isinstance(raw, str) and raw.strip().lower() in ("nan", "inf", "-inf", "infinity"):
            raise ValueError(f"results.{task}.{key} is {raw}")
    if not values:
        raise ValueError(f"results.{task} has no numeric metrics")
    return [
        ScorerScores(
            name=f"{metric},{filter_name}",
            scorer=filter_name,
            metrics={metric: value, f"{metric}_stderr": stderrs.get((metric, filter_name))},
        )
        for (metric, filter_name), value in values.items()
    ]


def _stderr(raw: Any, where: str) -> float | None:
    if raw is None or isinstance(raw, str):
        return None  # "N/A": lm-eval computed none (e.g. one sample, or a group)
    if not isinstance(raw, int | float) or not math.isfinite(raw):
        return None
    return float(raw)


def _samples_file(path: Path, task: str) -> Path | None:
    match = _TIMESTAMP.match(path.name)
    if not match:
        return None
    candidate = path.parent / f"samples_{task}_{match.group('any') or match.group('ts')}.jsonl"
    return candidate if candidate.is_file() else None


def _attach_samples(scorers: list[ScorerScores], data: bytes, source: Path) -> None:
    """Read per-sample scores of each (metric, filter) from a samples JSONL file."""
    wanted = {(s.name.split(",", 1)[0], s.scorer): s for s in scorers}
    per: dict[tuple[str, str], dict[str, float]] = {key: {} for key in wanted}
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = load_json(line)
            doc_id = str(record["doc_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise EvidenceError(
                f"line {number} is not an lm-eval sample record ({exc})", where=str(source)
            ) from exc
        filter_name = str(record.get("filter") or "none")
        for (metric, flt), scores in per.items():
            if flt == filter_name and metric in record:
                value = _sample_value(record[metric])
                if value is not None:
                    scores[doc_id] = check_finite(value, f"{source.name} line {number} {metric}")
    for key, scores in per.items():
        scorer = wanted[key]
        if scores:
            scorer.sample_ids = list(scores)
            scorer.values = [[v] for v in scores.values()]
            if scorer.match_sample_metric((key[0],)) is None:
                scorer.sample_ids, scorer.values = [], []


def _group_size(document: dict[str, Any], task: str, depth: int = 0) -> int | None:
    """A group's sample count: the sum over its subtasks (lm-eval reports none for groups)."""
    subtasks = (document.get("group_subtasks") or {}).get(task) or []
    if not subtasks or depth > 10:
        return None
    sizes = []
    for subtask in subtasks:
        info = (document.get("n-samples") or {}).get(subtask) or {}
        size = info.get("effective") if isinstance(info, dict) else None
        sizes.append(size if size is not None else _group_size(document, subtask, depth + 1))
    return None if any(size is None for size in sizes) else int(sum(sizes))  # type: ignore[arg-type]


def _sample_value(value: Any) -> float | None:
    if isinstance(value, bool | int | float):
        return float(value)
    return None


def _sample_count(scorers: list[ScorerScores], effective: Any) -> int:
    if effective is not None:
        return int(effective)
    return max((s.n_samples for s in scorers), default=0)


def _model_name(document: dict[str, Any]) -> str:
    if document.get("model_name"):
        return str(document["model_name"])
    config = document.get("config") or {}
    args = config.get("model_args")
    if isinstance(args, str):
        for part in args.split(","):
            key, _, value = part.partition("=")
            if key.strip() in ("pretrained", "model", "engine") and value:
                return value.strip()
    if isinstance(args, dict) and args.get("pretrained"):
        return str(args["pretrained"])
    if config.get("model"):
        return str(config["model"])
    raise ValueError("no model name (`model_name` or `config.model_args`)")


def _info(
    document: dict[str, Any],
    task: str,
    config: dict[str, Any],
    n_info: dict[str, Any],
    samples_file: Path | None,
) -> JsonObject:
    """What a task's record keeps of the results file (``ParsedResult.info``): keys as lm-eval names them,
    values as the file gives them."""
    dataset_kwargs = config.get("dataset_kwargs") if isinstance(config.get("dataset_kwargs"), dict) else {}
    return {
        "dataset": {
            "name": config.get("dataset_name") or config.get("dataset_path"),
            "location": config.get("dataset_path"),
            "revision": (dataset_kwargs or {}).get("revision"),
            "split": config.get("test_split"),
            "samples": n_info.get("original"),
        },
        "config": {
            "num_fewshot": (document.get("n-shot") or {}).get(task, config.get("num_fewshot")),
            "output_type": config.get("output_type"),
            "repeats": config.get("repeats"),
            "limit": (document.get("config") or {}).get("limit"),
            "generation_kwargs": config.get("generation_kwargs"),
        },
        "run_config": document.get("config") or {},
        "higher_is_better": (document.get("higher_is_better") or {}).get(task) or {},
        "group_subtasks": (document.get("group_subtasks") or {}).get(task),
        "is_group": task in (document.get("groups") or {}),
        "revision": document.get("git_hash"),
        "packages": {
            k: str(v)
            for k, v in (
                ("lm_eval", document.get("lm_eval_version")),
                ("transformers", document.get("transformers_version")),
            )
            if v
        },
        "task_hash": (document.get("task_hashes") or {}).get(task),
        "date": document.get("date"),
        "total_evaluation_time_seconds": document.get("total_evaluation_time_seconds"),
        "samples_file": samples_file.name if samples_file else None,
        "notes": [] if samples_file else [_NO_SAMPLES],
    }


_NO_SAMPLES = (
    "no samples_<task>_<timestamp>.jsonl beside the results file (run lm-eval with --log_samples): "
    "the interval comes from the reported standard error"
)


def _mapping(value: Any, where: str) -> JsonObject:
    if not isinstance(value, dict):
        raise ValueError(f"{where} is not an object")
    return value
