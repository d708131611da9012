"""The overview page: every model's latest checkpoint, the safeguard levels it requires and the levels in
place, what the gate says for each action, and what is paused."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.errors import NotFoundError
from scalegate.jsonable import to_jsonable
from scalegate.registry.assessments_due import due_assessments
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.registry.service import list_models
from scalegate.web.api.gate import ACTIONS, verdict_document
from scalegate.web.api.safeguards import safeguards_matrix
from scalegate.web.auth import requires
from scalegate.web.ui.common import may, workspace
from scalegate.web.ui.render import render

__all__ = ["achieved_levels", "router"]

router = APIRouter(include_in_schema=False)

KINDS = ("deployment", "security")


def achieved_levels(matrix: list[dict[str, Any]]) -> dict[str, str | None]:
    """Per kind, the strongest standard whose status is met (standards are cumulative), or None."""
    out: dict[str, str | None] = dict.fromkeys(KINDS)
    for kind in KINDS:
        met = [s for s in matrix if s["kind"] == kind and s["met"]]
        out[kind] = max(met, key=lambda s: s["rank"])["level"] if met else None
    return out


def _model_row(request: Request, model: Any) -> dict[str, Any]:
    with workspace(request).read() as session:
        try:
            checkpoint = resolve_checkpoint(session, model.name)
        except NotFoundError:
            return {"model": model, "checkpoint": None, "verdicts": {}, "required": {}, "paused": []}
        info = {
            "ref": checkpoint.ref,
            "effective_compute": checkpoint.effective_compute,
            "recorded_at": checkpoint.recorded_at,
            "stage": checkpoint.stage,
        }
    verdicts = {action: verdict_document(request, model.name, action) for action in ACTIONS}
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
