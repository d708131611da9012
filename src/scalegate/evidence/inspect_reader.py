"""Reading Inspect logs (``.eval`` and ``.json``) into ``ParsedResult`` without paying for ``inspect_ai``.

inspect_ai's own reader defines what is correct (the tests compare the two on every fixture), but importing it
costs about two seconds and a full read parses every transcript. For the log-format version it knows
(``version: 2``, results under ``results.scores``), this reader takes ``header.json``, ``summaries.json``
(streamed one summary at a time) and ``reductions.json`` straight from the zip, deflate or zstd members alike.
A log it does not know (another format version, the pre-``scores`` results layout, an unfinished log with no
header) goes through inspect_ai's public API instead — ``read_eval_log(header_only=True)`` and
``read_eval_log_sample_summaries`` — and the same normalisation.

Scores become floats as Inspect's ``value_to_float`` does (``C`` 1, ``P`` 0.5, ``I``/``N`` 0, yes/true 1,
no/false 0, numeric strings, anything else 0); dict- and list-valued scores are not per-sample numbers and are
skipped. A sample counts as a refusal when a scorer gave it ``N`` (Inspect's "no answer") or marked
``metadata.refusal``, unless it errored or hit a limit (it is counted there instead).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from scalegate.errors import EvidenceError
from scalegate.evidence.container import ContainerError, ZipContainer, is_zip
from scalegate.evidence.log_shape import check_header, check_summary
from scalegate.evidence.parsed import (
    DISPERSION_METRICS,
    ParsedResult,
    SampleCounts,
    ScorerScores,
    check_finite,
    file_int,
)
from scalegate.evidence.types import LogFormat
from scalegate.extras import requires_extra
from scalegate.inputs import check_int, uncollected
from scalegate.inputs import load_json as load_bounded_json
from scalegate.jsonable import JsonObject, JsonValue

__all__ = [
    "KNOWN_VERSIONS",
    "UnknownLog",
    "load_json",
    "normalise_elicitation",
    "normalise_log",
    "read_inspect_json",
    "read_inspect_log",
    "score_to_float",
]

KNOWN_VERSIONS = frozenset({2})
"""Log-format versions (``EvalLog.version``) this reader reads itself."""

SCORER_PLACEHOLDER = "88F74D2C"
"""Key some old logs used for the first scorer's sample scores (inspect_ai renames it on read)."""

HEADER, SUMMARIES, REDUCTIONS, START = (
    "header.json",
    "summaries.json",
    "reductions.json",
    "_journal/start.json",
)


class UnknownLog(Exception):
    """A log this reader does not know how to read itself; inspect_ai's reader is asked instead."""


