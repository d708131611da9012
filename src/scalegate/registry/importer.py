"""Bulk import of a training run's metrics (checkpoints with held-out losses) and of reference points.

Formats (documented in docs/cli/registry.md):

- CSV, one row per checkpoint and dataset
  (``checkpoint,step,training_flops,recorded_at,stage,run,dataset,loss,weight``) or one row per checkpoint
  with ``loss:<dataset>`` / ``weight:<dataset>`` columns. Rows of the same checkpoint are merged and must
  agree on step, FLOPs, date, stage and run.
- JSON: an array of checkpoint objects, or ``{"run": ..., "checkpoints": [...]}``;
  JSON Lines: one object a line.

Everything is read and validated before anything is written; the first problem is reported as one line naming
``file:line``, and the import is a single transaction, so a bad file leaves the store untouched.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from scalegate.actor import Actor
from scalegate.errors import InputError
from scalegate.inputs import BoundsError, json_decoder, load_json, read_text
from scalegate.jsonable import JsonObject
from scalegate.registry.service import register_checkpoints
from scalegate.registry.specs import CheckpointSpec, ReferencePoint, validated
from scalegate.workspace import Workspace

__all__ = ["import_checkpoints", "read_checkpoints", "read_reference_points"]

_CHECKPOINT_COLUMNS = {
    "checkpoint",
    "step",
    "training_flops",
    "recorded_at",
    "stage",
    "run",
    "dataset",
    "loss",
    "weight",
}
_SHARED = ("step", "training_flops", "recorded_at", "stage", "run")


def import_checkpoints(
    workspace: Workspace,
    actor: Actor,
    model: str,
    path: str | Path,
    *,
    run: str | None = None,
    specs: Sequence[tuple[str, CheckpointSpec]] | None = None,
    on_checkpoint: Callable[[int], None] | None = None,
) -> list[Any]:
    """Read, validate and register every checkpoint of ``path`` for ``model`` (all or nothing).

    ``specs``: what ``read_checkpoints(path, run=run)`` returned, when a door read the file first (to size
    its progress bar); ``on_checkpoint`` is told of each checkpoint as it is registered.
    """
    if specs is None:
        specs = read_checkpoints(path, run=run)
    if not specs:
        raise InputError("no checkpoints in file", where=str(path))
    return register_checkpoints(workspace, actor, model, specs, on_checkpoint=on_checkpoint)


def read_checkpoints(path: str | Path, *, run: str | None = None) -> list[tuple[str, CheckpointSpec]]:
    """Checkpoint specs with the ``file:line`` each came from."""
    path = Path(path)
    records = list(
        _json_records(path) if path.suffix.lower() in (".json", ".jsonl") else _csv_checkpoints(path)
    )
    seen: dict[str, str] = {}
    out: list[tuple[str, CheckpointSpec]] = []
    for where, data in records:
        if run and not data.get("run"):
            data = {**data, "run": run}
        spec = validated(CheckpointSpec, data, where)
        if spec.name in seen:
            raise InputError(
                f"checkpoint {spec.name!r} appears twice (first at {seen[spec.name]})", where=where
            )
        seen[spec.name] = where
        out.append((where, spec))
    return out


def read_reference_points(path: str | Path) -> list[ReferencePoint]:
    """Reference (compute, loss) points from CSV (``compute,loss`` or ``compute,dataset,loss``) or JSON."""
    path = Path(path)
    if path.suffix.lower() in (".json", ".jsonl"):
        points = []
        for where, data in _json_records(path):
            if "loss" in data and "losses" not in data:
                data = {
                    "compute": data.get("compute"),
                    "losses": {"loss": data["loss"]},
                    **{k: v for k, v in data.items() if k not in ("compute", "loss")},
                }
            points.append(validated(ReferencePoint, data, where))
        return points
    return _csv_points(path)


# -- CSV -----------------------------------------------------------------------------------------------------


def _csv_rows(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with io.StringIO(_read_text(path), newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise InputError("empty file: expected a header row", where=f"{path}:1")
        try:
            for row in reader:
                if None in row or any(v is None for v in row.values()):
                    raise InputError(
                        "row has a different number of cells than the header",
                        where=f"{path}:{reader.line_num}",
                    )
                cells = {k.strip(): v.strip() for k, v in row.items() if v is not None and v.strip() != ""}
                if cells:
                    yield f"{path}:{reader.line_num}", cells
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", where=f"{path}:{reader.line_num}") from exc


def _csv_checkpoints(path: Path) -> Iterator[tuple[str, JsonObject]]:
    """One record per checkpoint, its rows merged (shared columns must agree; losses and weights add up),
    with the ``file:line`` of its first row. Each record keeps its losses and weights at hand to merge."""
    merged: dict[str, tuple[str, JsonObject, dict[str, str], dict[str, str]]] = {}
    for where, cells in _csv_rows(path):
        unknown = [k for k in cells if k not in _CHECKPOINT_COLUMNS and not re.match(r"^(loss|weight):.+", k)]
        if unknown:
            raise InputError(f"unknown column {unknown[0]!r}", where=where)
        if "checkpoint" not in cells:
            raise InputError("missing value in column 'checkpoint'", where=where)
        data = {k: cells[k] for k in _SHARED if k in cells}
        losses, weights = _cell_losses(cells, where)
        name = cells["checkpoint"]
        if name not in merged:
            record: JsonObject = {"name": name, **data, "losses": losses, "weights": weights}
            merged[name] = (where, record, losses, weights)
            continue
        _, first, first_losses, first_weights = merged[name]
        for key in (k for k in _SHARED if k in data):
            if key in first and first[key] != data[key]:
                raise InputError(
                    f"checkpoint {name!r}: {key} {data[key]!r} disagrees with an earlier row", where=where
                )
            first[key] = data[key]
        for dataset in losses:
            if dataset in first_losses:
                raise InputError(
                    f"checkpoint {name!r}: loss for dataset {dataset!r} given twice", where=where
                )
        first_losses.update(losses)
        first_weights.update(weights)
    yield from ((where, record) for where, record, _, _ in merged.values())


def _cell_losses(cells: dict[str, str], where: str) -> tuple[dict[str, str], dict[str, str]]:
    """A row's losses and weights per dataset (``loss:<dataset>`` columns, or ``dataset`` with ``loss``)."""
    losses = {k.split(":", 1)[1]: v for k, v in cells.items() if k.startswith("loss:")}
    weights = {k.split(":", 1)[1]: v for k, v in cells.items() if k.startswith("weight:")}
    if "loss" in cells:
        dataset = cells.get("dataset")
        if not dataset:
            raise InputError("a 'loss' value needs a 'dataset' (or use a loss:<dataset> column)", where=where)
        losses[dataset] = cells["loss"]
        if "weight" in cells:
            weights[dataset] = cells["weight"]
    elif "dataset" in cells or "weight" in cells:
        raise InputError("'dataset'/'weight' given without a 'loss'", where=where)
    return losses, weights


