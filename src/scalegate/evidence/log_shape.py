"""The shape inspect_ai's own models give an Inspect log, checked without importing inspect_ai.

The fast reader (``scalegate.evidence.inspect_reader``) reads a log's JSON members directly, so it must refuse
what ``inspect_ai.log.EvalLog`` and ``EvalSampleSummary`` refuse, or it would store a log Inspect itself calls
broken: a dataset that is a string, a task name that is a number, a sample id that is an object. The table
below lists, for each field scalegate reads or records, the JSON types pydantic accepts for it in inspect_ai's
models (lax mode: an ``int`` field takes an integral float, a bool or a numeric string; a ``str`` field takes
only a string). ``tests/evidence/test_log_shape.py`` checks the table against inspect_ai's reader.
"""

from __future__ import annotations

from typing import Any

from scalegate.jsonable import JsonObject

__all__ = ["check_header", "check_summary"]

_STATUSES = frozenset({"started", "success", "cancelled", "error"})


def _int(value: Any) -> bool:
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, str):
        return value.strip().lstrip("+-").isdigit()
    return False


def _str(value: Any) -> bool:
    return isinstance(value, str)


def _number(value: Any) -> bool:
    return isinstance(value, int | float | str)  # NaN and Infinity may be written as strings


def _dict(value: Any) -> bool:
    return isinstance(value, dict)


def _bool(value: Any) -> bool:
    return isinstance(value, bool | int) or value in ("true", "false")


def _list_of(item: Any) -> Any:
    def accepted(value: Any) -> bool:
        return isinstance(value, list) and all(item(v) for v in value)

    accepted.__doc__ = f"a list of {_WHAT[item]}s"
    return accepted


def _dict_of(item: Any) -> Any:
    def accepted(value: Any) -> bool:
        return isinstance(value, dict) and all(item(v) for v in value.values())

    accepted.__doc__ = f"an object of {_WHAT[item]}s"
    return accepted


def _id(value: Any) -> bool:
    return isinstance(value, int | str) or (isinstance(value, float) and value.is_integer())


def _scores(value: Any) -> bool:
    """a list"""
    return isinstance(value, list)


def _status(value: Any) -> bool:
    """one of started, success, cancelled, error"""
    return value in _STATUSES


def _version(value: Any) -> bool:
    """an integer or a string"""
    return _int(value) or _str(value)


_WHAT = {_int: "integer", _str: "string", _number: "number", _dict: "object", _bool: "boolean", _id: "id"}
"""How an error names what a field should be."""

_SPEC: tuple[tuple[str, Any, bool], ...] = (
    # (field, accepted, required)
    ("task", _str, True),
    ("model", _str, True),
    ("created", _str, True),
    ("dataset", _dict, True),
    ("config", _dict, True),
    ("task_version", _version, False),
    ("eval_id", _str, False),
    ("run_id", _str, False),
    ("eval_set_id", _str, False),
    ("task_registry_name", _str, False),
    ("task_file", _str, False),
    ("solver", _str, False),
    ("tags", _list_of(_str), False),
    ("task_args", _dict, False),
    ("model_args", _dict, False),
    ("model_generate_config", _dict, False),
    ("packages", _dict_of(_str), False),
    ("metadata", _dict, False),
)
_DATASET: tuple[tuple[str, Any, bool], ...] = (
    ("name", _str, False),
    ("location", _str, False),
    ("samples", _int, False),
    ("sample_ids", _list_of(_id), False),
    ("shuffled", _bool, False),
)
_LOG: tuple[tuple[str, Any, bool], ...] = (
    ("version", _int, False),
    ("status", _status, False),
    ("results", _dict, False),
    ("stats", _dict, False),
    ("error", _dict, False),
    ("tags", _list_of(_str), False),
    ("metadata", _dict, False),
)
_RESULTS: tuple[tuple[str, Any, bool], ...] = (
    ("total_samples", _int, False),
    ("completed_samples", _int, False),
    ("scores", _scores, False),
)
_SCORE: tuple[tuple[str, Any, bool], ...] = (
    ("name", _str, True),
    ("scorer", _str, True),
    ("reducer", _str, False),
    ("scored_samples", _int, False),
    ("metrics", _dict_of(_dict), False),
)
_METRIC: tuple[tuple[str, Any, bool], ...] = (("name", _str, True), ("value", _number, True))
_SUMMARY: tuple[tuple[str, Any, bool], ...] = (
    ("id", _id, True),
    ("epoch", _int, True),
    ("scores", _dict_of(_dict), False),
    ("error", _str, False),
    ("limit", _str, False),
    ("metadata", _dict, False),
)
_SAMPLE = tuple(
    (name, _dict if name in ("error", "limit") else accepted, required)
    for name, accepted, required in _SUMMARY
)
"""A full sample of a ``.json`` log: its error and limit are objects (``EvalError``, ``EvalSampleLimit``)."""


def _check(document: Any, fields: tuple[tuple[str, Any, bool], ...], where: str) -> JsonObject:
    if not isinstance(document, dict):
        raise ValueError(f"{where or 'log'} is not an object")
    for name, accepted, required in fields:
        value = document.get(name)
        if value is None:
            if required:
                raise ValueError(f"{where}{name} is missing")
            continue
        if not accepted(value):
            what = accepted.__doc__ or f"{_article(_WHAT[accepted])} {_WHAT[accepted]}"
            raise ValueError(
                f"{where}{name} is not {what} ({type(value).__name__} given), as Inspect logs need"
            )
    return document


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def check_header(header: Any) -> None:
    """``ValueError`` naming the first field of a log header (or a ``.json`` log) inspect_ai would refuse."""
    _check(header, _LOG, "")
    spec = _check(header.get("eval"), _SPEC, "eval.")
    _check(spec["dataset"], _DATASET, "eval.dataset.")
    results = header.get("results")
    if results is not None:
        _check(results, _RESULTS, "results.")
        for i, score in enumerate(results.get("scores") or []):
            _check(score, _SCORE, f"results.scores[{i}].")
            for key, metric in (score.get("metrics") or {}).items():
                _check(metric, _METRIC, f"results.scores[{i}].metrics.{key}.")


def check_summary(summary: Any, index: int, *, full: bool = False) -> None:
    """``ValueError`` naming the first field of a sample summary (``full``: a ``.json`` log's sample)
    inspect_ai would refuse."""
    if not full and _plain_summary(summary):
        return
    _check(summary, _SAMPLE if full else _SUMMARY, f"sample {index} ")


def _plain_summary(summary: Any) -> bool:
    """Whether a summary has the shape nearly every one has, told by a few exact type tests: each is a case
    ``_SUMMARY`` accepts, so True means ``_check`` would find nothing wrong (on False it is asked, and
    judges). A large log has tens of thousands of summaries, each checked field by field otherwise."""
    if type(summary) is not dict:
        return False
    get = summary.get
    sample_id, epoch, scores = get("id"), get("epoch"), get("scores")
    error, limit, metadata = get("error"), get("limit"), get("metadata")
    return (
        (type(sample_id) is str or type(sample_id) is int)
        and type(epoch) is int
        and (scores is None or (type(scores) is dict and all(type(s) is dict for s in scores.values())))
        and (error is None or type(error) is str)
        and (limit is None or type(limit) is str)
        and (metadata is None or type(metadata) is dict)
    )
