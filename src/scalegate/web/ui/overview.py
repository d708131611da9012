"""The overview page: every model's latest checkpoint, the safeguard levels it requires and the levels in
place, what the gate says for each action, and what is paused."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, TypedDict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.errors import NotFoundError
from scalegate.jsonable import JsonObject, JsonValue, to_jsonable
from scalegate.registry.assessments_due import due_assessments
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.registry.service import list_models
from scalegate.web.api.gate import ACTIONS, verdict_document
from scalegate.web.api.safeguards import StandardRow, safeguards_matrix
from scalegate.web.auth import requires
from scalegate.web.ui.common import may, workspace
from scalegate.web.ui.render import render

__all__ = ["CheckpointCell", "ModelRow", "achieved_levels", "router"]

router = APIRouter(include_in_schema=False)

KINDS = ("deployment", "security")


def achieved_levels(matrix: list[StandardRow]) -> dict[str, str | None]:
    """Per kind, the strongest standard whose status is met (standards are cumulative), or None."""
    out: dict[str, str | None] = dict.fromkeys(KINDS)
    for kind in KINDS:
        met = [s for s in matrix if s["kind"] == kind and s["met"]]
        out[kind] = max(met, key=lambda s: s["rank"])["level"] if met else None
    return out


class CheckpointCell(TypedDict):
    """The latest checkpoint of a model, as its row shows it."""

    ref: str
    effective_compute: float | None
    recorded_at: datetime
    stage: str


class ModelRow(TypedDict):
    """One model's row of the overview page (template context)."""

    model: Any
    """The model's registry record (the page shows its name and family)."""
    checkpoint: CheckpointCell | None
    """None: the model has no checkpoint yet."""
    verdicts: dict[str, JsonObject]
    """The gate's verdict document per action."""
    required: JsonValue
    """The required level per kind, from the first action's verdict."""
    paused: list[str]
    """Actions the gate pauses."""
    restricted: NotRequired[list[str]]
    """Actions the gate restricts (absent when the model has no checkpoint)."""


def _model_row(request: Request, model: Any) -> ModelRow:
    with workspace(request).read() as session:
        try:
            checkpoint = resolve_checkpoint(session, model.name)
        except NotFoundError:
            return {"model": model, "checkpoint": None, "verdicts": {}, "required": {}, "paused": []}
        info: CheckpointCell = {
            "ref": checkpoint.ref,
            "effective_compute": checkpoint.effective_compute,
            "recorded_at": checkpoint.recorded_at,
            "stage": checkpoint.stage,
        }
    verdicts: dict[str, JsonObject] = {
        action: verdict_document(request, model.name, action) for action in ACTIONS
    }
    first = verdicts[ACTIONS[0]]
    return {
        "model": model,
        "checkpoint": info,
        "verdicts": verdicts,
        "required": first.get("required") or {},
        "paused": [a for a, v in verdicts.items() if v["outcome"] == "pause"],
        "restricted": [a for a, v in verdicts.items() if v["outcome"] == "restrict"],
    }


@router.get("/")
def overview(request: Request, actor: Actor = Depends(requires("registry.read"))) -> Response:
    """The front page."""
    ws = workspace(request)
    rows = [_model_row(request, m) for m in list_models(ws)]
    context = {
        "rows": rows,
        "actions": ACTIONS,
        "kinds": KINDS,
        "achieved": achieved_levels(safeguards_matrix(request)),
        "paused": [r for r in rows if r["paused"]],
        "due": to_jsonable(due_assessments(ws)) if may(request, actor, "assessment.read") else [],
    }
    return render(request, "overview.html", "overview", context)
