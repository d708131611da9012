"""A model's page: the gate's answer for each action with its reasons, the assessment of a checkpoint
(triggers, findings with their numbers, required levels, safeguard gaps, the determination), and what may be
done next."""

from __future__ import annotations

from datetime import datetime
from typing import NotRequired, TypedDict

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.assessment.determination import propose_determination
from scalegate.assessment.service import AssessmentDocument, assess, checkpoint_subject
from scalegate.context import Context
from scalegate.gate.service import decide
from scalegate.gate.verdict import ACTIONS, VerdictDocument
from scalegate.governance.notifications import government_notice_status
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.registry.lookup import WINDOW_MAX, CheckpointWindow, checkpoint_window
from scalegate.reports.service import write_capability_report
from scalegate.vocabulary import Action
from scalegate.web.api.assessments import send_government_notice
from scalegate.web.auth import requires
from scalegate.web.ui.common import act, may, workspace
from scalegate.web.ui.page_cache import kept_page
from scalegate.web.ui.render import render

__all__ = ["ModelView", "router"]

router = APIRouter(include_in_schema=False)

WINDOW = 50
"""Checkpoints a window shows by default."""


class ModelView(TypedDict):
    """What the model page shows whoever views it (its template context before the viewer's buttons): the
    window of checkpoints and, when the model has any, the chosen one's assessment, every action's verdict
    and the government notice's status."""

    name: str
    window: CheckpointWindow
    assessment: AssessmentDocument | None
    ref: NotRequired[str]
    selected: NotRequired[str]
    verdicts: NotRequired[dict[Action, VerdictDocument]]
    actions: NotRequired[tuple[Action, ...]]
    notice: NotRequired[JsonObject]


@router.get("/models/{name}")
def model_page(
    request: Request,
    name: str,
    checkpoint: str | None = Query(None, max_length=200),
    page: int | None = Query(None, ge=1, le=2**31, description="Window of checkpoints, 1 = the newest."),
    size: int = Query(WINDOW, ge=1, le=WINDOW_MAX, description="Checkpoints per window."),
    actor: Actor = Depends(requires("assessment.read")),
) -> Response:
    """The gate and the assessment of one checkpoint (the latest by default): assessed once, in one snapshot,
    without forecasts (this page shows none), and decided for every action from that one assessment.

    The checkpoints to choose from are a window of ``size`` (the newest by default, or the one holding the
    chosen checkpoint), with links to older and newer windows: a family of thousands is never listed whole.

    What the page shows is kept (``web.ui.page_cache``) under the recorded state it was computed in, until
    the earliest time any of its verdicts could change by itself.
    """

    def respond(shown: ModelView) -> Response:
        if shown["assessment"] is None:
            return render(request, "model.html", "overview", dict(shown))
        context = {
            **shown,
            "can_open": may(request, actor, "decision.open"),
            "can_notify": may(request, actor, "notification.send"),
            "can_report": may(request, actor, "report.generate"),
        }
        return render(request, "model.html", "overview", context)

    return kept_page(
        request,
        ("model", name, checkpoint, page, size),
        lambda ctx: _model_view(ctx, name, checkpoint, page, size),
        respond,
    )


def _model_view(
    ctx: Context, name: str, checkpoint: str | None, page: int | None, size: int
) -> tuple[ModelView, datetime | None]:
    """What the model page shows in ``ctx``'s snapshot, whoever views it, and the earliest time it could
    change by itself (the verdicts' ``valid_until``; None when nothing in it depends on the time)."""
    window = checkpoint_window(ctx.session, name, page=page, size=size, around=checkpoint)
    if not window.total:
        return {"name": name, "window": window, "assessment": None}, None
    assessed = assess(ctx, f"{name}@{checkpoint}" if checkpoint else name, with_forecasts=False)
    decided = {action: decide(assessed, action, ctx) for action in ACTIONS}
    levels = {k: v.level for k, v in assessed.requirements.levels.items()}
    subject = checkpoint_subject(assessed.checkpoint_id)
    notice = to_jsonable(government_notice_status(ctx.workspace, ctx.session, subject, levels))
    bounds = [v.valid_until for v in decided.values() if v.valid_until is not None]
    if assessed.valid_until is not None:
        bounds.append(assessed.valid_until)
    shown: ModelView = {
        "name": name,
        "ref": assessed.ref,
        "window": window,
        "selected": assessed.checkpoint.name,
        "assessment": assessed.to_dict(),
        "verdicts": {action: v.to_dict() for action, v in decided.items()},
        "actions": ACTIONS,
        "notice": notice,
    }
    return shown, min(bounds) if bounds else None


@router.post("/models/{name}/determinations")
async def open_determination(
    request: Request,
    name: str,
    checkpoint: str = Form(..., max_length=500),
    justification: str = Form("", max_length=20_000),
    actor: Actor = Depends(requires("decision.open")),
) -> Response:
    """Open the capability determination (the engine's levels) for sign-off."""
    back = f"/models/{name}?checkpoint={checkpoint.split('@', 1)[-1]}"
    return await act(
        request,
        back,
        f"Capability determination for {checkpoint} opened; it now awaits sign-off.",
        lambda: propose_determination(
            workspace(request), actor, checkpoint, justification=justification or None
        ),
    )


@router.post("/models/{name}/capability-report")
async def capability_report(
    request: Request,
    name: str,
    checkpoint: str = Form(..., max_length=500),
    format: str = Form("html", pattern="^(html|pdf|md)$"),
    actor: Actor = Depends(requires("report.generate")),
) -> Response:
    """Generate the checkpoint's Capability Report from the record (recorded in the audit log by hash) and
    return it: HTML to read in the browser, PDF or Markdown to download."""
    import tempfile
    from pathlib import Path

    from fastapi.responses import FileResponse
    from starlette.background import BackgroundTask

    out = Path(tempfile.mkdtemp(prefix="scalegate-report-"))
    paths = await run_in_threadpool(
        write_capability_report, workspace(request), checkpoint, out, (format,), actor
    )
    path = paths[format]
    media = {"html": "text/html", "pdf": "application/pdf", "md": "text/markdown"}[format]
    import shutil

    return FileResponse(
        path,
        media_type=media,
        filename=path.name if format != "html" else None,
        background=BackgroundTask(shutil.rmtree, out, ignore_errors=True),
    )


@router.post("/models/{name}/government-notice")
async def government_notice(
    request: Request,
    name: str,
    checkpoint: str = Form(..., max_length=500),
    actor: Actor = Depends(requires("notification.send")),
) -> Response:
    """Send the government notice the policy requires for the checkpoint."""
    back = f"/models/{name}?checkpoint={checkpoint.split('@', 1)[-1]}"
    return await act(
        request,
        back,
        f"Government notice for {checkpoint} sent.",
        lambda: send_government_notice(request, actor, checkpoint),
    )
