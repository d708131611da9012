"""Recognise an evaluation file by its content and read it with the right reader.

A zip is an Inspect ``.eval`` log. A JSON object is an Inspect ``.json`` log (it has ``eval``), a manual
result (``kind: scalegate.manual_result``) or an lm-eval results file (``results`` plus
``versions``/``n-samples``/ ``config``). Anything else is refused with a one-line reason naming the file.
"""

from __future__ import annotations

from pathlib import Path

from scalegate.errors import EvidenceError
from scalegate.evidence.container import is_zip
from scalegate.evidence.inspect_reader import load_json, read_inspect_json, read_inspect_log
from scalegate.evidence.lm_eval import is_lm_eval_results, is_lm_eval_samples, read_lm_eval_results
from scalegate.evidence.parsed import ParsedResult

__all__ = ["NotAnEvaluationFile", "read_results"]

_HEAD = 4096


class NotAnEvaluationFile(EvidenceError):
    """A file whose content is none of the formats scalegate reads (an Inspect listing, a config file): a walk
    of a log directory notes and skips it, where a damaged log is an error."""


def read_results(path: Path) -> list[ParsedResult]:
    """Every task result in the file at ``path``; ``EvidenceError`` naming the file if it cannot be read."""
    try:
        with path.open("rb") as f:
            head = f.read(_HEAD)
    except OSError as exc:
        raise EvidenceError(f"cannot read file ({exc.strerror or exc})", where=str(path)) from exc
    if not head:
        raise EvidenceError("file is empty", where=str(path))
    if is_zip(head):
        return [read_inspect_log(path, head)]
    if head.lstrip()[:1] != b"{":
        raise NotAnEvaluationFile(_unrecognised(head), where=str(path))
    try:
        document = load_json(path)
    except ValueError as exc:
        if is_lm_eval_samples(head.split(b"\n", 1)[0]):
            raise EvidenceError(_SAMPLES_FILE, where=str(path)) from exc
        raise EvidenceError(str(exc), where=str(path)) from exc
    if not isinstance(document, dict):
        raise NotAnEvaluationFile("not a JSON object", where=str(path))
    if document.get("kind") == "scalegate.manual_result":
        # deferred: pydantic (~115 modules, ~0.3 s), only for a manual result, never for a log file
        from scalegate.evidence.manual import read_manual

        return [read_manual(path, document)]
    if "eval" in document:
        return [read_inspect_json(path, document)]
    if is_lm_eval_results(document):
        return read_lm_eval_results(path, document)
    raise NotAnEvaluationFile(
        "not an Inspect log (no `eval`), an lm-eval results file (no `results`) or a scalegate manual result",
        where=str(path),
    )


_SAMPLES_FILE = "this is an lm-eval samples file; ingest the results_<timestamp>.json beside it instead"


def _unrecognised(head: bytes) -> str:
    if is_lm_eval_samples(head.split(b"\n", 1)[0]):
        return _SAMPLES_FILE
    return (
        "not a recognised evaluation file "
        "(expected an Inspect .eval or .json log, lm-eval results JSON or a manual result)"
    )
