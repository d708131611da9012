"""What a change of policy amounts to, in a few sentences: gates, rules, obligations and thresholds.

``diff_policies`` lists every field that changed; a reviewer of a rewrite (RSP v2.2 -> v3.4 replaces safeguard
gates with process obligations) first needs to know what now blocks each action, which rules disappeared and
which obligations appeared. These sentences are computed from the two policies' data alone, for any framework.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from scalegate.policy.obligations import (
    DeterminationRule,
    DisclosureTier,
    DocumentObligation,
    Obligations,
    ReviewObligation,
)
from scalegate.policy.schema import Policy

__all__ = ["describe_document", "describe_review", "summarize_rewrite"]

T = TypeVar("T")


def summarize_rewrite(old: Policy, new: Policy) -> list[str]:
    """Sentences saying what changed from ``old`` to ``new`` in policy terms, most consequential first."""
    out: list[str] = []
    out += _gates(old, new)
    out += _rules(old, new)
    out += _safeguards(old, new)
    out += _thresholds(old, new)
    out += _obligations(old.obligations or Obligations(), new.obligations or Obligations())
    out += _governance(old, new)
    return out


def describe_document(doc: DocumentObligation) -> str:
    """One line: what the document obligation asks, when, approved and seen by whom."""
    parts = [f"{doc.title} ({doc.kind}, {doc.strength})"]
    if doc.cadence:
        low = f"{doc.cadence.min_months}-" if doc.cadence.min_months else "at most "
        parts.append(f"every {low}{doc.cadence.max_months} months")
    if doc.coverage:
        parts.append(
            f"coverage date at most {doc.coverage.max_days_before_publication} days before publication"
        )
    if doc.trigger:
        within = (
            f" within {doc.trigger.deadline_days} days" if doc.trigger.deadline_days else " (no deadline)"
        )
        parts.append(f"on determination {doc.trigger.determination}{within}")
    if doc.approver_roles:
        parts.append(f"approved by {_roles(doc.approver_roles)}")
    if doc.notify:
        parts.append(
            f"{_roles(n.role for n in doc.notify)} notified {doc.notify[0].timing.replace('_', ' ')}"
        )
    parts += [f"{_roles(c.roles)} also approve when {c.when}" for c in doc.conditional_approvals]
    parts += [_tier(t) for t in doc.disclosure]
    if doc.item_strength:
        parts.append(f"items: {doc.item_strength}")
    return "; ".join(parts)


def describe_review(review: ReviewObligation) -> str:
    """One line: when the review is required, its clocks and who picks reviewers."""
    parts = [f"{review.title} (reviews {review.reviews}, {review.strength})"]
    if review.trigger.all_of:
        parts.append("required when " + " and ".join(review.trigger.all_of))
    if review.trigger.requested_by:
        parts.append(f"on request of {_roles(review.trigger.requested_by)}")
    for d in review.deadlines:
        request = " (requested)" if d.strength == "request" else ""
        parts.append(f"{d.id} within {d.days} days of {d.after}{request}")
    if review.selection:
        if review.selection.approver_roles:
            parts.append(f"reviewers approved by {_roles(review.selection.approver_roles)}")
        if review.selection.consulted_roles:
            parts.append(f"{_roles(review.selection.consulted_roles)} consulted on reviewers")
    if review.split_allowed:
        parts.append("may be split across reviewers")
    return "; ".join(parts)


def _gates(old: Policy, new: Policy) -> list[str]:
    out = []
    olds = {a.action: a for a in old.actions}
    news = {a.action: a for a in new.actions}
    for action in [*olds, *(a for a in news if a not in olds)]:
        before, after = olds.get(action), news.get(action)
        if before is None or after is None:
            out.append(f"gate {action}: rule {'added' if before is None else 'removed'}")
            continue
        said = [
            _change(what, getattr(before, field), getattr(after, field))
            for what, field in (
                ("safeguard kinds", "requires_kinds"),
                ("signed decisions", "requires_decisions"),
                ("obligations", "requires_obligations"),
            )
        ]
        said = [s for s in said if s]
        if said:
            out.append(f"gate {action}: " + "; ".join(said))
    return out


def _rules(old: Policy, new: Policy) -> list[str]:
    out = []
    pairs: list[tuple[str, object, object]] = [
        ("training pause", old.training_pause, new.training_pause),
        ("government notice", old.government_notice, new.government_notice),
        ("interim measures", old.interim_measures, new.interim_measures),
        ("effective-compute trigger", old.triggers.effective_compute, new.triggers.effective_compute),
        ("calendar trigger", old.triggers.calendar, new.triggers.calendar),
        ("discretionary trigger", old.triggers.discretionary, new.triggers.discretionary),
        ("assessment deadline", old.triggers.deadline_days, new.triggers.deadline_days),
        (
            "safeguards re-approval interval",
            old.safeguards.reapproval_interval_months,
            new.safeguards.reapproval_interval_months,
        ),
    ]
    for name, before, after in pairs:
        if (before is None) != (after is None):
            out.append(f"{name} {'removed' if after is None else 'added'}")
    out += _added_removed(
        "decision rule", [d.decision for d in old.decisions], [d.decision for d in new.decisions]
    )
    return out


def _safeguards(old: Policy, new: Policy) -> list[str]:
    out: list[str] = []
    base = _change(
        "safeguards baseline",
        [f"{r.kind} {r.level}" for r in old.safeguards.baseline],
        [f"{r.kind} {r.level}" for r in new.safeguards.baseline],
    )
    out += [base] if base else []
    olds = {(lv.kind, lv.id): lv for lv in old.safeguards.levels}
    news = {(lv.kind, lv.id): lv for lv in new.safeguards.levels}
    out += [f"safeguard level {k} {i} removed" for (k, i) in olds if (k, i) not in news]
    out += [f"safeguard level {k} {i} added" for (k, i) in news if (k, i) not in olds]
    for key, level in news.items():
        if key not in olds:
            continue
        before, name = olds[key], f"safeguard level {key[0]} {key[1]}"
        said = [
            _change("criteria", [c.id for c in before.criteria], [c.id for c in level.criteria]),
            "criteria no longer published"
            if before.criteria_published and not level.criteria_published
            else "",
            "threat actors in scope changed"
            if before.threat_actors_in_scope != level.threat_actors_in_scope
            else "",
            "threat actors out of scope changed"
            if before.threat_actors_out_of_scope != level.threat_actors_out_of_scope
            else "",
        ]
        said = [s for s in said if s]
        if said:
            out.append(f"{name}: " + "; ".join(said))
    return out


def _thresholds(old: Policy, new: Policy) -> list[str]:
    out = []
    olds = {t.id: t for t in old.thresholds}
    news = {t.id: t for t in new.thresholds}
    gone = [t for t in olds if t not in news]
    if gone:
        out.append("thresholds removed: " + ", ".join(gone))
    for tid, t in news.items():
        if tid not in olds:
            needs = ", ".join(f"{r.kind} {r.level}" for r in t.required_safeguards) or "no safeguard level"
            out.append(f"threshold {tid} added ({t.status}, {t.basis}-based, requires {needs})")
            continue
        before = olds[tid]
        if before.name != t.name:
            out.append(f"threshold {tid} renamed: {before.name!r} -> {t.name!r}")
        if before.definition != t.definition:
            out.append(f"threshold {tid}: definition changed")
        if before.status != t.status:
            out.append(f"threshold {tid}: status {before.status} -> {t.status}")
        brings = _change(
            "obligations it brings",
            sorted({c.obligation for c in before.consequences if c.obligation}),
            sorted({c.obligation for c in t.consequences if c.obligation}),
        )
        if brings:
            out.append(f"threshold {tid}: {brings}")
        old_test = (
            [(b.id, b.requires, b.parameters) for b in before.crossing.branches] if before.crossing else []
        )
        new_test = [(b.id, b.requires, b.parameters) for b in t.crossing.branches] if t.crossing else []
        if old_test != new_test:
            ids = " or ".join(b.id for b in t.crossing.branches) if t.crossing else "none"
            out.append(f"threshold {tid}: crossing test changed (now {ids})")
    return out


def _obligations(old: Obligations, new: Obligations) -> list[str]:
    out: list[str] = []
    out += _records("obligation", old.documents, new.documents, lambda d: d.id, describe_document)
    out += _records("review", old.reviews, new.reviews, lambda r: r.id, describe_review)
    out += _records(
        "determination",
        old.determinations,
        new.determinations,
        lambda d: d.kind,
        _determiners,
    )
    out += _records(
        "outcome",
        old.outcomes,
        new.outcomes,
        lambda o: o.id,
        lambda o: f"{o.title}: {o.outcome} ({o.strength}) on {o.determination or 'judgment'}",
    )
    out += _records("defined term", old.terms, new.terms, lambda t: t.id, lambda t: f"{t.id}: {t.text}")
    return out


def _governance(old: Policy, new: Policy) -> list[str]:
    out: list[str] = []
    og, ng = old.governance, new.governance
    out += _added_removed("cadence", [c.id for c in og.cadences], [c.id for c in ng.cadences])
    out += _added_removed("briefing of", [b.role for b in og.briefings], [b.role for b in ng.briefings])
    options = _change(
        "noncompliance recipient options",
        og.noncompliance.recipient_options,
        ng.noncompliance.recipient_options,
    )
    if options:
        out.append(options)
    if og.change_control.publication_before_effect != ng.change_control.publication_before_effect:
        out.append(
            "policy changes published "
            + (
                "before they take effect"
                if ng.change_control.publication_before_effect
                else "by their effective date"
            )
        )
    return out


def _determiners(rule: DeterminationRule) -> str:
    if len(rule.roles) == 1:
        return f"recorded by {rule.roles[0]}"
    return f"recorded by {'any one' if rule.mode == 'any' else 'all'} of {_roles(rule.roles)}"


def _records(
    noun: str, old: list[T], new: list[T], key: Callable[[T], str], describe: Callable[[T], str]
) -> list[str]:
    olds = {key(x): x for x in old}
    news = {key(x): x for x in new}
    out = [f"{noun} {k} removed" for k in olds if k not in news]
    for k, item in news.items():
        if k not in olds:
            out.append(f"{noun} {k} added: {describe(item)}")
        elif describe(olds[k]) != describe(item):
            before, after = describe(olds[k]).split("; "), describe(item).split("; ")
            said = [f"now {p}" for p in after if p not in before]
            said += [f"no longer {p}" for p in before if p not in after]
            out.append(f"{noun} {k} changed: " + "; ".join(said))
    return out


def _added_removed(noun: str, old: list[str], new: list[str]) -> list[str]:
    return [f"{noun} {x} removed" for x in old if x not in new] + [
        f"{noun} {x} added" for x in new if x not in old
    ]


def _change(what: str, before: list[str], after: list[str]) -> str:
    if before == after:
        return ""
    return f"{what} {_roles(before) or 'none'} -> {_roles(after) or 'none'}"


def _roles(roles: Iterable[str]) -> str:
    return ", ".join(roles)


def _tier(tier: DisclosureTier) -> str:
    who = f"at least {tier.min_recipients} {tier.audience}" if tier.min_recipients else tier.audience
    notes = " with a note on each redaction" if tier.redaction_notes else ""
    return f"{who}: {tier.version.replace('_', ' ')}{notes}"
