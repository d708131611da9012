"""Policy services used by every door: summaries, validation reports and diffs as plain data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypedDict

from scalegate.jsonable import json_default
from scalegate.policy.builtin import builtin_ids, builtin_path, load_builtin
from scalegate.policy.diff import PolicyChangeDocument, diff_policies
from scalegate.policy.loader import content_hash
from scalegate.policy.rewrite import describe_document, describe_review, summarize_rewrite
from scalegate.policy.schema import Policy

__all__ = [
    "BuiltinSummary",
    "PolicyDiffDocument",
    "PolicySummary",
    "builtin_index",
    "builtin_summaries",
    "diff_summary",
    "index_path",
    "policy_summary",
    "write_builtin_index",
]


class TriggerSummary(TypedDict):
    """The assessment triggers of a policy summary (None: the policy has no such trigger)."""

    effective_compute_ratio: float | None
    calendar_months: int | None
    safety_buffer_multiple: float | None
    deadline_days: int | None
    discretionary_roles: list[str]


class ThresholdSummary(TypedDict):
    """One capability threshold of a policy summary, with what it requires."""

    id: str
    domain: str
    status: str
    requires: list[str]
    mapping: str
    affirmative_case_required: bool
    indicators: int


class GateSummary(TypedDict):
    """What one action's gate requires, in a policy summary."""

    action: str
    requires_kinds: list[str]
    requires_decisions: list[str]
    requires_obligations: list[str]


class LevelSummary(TypedDict):
    """One safeguard level of a policy summary."""

    kind: str
    id: str
    rank: int
    criteria: int
    published: bool


class PolicySummary(TypedDict):
    """The short description of a policy that ``policy show``, ``status`` and ``GET /policy`` print."""

    id: str
    title: str
    framework: str
    publisher: str
    version: str
    effective_date: str
    content_hash: str
    baseline: list[str]
    triggers: TriggerSummary
    thresholds: list[ThresholdSummary]
    gates: list[GateSummary]
    obligations: list[str]
    levels: list[LevelSummary]


class BuiltinSummary(TypedDict):
    """One built-in policy's line of facts, with its lineage among the built-ins."""

    id: str
    title: str
    publisher: str
    version: str
    effective_date: str
    supersedes: str | None
    superseded_by: str | None
    thresholds: int
    content_hash: str


class PolicyRef(TypedDict):
    """One side of a policy diff: which policy, which version, which content."""

    id: str
    version: str
    content_hash: str


PolicyDiffDocument = TypedDict(
    "PolicyDiffDocument",
    {"from": PolicyRef, "to": PolicyRef, "summary": list[str], "changes": list[PolicyChangeDocument]},
)
"""The changes from one policy to another: what they amount to (``summary``), then every change."""


def policy_summary(policy: Policy, digest: str | None = None) -> PolicySummary:
    """A short description of a policy: framework, triggers, thresholds and what they require, what each
    action's gate requires, and the obligations (documents and reviews) of a policy that binds by process."""
    triggers = policy.triggers
    return {
        "id": policy.id,
        "title": policy.title,
        "framework": policy.framework.name,
        "publisher": policy.framework.publisher,
        "version": policy.framework.version,
        "effective_date": policy.framework.effective_date.isoformat(),
        "content_hash": digest or content_hash(policy),
        "baseline": [f"{r.kind}:{r.level}" for r in policy.safeguards.baseline],
        "triggers": {
            "effective_compute_ratio": triggers.effective_compute.ratio
            if triggers.effective_compute
            else None,
            "calendar_months": triggers.calendar.months if triggers.calendar else None,
            "safety_buffer_multiple": (
                triggers.safety_buffer.effective_compute_multiple if triggers.safety_buffer else None
            ),
            "deadline_days": triggers.deadline_days,
            "discretionary_roles": triggers.discretionary.roles if triggers.discretionary else [],
        },
        "thresholds": [
            {
                "id": t.id,
                "domain": t.domain,
                "status": t.status,
                "requires": [f"{r.kind}:{r.level}" for r in t.required_safeguards],
                "mapping": t.mapping,
                "affirmative_case_required": t.affirmative_case_required,
                "indicators": len(t.indicators),
            }
            for t in policy.thresholds
        ],
        "gates": [
            {
                "action": a.action,
                "requires_kinds": list(a.requires_kinds),
                "requires_decisions": list(a.requires_decisions),
                "requires_obligations": list(a.requires_obligations),
            }
            for a in policy.actions
        ],
        "obligations": _obligation_lines(policy),
        "levels": [
            {
                "kind": lv.kind,
                "id": lv.id,
                "rank": lv.rank,
                "criteria": len(lv.criteria),
                "published": lv.criteria_published,
            }
            for lv in policy.safeguards.levels
        ],
    }


