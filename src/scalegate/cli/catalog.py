"""The command tree's top level: every top-level name, its one-line help, and where its code lives.

This module is read on every start-up, so it imports nothing but the standard library: ``scalegate --help``
is answered from it without loading Typer, Rich or the engine (see ``scalegate.cli.fast``), and the Typer
application (``scalegate.cli.app``) imports a group's module only when that group is invoked. The loaders
below are that indirection, written as plain imports so that a reader (and mypy) can follow them.

The one-line helps repeat the first line of each command's own help; ``tests/cli/test_catalog.py`` checks
that they agree.
"""

from __future__ import annotations

from types import ModuleType

TYPE_CHECKING = False  # not ``typing.TYPE_CHECKING``: importing typing would cost more than the help itself
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["COMMANDS", "DESCRIPTION", "OPTIONS", "Entry", "entry", "root_help"]

DESCRIPTION = (
    "Run a frontier-AI safety framework as code: evidence, findings, safeguards, the gate, sign-offs, audit."
)

OPTIONS: tuple[tuple[str, str], ...] = (
    ("--db TEXT", "Store URL (sqlite:///path or postgresql://...). [env var: SCALEGATE_DATABASE_URL]"),
    (
        "--as TEXT",
        "Act as this workspace user (with a credential, except in a demo workspace). "
        "[env var: SCALEGATE_USER]",
    ),
    ("--version", "Print the version."),
    ("--help", "Show this message and exit."),
)
"""The root options as ``scalegate --help`` lists them (defined in ``scalegate.cli.app.main``)."""


# -- where each command lives: one loader per module ---------------------------------------------------------


def _workspace() -> ModuleType:
    from scalegate.cli import workspace

    return workspace


def _policy() -> ModuleType:
    from scalegate.cli import policy

    return policy


def _sso() -> ModuleType:
    from scalegate.cli import sso

    return sso


def _registry() -> ModuleType:
    from scalegate.cli import registry

    return registry


def _evidence() -> ModuleType:
    from scalegate.cli import evidence

    return evidence


def _assessment() -> ModuleType:
    from scalegate.cli import assessment

    return assessment


def _comparison() -> ModuleType:
    from scalegate.cli import comparison

    return comparison


def _safeguards() -> ModuleType:
    from scalegate.cli import safeguards

    return safeguards


def _gate() -> ModuleType:
    from scalegate.cli import gate

    return gate


def _governance() -> ModuleType:
    from scalegate.cli import governance

    return governance


def _documents() -> ModuleType:
    from scalegate.cli import documents

    return documents


def _audit() -> ModuleType:
    from scalegate.cli import audit

    return audit


def _reports() -> ModuleType:
    from scalegate.cli import reports

    return reports


def _web() -> ModuleType:
    from scalegate.cli import web

    return web


def _demo() -> ModuleType:
    from scalegate.cli import demo

    return demo


class Entry:
    """A top-level command or group: its name, its one-line help, the module that defines it, and the name
    of the Typer group (``policy_app``) or command function (``init``) in that module.

    A plain class rather than a dataclass: ``dataclasses`` would double the cost of ``scalegate --help``."""

    __slots__ = ("attribute", "help", "module", "name")

    def __init__(self, name: str, help: str, module: Callable[[], ModuleType], attribute: str) -> None:
        self.name = name
        self.help = help
        self.module = module
        self.attribute = attribute

    def load(self) -> object:
        """The Typer group or command function (imports its module)."""
        return getattr(self.module(), self.attribute)


