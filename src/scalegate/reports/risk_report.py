"""The Risk Report and the packet for its external reviewers, rendered from the record (HTML, PDF, Markdown).

Both are built from the report as drafted (``governance.documents.risk_reports``): its coverage date, the
models it covers, the contents generated from the record, the approvals with who signed when, the
redactions with their notes, the disclosure tiers and the roadmap's progress (every missed goal listed).

- The **public version** omits each redacted section and prints, in its place, that a redaction was made,
  why and the note given ("We will disclose the existence of each redaction made in the public version").
- The **reviewer packet** carries every section (for external review, only redactions a law requires are
  allowed, and scalegate records none of those), the sections each reviewer was assigned, the review's
  clocks, and the topics the review is to address.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict

from scalegate.actor import Actor
from scalegate.canonical import digest
from scalegate.governance.decisions import show_decision
from scalegate.governance.documents import reviews, risk_reports
from scalegate.governance.documents.contents import ModelRecord
from scalegate.governance.documents.risk_reports import RedactionNote, RiskReportView
from scalegate.jsonable import JsonObject, JsonValue, to_jsonable
from scalegate.reports.document import Report, ReportKind
from scalegate.reports.provenance import Citation, build_provenance
from scalegate.reports.service import write_report

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = ["REVIEW_TOPICS", "reviewer_packet", "risk_report", "write_risk_report"]

REVIEW_TOPICS: tuple[str, ...] = (
    "Adequacy of information",
    "Analytical rigor",
    "Areas of disagreement",
    "Risk reduction recommendations",
    "Redaction scope",
    "Redaction justification",
    "Balancing test",
    "Materiality",
)
"""What an external review addresses (RSP v3.x §3.6.3: four on the contents, four on the redactions)."""


class SignatureShown(TypedDict):
    """One sign-off on an approval of the report: who signed in which role, which way, when."""

    role: str
    signer: str
    approve: bool
    signed_at: str


class ApprovalShown(TypedDict):
    """An approval the report needs (``approval`` by its approvers, ``board`` when the policy asks), its
    decision's status and sign-offs."""

    decision: str
    decision_id: int
    status: str
    signatures: list[SignatureShown]


class SectionShown(TypedDict):
    """A section of the report: its contents, or (public version) that it was redacted, why and the note."""

    section: str
    redacted: bool
    reason: NotRequired[str]
    note: NotRequired[str]
    content: NotRequired[JsonValue]


class FindingHead(TypedDict):
    """The covered model and threshold a finding row is about, with the threshold's state and clause."""

    model: str
    threshold: str
    state: str
    clause: str


class IndicatorFindingShown(FindingHead):
    """A finding row of one indicator, with the numbers the assessment decided on."""

    indicator: str
    indicator_state: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    bar: float | None
    reason: str


class BareFindingShown(FindingHead):
    """The finding row of a threshold with no indicator: ``indicator`` None and the reason."""

    indicator: None
    reason: str


FindingShown = IndicatorFindingShown | BareFindingShown
"""One row per covered model, threshold and indicator (or the threshold alone when it has none)."""


class VerdictShown(TypedDict):
    """The gate's outcome for one covered model and action, and the clauses of the reasons that block."""

    model: str
    action: str
    outcome: str
    blocking: list[str]


class ReportShown(TypedDict):
    """The report's own record: coverage, covered models, contents hash, flags and dates."""

    id: int
    title: str
    status: str
    coverage_date: str
    models: list[str]
    contents_sha256: str
    marginal_risk_major: bool
    highly_capable: bool
    significantly_redacted_by: list[str]
    shared_at: str | None
    published_at: str | None


class RoadmapShown(TypedDict):
    """The roadmap's goals as drafted, and the missed ones listed apart."""

    items: list[JsonObject]
    missed: list[JsonObject]


class RiskReportData(TypedDict):
    """The data block of the Risk Report (and, with ``reviews`` and ``topics``, of the reviewer packet)."""

    report: ReportShown
    approvals: list[ApprovalShown]
    redactions: list[RedactionNote]
    disclosure: JsonObject
    roadmap: RoadmapShown
    sections: list[SectionShown]
    findings: list[FindingShown]
    verdicts: list[VerdictShown]
    tracks: list[JsonObject]
    reviews: NotRequired[list[JsonObject]]
    topics: NotRequired[list[str]]


def _approvals(workspace: Workspace, actor: Actor, view: RiskReportView) -> list[ApprovalShown]:
    out = []
    for label, decision_id in (("approval", view.approval_decision_id), ("board", view.board_decision_id)):
        if decision_id is None:
            continue
        status = show_decision(workspace, actor, decision_id)
        out.append(
            {
                "decision": label,
                "decision_id": decision_id,
                "status": status.status,
                "signatures": [
                    {"role": s.role, "signer": s.signer, "approve": s.approve, "signed_at": s.signed_at}
                    for s in status.signatures
                ],
            }
        )
    shown: list[ApprovalShown] = to_jsonable(out)
    return shown


def _sections(view: RiskReportView, public: bool) -> list[SectionShown]:
    redacted = {r["section"]: r for r in view.redactions} if public else {}
    out: list[SectionShown] = []
    for name in reviews.REPORT_SECTIONS:
        if name in redacted:
            note = redacted[name]
            out.append({"section": name, "redacted": True, "reason": note["reason"], "note": note["note"]})
        else:
            out.append({"section": name, "redacted": False, "content": view.contents.get(name)})
    return out


