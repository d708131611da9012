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
from typing import TYPE_CHECKING, Any

from scalegate.actor import Actor
from scalegate.canonical import digest
from scalegate.governance.decisions import show_decision
from scalegate.governance.documents import reviews, risk_reports
from scalegate.jsonable import to_jsonable
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


def _approvals(workspace: Workspace, actor: Actor, view: risk_reports.RiskReportView) -> list[dict[str, Any]]:
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
    return to_jsonable(out)  # type: ignore[no-any-return]


def _sections(view: risk_reports.RiskReportView, public: bool) -> list[dict[str, Any]]:
    redacted = {r["section"]: r for r in view.redactions} if public else {}
    out = []
    for name in reviews.REPORT_SECTIONS:
        if name in redacted:
            note = redacted[name]
            out.append({"section": name, "redacted": True, "reason": note["reason"], "note": note["note"]})
        else:
            out.append({"section": name, "redacted": False, "content": view.contents.get(name)})
    return out


def _data(workspace: Workspace, actor: Actor, report_id: int, public: bool) -> tuple[dict[str, Any], Any]:
    view = risk_reports.show(workspace, actor, report_id)
    roadmap = view.contents.get("roadmap", {})
    data = {
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


def _shown_models(view: risk_reports.RiskReportView, public: bool) -> list[dict[str, Any]]:
    """The covered models' record, unless the public version redacts the models section (its findings and
    verdicts are part of it)."""
    if public and any(r["section"] == "models" for r in view.redactions):
        return []
    return list(view.contents.get("models", []))


def _findings(view: risk_reports.RiskReportView, public: bool) -> list[dict[str, Any]]:
    """One row per covered model, threshold and indicator, with the numbers the assessment decided on; a
    threshold with no indicator gets one row saying why."""
    rows: list[dict[str, Any]] = []
    for model in _shown_models(view, public):
        for t in model.get("thresholds", []):
            head = {
                "model": model["name"],
                "threshold": t["threshold"],
                "state": t["state"],
                "clause": t["clause"],
            }
            if not t["indicators"]:
                rows.append({**head, "indicator": None, "reason": t["reason"]})
            rows += [
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
                for i in t["indicators"]
            ]
    return to_jsonable(rows)  # type: ignore[no-any-return]


def _verdicts(view: risk_reports.RiskReportView, public: bool) -> list[dict[str, Any]]:
    """One row per covered model and action: the gate's outcome when the report was drafted and the clauses
    of the reasons that block."""
    rows = [
        {
            "model": model["name"],
            "action": v["action"],
            "outcome": v["outcome"],
            "blocking": [f"{r['code']} ({r['clause']})" for r in v["reasons"] if r["effect"] == "blocks"],
        }
        for model in _shown_models(view, public)
        for v in model.get("verdicts", [])
    ]
    return to_jsonable(rows)  # type: ignore[no-any-return]


def _report(workspace: Workspace, data: dict[str, Any], view: Any, kind: ReportKind, title: str) -> Report:
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
