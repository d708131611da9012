"""Routes for the machines that run the server: liveness, readiness and metrics.

- ``GET /healthz``: the process answers (touches nothing else), for a supervisor deciding to restart it.
- ``GET /readyz``: the store answers and its schema is at the revision this code expects, for a load balancer
  deciding to send traffic; 503 otherwise, with the reason (during an upgrade, servers of the old code see
  a newer schema and step out, and new ones wait until the migration is done).
- ``GET /metrics``: Prometheus text format (``scalegate.web.metrics``). It names no person or record, but
  says how busy the workspace is: let only the monitoring network reach it (``docs/deploy.md``).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.store.revision import HEAD_REVISION
from scalegate.web.auth import public
from scalegate.web.metrics import exposition
from scalegate.workspace import stored_revision

__all__ = ["ReadinessDocument", "readiness", "router"]

router = APIRouter(include_in_schema=False)


class ReadinessDocument(TypedDict):
    """The body of ``GET /readyz``: whether the store answers, and the schema found against the one expected
    (absent when the store did not answer), or why the server is not ready."""

    status: Literal["ok", "unavailable"]
    store: Literal["ok", "unreachable"]
    schema: NotRequired[str | None]
    expected_schema: NotRequired[str]
    reason: NotRequired[str]


@router.get("/healthz")
async def healthz(_: Actor = Depends(public("supervisors probe whether the process is up"))) -> Response:
    """200 while the process serves requests."""
    return JSONResponse({"status": "ok"})


def readiness(workspace: Any) -> tuple[bool, ReadinessDocument]:
    """Whether the store answers with its schema at head, and what was found."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        revision = stored_revision(workspace.engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:300]
        return False, {"status": "unavailable", "store": "unreachable", "reason": reason}
    if revision != HEAD_REVISION:
        return False, {
            "status": "unavailable",
            "store": "ok",
            "schema": revision,
            "expected_schema": HEAD_REVISION,
            "reason": "schema is not at head",
        }
    return True, {"status": "ok", "store": "ok", "schema": revision, "expected_schema": HEAD_REVISION}


@router.get("/readyz")
async def readyz(
    request: Request, _: Actor = Depends(public("load balancers probe whether to send traffic"))
) -> Response:
    """200 when the store answers and its schema is at head; 503 with the reason otherwise."""
    ready, document = await run_in_threadpool(readiness, request.app.state.workspace)
    return JSONResponse(document, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(
    request: Request, _: Actor = Depends(public("Prometheus scrapes it; restrict it at the proxy"))
) -> Response:
    """Prometheus text format: this server's requests and gate verdicts, and the store's figures."""
    body, content_type = await run_in_threadpool(exposition, request.app.state.workspace)
    return Response(body, media_type=content_type)