def _obligation_lines(policy: Policy) -> list[str]:
    """One line per document and review obligation, as ``policy diff`` describes them."""
    ob = policy.obligations
    if ob is None:
        return []
    return [f"{d.id}: {describe_document(d)}" for d in ob.documents] + [
        f"{r.id}: {describe_review(r)}" for r in ob.reviews
    ]


def builtin_summaries() -> list[BuiltinSummary]:
    """One line of facts per built-in policy, with its lineage among the built-ins (``supersedes``,
    ``superseded_by``)."""
    policies = [load_builtin(policy_id) for policy_id in builtin_ids()]
    supersedes = {p.id: _predecessor(p, policies) for p in policies}
    out: list[BuiltinSummary] = []
    for policy in policies:
        out.append(
            {
                "id": policy.id,
                "title": policy.title,
                "publisher": policy.framework.publisher,
                "version": policy.framework.version,
                "effective_date": policy.framework.effective_date.isoformat(),
                "supersedes": supersedes[policy.id],
                "superseded_by": next((i for i, old in supersedes.items() if old == policy.id), None),
                "thresholds": len(policy.thresholds),
                "content_hash": content_hash(policy),
            }
        )
    return out


def _predecessor(policy: Policy, policies: list[Policy]) -> str | None:
    """The built-in ``policy`` replaces: the one its file names in ``framework.supersedes``, else the latest
    earlier version of the same framework from the same publisher. The fallback matters for files written
    before their successor existed among the built-ins, whose content (and so content hash) must not change
    to name it."""
    if policy.framework.supersedes is not None:
        return policy.framework.supersedes
    earlier = [
        p
        for p in policies
        if (p.framework.publisher, p.framework.name) == (policy.framework.publisher, policy.framework.name)
        and p.framework.effective_date < policy.framework.effective_date
    ]
    return max(earlier, key=lambda p: p.framework.effective_date).id if earlier else None


def diff_summary(old: Policy, new: Policy) -> PolicyDiffDocument:
    """The changes from ``old`` to ``new`` as a JSON-ready document: what they amount to in policy terms
    (``summary``: gates, rules, thresholds, obligations), then every change (``changes``; each marks whether
    only a citation changed)."""
    return {
        "from": {"id": old.id, "version": old.framework.version, "content_hash": content_hash(old)},
        "to": {"id": new.id, "version": new.framework.version, "content_hash": content_hash(new)},
        "summary": summarize_rewrite(old, new),
        "changes": [c.to_dict() for c in diff_policies(old, new)],
    }


INDEX_NAME = "index.txt"
"""File next to the built-in policies holding ``builtin_index()``."""


def builtin_index() -> str:
    """The built-in summaries exactly as ``scalegate policy list --json`` prints them, after the SHA-256 of
    each policy file they were computed from.

    Loading the policies takes pydantic and YAML, about half a second; ``scalegate policy list --json`` prints
    this index instead (``scalegate.cli.fast``), after checking every file's hash, so an index that is out of
    date costs only speed. Plain text, so that reading it needs no JSON parser. The test
    ``tests/policy/test_builtin_index.py`` keeps the shipped copy current.
    """
    lines = [
        "# The built-in policies' summaries, for `scalegate policy list --json` without loading them:",
        "# SHA-256 and name of each policy file, a blank line, then the JSON document. The CLI uses it",
        "# only while every hash matches. Rewrite: scalegate.policy.service.write_builtin_index()",
    ]
    lines += [f"{hashlib.sha256(builtin_path(i).read_bytes()).hexdigest()} {i}.yaml" for i in builtin_ids()]
    document = json.dumps(builtin_summaries(), indent=2, default=json_default, ensure_ascii=False)
    return "\n".join(lines) + "\n\n" + document + "\n"


def index_path() -> Path:
    """Where the index of the built-in policies is stored."""
    return builtin_path(builtin_ids()[0]).with_name(INDEX_NAME)


def write_builtin_index() -> Path:
    """Rewrite the index of the built-in policies (after editing one of them)."""
    path = index_path()
    path.write_text(builtin_index(), encoding="utf-8")
    return path
