"""Every reaction the domains register with governance, installed in one place.

``governance.decisions.sign`` and the compliance calendar are generic; what a policy change, a capability
determination or a safeguards re-approval means lives in its own domain, declared there as a typed hook
(``governance.hooks``). This module lists them all with plain imports, like datasette's ``DEFAULT_PLUGINS``,
so the set in force can be read in one screen and "go to definition" reaches each handler. Each door calls
``install()`` when it opens a workspace (the CLI, the web app factory, the SDK's local transport, the demo and
the test suite); signing and the calendar refuse to run before it was called, so a forgotten call fails
closed instead of approving a determination without completing its assessment.

The registry's calendar source is declared here rather than in the registry: the registry sits under
governance and does not import it.
"""

from __future__ import annotations

from scalegate.assessment import completion
from scalegate.audit.coverage import register_cache_check
from scalegate.gate import cache as gate_cache
from scalegate.gate import drafting, migration
from scalegate.governance import hooks, policy_change
from scalegate.governance.documents import deadlines, reviews, risk_reports
from scalegate.registry import assessments_due
from scalegate.safeguards import service as safeguards

__all__ = ["PLUGINS", "install"]

PLUGINS: tuple[hooks.Plugin, ...] = (
    policy_change.HOOKS,
    migration.HOOKS,
    completion.HOOKS,
    risk_reports.HOOKS,
    reviews.HOOKS,
    hooks.CalendarSource(
        "assessments",
        assessments_due.calendar_items,
        record_findings=assessments_due.record_overdue_findings,
    ),
    safeguards.CALENDAR,
    deadlines.CALENDAR,
)
"""The plugins every door installs: decision hooks, then calendar sources in the order they are merged."""


def install() -> hooks.Hooks:
    """Install ``PLUGINS`` as this process's governance hooks (idempotent), and the gate cache's check for
    ``audit verify`` (the log sits below the gate and does not import it) and the gate's reading of a model
    for Risk Report drafts; returns the installed hooks."""
    register_cache_check("gate_verdicts", gate_cache.check)
    risk_reports.register_model_standing(drafting.model_standing)
    return hooks.install(*PLUGINS)