COMMANDS: tuple[Entry, ...] = (
    Entry(
        "init",
        "Create a workspace (SQLite in ./.scalegate by default) and activate a policy.",
        _workspace,
        "init",
    ),
    Entry(
        "status",
        "Summarise the workspace: store, active policy, its thresholds and standards.",
        _workspace,
        "status",
    ),
    Entry(
        "login",
        "Sign in to the workspace from this machine: check your password, keep a session in the OS keyring.",
        _workspace,
        "login",
    ),
    Entry(
        "logout",
        "Sign out: end the session kept for this workspace and remove it from the OS keyring.",
        _workspace,
        "logout",
    ),
    Entry(
        "assess",
        "Show a checkpoint's triggers, findings, forecast, required levels and safeguard gaps.",
        _assessment,
        "assess_command",
    ),
    Entry(
        "compare",
        "Judge a checkpoint's record under every framework: verdicts, deciding clauses, what is missing.",
        _comparison,
        "compare_command",
    ),
    Entry(
        "gate",
        "Decide allow (exit 0) / restrict (4) / pause (3) for an action, with the reasons (2: bad input).",
        _gate,
        "gate",
    ),
    Entry("signoff", "Sign (approve or reject) a decision in one of your roles.", _governance, "signoff"),
    Entry(
        "compliance",
        "The compliance calendar; overdue items are recorded as compliance findings.",
        _governance,
        "compliance",
    ),
    Entry(
        "permissions",
        "The permission matrix of the active policy: who may do what, and why.",
        _governance,
        "permissions",
    ),
    Entry(
        "serve",
        "Serve the REST API (/api/v1) and the dashboard (/) for the workspace until interrupted.",
        _web,
        "serve",
    ),
    Entry(
        "demo",
        "Create a fresh demo workspace (SQLite) with the default policy and walk the scenario.",
        _demo,
        "demo",
    ),
    Entry("policy", "Inspect, validate and compare policies.", _policy, "policy_app"),
    Entry(
        "model",
        "Register and inspect models, training runs and post-training enhancements.",
        _registry,
        "model_app",
    ),
    Entry(
        "checkpoint",
        "Register, import and inspect checkpoints with their held-out losses.",
        _registry,
        "checkpoint_app",
    ),
    Entry(
        "scaling", "Fit a family's baseline scaling law and show effective compute.", _registry, "scaling_app"
    ),
    Entry(
        "assessments",
        "Assessments the policy calls for: what is due, requests, overdue findings.",
        _registry,
        "assessments_app",
    ),
    Entry(
        "evidence",
        "Ingest evaluation results (Inspect, lm-eval, manual) and read them back.",
        _evidence,
        "evidence_app",
    ),
    Entry("evals", "Run the evaluations the active policy names.", _evidence, "evals_app"),
    Entry("determination", "Capability determinations: propose and sign.", _assessment, "determination_app"),
    Entry(
        "affirmative-case",
        "Affirmative cases (required by some thresholds before proceeding).",
        _assessment,
        "case_app",
    ),
    Entry(
        "interim",
        "Interim measures that turn a pause into a restricted continuation.",
        _assessment,
        "interim_app",
    ),
    Entry(
        "safeguards", "Safeguard standards: implementation, evidence, status.", _safeguards, "safeguards_app"
    ),
    Entry("user", "Workspace users and their roles.", _governance, "user_app"),
    Entry("token", "API tokens: scoped, expiring, stored hashed.", _governance, "token_app"),
    Entry("decision", "Decisions awaiting or holding sign-offs.", _governance, "decision_app"),
    Entry("notify", "Notices with proof of delivery (SMTP or webhook).", _governance, "notify_app"),
    Entry(
        "policy-change",
        "Change the active policy: propose, consult, approve, publish, activate.",
        _governance,
        "change_app",
    ),
    Entry(
        "noncompliance",
        "Noncompliance reports: anonymous intake, handling, summaries.",
        _governance,
        "nc_app",
    ),
    Entry(
        "cadence",
        "Recurring obligations of the policy (reviews, publications, drills).",
        _governance,
        "cadence_app",
    ),
    Entry("drill", "Readiness drills.", _governance, "drill_app"),
    Entry(
        "risk-report",
        "Risk Reports: draft from the record, submit, share, publish.",
        _documents,
        "risk_report_app",
    ),
    Entry(
        "review",
        "External reviews of Risk Reports: reviewers, sending, commentary.",
        _documents,
        "review_app",
    ),
    Entry("roadmap", "Safety roadmap goals: add, grade, list.", _documents, "roadmap_app"),
    Entry(
        "offcycle",
        "Off-cycle analyses of one model: determine, publish, list.",
        _documents,
        "offcycle_app",
    ),
    Entry("competitor", "Competitor-contingent determinations, signed.", _documents, "competitor_app"),
    Entry("sso", "Single sign-on: the identity provider and how its groups become roles.", _sso, "sso_app"),
    Entry(
        "audit",
        "The tamper-evident audit log: verify, read, checkpoints, proofs, export.",
        _audit,
        "audit_app",
    ),
    Entry("report", "Generate reports from the record (HTML, PDF, Markdown).", _reports, "report_app"),
    Entry("safety-case", "Build, validate and draw GSN safety cases.", _reports, "case_app"),
    Entry("export", "Export bundles and libraries for reviewers and GRC tools.", _reports, "export_app"),
)

_BY_NAME = {e.name: e for e in COMMANDS}


def entry(name: str) -> Entry | None:
    """The top-level entry called ``name``, if there is one."""
    return _BY_NAME.get(name)


def root_help() -> str:
    """``scalegate --help``: plain text, one line per option and per command (no trailing newline)."""
    width = max(len(e.name) for e in COMMANDS) + 2
    option_width = max(len(name) for name, _ in OPTIONS) + 2
    lines = ["Usage: scalegate [OPTIONS] COMMAND [ARGS]...", "", f"  {DESCRIPTION}", "", "Options:"]
    lines += [f"  {name:<{option_width}}{text}" for name, text in OPTIONS]
    lines += ["", "Commands:"]
    lines += [f"  {e.name:<{width}}{e.help}" for e in COMMANDS]
    return "\n".join(lines)