def _csv_points(path: Path) -> list[ReferencePoint]:
    merged: dict[float, tuple[str, dict[str, Any]]] = {}
    for where, cells in _csv_rows(path):
        unknown = [k for k in cells if k not in ("compute", "dataset", "loss")]
        if unknown:
            raise InputError(f"unknown column {unknown[0]!r} (expected compute, dataset, loss)", where=where)
        if "compute" not in cells or "loss" not in cells:
            raise InputError("a reference point needs 'compute' and 'loss'", where=where)
        try:
            compute = float(cells["compute"])
        except ValueError as exc:
            raise InputError(f"compute {cells['compute']!r} is not a number", where=where) from exc
        entry = merged.setdefault(compute, (where, {"compute": compute, "losses": {}}))
        dataset = cells.get("dataset", "loss")
        if dataset in entry[1]["losses"]:
            raise InputError(f"compute {cells['compute']}: dataset {dataset!r} given twice", where=where)
        entry[1]["losses"][dataset] = cells["loss"]
    return [validated(ReferencePoint, data, where) for where, data in merged.values()]


# -- JSON ----------------------------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        return read_text(path)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where=str(path)) from exc
    except BoundsError as exc:
        raise InputError(f"cannot read file: {exc}", where=str(path)) from exc


def _json_records(path: Path) -> Iterator[tuple[str, JsonObject]]:
    text = _read_text(path)
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield f"{path}:{n}", _object(_loads(line, path, n), f"{path}:{n}")
        return
    yield from _json_array(path, text)


def _json_array(path: Path, text: str) -> Iterator[tuple[str, JsonObject]]:
    """Elements of the top-level array (or of its ``checkpoints`` member) with the line each starts on."""
    document = _loads(text, path)
    defaults: JsonObject = {}
    start = 0
    if isinstance(document, dict):
        unknown = [k for k in document if k not in ("checkpoints", "points", "run")]
        key = "checkpoints" if "checkpoints" in document else "points"
        if unknown or not isinstance(document.get(key), list):
            raise InputError(
                "expected an array, or an object with a 'checkpoints' (or 'points') array and optional 'run'",
                where=f"{path}:1",
            )
        defaults = {"run": document["run"]} if document.get("run") else {}
        match = re.search(rf'"{key}"\s*:\s*\[', text)
        if match is None:  # the key is spelt with escapes ("check\u0070oints"): name elements by index
            for i, value in enumerate(document[key]):
                where = f"{path}:{key}[{i}]"
                yield where, {**defaults, **_object(value, where)}
            return
        start = match.end() - 1
    elif not isinstance(document, list):
        raise InputError("expected a JSON array of objects", where=f"{path}:1")
    else:
        start = text.index("[")
    decoder = json_decoder()  # the document parsed whole above: its elements are within bounds
    pos = start + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return
        value, end = decoder.raw_decode(text, pos)
        where = f"{path}:{text.count(chr(10), 0, pos) + 1}"
        yield where, {**defaults, **_object(value, where)}
        pos = end


def _loads(text: str, path: Path, line: int | None = None) -> Any:
    try:
        return load_json(text)
    except BoundsError as exc:
        at = line or exc.line
        raise InputError(f"invalid JSON: {exc}", where=f"{path}:{at}" if at else str(path)) from exc


def _object(value: Any, where: str) -> JsonObject:
    """A parsed JSON value that must be an object: its keys are the file's."""
    if not isinstance(value, dict):
        raise InputError(f"expected an object, got {type(value).__name__}", where=where)
    return dict(value)
