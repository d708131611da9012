"""The Safeguards Report of one required standard (RSP v2.2 §4.3): does the implementation meet it?

For each criterion of the standard (and of the lower levels of its kind, standards being cumulative): the
implementation record (owner, status), every piece of evidence submitted with its review (approver, dates,
expiry, file hash and the audit entry that recorded it), the gaps, and the notices (to the Board and the LTBT)
the safeguards determination still owes before proceeding. Whether a criterion or the standard is met is the
safeguards service's answer (``standard_status``), copied as is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from sqlalchemy import select

from scalegate.assessment.requirements import RequiredLevelDocument
from scalegate.assessment.service import assess
from scalegate.canonical import digest
from scalegate.governance.decisions import before_proceeding, notices_due
from scalegate.jsonable import JsonObject, JsonValue
from scalegate.reports.document import Report
from scalegate.reports.plots import Figure, MatrixCell, MatrixState, safeguards_matrix_figure
from scalegate.reports.provenance import Citation, build_provenance
from scalegate.reports.records import find_entry
from scalegate.safeguards.service import (
    SafeguardsDetermination,
    StandardStatusDocument,
    standard_level,
    standard_status,
)
from scalegate.store.base import row_digest, row_values
from scalegate.store.models.safeguards import SafeguardEvidenceRow, SafeguardImplementationRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.context import Context
    from scalegate.policy import Policy
    from scalegate.workspace import Workspace

__all__ = ["RequiredBy", "SafeguardsData", "SafeguardsNotices", "safeguards_data", "safeguards_report"]


class SafeguardsNotices(TypedDict):
    """The notices a safeguards determination owes before proceeding, which are missing, and those sent."""

    required_before_proceeding: list[str]
    missing: list[str]
    clause: str | None
    sent: list[JsonValue]


class RequiredBy(TypedDict):
    """Whether checkpoint ``ref``'s assessment requires this standard (``required``: the kind's level)."""

    ref: str
    required: RequiredLevelDocument | None
    this_standard_required: bool


class StandardShown(TypedDict):
    """The standard a Safeguards Report is about, as the policy defines it."""

    kind: str
    level: str
    title: str
    summary: str
    clause: str
    criteria_published: bool
    reapproval_interval_months: int | None


class SafeguardsData(TypedDict):
    """The data block of a Safeguards Report: the standard, its status as the safeguards service answers,
    each criterion's implementation record and evidence (rows as JSON), and what the determination owes."""

    report: str
    standard: StandardShown
    status: StandardStatusDocument
    implementations: dict[str, JsonObject]
    evidence: dict[str, list[JsonObject]]
    required_by: RequiredBy | None
    notices: SafeguardsNotices


def safeguards_report(workspace: Workspace, kind: str, level: str, *, ref: str | None = None) -> Report:
    """Build the Safeguards Report of the (kind, level) standard, optionally for checkpoint ``ref``."""
    data, cited = safeguards_data(workspace, kind, level, ref=ref)
    title = data["standard"]["title"]
    subject = f"{kind}:{level}" + (f" for {ref}" if ref else "")
    report = Report(
        kind="safeguards",
        title=f"Safeguards Report: {title}",
        subject=subject,
        data=data,
        provenance=build_provenance(workspace, data, cited),
    )
    report.figures = [_matrix(data)]
    return report


def safeguards_data(
    workspace: Workspace, kind: str, level: str, *, ref: str | None = None
) -> tuple[SafeguardsData, list[Citation]]:
    """The data block of the Safeguards Report and the records it cites."""
    with workspace.reading() as ctx:
        session, policy = ctx.session, ctx.policy
        lv = standard_level(policy, kind, level)
        status = standard_status(ctx, kind, level)
        criteria_ids = [c.criterion_id for c in status.criteria]
        implementations = _implementations(session, criteria_ids)
        evidence = _evidence(session, criteria_ids)
        required_by = _required_by(ctx, ref, kind, level) if ref else None
    data: SafeguardsData = {
        "report": "safeguards",
        "standard": {
            "kind": kind,
            "level": level,
            "title": lv.title,
            "summary": lv.summary,
            "clause": lv.source.cite(),
            "criteria_published": lv.criteria_published,
            "reapproval_interval_months": policy.safeguards.reapproval_interval_months,
        },
        "status": status.to_dict(),
        "implementations": implementations,
        "evidence": evidence,
        "required_by": required_by,
        "notices": _notices(workspace, policy, status.determination),
    }
    cited = [
        Citation(
            "safeguard_evidence", str(e["id"]), str(e["sha256"] or e["row_digest"]), _seq(e["audit_seq"])
        )
        for items in evidence.values()
        for e in items
    ]
    if status.determination:
        cited.append(
            Citation("decision", str(status.determination.get("decision_id")), digest(status.determination))
        )
    return data, cited


