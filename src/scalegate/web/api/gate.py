"""The gate over HTTP: may this checkpoint continue training, be deployed internally, or externally?

Pipelines call this on every step, so the server keeps each verdict the engine computed and answers with it
while the workspace's recorded state is unchanged and the verdict's own ``valid_until`` (the next deadline or
expiry that could change it) has not come; see ``scalegate.web.state``. Any state change (new evidence, a
signature, a policy change) makes the next call ask the engine again.

A caller who presents no credential gets only what the public summary publishes
(``scalegate.gate.disclosure``): the outcome, not the reasons with their estimates, intervals and evidence
hashes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from scalegate.actor import Actor
from scalegate.clock import parse_instant
from scalegate.gate.disclosure import public_verdict
from scalegate.gate.service import evaluate_actions
from scalegate.jsonable import JsonObject
from scalegate.vocabulary import ACTIONS, Action
from scalegate.web.api._common import api_router, workspace_of
from scalegate.web.auth import requires
from scalegate.web.metrics import record_verdict
from scalegate.web.state import VersionedCache, request_version

__all__ = ["ACTIONS", "GateAction", "router", "verdict_document", "verdict_json"]

router = api_router("gate")

GateAction = Action
"""The gate's actions as the API validates them (the one definition is ``scalegate.vocabulary``)."""


def _valid_until(body: bytes) -> datetime | None:
    value = json.loads(body).get("valid_until")
    return parse_instant(value) if isinstance(value, str) else None


def verdict_document(request: Request, ref: str, action: str) -> JsonObject:
    """The verdict as JSON, from the engine or, while still valid, as the engine last gave it."""
    document: JsonObject = json.loads(verdict_json(request, ref, action))
    return document


def verdict_json(request: Request, ref: str, action: str) -> bytes:
    """The verdict's JSON bytes (kept serialised: a pipeline asks again and again).

    A miss assesses the checkpoint once and keeps the verdicts of every action, each under the state version
    it was decided at, so a page that shows all three actions costs one assessment."""

    workspace = workspace_of(request)
    cache: VersionedCache = request.app.state.cache

    def compute() -> bytes:
        verdicts = evaluate_actions(workspace, ref)
        bodies = {
            other: json.dumps(verdict.to_dict(), default=str).encode("utf-8")
            for other, verdict in verdicts.items()
        }
        for other, verdict in verdicts.items():
            if other != action and verdict.state_version is not None:
                cache.store(("gate", ref, other), verdict.state_version, bodies[other], verdict.valid_until)
        return bodies[action]

    body: bytes = cache.get(("gate", ref, action), compute, _valid_until, request_version(request))
    return body


@router.get("/gate", summary="The gate's verdict for an action", response_model=dict[str, Any])
async def gate(
    request: Request,
    model: str = Query(
        ..., min_length=1, max_length=500, description="MODEL (latest checkpoint) or MODEL@CHECKPOINT."
    ),
    action: GateAction = Query(..., description="What the caller wants to do."),
    actor: Actor = Depends(requires("gate.read")),
) -> Response:
    """`allow`, `restrict` (within approved interim measures) or `pause`, with the reasons as a tree, each
    citing the policy clause; `exit_code` is what `scalegate gate` would exit with. Anything that goes wrong
    while deciding gives `pause` with the reason (fail closed), still with status 200.

    Without credentials the answer has only the fields the public summary publishes (`ref`, `action`,
    `outcome`, `exit_code`, `decided_at`, `policy`, `required`), empty `reasons`, `restrictions` and
    `errors`, and `public: true`."""
    cache: VersionedCache = request.app.state.cache
    version = request_version(request)
    if version is None:
        version = request.state.state_version = await cache.version.acurrent()
    kept = cache.lookup(("gate", model, action), version)[1]  # served without leaving the event loop
    body = kept if kept is not None else await run_in_threadpool(verdict_json, request, model, action)
    record_verdict(body)
    if actor.kind == "anonymous":
        body = json.dumps(public_verdict(json.loads(body))).encode("utf-8")
    return Response(body, media_type="application/json")