def _data(
    workspace: Workspace, actor: Actor, report_id: int, public: bool
) -> tuple[RiskReportData, RiskReportView]:
    view = risk_reports.show(workspace, actor, report_id)
    roadmap = view.contents.get("roadmap", {})
    data: RiskReportData = {
        "report": {
            "id": view.id,
            "title": view.title,
            "status": view.status,
            "coverage_date": view.coverage_date.isoformat(),
            "models": view.models,
            "contents_sha256": view.contents_sha256,
            "marginal_risk_major": view.marginal_risk_major,
            "highly_capable": view.highly_capable,
            "significantly_redacted_by": view.significantly_redacted_by,
            "shared_at": view.shared_at.isoformat() if view.shared_at else None,
            "published_at": view.published_at.isoformat() if view.published_at else None,
        },
        "approvals": _approvals(workspace, actor, view),
        "redactions": view.redactions,
        "disclosure": view.disclosure,
        "roadmap": {
            "items": to_jsonable(roadmap.get("items", [])),
            "missed": [i for i in roadmap.get("items", []) if i.get("status") == "missed"],
        },
        "sections": to_jsonable(_sections(view, public)),
        "findings": _findings(view, public),
        "verdicts": _verdicts(view, public),
        "tracks": to_jsonable(view.contents.get("tracks", [])),
    }
    return data, view


def _shown_models(view: RiskReportView, public: bool) -> list[ModelRecord]:
    """The covered models' record, unless the public version redacts the models section (its findings and
    verdicts are part of it)."""
    if public and any(r["section"] == "models" for r in view.redactions):
        return []
    return list(view.contents.get("models", []))


def _findings(view: RiskReportView, public: bool) -> list[FindingShown]:
    """One row per covered model, threshold and indicator, with the numbers the assessment decided on; a
    threshold with no indicator gets one row saying why."""
    rows: list[FindingShown] = []
    for model in _shown_models(view, public):
        for t in model.get("thresholds", []):
            head: FindingHead = {
                "model": model["name"],
                "threshold": t["threshold"],
                "state": t["state"],
                "clause": t["clause"],
            }
            if not t["indicators"]:
                bare: BareFindingShown = {**head, "indicator": None, "reason": t["reason"]}
                rows.append(bare)
            rows += [
                IndicatorFindingShown(
                    {
                        **head,
                        "indicator": i["indicator"],
                        "indicator_state": i["state"],
                        "estimate": i["estimate"],
                        "ci_low": i["ci_low"],
                        "ci_high": i["ci_high"],
                        "bar": i["threshold"],
                        "reason": t["reason"],
                    }
                )
                for i in t["indicators"]
            ]
    shown: list[FindingShown] = to_jsonable(rows)
    return shown


def _verdicts(view: RiskReportView, public: bool) -> list[VerdictShown]:
    """One row per covered model and action: the gate's outcome when the report was drafted and the clauses
    of the reasons that block."""
    rows: list[VerdictShown] = [
        {
            "model": model["name"],
            "action": v["action"],
            "outcome": v["outcome"],
            "blocking": [f"{r['code']} ({r['clause']})" for r in v["reasons"] if r["effect"] == "blocks"],
        }
        for model in _shown_models(view, public)
        for v in model.get("verdicts", [])
    ]
    shown: list[VerdictShown] = to_jsonable(rows)
    return shown


def _report(
    workspace: Workspace, data: RiskReportData, view: RiskReportView, kind: ReportKind, title: str
) -> Report:
    cited = [Citation("risk_report", str(view.id), view.contents_sha256)]
    cited += [Citation("decision", str(a["decision_id"]), digest(a)) for a in data["approvals"]]
    return Report(
        kind=kind,
        title=title,
        subject=f"risk-report-{view.id}",
        data=data,
        provenance=build_provenance(workspace, data, cited),
    )


def risk_report(workspace: Workspace, actor: Actor, report_id: int) -> Report:
    """The public version of a Risk Report, each redaction disclosed with its reason and note."""
    data, view = _data(workspace, actor, report_id, public=True)
    return _report(workspace, data, view, "risk_report", view.title)


def reviewer_packet(workspace: Workspace, actor: Actor, report_id: int) -> Report:
    """The packet for the external reviewers of a report: every section, their assignments and clocks, and
    what the review is to address."""
    data, view = _data(workspace, actor, report_id, public=False)
    found = reviews.list_reviews(workspace, actor, report_id=report_id)
    data["reviews"] = to_jsonable(found)
    data["topics"] = list(REVIEW_TOPICS)
    return _report(workspace, data, view, "reviewer_packet", f"{view.title}: packet for external reviewers")


def write_risk_report(
    workspace: Workspace,
    actor: Actor,
    report_id: int,
    out_dir: Path,
    formats: Iterable[str] = ("html", "md"),
    *,
    packet: bool = False,
) -> dict[str, Path]:
    """Render and write the public report (or the reviewer packet) into ``out_dir``; format -> path."""
    built = (
        reviewer_packet(workspace, actor, report_id) if packet else risk_report(workspace, actor, report_id)
    )
    return write_report(workspace, built, out_dir, formats, actor)