def read_inspect_log(path: Path, head: bytes | None = None) -> ParsedResult:
    """Read an Inspect log; ``EvidenceError`` (naming the file) if it cannot be read."""
    if head is None:
        with path.open("rb") as f:
            head = f.read(8)
    fmt: LogFormat = "inspect_eval" if is_zip(head) else "inspect_json"
    try:
        try:
            with uncollected():  # tens of thousands of summaries, none of them cyclic
                return _read_eval(path) if fmt == "inspect_eval" else _read_json(path)
        except UnknownLog as exc:
            return _read_with_inspect(path, fmt, str(exc))
    except EvidenceError:
        raise
    except (ContainerError, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise EvidenceError(_describe(exc), where=str(path)) from exc


def _read_eval(path: Path) -> ParsedResult:
    with ZipContainer(path) as zip:
        if not zip.has(HEADER):
            if zip.has(START):
                raise UnknownLog("unfinished log (no header.json)")
            raise ValueError("not an Inspect log: the archive has no header.json")
        header = zip.read_json(HEADER)
        _check_known(header)
        check_header(header)
        reductions = zip.read_json(REDUCTIONS) if zip.has(REDUCTIONS) else None
        summaries: Iterable[dict[str, Any]] = zip.iter_json_array(SUMMARIES) if zip.has(SUMMARIES) else []
        return normalise_log(header, summaries, reductions, "inspect_eval")


def read_inspect_json(path: Path, document: Any) -> ParsedResult:
    """Read an Inspect ``.json`` log already parsed as ``document``."""
    try:
        try:
            return _read_json(path, document)
        except UnknownLog as exc:
            return _read_with_inspect(path, "inspect_json", str(exc))
    except EvidenceError:
        raise
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise EvidenceError(_describe(exc), where=str(path)) from exc


def load_json(path: Path) -> Any:
    """A JSON file parsed within ``scalegate.inputs``' bounds, with a ``ValueError`` saying where it is not
    JSON, not UTF-8, nested too deep or holds an integer out of range."""
    return load_bounded_json(path.read_bytes())


def _read_json(path: Path, document: Any = None) -> ParsedResult:
    if document is None:
        document = load_json(path)
    if not isinstance(document, dict) or "eval" not in document:
        raise ValueError("not an Inspect log: no `eval` section")
    _check_known(document)
    check_header(document)
    samples = document.get("samples") or []
    return normalise_log(document, samples, document.get("reductions"), "inspect_json")


def _check_known(header: Any) -> None:
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    version = header.get("version")
    if version not in KNOWN_VERSIONS:
        raise UnknownLog(f"log format version {version!r}")
    results = header.get("results")
    if isinstance(results, dict) and "scores" not in results and "scorer" in results:
        raise UnknownLog("results in the pre-`scores` layout")


def _read_with_inspect(path: Path, fmt: LogFormat, reason: str) -> ParsedResult:
    """Read a log scalegate does not know through inspect_ai's public API (imported only here)."""
    with requires_extra("inspect", f"reading {path.name} ({reason})"):
        from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries
    try:
        log = read_eval_log(str(path), header_only=True)
        summaries = read_eval_log_sample_summaries(str(path))
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvidenceError(f"{reason}, and inspect_ai cannot read it: {message}", where=str(path)) from exc
    header = log.model_dump(mode="json", exclude={"samples", "reductions"})
    reductions = [r.model_dump(mode="json") for r in log.reductions] if log.reductions else None
    docs = (s.model_dump(mode="json") for s in summaries)
    parsed = normalise_log(header, docs, reductions, fmt)
    parsed.info["read_by"] = f"inspect_ai ({reason})"
    return parsed


# -- normalisation -------------------------------------------------------------------------------------------


def normalise_log(
    header: dict[str, Any], samples: Iterable[dict[str, Any]], reductions: Any, fmt: LogFormat
) -> ParsedResult:
    """Turn a log header, its sample summaries (or full samples) and reductions into a ``ParsedResult``."""
    spec = _mapping(header.get("eval"), "eval")
    config = _mapping(spec.get("config") or {}, "eval.config")
    results = header.get("results")
    scorers = _scorers(_mapping(results, "results")) if results is not None else []
    table = _SampleTable.collect(samples, scorers[0].name if scorers else None, full=fmt == "inspect_json")
    reduced = _reductions(reductions)
    notes: list[str] = []
    for scorer in scorers:
        table.fill(scorer, reduced.get(scorer.name))
        notes += _check_mean(scorer)
    parsed = ParsedResult(
        harness="inspect",
        format=fmt,
        task=str(spec.get("task_registry_name") or _required(spec, "task", "eval")),
        task_version=str(spec.get("task_version", 0)),
        model=str(_required(spec, "model", "eval")),
        run_id=str(spec.get("run_id") or spec.get("eval_id") or ""),
        status=str(_required(header, "status", "log")),
        epochs=check_int(file_int(config.get("epochs") or 1), "eval.config.epochs"),
        scorers=scorers,
        counts=table.counts(),
        elicitation=_elicitation(header, spec),
        info=_clean(_info(header, spec, config, results)),
    )
    parsed.info["notes"] = notes
    return parsed


MEAN_METRICS = ("accuracy", "mean")
"""Inspect metrics that are the mean of per-sample scores (after the epoch reducer)."""


def _check_mean(scorer: ScorerScores) -> list[str]:
    if not scorer.has_samples or scorer.match_sample_metric(MEAN_METRICS):
        return []
    named = [m for m in MEAN_METRICS if scorer.metrics.get(m) is not None]
    if not named:
        return []
    values = scorer.per_sample()
    return [
        f"scorer {scorer.name}: per-sample mean {sum(values) / len(values):.6g} differs from reported "
        f"{named[0]} {scorer.metrics[named[0]]:.6g}; intervals use the reported standard error"
    ]


_LETTER_SCORES = {"C": 1.0, "P": 0.5, "I": 0.0, "N": 0.0}
"""Inspect's letter grades: correct, partial, incorrect, no answer."""


def score_to_float(value: Any) -> float | None:
    """A score value as Inspect's default ``value_to_float`` maps it; None for dict and list values."""
    kind = type(value)  # the common cases first: this runs for every sample of every scorer
    if kind is str:
        letter = _LETTER_SCORES.get(value)
        if letter is not None:
            return letter
    elif kind is float or kind is int:
        return float(value)
    if value is None or isinstance(value, dict | list):
        return None
    if value == "C":
        return 1.0
    if value == "P":
        return 0.5
    if value == "I" or value == "N":
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("yes", "true"):
            return 1.0
        if lowered in ("no", "false"):
            return 0.0
        try:
            number = float(lowered)
        except ValueError:
            return 0.0
        return number if math.isfinite(number) else 0.0
    return 0.0


def _scorers(results: dict[str, Any]) -> list[ScorerScores]:
    scores = results.get("scores")
    if not isinstance(scores, list):
        raise ValueError("results.scores is missing or not a list")
    out: list[ScorerScores] = []
    for i, score in enumerate(scores):
        where = f"results.scores[{i}]"
        score = _mapping(score, where)
        metrics: dict[str, float | None] = {}
        for key, metric in _mapping(score.get("metrics") or {}, f"{where}.metrics").items():
            value = _mapping(metric, f"{where}.metrics.{key}").get("value")
            metrics[key] = _metric_value(value, f"{where}.metrics.{key}", key)
        out.append(
            ScorerScores(
                name=str(_required(score, "name", where)),
                scorer=str(score.get("scorer") or score["name"]),
                reducer=reducer if isinstance(reducer := score.get("reducer"), str) else None,
                metrics=metrics,
                reported_n=None if (n := score.get("scored_samples")) is None else file_int(n),
            )
        )
    return out


def _metric_value(value: Any, where: str, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = float(value)  # NaN and Infinity may arrive as strings
    if not isinstance(value, int | float):
        raise ValueError(f"{where} is not a number")
    if not math.isfinite(value) and name in DISPERSION_METRICS:
        return None
    return check_finite(float(value), f"metric {where}")


@dataclass
class _Row:
    error: bool
    limit: str | None
    refusal: bool
    scores: dict[str, float]


class _SampleTable:
    """Per (sample, epoch) rows, the last row of a key winning as in inspect_ai's readers."""

    def __init__(self, rows: dict[tuple[str, int], _Row]) -> None:
        self.rows = rows

    @classmethod
    def collect(
        cls, samples: Iterable[JsonObject], first_scorer: str | None, *, full: bool = False
    ) -> _SampleTable:
        # A large log has tens of thousands of summaries: the messages naming a bad one are built only when
        # one is bad (here and in ``_row``), not for every sample.
        rows: dict[tuple[str, int], _Row] = {}
        for i, sample in enumerate(_iterate(samples)):
            check_summary(sample, i, full=full)
            sample_id, epoch = sample.get("id"), sample.get("epoch")
            if sample_id is None or epoch is None:  # raises, naming the first one missing
                _required(sample, "id", f"sample {i}")
                epoch = _required(sample, "epoch", f"sample {i}")
            if not isinstance(epoch, int):  # ``check_summary`` let only integers through
                raise ValueError(f"sample {i}.epoch is not an integer")
            key = (str(sample_id), check_int(int(epoch), f"sample {i} epoch"))
            rows[key] = _row(sample, key, first_scorer)
        return cls(rows)

    def fill(self, scorer: ScorerScores, reduced: dict[str, float] | None) -> None:
        by_sample: dict[str, list[tuple[int, float]]] = {}
        for (sample_id, epoch), row in self.rows.items():
            if scorer.name in row.scores:
                by_sample.setdefault(sample_id, []).append((epoch, row.scores[scorer.name]))
        scorer.sample_ids = list(by_sample)
        scorer.values = [[v for _, v in sorted(pairs)] for pairs in by_sample.values()]
        if reduced is not None and all(s in reduced for s in scorer.sample_ids) and scorer.sample_ids:
            scorer.reduced = [reduced[s] for s in scorer.sample_ids]

    def counts(self) -> SampleCounts:
        kinds: dict[str, int] = {}
        for row in self.rows.values():
            if row.limit:
                kinds[row.limit] = kinds.get(row.limit, 0) + 1
        return {
            "samples": len(self.rows),
            "errors": sum(row.error for row in self.rows.values()),
            "limits": sum(kinds.values()),
            "refusals": sum(row.refusal for row in self.rows.values()),
            "limit_kinds": kinds,
        }


def _iterate(samples: Iterable[JsonObject]) -> Iterator[JsonObject]:
    """The log's sample summaries, once they are a list (each is checked by ``check_summary``)."""
    if not isinstance(samples, Iterable) or isinstance(samples, dict | str):
        raise ValueError("samples are not a list")
    yield from samples


def _row(sample: dict[str, Any], key: tuple[str, int], first_scorer: str | None) -> _Row:
    limit = sample.get("limit")
    if isinstance(limit, dict):
        limit = limit.get("type") or "limit"
    scores: dict[str, float] = {}
    refusal = False
    given = sample.get("scores") or {}
    if not isinstance(given, dict):
        _mapping(given, f"sample {key[0]} scores")
    for name, score in given.items():
        if not isinstance(score, dict):
            _mapping(score, f"sample {key[0]} score {name}")
        value = score.get("value")
        metadata = score.get("metadata")
        refusal = refusal or value == "N" or (isinstance(metadata, dict) and metadata.get("refusal") is True)
        number = score_to_float(value)
        if number is not None:
            if not math.isfinite(number):
                check_finite(number, f"score {name} of sample {key[0]} epoch {key[1]}")
            label = first_scorer if name == SCORER_PLACEHOLDER and first_scorer else name
            scores[label] = number
    error = bool(sample.get("error"))
    # an unanswered sample that hit a limit or failed is counted there, not as a refusal
    refusal = refusal and not limit and not error
    return _Row(error=error, limit=str(limit) if limit else None, refusal=refusal, scores=scores)


def _reductions(reductions: Any) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    if not isinstance(reductions, list):
        return out
    for reduction in reductions:
        if not isinstance(reduction, dict) or not isinstance(reduction.get("samples"), list):
            continue
        values: dict[str, float] = {}
        for sample in reduction["samples"]:
            number = score_to_float(sample.get("value")) if isinstance(sample, dict) else None
            if number is not None and math.isfinite(number):
                values[str(sample.get("sample_id"))] = number
        out[str(reduction.get("scorer"))] = values
    return out


def _elicitation(header: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Elicitation the log declares: metadata or task arg ``elicitation``, or tags ``elicitation:NAME``."""
    found: list[str] = []
    for source in (spec.get("metadata"), header.get("metadata"), spec.get("task_args")):
        if isinstance(source, dict):
            found += normalise_elicitation(source.get("elicitation"))
    for tags in (spec.get("tags"), header.get("tags")):
        for tag in tags or []:
            if isinstance(tag, str) and tag.startswith("elicitation:"):
                found += normalise_elicitation(tag.split(":", 1)[1])
    return sorted(set(found))


def normalise_elicitation(value: Any) -> list[str]:
    """Names from a list or a comma-separated string, lower-cased with hyphens and spaces as underscores."""
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    return [
        str(item).strip().lower().replace("-", "_").replace(" ", "_") for item in items if str(item).strip()
    ]


class InspectDataset(TypedDict):
    """The dataset an Inspect log names (``eval.dataset``), with the revision its task declares."""

    name: JsonValue
    location: JsonValue
    samples: JsonValue
    sample_ids: JsonValue
    shuffled: JsonValue
    revision: JsonValue


class InspectInfo(TypedDict):
    """What an Inspect log's record keeps of its header (``ParsedResult.info``), as the log gives it."""

    log_version: JsonValue
    task_name: JsonValue
    task_registry_name: JsonValue
    task_file: JsonValue
    task_args: JsonValue
    eval_id: JsonValue
    eval_set_id: JsonValue
    created: JsonValue
    dataset: InspectDataset
    config: JsonObject
    revision: JsonValue
    packages: JsonValue
    solver: JsonValue
    model_args: JsonValue
    model_generate_config: JsonValue
    scorers: list[JsonObject]
    totals: JsonObject
    tags: JsonValue
    metadata: JsonValue
    started_at: JsonValue
    completed_at: JsonValue
    error: JsonValue


def _info(header: dict[str, Any], spec: dict[str, Any], config: dict[str, Any], results: Any) -> InspectInfo:
    raw_stats = header.get("stats")
    stats: dict[str, Any] = raw_stats if isinstance(raw_stats, dict) else {}
    error = header.get("error")
    return {
        "log_version": header.get("version"),
        "task_name": spec.get("task"),
        "task_registry_name": spec.get("task_registry_name"),
        "task_file": spec.get("task_file"),
        "task_args": spec.get("task_args") or {},
        "eval_id": spec.get("eval_id"),
        "eval_set_id": spec.get("eval_set_id"),
        "created": spec.get("created"),
        "dataset": _dataset(spec),
        "config": config,
        "revision": spec.get("revision"),
        "packages": spec.get("packages") or {},
        "solver": spec.get("solver"),
        "model_args": spec.get("model_args") or {},
        "model_generate_config": spec.get("model_generate_config") or {},
        "scorers": [
            {
                "name": s.get("name"),
                "scorer": s.get("scorer"),
                "reducer": s.get("reducer"),
                "params": s.get("params"),
            }
            for s in (results or {}).get("scores", [])
            if isinstance(s, dict)
        ],
        "totals": {k: (results or {}).get(k) for k in ("total_samples", "completed_samples")},
        "tags": header.get("tags") or spec.get("tags") or [],
        "metadata": header.get("metadata") or spec.get("metadata") or {},
        "started_at": stats.get("started_at"),
        "completed_at": stats.get("completed_at"),
        "error": error.get("message") if isinstance(error, dict) else None,
    }


def _dataset(spec: dict[str, Any]) -> InspectDataset:
    """Dataset name, location, size, sample ids and, when the task declares one, its revision."""
    dataset = (spec.get("dataset") if isinstance(spec.get("dataset"), dict) else None) or {}
    declared = [spec.get(k) for k in ("metadata", "task_args")]
    return {
        "name": dataset.get("name"),
        "location": dataset.get("location"),
        "samples": dataset.get("samples"),
        "sample_ids": dataset.get("sample_ids"),
        "shuffled": dataset.get("shuffled"),
        "revision": next(
            (
                d[key]
                for d in declared
                if isinstance(d, dict)
                for key in ("dataset_revision", "revision")
                if d.get(key)
            ),
            None,
        ),
    }


def _clean(value: Any) -> Any:
    """JSON-safe copy: non-finite floats become None (PostgreSQL's JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # a dataset's sample ids can be tens of thousands of strings: those are copied as they are
        return [v if type(v) is str else _clean(v) for v in value]
    return value


def _mapping(value: Any, where: str) -> JsonObject:
    if not isinstance(value, dict):
        raise ValueError(f"{where} is missing or not an object")
    return value


def _required(mapping: dict[str, Any], key: str, where: str) -> Any:
    if mapping.get(key) is None:
        raise ValueError(f"{where}.{key} is missing")
    return mapping[key]


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    text = str(exc).strip().replace("\n", " ")
    return text or type(exc).__name__
