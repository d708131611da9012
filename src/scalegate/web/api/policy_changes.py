"""Policy changes: proposal (with its diff), consultation, approval (a `policy_change` decision signed through
``/decisions``), publication and activation; policy migrations: the impact of moving to another policy, and a
proposal that records it."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from scalegate.actor import Actor
from scalegate.fields import Instant
from scalegate.gate.migration import change_impact, migrate, record_change_impact
from scalegate.governance.policy_change import ChangeView
from scalegate.governance.policy_change import activate as make_active
from scalegate.governance.policy_change import consult as respond
from scalegate.governance.policy_change import list_changes as changes
from scalegate.governance.policy_change import publish as record
from scalegate.governance.policy_change import show_change as show
from scalegate.jsonable import JsonObject, to_jsonable
from scalegate.policy import Policy, load_builtin, load_policy_text
from scalegate.web.api._common import RecordId, api_router, workspace_of
from scalegate.web.auth import requires
from scalegate.web.throttle import password_attempt

__all__ = ["router"]

router = api_router("policies")


class Proposal(BaseModel):
    """A new policy version: a built-in policy id, or a whole policy document (YAML or JSON text)."""

    model_config = ConfigDict(extra="forbid")

    builtin: str | None = Field(
        None, max_length=100, description="Built-in policy id, e.g. `anthropic-rsp-2.2`."
    )
    document: str | None = Field(None, max_length=2_000_000, description="Policy file text (YAML or JSON).")
    effective_at: Instant | None = Field(
        None, description="When it takes effect (default: its effective date)."
    )
    rationale: str = Field("", max_length=20_000, description="Why the change.")

    @model_validator(mode="after")
    def _one_source(self) -> Proposal:
        if (self.builtin is None) == (self.document is None):
            raise ValueError("give exactly one of `builtin` or `document`")
        return self


class Consultation(BaseModel):
    """A consulted role's response."""

    model_config = ConfigDict(extra="forbid")

    response: str = Field(min_length=1, max_length=20_000, description="The response.")
    role: str | None = Field(
        None, max_length=50, description="Role responding (default: the caller's consulted role)."
    )
    password: str = Field(
        min_length=1,
        max_length=1024,
        description="The signer's own password, at the moment of signing: it opens their signing key.",
    )


