"""The model a piece of evidence tested, checked against the checkpoint it is filed under.

An Inspect log or an lm-eval results file names the model it ran (``mockllm/model``,
``hf/aurora-1-step-40000``, ``acme/frontier-mini``). Filed under a checkpoint, its scores decide that
checkpoint's findings, so a log of another model must not be filed there by mistake or on purpose: a mock
model's low scores would rule out thresholds for a frontier checkpoint. Ingestion accepts a result only
when:

1. the name it gives identifies the checkpoint's model: its last path segment is the model's name, or names
   the model and then the checkpoint (``aurora-1``, ``aurora-1@step-40000``, ``org/aurora-1-step-40000``;
   case, ``@``, ``_`` and ``-`` are not told apart); or
2. a declared mapping says that name stands for the checkpoint or for its model (``declare_tested_model``:
   an evaluator names the mapping, it is stored in ``settings`` and recorded in the audit log); or
3. it is a manual result that names no model (``unspecified``): the person who files it vouches for it, and
   the ingestion entry names them; or
4. in a demo workspace only, it comes from scalegate's offline test model (``scalegate/...``), which stands in
   for every checkpoint of a demonstration and measures nothing.

Anything else is refused with the names of both models and the way to declare the mapping.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from scalegate.actor import Actor
from scalegate.errors import EvidenceError, InputError
from scalegate.permissions import require
from scalegate.registry.lookup import get_model, resolve_checkpoint
from scalegate.store.models.registry import CheckpointRow
from scalegate.store.models.workspace import SettingRow
from scalegate.workspace import Workspace

__all__ = [
    "TEST_MODEL_PREFIX",
    "TestedModel",
    "check_tested_model",
    "declare_tested_model",
    "names_checkpoint",
]

TEST_MODEL_PREFIX = "scalegate/"
"""The offline test model's provider (``scalegate.testing.inspect_provider``), accepted in demo workspaces."""

_UNSPECIFIED = "unspecified"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def names_checkpoint(tested: str, model: str, checkpoint: str) -> bool:
    """Whether the model name ``tested`` identifies ``model`` (or ``model`` at ``checkpoint``)."""
    last, m, c = _norm(tested.rsplit("/", 1)[-1]), _norm(model), _norm(checkpoint)
    if not last or not m:
        return False
    return last == m or re.fullmatch(rf"{re.escape(m)}(-.+)?-{re.escape(c)}", last) is not None


@dataclass(frozen=True)
class TestedModel:
    """A declared mapping: evaluation model name -> the registry models and checkpoints it stands for."""

    tested: str
    targets: list[str]
    """``MODEL`` (any of its checkpoints) or ``MODEL@CHECKPOINT``."""


def _key(tested: str) -> str:
    return "tested_model:" + hashlib.sha256(tested.encode()).hexdigest()[:40]


def _declared(session: Session, tested: str) -> TestedModel | None:
    row = session.get(SettingRow, _key(tested))
    if row is None:
        return None
    try:
        value = json.loads(row.value)
        return TestedModel(str(value["tested"]), [str(t) for t in value["targets"]])
    except (ValueError, KeyError, TypeError):
        return None  # a malformed mapping maps nothing (fail closed)


def declare_tested_model(workspace: Workspace, actor: Actor, tested: str, target: str) -> TestedModel:
    """Declare that evidence naming the model ``tested`` may be filed under ``target`` (``MODEL`` for any of
    its checkpoints, or ``MODEL@CHECKPOINT``); recorded in the audit log. Idempotent."""
    require(actor, "evidence.ingest")  # no policy can grant it (``POLICY_ACTIONS``): checked before the input
    tested = tested.strip()
    if not tested or len(tested) > 300:
        raise InputError("the tested model's name must have 1 to 300 characters", where="tested_model")
    with workspace.writing(actor) as ctx:
        require(actor, "evidence.ingest", ctx.active)
        session = ctx.session
        if "@" in target:
            checkpoint = resolve_checkpoint(session, target)
            canonical = checkpoint.ref
        else:
            canonical = get_model(session, target.strip()).name
        current = _declared(session, tested) or TestedModel(tested, [])
        if canonical in current.targets:
            return current
        mapping = TestedModel(tested, [*current.targets, canonical])
        row = session.get(SettingRow, _key(tested)) or SettingRow(key=_key(tested))
        row.value = json.dumps({"tested": tested, "targets": mapping.targets}, sort_keys=True)
        session.add(row)
        ctx.record(
            "evidence.tested_model_declared",
            f"model:{canonical.split('@', 1)[0]}",
            {"tested_model": tested, "target": canonical, "targets": mapping.targets},
            rows=[row],
        )
        return mapping


def check_tested_model(
    workspace: Workspace, session: Session, checkpoint: CheckpointRow, tested: str, harness: str, where: str
) -> None:
    """Refuse evidence naming the model ``tested`` for ``checkpoint`` unless one of the module docstring's
    rules accepts it (``EvidenceError`` naming both models and how to declare the mapping)."""
    model, name = checkpoint.model.name, checkpoint.name
    if names_checkpoint(tested, model, name):
        return
    if harness == "manual" and tested.strip().lower() in ("", _UNSPECIFIED):
        return
    if workspace.demo and tested.startswith(TEST_MODEL_PREFIX):
        return
    declared = _declared(session, tested)
    if declared is not None and (model in declared.targets or checkpoint.ref in declared.targets):
        return
    raise EvidenceError(
        f"the evidence tested model {tested!r}, not {checkpoint.ref}: it cannot be filed under that "
        f"checkpoint unless the mapping is declared (scalegate evidence map-model {tested} {checkpoint.ref})",
        where=where,
    )
