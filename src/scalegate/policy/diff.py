"""Differences between two policy versions, in policy terms.

A raw JSON diff says `thresholds[3].indicators[0].alert: 0.4 -> 0.35`; a reviewer needs "indicator wmdp-bio of
threshold CBRN-3: alert (safety buffer) changed 0.4 -> 0.35". Lists of records are matched by id, not
position, so reordering a file is not a change. A changed citation (`source`) is one change marked
`citation`, however many of its document, section and quote changed: between two versions of a framework
every citation names a new document, and a reader wants the rules first. ``scalegate.policy.rewrite`` says
what the changes amount to (gates removed, obligations added) in a few sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from scalegate.jsonable import JsonObject, JsonValue
from scalegate.policy.schema import Policy

__all__ = ["PolicyChange", "PolicyChangeDocument", "diff_policies"]

ChangeKind = Literal["added", "removed", "changed"]

_NOUNS = {
    "thresholds": "threshold",
    "indicators": "indicator",
    "levels": "safeguard level",
    "criteria": "safeguard criterion",
    "decisions": "decision rule",
    "actions": "gate rule for action",
    "roles": "role",
    "cadences": "cadence",
    "routing": "noncompliance routing",
    "baseline": "baseline",
    "changelog": "changelog entry",
    "required_safeguards": "required safeguard",
    "notify": "notification",
    "documents": "document obligation",
    "reviews": "review obligation",
    "determinations": "determination rule",
    "terms": "defined term",
    "outcomes": "outcome",
    "deadlines": "deadline",
    "branches": "test branch",
    "parameters": "parameter",
    "consequences": "consequence",
    "mitigations": "mitigation track",
    "briefings": "briefing",
    "disclosure": "disclosure tier",
    "contents": "content item",
    "conditional_approvals": "conditional approval",
    "events": "event trigger",
}

_FIELD_NAMES = {
    "alert": "alert (safety buffer)",
    "ratio": "effective-compute ratio",
    "months": "calendar interval (months)",
    "deadline_days": "deadline (days)",
    "effective_compute_multiple": "effective-compute multiple",
    "reapproval_interval_months": "re-approval interval (months)",
    "signoff_roles": "sign-off roles",
    "requires_obligations": "required obligations",
    "requires_kinds": "required safeguard kinds",
    "requires_decisions": "required decisions",
    "max_months": "longest interval (months)",
    "min_months": "shortest interval (months)",
    "max_days_before_publication": "coverage date lag (days)",
    "min_recipients": "fewest recipients",
}


class PolicyChangeDocument(TypedDict):
    """One change between two policy versions as JSON (``PolicyChange.to_dict``)."""

    kind: ChangeKind
    path: str
    description: str
    old: JsonValue
    new: JsonValue
    citation: bool


@dataclass(frozen=True)
class PolicyChange:
    """One change between two policy versions."""

    kind: ChangeKind
    path: str
    description: str
    old: Any = None
    new: Any = None
    citation: bool = False
    """True when only where a rule is cited changed (its `source`), not the rule."""

    def to_dict(self) -> PolicyChangeDocument:
        return {
            "kind": self.kind,
            "path": self.path,
            "description": self.description,
            "old": self.old,
            "new": self.new,
            "citation": self.citation,
        }


def diff_policies(old: Policy, new: Policy) -> list[PolicyChange]:
    """Every change from ``old`` to ``new``, described in policy terms."""
    changes: list[PolicyChange] = []
    _walk(old.model_dump(mode="json"), new.model_dump(mode="json"), [], changes)
    return changes


def _key(item: Any) -> str | None:
    if isinstance(item, dict):
        if "kind" in item and "id" in item:
            return f"{item['kind']}:{item['id']}"
        for field in ("id", "decision", "action", "audience", "version", "concerning_role", "track", "name"):
            if isinstance(item.get(field), str):
                return str(item[field])
        if "kind" in item and "level" in item:
            return f"{item['kind']}:{item['level']}"
        if "role" in item:
            return str(item["role"])
        if "when" in item:
            return str(item["when"])
        if isinstance(item.get("kind"), str) and "roles" in item:
            return str(item["kind"])
        if isinstance(item.get("kind"), str):
            return f"{item['kind']}:{item.get('obligation') or item.get('text', '')[:40]}"
    return None


def _source_field(field: str) -> bool:
    return field == "source" or field.endswith("_source")


def _is_citation(field: str, old: Any, new: Any) -> bool:
    return (
        _source_field(field)
        and isinstance(old, dict)
        and isinstance(new, dict)
        and "document" in old
        and "document" in new
    )


def _cite(source: dict[str, Any]) -> str:
    return f"{source.get('document')} §{source.get('section')}"


def _label(parts: list[tuple[str, str | None]]) -> str:
    words: list[str] = []
    for field, key in parts:
        if key is not None:
            words.append(f"{_NOUNS.get(field, field)} {key}")
        elif field:
            words.append(_FIELD_NAMES.get(field, field.replace("_", " ")))
    return " / ".join(words) or "policy"


def _walk(old: Any, new: Any, parts: list[tuple[str, str | None]], out: list[PolicyChange]) -> None:
    path = "".join(f"[{k}]" if k is not None else f".{f}" for f, k in parts).lstrip(".")
    if isinstance(old, dict) and isinstance(new, dict):
        for field in sorted(set(old) | set(new)):
            if field not in old and isinstance(new[field], dict):
                _walk(_empty_like(new[field]), new[field], [*parts, (field, None)], out)
            elif field not in new and isinstance(old[field], dict):
                _walk(old[field], _empty_like(old[field]), [*parts, (field, None)], out)
            elif field not in old:
                out.append(
                    PolicyChange(
                        "added",
                        f"{path}.{field}".lstrip("."),
                        f"{_label([*parts, (field, None)])} added: {_short(new[field])}",
                        None,
                        new[field],
                        citation=_source_field(field),
                    )
                )
            elif field not in new:
                out.append(
                    PolicyChange(
                        "removed",
                        f"{path}.{field}".lstrip("."),
                        f"{_label([*parts, (field, None)])} removed (was {_short(old[field])})",
                        old[field],
                        None,
                        citation=_source_field(field),
                    )
                )
            elif _is_citation(field, old[field], new[field]):
                if old[field] != new[field]:
                    out.append(
                        PolicyChange(
                            "changed",
                            f"{path}.{field}".lstrip("."),
                            f"{_label([*parts, ('citation', None)])} changed: "
                            f"{_cite(old[field])} -> {_cite(new[field])}",
                            old[field],
                            new[field],
                            citation=True,
                        )
                    )
            else:
                _walk(old[field], new[field], [*parts, (field, None)], out)
        return
    if isinstance(old, list) and isinstance(new, list) and all(_key(x) for x in old + new) and (old or new):
        field = parts[-1][0] if parts else ""
        base = parts[:-1]
        old_by = {_key(x): x for x in old}
        new_by = {_key(x): x for x in new}
        for key in old_by:
            if key not in new_by:
                out.append(
                    PolicyChange(
                        "removed",
                        f"{path}[{key}]",
                        f"{_label([*base, (field, key)])} removed",
                        old_by[key],
                        None,
                    )
                )
        for key in new_by:
            if key not in old_by:
                out.append(
                    PolicyChange(
                        "added", f"{path}[{key}]", f"{_label([*base, (field, key)])} added", None, new_by[key]
                    )
                )
            else:
                _walk(old_by[key], new_by[key], [*base, (field, key)], out)
        return
    cited = bool(parts) and _source_field(parts[-1][0])
    if old != new and old is None:
        out.append(PolicyChange("added", path, f"{_label(parts)} added: {_short(new)}", old, new, cited))
    elif old != new and new is None:
        out.append(
            PolicyChange("removed", path, f"{_label(parts)} removed (was {_short(old)})", old, new, cited)
        )
    elif old != new:
        out.append(
            PolicyChange(
                "changed", path, f"{_label(parts)} changed: {_short(old)} -> {_short(new)}", old, new
            )
        )


def _empty_like(record: dict[str, Any]) -> JsonObject:
    """The same keys with nothing in them, so a section added whole is listed record by record."""
    return {k: [] if isinstance(v, list) else None for k, v in record.items()}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