def _notices(
    workspace: Workspace, policy: Policy, determination: SafeguardsDetermination | None
) -> SafeguardsNotices:
    """The notices the safeguards determination owes before the model proceeds (RSP v2.2 §4.3: shared with
    the Board and the LTBT), and which are still missing: the gate blocks on each missing one, so the report
    says so beside the signatures."""
    rule = policy.decision_rule("safeguards_determination")
    before = before_proceeding(rule)
    roles = [n.role for n in before]
    clause = ", ".join(dict.fromkeys(n.source.cite() for n in before)) or None
    # No determination yet: every notice is still to come (``notices_due`` of nothing sent).
    due = notices_due(rule, []) if determination is None else determination.get("missing_notifications")
    missing = list(due or [])
    return {
        "required_before_proceeding": roles,
        "missing": missing,
        "clause": clause,
        "sent": [] if determination is None else list(determination.get("notifications") or []),
    }


def _seq(value: JsonValue) -> int | None:
    """An evidence item's audit sequence number (None when no entry records it)."""
    return value if isinstance(value, int) else None


def _implementations(session: Session, criteria: list[str]) -> dict[str, JsonObject]:
    """Each criterion's implementation record, its columns as JSON values."""
    rows = session.execute(
        select(SafeguardImplementationRow).where(SafeguardImplementationRow.criterion_id.in_(criteria))
    ).scalars()
    return {r.criterion_id: row_values(r) for r in rows}


def _evidence(session: Session, criteria: list[str]) -> dict[str, list[JsonObject]]:
    """Every piece of evidence per criterion (approved, pending, rejected) and the entry recording it: the
    row's columns as JSON values, its digest and the entry's sequence number."""
    out: dict[str, list[JsonObject]] = {c: [] for c in criteria}
    rows = session.execute(
        select(SafeguardEvidenceRow)
        .where(SafeguardEvidenceRow.criterion_id.in_(criteria))
        .order_by(SafeguardEvidenceRow.id)
    ).scalars()
    for row in rows:
        entry = find_entry(
            session,
            event="safeguards.evidence_added",
            subject=f"criterion:{row.criterion_id}",
            match={"evidence_id": row.id},
        )
        out[row.criterion_id].append(
            {
                **row_values(row),
                "row_digest": row_digest(row),
                "audit_seq": entry.seq if entry is not None else None,
            }
        )
    return out


def _required_by(ctx: Context, ref: str, kind: str, level: str) -> RequiredBy:
    """Which thresholds of checkpoint ``ref`` require this standard, per the assessment."""
    assessment = assess(ctx, ref)
    required = assessment.requirements.levels.get(kind)
    return {
        "ref": assessment.ref,
        "required": required.to_dict() if required else None,
        "this_standard_required": bool(required and required.level == level),
    }


def _matrix(data: SafeguardsData) -> Figure:
    """Criteria (rows) by what each needs: an implementation, approved evidence, and current evidence."""
    cells: list[MatrixCell] = []
    for c in data["status"]["criteria"]:
        cid = c["criterion_id"]
        impl = data["implementations"].get(cid)
        items = data["evidence"].get(cid, [])
        impl_state: MatrixState = (
            "gap" if impl is None else ("met" if impl["status"] == "implemented" else "pending")
        )
        approved: MatrixState
        if any(e["status"] == "approved" for e in items):
            approved = "met"
        elif any(e["status"] == "pending" for e in items):
            approved = "pending"
        else:
            approved = "gap"
        current: MatrixState = "met" if c["met"] else ("expired" if "expired" in c["reason"] else "gap")
        row = f"{cid} ({c['level']})"
        cells += [
            MatrixCell(row, "implemented", impl_state),
            MatrixCell(row, "evidence approved", approved),
            MatrixCell(row, "met now", current),
        ]
    std = data["standard"]
    return safeguards_matrix_figure(
        cells, name="safeguards-matrix", caption=f"Safeguards matrix: {std['title']} (cumulative criteria)"
    )
