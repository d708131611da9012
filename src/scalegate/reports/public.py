"""The public summary of a checkpoint: the Capability Report's conclusions, redacted as the policy says.

RSP v2.2 §7.2 commits to publishing key information about evaluation and deployment "not including sensitive
details". ``policy.redaction`` says what that means here: ``hide_indicator_values`` drops every estimate,
interval, threshold and alert value; ``hide_indicator_ids`` drops those indicators altogether (their ids
appear nowhere in the output); ``hide_evidence_files`` drops file hashes, from the data and from the
provenance block. What remains is read from the same service objects as the Capability Report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scalegate.actor import ANONYMOUS
from scalegate.governance.noncompliance import disclosure
from scalegate.jsonable import to_jsonable
from scalegate.reports.capability import capability_data
from scalegate.reports.document import Report
from scalegate.reports.provenance import Citation, build_provenance

if TYPE_CHECKING:
    from scalegate.policy.schema import Redaction
    from scalegate.workspace import Workspace

__all__ = ["public_data", "public_summary", "redact_capability"]

_VALUE_KEYS = ("estimate", "ci_low", "ci_high", "confidence_level", "threshold", "alert", "n_samples")


def public_summary(workspace: Workspace, ref: str) -> Report:
    """Build the public summary of checkpoint ``ref``."""
    data, cited = public_data(workspace, ref)
    return Report(
        kind="public",
        title=f"Public summary: {data['checkpoint']['ref']}",
        subject=data["checkpoint"]["ref"],
        data=data,
        provenance=build_provenance(workspace, data, cited),
    )


def public_data(workspace: Workspace, ref: str) -> tuple[dict[str, Any], list[Citation]]:
    """The redacted data block and what it may cite publicly."""
    with workspace.reading() as ctx:
        full, cited = capability_data(ctx, ref)
        policy = ctx.policy
    data = redact_capability(full, policy.redaction, {t.id: (t.name, t.domain) for t in policy.thresholds})
    counted = to_jsonable(disclosure(workspace, ANONYMOUS))
    data["noncompliance"] = {k: v for k, v in counted.items() if k != "as_of"}
    public_cited = (
        []
        if policy.redaction.hide_evidence_files
        else [
            c for c in cited if c.kind != "evidence" or c.id not in data["redaction"]["hidden_evidence_ids"]
        ]
    )
    data["redaction"].pop("hidden_evidence_ids")
    return data, public_cited


def redact_capability(
    full: dict[str, Any], redaction: Redaction, names: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """The public view of a Capability Report's data block under ``redaction``."""
    a = full["assessment"]
    hidden = set(redaction.hide_indicator_ids)
    hidden_evidence = {
        str(i["evidence_id"])
        for f in a["findings"]
        for i in f["indicators"]
        if i["indicator_id"] in hidden and i.get("evidence_id") is not None
    }
    thresholds = []
    for f in a["findings"]:
        indicators = [_indicator(i, redaction) for i in f["indicators"] if i["indicator_id"] not in hidden]
        name, domain = names.get(f["threshold_id"], ("", ""))
        thresholds.append(
            {
                "threshold_id": f["threshold_id"],
                "name": name,
                "domain": domain,
                "status": f["status"],
                "ruled_out": f["ruled_out"],
                "state": f["state"],
                "indicators": indicators,
                "clause": f["clause"],
            }
        )
    det = a.get("determination") or {}
    verdicts = {action: v["outcome"] for action, v in full["verdicts"].items()}
    return {
        "report": "public",
        "checkpoint": {k: a["checkpoint"][k] for k in ("ref", "model", "name", "stage", "recorded_at")},
        "assessed_at": a["assessed_at"],
        "policy": a["policy"],
        "thresholds": thresholds,
        "required": {
            k: {"level": v["level"], "because": v["because"]} for k, v in a["requirements"]["levels"].items()
        },
        "safeguards": {k: {"level": v["level"], "met": v["met"]} for k, v in a["safeguards"].items()},
        "determination": {
            "recorded": bool(det),
            "approved": bool(det.get("approved")) and not det.get("stale"),
            "signed_at": det.get("signed_at"),
            "roles": sorted({s["role"] for s in det.get("signatures", []) if s.get("approve")}),
        },
        "gate": verdicts,
        "redaction": {
            "hide_indicator_values": redaction.hide_indicator_values,
            "hidden_indicators": len(
                hidden & {i["indicator_id"] for f in a["findings"] for i in f["indicators"]}
            ),
            "hide_evidence_files": redaction.hide_evidence_files,
            "source": redaction.source.cite() if redaction.source else None,
            "hidden_evidence_ids": sorted(hidden_evidence),
        },
    }


def _indicator(finding: dict[str, Any], redaction: Redaction) -> dict[str, Any]:
    out = {"indicator_id": finding["indicator_id"], "state": finding["state"]}
    if not redaction.hide_indicator_values:
        out.update({k: finding.get(k) for k in _VALUE_KEYS})
    if not redaction.hide_evidence_files:
        out["sha256"] = finding.get("sha256")
    return out
