"""The active policy: hash-checked when read, its model built on first use, and fail closed either way.

``PolicyLoader.load`` accepts a stored document without validating it only when the document's own canonical
digest is the hash recorded at activation, i.e. when it is the validated form byte for byte. These tests pin
that every policy scalegate can activate is its own validated form, that an edited document still fails when
read, that a document which passes the hash but not the schema fails where the policy is used, and that a
permission no policy can grant is decided the same with or without building the model.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest
from sqlalchemy import update

from scalegate import context, permissions
from scalegate.actor import Actor
from scalegate.canonical import digest
from scalegate.errors import IntegrityError, PermissionDenied
from scalegate.permissions import ACTIONS, POLICY_ACTIONS, require, roles_for
from scalegate.policy import builtin_ids, content_hash, load_builtin
from scalegate.store.models.workspace import PolicyVersionRow
from scalegate.workspace import Workspace, open_workspace
from tests.support.policy import active_of, policy_of

EVALUATOR = Actor(name="eve", roles=frozenset({"evaluator"}))


@pytest.mark.parametrize("policy_id", builtin_ids())
def test_every_builtin_policy_is_its_own_validated_form(policy_id: str) -> None:
    policy = load_builtin(policy_id)
    assert digest(policy.model_dump(mode="json")) == content_hash(policy)


def test_the_model_is_built_once_on_first_use(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    validate = context.verified_policy

    def counted(*args: Any) -> Any:
        built.append(1)
        return validate(*args)

    monkeypatch.setattr(context, "verified_policy", counted)
    with workspace.read() as session:
        active = context.PolicyLoader().load(session)
    assert built == []
    assert content_hash(active.policy) == active.content_hash
    assert active.policy is active.policy and built == [1]


def _store(workspace: Workspace, document: dict[str, Any], recorded: str | None = None) -> Workspace:
    """The active policy's document (and optionally its recorded hash) replaced; a fresh handle on it."""
    values: dict[str, Any] = {"document": document}
    if recorded is not None:
        values["content_hash"] = recorded
    with workspace.engine.begin() as conn:
        conn.execute(update(PolicyVersionRow).where(PolicyVersionRow.status == "active").values(**values))
    return open_workspace(workspace.url)


def test_an_edited_policy_fails_when_read(workspace: Workspace) -> None:
    document = policy_of(workspace).model_dump(mode="json")
    document["title"] = document["title"] + " (edited)"
    fresh = _store(workspace, document)
    try:
        with pytest.raises(IntegrityError, match="does not match its recorded hash"):
            active_of(fresh)
        with pytest.raises(IntegrityError):
            require(EVALUATOR, "evidence.ingest", active_of(fresh))
    finally:
        fresh.close()


def test_a_policy_invalid_for_the_schema_fails_where_it_is_used(workspace: Workspace) -> None:
    document = policy_of(workspace).model_dump(mode="json")
    document["schema_version"] = 9
    fresh = _store(workspace, document, recorded=digest(document))
    try:
        active = active_of(fresh)  # the recorded hash is the document's: read without the schema
        require(EVALUATOR, "evidence.ingest", active)  # no policy can grant it: the model is not needed
        with pytest.raises(IntegrityError, match="stored active policy is invalid"):
            _ = active.policy
        with pytest.raises(IntegrityError, match="stored active policy is invalid"):
            require(EVALUATOR, "decision.sign", active)
        with pytest.raises(IntegrityError):
            policy_of(fresh)
    finally:
        fresh.close()


def test_policy_actions_are_the_ones_the_policy_rules_write() -> None:
    tree = ast.parse(inspect.getsource(permissions._policy_rules))
    written = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "PermissionRule"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert written == POLICY_ACTIONS


def test_roles_are_the_same_from_the_active_policy_or_its_model(workspace: Workspace) -> None:
    active = active_of(workspace)
    for action in ACTIONS:
        assert roles_for(action, active) == roles_for(action, active.policy), action
    nobody = Actor(name="nobody")
    with pytest.raises(PermissionDenied, match="roles that may: evaluator"):
        require(nobody, "evidence.ingest", active)
