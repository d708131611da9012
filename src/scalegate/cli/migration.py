"""Printing a policy migration's impact (``policy migrate``, ``policy-change impact``) as text.

The commands themselves live with their groups (``cli.policy``, ``cli.governance``); this module only turns
the typed ``Impact`` into tables and lines. ``--json`` prints the typed objects as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalegate.cli._output import console, table

if TYPE_CHECKING:
    from scalegate.gate.impact import Explanation, Impact
    from scalegate.gate.migration import ChangeImpact, Migration

__all__ = ["print_change_impact", "print_impact", "print_migration"]


def print_migration(result: Migration) -> None:
    """The impact, then the proposal it was recorded with (or that nothing was written)."""
    print_impact(result.impact)
    out = console()
    if result.change is None:
        out.print("Dry run: nothing was written.")
    else:
        c = result.change
        out.print(
            f"Proposed as policy change #{c.id} (decision #{c.decision_id}), effective "
            f"{c.effective_at.isoformat()}, with this impact recorded (digest {result.impact.digest[:12]}).",
            markup=False,
        )


def print_change_impact(result: ChangeImpact) -> None:
    """A proposed change's current impact, and whether the one recorded with it still holds."""
    print_impact(result.impact)
    out = console()
    recorded = result.recorded
    if recorded is None:
        out.print(f"Policy change #{result.change_id}: no impact recorded yet.")
    elif result.current:
        out.print(f"Policy change #{result.change_id}: the recorded impact is current.")
    else:
        digest, size = str(recorded.get("digest"))[:12], recorded.get("state_version")
        out.print(
            f"Policy change #{result.change_id}: the recorded impact ({digest}, at log size {size}) no "
            "longer holds; approval is refused until it is recorded again (--record).",
            markup=False,
        )


def print_impact(impact: Impact) -> None:
    """Headline, policy-text summary, then what changes: obligations, verdicts, sign-offs, deadlines."""
    out = console()
    out.print(impact.headline(), markup=False)
    if impact.summary:
        out.print("In policy terms:")
        for line in impact.summary:
            out.print(f"  * {line}", markup=False)
    if impact.obligations:
        out.print("Workspace obligations:")
        for change in impact.obligations:
            out.print(f"  {change.text()}", markup=False)
    changed = [c for c in impact.checkpoints if c.changed]
    for c in changed:
        levels = sorted({*c.required_before, *c.required_after})
        required = ", ".join(
            f"{k} {c.required_before.get(k, '-')} -> {c.required_after.get(k, '-')}" for k in levels
        )
        out.print(f"{c.ref}: required {required}", markup=False)
        for change in c.obligations:
            out.print(f"  {change.text()}", markup=False)
    verdicts = impact.verdict_changes
    if verdicts:
        table(
            "Verdicts that change",
            ["checkpoint", "action", "before", "after", "decided after by"],
            [[ref, v.action, v.before, v.after, _codes(v.because_after)] for ref, v in verdicts],
        )
        for ref, v in verdicts:
            out.print(f"{ref} {v.action}: {v.before} -> {v.after}", markup=False)
            for side, reasons in (("before", v.because_before), ("after", v.because_after)):
                for e in reasons:
                    out.print(f"  {side}: {e.code} [{e.clause or 'no clause'}] {e.text}", markup=False)
    if impact.stale_decisions:
        table(
            "Sign-offs that go stale",
            ["decision", "type", "subject", "signed by", "new rule asks", "missing", "clause"],
            [
                [
                    d.decision_id,
                    d.decision_type,
                    d.subject,
                    ", ".join(d.signed_roles) or "-",
                    ", ".join(d.roles_after) or "no rule",
                    ", ".join(d.missing_after) or "-",
                    d.clause_after or "-",
                ]
                for d in impact.stale_decisions
            ],
        )
    deadlines = [*impact.deadlines, *(d for c in impact.checkpoints for d in c.deadlines)]
    if deadlines:
        table(
            "Deadlines that start",
            ["deadline", "subject", "due", "clause"],
            [
                [d.title, d.subject, d.due_at.date().isoformat() if d.due_at else "no date", d.clause or "-"]
                for d in deadlines
            ],
        )
    out.print(f"Impact digest {impact.digest[:12]} (audit log size {impact.state_version}).")


def _codes(reasons: list[Explanation]) -> str:
    return ", ".join(dict.fromkeys(e.code for e in reasons)) or "-"
