"""The public summary of a checkpoint: the Capability Report's conclusions, redacted as the policy says.

RSP v2.2 §7.2 commits to publishing key information about evaluation and deployment "not including sensitive
details". ``policy.redaction`` says what that means here: ``hide_indicator_values`` drops every estimate,
interval, threshold and alert value; ``hide_indicator_ids`` drops those indicators altogether (their ids
appear nowhere in the output); ``hide_evidence_files`` drops file hashes, from the data and from the
provenance block. What remains is read from the same service objects as the Capability Report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NotRequired, TypedDict

from scalegate.actor import ANONYMOUS
from scalegate.assessment.findings import IndicatorFindingDocument
from scalegate.assessment.service import PolicyDocument
from scalegate.governance.noncompliance import disclosure
from scalegate.jsonable import JsonObject, JsonValue, to_jsonable
from scalegate.reports.capability import CapabilityData, capability_data
from scalegate.reports.document import Report
from scalegate.reports.provenance import Citation, build_provenance

if TYPE_CHECKING:
    from scalegate.policy.schema import Redaction
    from scalegate.workspace import Workspace

__all__ = ["PublicSummaryData", "public_data", "public_summary", "redact_capability"]


class PublicIndicator(TypedDict):
    """An indicator of a threshold as the public sees it: its values and file hash unless redacted."""

    indicator_id: str
    state: str
    estimate: NotRequired[float | None]
    ci_low: NotRequired[float | None]
    ci_high: NotRequired[float | None]
    confidence_level: NotRequired[float | None]
    threshold: NotRequired[float | None]
    alert: NotRequired[float | None]
    n_samples: NotRequired[int | None]
    sha256: NotRequired[str | None]


class PublicThreshold(TypedDict):
    """A Capability Threshold's finding, with its name and domain."""

    threshold_id: str
    name: str
    domain: str
    status: str
    ruled_out: bool
    state: str
    indicators: list[PublicIndicator]
    clause: str


class PublicCheckpoint(TypedDict):
    """The checkpoint a summary is about."""

    ref: str
    model: str
    name: str
    stage: str
    recorded_at: str


class RequiredLevel(TypedDict):
    """A required safeguard level and the thresholds that require it."""

    level: str
    because: JsonValue


class SafeguardsMet(TypedDict):
    """Whether a kind's required safeguard standard is met."""

    level: str
    met: bool


class DeterminationShown(TypedDict):
    """Whether the capability determination is recorded and approved, when, by which roles."""

    recorded: bool
    approved: bool
    signed_at: str | None
    roles: list[str]


class RedactionShown(TypedDict):
    """What the policy's redaction left out (``hidden_evidence_ids`` only until ``public_data`` uses it)."""

    hide_indicator_values: bool
    hidden_indicators: int
    hide_evidence_files: bool
    source: str | None
    hidden_evidence_ids: NotRequired[list[str]]


class PublicSummaryData(TypedDict):
    """The data block of the public summary."""

    report: str
    checkpoint: PublicCheckpoint
    assessed_at: str
    policy: PolicyDocument
    thresholds: list[PublicThreshold]
    required: dict[str, RequiredLevel]
    safeguards: dict[str, SafeguardsMet]
    determination: DeterminationShown
    gate: dict[str, str]
    redaction: RedactionShown
    noncompliance: NotRequired[JsonObject]


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


def public_data(workspace: Workspace, ref: str) -> tuple[PublicSummaryData, list[Citation]]:
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
            c
            for c in cited
            if c.kind != "evidence" or c.id not in data["redaction"].get("hidden_evidence_ids", [])
        ]
    )
    data["redaction"].pop("hidden_evidence_ids")
    return data, public_cited


def redact_capability(
    full: CapabilityData, redaction: Redaction, names: dict[str, tuple[str, str]]
) -> PublicSummaryData:
    """The public view of a Capability Report's data block under ``redaction``."""
    a = full["assessment"]
    hidden = set(redaction.hide_indicator_ids)
    hidden_evidence = {
        str(i["evidence_id"])
        for f in a["findings"]
        for i in f["indicators"]
        if i["indicator_id"] in hidden and i.get("evidence_id") is not None
    }
    thresholds: list[PublicThreshold] = []
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
    det = a["determination"] or {}
    signed_at, signatures = det.get("signed_at"), det.get("signatures")
    signers = signatures if isinstance(signatures, Sequence) else []
    verdicts: dict[str, str] = {action: v["outcome"] for action, v in full["verdicts"].items()}
    return {
        "report": "public",
        "checkpoint": {
            "ref": a["checkpoint"]["ref"],
            "model": a["checkpoint"]["model"],
            "name": a["checkpoint"]["name"],
            "stage": a["checkpoint"]["stage"],
            "recorded_at": a["checkpoint"]["recorded_at"],
        },
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
            "signed_at": signed_at if isinstance(signed_at, str) else None,
            "roles": sorted({str(s["role"]) for s in signers if isinstance(s, Mapping) and s.get("approve")}),
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


def _indicator(finding: IndicatorFindingDocument, redaction: Redaction) -> PublicIndicator:
    out: PublicIndicator = {"indicator_id": finding["indicator_id"], "state": finding["state"]}
    if not redaction.hide_indicator_values:
        out["estimate"] = finding.get("estimate")
        out["ci_low"] = finding.get("ci_low")
        out["ci_high"] = finding.get("ci_high")
        out["confidence_level"] = finding.get("confidence_level")
        out["threshold"] = finding.get("threshold")
        out["alert"] = finding.get("alert")
        out["n_samples"] = finding.get("n_samples")
    if not redaction.hide_evidence_files:
        out["sha256"] = finding.get("sha256")
    return out
