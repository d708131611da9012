"""The policy versions a workspace has stored: listed, fetched one by one, and read back hash-checked.

Every version is kept whole (proposed, active, superseded or rejected) so that past decisions stay
reproducible. Doors list and show them through these functions rather than reading the table, and a version's
document is handed out as a ``Policy`` only after it is checked against the hash recorded when it was stored,
so an edited row fails closed instead of producing a misleading diff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from scalegate.context import reading, verified_policy
from scalegate.errors import NotFoundError
from scalegate.policy import Policy
from scalegate.policy.service import PolicyDiffDocument, diff_summary
from scalegate.store.models.workspace import PolicyVersionRow

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.workspace import Workspace

__all__ = ["PolicyVersion", "policy_version", "policy_versions", "version_diff"]


@dataclass(frozen=True)
class PolicyVersion:
    """A stored policy version (exactly one of a workspace's versions is active)."""

    id: int
    policy_id: str
    version: str
    status: str
    """``proposed``, ``active``, ``superseded`` or ``rejected``."""
    content_hash: str
    origin: str
    created_at: datetime
    activated_at: datetime | None
    supersedes_id: int | None
    document: dict[str, Any]
    """The normalised policy as stored; ``policy()`` validates it and checks its hash."""

    def policy(self) -> Policy:
        """The version's policy, validated and checked against its recorded hash (else ``IntegrityError``)."""
        return verified_policy(self.document, self.content_hash, self.id, f"policy version {self.id}")


def _of(row: PolicyVersionRow) -> PolicyVersion:
    return PolicyVersion(
        id=row.id,
        policy_id=row.policy_id,
        version=row.version,
        status=row.status,
        content_hash=row.content_hash,
        origin=row.origin,
        created_at=row.created_at,
        activated_at=row.activated_at,
        supersedes_id=row.supersedes_id,
        document=row.document,
    )


def policy_versions(where: Workspace | Context) -> list[PolicyVersion]:
    """Every policy version the workspace has stored, oldest first."""
    with reading(where) as ctx:
        rows = ctx.session.execute(select(PolicyVersionRow).order_by(PolicyVersionRow.id)).scalars()
        return [_of(row) for row in rows]


def policy_version(where: Workspace | Context, version_id: int) -> PolicyVersion:
    """The stored version ``version_id``; ``NotFoundError`` naming the field ``version_id`` otherwise."""
    with reading(where) as ctx:
        row = ctx.session.get(PolicyVersionRow, version_id)
        if row is None:
            raise NotFoundError(f"no policy version {version_id}", where="version_id")
        return _of(row)


def version_diff(
    where: Workspace | Context, version_id: int, against: int | None = None
) -> PolicyDiffDocument:
    """What changed from ``against`` (default: the version ``version_id`` supersedes) to ``version_id``, in
    policy terms; both documents are hash-checked first. The document is ``policy.service.diff_summary``'s."""
    with reading(where) as ctx:
        new = policy_version(ctx, version_id)
        base_id = against if against is not None else new.supersedes_id
        if base_id is None:
            raise NotFoundError(
                f"policy version {version_id} supersedes nothing; name the version to compare against",
                where="against",
            )
        try:
            old = policy_version(ctx, base_id)
        except NotFoundError as exc:
            raise NotFoundError(exc.message, where="against") from exc
    return diff_summary(old.policy(), new.policy())
