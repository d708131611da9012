"""The threshold heat map: for one model, each capability threshold's finding at each checkpoint."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from scalegate.actor import Actor
from scalegate.assessment.service import assess_checkpoints
from scalegate.registry.lookup import checkpoint_window
from scalegate.registry.service import list_models
from scalegate.web.auth import requires
from scalegate.web.ui.common import workspace
from scalegate.web.ui.render import render

__all__ = ["chosen_model", "router"]

router = APIRouter(include_in_schema=False)

WINDOW = 20
"""Checkpoints (columns) the heat map shows by default."""


def chosen_model(request: Request, model: str | None) -> tuple[str | None, list[str]]:
    """The model asked for (or the first one) and every model name."""
    names = [m.name for m in list_models(workspace(request))]
    return (model if model in names else (names[0] if names else None)), names


@router.get("/thresholds")
def heat_map(
    request: Request,
    model: str | None = Query(None, max_length=200),
    page: int | None = Query(None, ge=1, le=2**31, description="Window of checkpoints, 1 = the newest."),
    size: int = Query(WINDOW, ge=1, le=100, description="Checkpoints per window."),
    actor: Actor = Depends(requires("assessment.read")),
) -> Response:
    """Rows: thresholds and their indicators; columns: checkpoints; cells: the finding at that checkpoint.

    The columns are a window of the model's checkpoints (the newest ``size`` by default, in training order),
    with links to older and newer windows: every column is an assessment, so a family of thousands is never
    assessed whole for one page. The window's columns are assessed together in one snapshot
    (``assess_checkpoints``), so a wider window adds rows read, not statements per column."""
    name, names = chosen_model(request, model)
    columns: list[dict[str, Any]] = []
    window = None
    # the rows' policy, the window and every column's assessment in one snapshot, what the columns share read
    # once
    with workspace(request).reading() as ctx:
        policy = ctx.policy
        if name is not None:
            window = checkpoint_window(ctx.session, name, page=page, size=size)
            shown = list(reversed(window.entries))
            assessed = assess_checkpoints(ctx, name, [c.name for c in shown])
    if name is not None:
        for entry, assessment in zip(shown, assessed, strict=True):
            label, ref, ec = entry.name, entry.ref, entry.effective_compute
            findings = assessment.findings
            cells = {f.threshold_id: f.state for f in findings}
            cells |= {f"{i.threshold_id}/{i.indicator_id}": i.state for f in findings for i in f.indicators}
            values = {
                f"{i.threshold_id}/{i.indicator_id}": i.estimate for f in findings for i in f.indicators
            }
            columns.append(
                {"name": label, "ref": ref, "effective_compute": ec, "cells": cells, "values": values}
            )
    thresholds = [
        {
            "id": t.id,
            "name": t.name,
            "status": t.status,
            "indicators": [i.id for i in t.indicators],
            "requires": ", ".join(f"{r.kind} {r.level}" for r in t.required_safeguards),
        }
        for t in policy.thresholds
    ]
    context = {
        "model": name,
        "models": names,
        "columns": columns,
        "thresholds": thresholds,
        "window": window,
    }
    return render(request, "thresholds.html", "thresholds", context)