class Publication(BaseModel):
    """Where the approved text was published."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, max_length=2000, description="Public URL of the new version.")


class Target(BaseModel):
    """The policy to migrate to: a built-in policy id, or a whole policy document (YAML or JSON text)."""

    model_config = ConfigDict(extra="forbid")

    builtin: str | None = Field(
        None, max_length=100, description="Built-in policy id, e.g. `anthropic-rsp-3.4`."
    )
    document: str | None = Field(None, max_length=2_000_000, description="Policy file text (YAML or JSON).")

    @model_validator(mode="after")
    def _one_source(self) -> Target:
        if (self.builtin is None) == (self.document is None):
            raise ValueError("give exactly one of `builtin` or `document`")
        return self

    def policy(self) -> Policy:
        return (
            load_builtin(self.builtin) if self.builtin else load_policy_text(self.document or "", "document")
        )


def _document(change: ChangeView) -> JsonObject:
    """A change as the API returns it."""
    document: JsonObject = to_jsonable(change)
    return document


@router.get("/policy-changes", summary="Policy changes", response_model=list[dict[str, Any]])
def list_changes(request: Request, actor: Actor = Depends(requires("policy.read"))) -> list[JsonObject]:
    """Every proposed change, newest first, with its status and diff."""
    return [to_jsonable(c) for c in changes(workspace_of(request), actor)]


@router.get("/policy-changes/{change_id}", summary="One policy change", response_model=dict[str, Any])
def show_change(
    request: Request, change_id: RecordId, actor: Actor = Depends(requires("policy.read"))
) -> JsonObject:
    """A change with its diff and consultations."""
    return _document(show(workspace_of(request), actor, change_id))


@router.post(
    "/policy-changes", summary="Propose a policy change", status_code=201, response_model=dict[str, Any]
)
def propose(
    request: Request, body: Proposal, actor: Actor = Depends(requires("policy.propose"))
) -> JsonObject:
    """Validate the new policy and open the `policy_change` decision (consultation, then approval), with its
    impact on the record computed and recorded (`impact`): the approval step refuses a change without one."""
    policy = load_builtin(body.builtin) if body.builtin else load_policy_text(body.document or "", "document")
    change = migrate(
        workspace_of(request),
        actor,
        policy,
        dry_run=False,
        effective_at=body.effective_at,
        rationale=body.rationale,
        origin=body.builtin or "api upload",
    ).change
    assert change is not None  # not a dry run
    return _document(change)


@router.post(
    "/policy-changes/{change_id}/consultations",
    summary="Respond to a consultation",
    status_code=201,
    response_model=dict[str, Any],
)
def consult(
    request: Request,
    change_id: RecordId,
    body: Consultation,
    actor: Actor = Depends(requires("policy.consult")),
) -> JsonObject:
    """Record a consulted role's response (the LTBT under RSP v2), signed with the respondent's own key."""
    with password_attempt(request, actor.name):
        change = respond(
            workspace_of(request), actor, change_id, body.response, password=body.password, role=body.role
        )
    return _document(change)


@router.post(
    "/policy-changes/{change_id}/publication", summary="Record publication", response_model=dict[str, Any]
)
def publish(
    request: Request,
    change_id: RecordId,
    body: Publication,
    actor: Actor = Depends(requires("policy.publish")),
) -> JsonObject:
    """Record that the approved change was published (before its effective date when the policy requires)."""
    return _document(record(workspace_of(request), actor, change_id, url=body.url))


@router.post(
    "/policy-changes/{change_id}/activation",
    summary="Activate an approved change",
    response_model=dict[str, Any],
)
def activate(
    request: Request, change_id: RecordId, actor: Actor = Depends(requires("policy.activate"))
) -> JsonObject:
    """Make the approved, published change the active policy (on or after its effective date)."""
    return _document(make_active(workspace_of(request), actor, change_id))


@router.post(
    "/policy-migrations/impact",
    summary="What moving to another policy changes (dry run)",
    response_model=dict[str, Any],
)
def migration_impact(
    request: Request, body: Target, actor: Actor = Depends(requires("policy.read"))
) -> JsonObject:
    """Every checkpoint assessed and gated under the active and the target policy on the same evidence: the
    obligations that appear and disappear, the verdicts that change (with the reasons and clauses deciding
    each side), the sign-offs that go stale and the deadlines that start. Writes nothing."""
    result: JsonObject = to_jsonable(
        migrate(workspace_of(request), actor, body.policy(), dry_run=True).impact
    )
    return result


@router.post(
    "/policy-migrations",
    summary="Propose a policy change with its impact",
    status_code=201,
    response_model=dict[str, Any],
)
def propose_migration(
    request: Request, body: Proposal, actor: Actor = Depends(requires("policy.propose"))
) -> JsonObject:
    """As `POST /policy-changes`, with the impact computed on the same state and recorded with the proposal
    (the approval step refuses while the recorded impact no longer holds). Returns `impact` and `change`."""
    policy = load_builtin(body.builtin) if body.builtin else load_policy_text(body.document or "", "document")
    result: JsonObject = to_jsonable(
        migrate(
            workspace_of(request),
            actor,
            policy,
            dry_run=False,
            effective_at=body.effective_at,
            rationale=body.rationale,
            origin=body.builtin or "api upload",
        )
    )
    return result


@router.get(
    "/policy-changes/{change_id}/impact",
    summary="A proposed change's impact now",
    response_model=dict[str, Any],
)
def show_impact(
    request: Request, change_id: RecordId, actor: Actor = Depends(requires("policy.read"))
) -> JsonObject:
    """The change's impact on the current record beside the one recorded with it (`recorded`), and whether
    that still holds (`current`). Writes nothing."""
    found = change_impact(workspace_of(request), actor, change_id)
    return {**to_jsonable(found), "current": found.current}


@router.post(
    "/policy-changes/{change_id}/impact",
    summary="Record a proposed change's impact",
    response_model=dict[str, Any],
)
def record_impact(
    request: Request, change_id: RecordId, actor: Actor = Depends(requires("policy.propose"))
) -> JsonObject:
    """Compute the change's impact on the current record and record it for the approvers (an audit entry)."""
    found = record_change_impact(workspace_of(request), actor, change_id)
    return {**to_jsonable(found), "current": found.current}
