"""Building, recording, validating and drawing safety cases: what the CLI, the API and the bundle call.

Building a case writes nothing but its file, and records it in the audit log by hash (``safety_case.built``),
so a case handed to a reviewer can be matched to the record. Validation is structural (gsn2x's checks plus
scalegate's deploy and evidence checks) and, unless asked not to, also checks every evidence leaf against the
current record: stale evidence invalidates the case.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from scalegate.actor import SYSTEM, Actor
from scalegate.assessment.service import assess
from scalegate.errors import InputError
from scalegate.governance.permissions import require
from scalegate.reports.safety_case.builder import build_control_case, build_inability_case, parse_standard
from scalegate.reports.safety_case.diagram import render_svg
from scalegate.reports.safety_case.freshness import validate_against_record
from scalegate.reports.safety_case.model import CasePurpose, SafetyCase
from scalegate.reports.safety_case.validate import CaseValidation, validate_case

if TYPE_CHECKING:
    from scalegate.context import Context
    from scalegate.workspace import Workspace

__all__ = [
    "build_case",
    "cases_for",
    "record_case",
    "record_case_entry",
    "render_case",
    "validate",
    "write_case",
]


def build_case(
    workspace: Workspace,
    *,
    ref: str | None = None,
    threshold: str | None = None,
    standard: str | None = None,
    purpose: CasePurpose = "review",
) -> SafetyCase:
    """An inability case (``ref`` and ``threshold``) or a control case (``standard`` KIND:LEVEL; ``ref``
    optional).
    """
    if (threshold is None) == (standard is None):
        raise InputError("a safety case argues either a threshold or a safeguard standard", where="threshold")
    if threshold is not None:
        if ref is None:
            raise InputError("an inability case needs a MODEL@CHECKPOINT", where="ref")
        return build_inability_case(workspace, ref, threshold, purpose)
    assert standard is not None
    kind, level = parse_standard(standard)
    return build_control_case(workspace, kind, level, purpose, subject=ref)


def cases_for(workspace: Workspace, ref: str, purpose: CasePurpose = "review") -> list[SafetyCase]:
    """Every case a checkpoint's record supports: one per threshold, one per required standard."""
    assessment = assess(workspace, ref)
    cases = [build_inability_case(workspace, ref, f.threshold_id, purpose) for f in assessment.findings]
    cases += [
        build_control_case(workspace, kind, lv.level, purpose, subject=assessment.ref)
        for kind, lv in assessment.requirements.levels.items()
    ]
    return cases


def write_case(case: SafetyCase, path: Path) -> str:
    """Write the case's JSON to ``path``; returns its SHA-256."""
    data = case.to_json().encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write safety case: {exc.strerror}", where=str(path)) from exc
    return hashlib.sha256(data).hexdigest()


def record_case(workspace: Workspace, case: SafetyCase, sha256: str, actor: Actor = SYSTEM) -> int:
    """Record a written case file in the audit log; returns the entry's sequence number."""
    with workspace.writing(actor) as ctx:
        require(actor, "report.generate", ctx.active)
        return record_case_entry(ctx, case, sha256)


def record_case_entry(ctx: Context, case: SafetyCase, sha256: str) -> int:
    """The audit entry of a written case, in the caller's write context (no permission check: callers check
    theirs in that context, e.g. `report.export`)."""
    return ctx.record(
        "safety_case.built",
        f"safety_case:{case.id}",
        {
            "case": case.id,
            "kind": case.kind,
            "purpose": case.purpose,
            "sha256": sha256,
            "case_digest": case.digest(),
            "leaves": len(case.solutions()),
        },
    )


def validate(
    workspace: Workspace | None, case: SafetyCase, *, for_deploy: bool | None = None
) -> CaseValidation:
    """Validate structurally, and against the record when a workspace is given."""
    if workspace is None:
        return validate_case(case, for_deploy=for_deploy)
    return validate_against_record(workspace, case, for_deploy=for_deploy)


def render_case(case: SafetyCase, validation: CaseValidation | None = None) -> bytes:
    """The case as SVG, with elements that have diagnostics outlined in red."""
    problems: dict[str, str] = {}
    for d in validation.diagnostics if validation else []:
        if d.node and d.severity == "error":
            problems[d.node] = (problems.get(d.node, "") + f"{d.code}: {d.message}; ").strip()
    return render_svg(case, problems)
