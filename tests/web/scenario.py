"""The dashboard's scenario, built through the service layer: one frontier model under the default policy (RSP
v2.2), paused until its capability determination is signed.

- People: an admin and one user per role of the policy, each with a password and an email address.
- Registry: the demo family (`aurora-1`, eight checkpoints); effective compute passed 4x the assessed baseline
  weeks ago, so a comprehensive assessment is due and, by now, overdue.
- Evidence: a manual result for every indicator at every checkpoint. The bio multiple-choice score climbs into
  the CBRN-3 safety buffer at the last checkpoint (cannot rule out, so ASL-3 is required); the rest stay low.
- Safeguards: every ASL-3 criterion (and ASL-2, cumulatively) implemented, evidenced and approved; both
  safeguards determinations signed by the RSO and the CEO, and the Board and LTBT notified.
- The capability determination for the latest checkpoint was opened by the evaluator and awaits the RSO and
  the CEO. Until both sign, the overdue assessment pauses every action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from scalegate.actor import Actor
from scalegate.clock import FixedClock
from scalegate.governance.notifications import InMemoryNotifier, Notifier
from scalegate.workspace import Workspace, init_workspace
from tests.support.policy import policy_of

PASSWORD = "correct horse battery staple"
MODEL = "aurora-1"
PEOPLE = {
    "rita": "rso",
    "carl": "ceo",
    "bea": "board",
    "lena": "ltbt",
    "eve": "evaluator",
    "sol": "safeguards_owner",
    "sam": "security",
    "stan": "staff",
    "rex": "external_reviewer",
    "aud": "auditor",
}
"""User name -> the one role they hold (`root` is the admin)."""

# Correct answers out of n at each of the eight checkpoints, per (Inspect task, metric, n).
SERIES: dict[tuple[str, str, int], list[int]] = {
    ("wmdp_bio", "accuracy", 400): [150, 170, 195, 215, 240, 262, 280, 298],
    ("lab_bench_protocolqa", "accuracy", 200): [40, 46, 52, 58, 64, 70, 76, 80],
    ("swe_bench", "mean", 200): [10, 14, 18, 22, 26, 30, 34, 38],
    ("cybench", "accuracy", 40): [0, 0, 1, 1, 1, 2, 2, 2],
}
ELICITATION = ["helpful_only", "tool_use", "scaffolding"]


@dataclass
class Scenario:
    """The workspace, its people and what was created."""

    workspace: Workspace
    clock: FixedClock
    notifier: Notifier
    people: dict[str, Actor] = field(default_factory=dict)
    checkpoints: list[str] = field(default_factory=list)
    determination_id: int = 0

    @property
    def latest(self) -> str:
        return self.checkpoints[-1]


def _people(workspace: Workspace) -> dict[str, Actor]:
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user

    add_user(workspace, Actor(name="root"), "root", admin=True, email="root@example.org", password=PASSWORD)
    root = resolve_actor(workspace, "root")
    for name, role in PEOPLE.items():
        add_user(
            workspace,
            root,
            name,
            roles=[role],
            email=f"{name}@example.org",
            password=PASSWORD,
            approver_password=PASSWORD,
            display_name=name.title(),
        )
    return {"root": root, **{name: resolve_actor(workspace, name) for name in PEOPLE}}


def _evidence(s: Scenario, tmp: Path) -> None:
    from scalegate.evidence.service import ingest_file
    from tests.web.inspect_logs import write_log

    for index, ref in enumerate(s.checkpoints):
        for (task, metric, n), series in SERIES.items():
            path = write_log(
                tmp / f"{task}-{index}.json",
                task=f"inspect_evals/{task}",
                model=f"lab/{MODEL}",
                n=n,
                correct=series[index],
                metric=metric,
            )
            ingest_file(s.workspace, s.people["eve"], path, ref, metadata={"elicitation": ELICITATION})


def _safeguards(s: Scenario, tmp: Path) -> None:
    from scalegate.governance.decisions import sign as sign_decision
    from scalegate.governance.notifications import notify_decision
    from scalegate.safeguards.service import (
        add_evidence,
        criteria_of,
        propose_safeguards_determination,
        record_implementation,
        review_evidence,
    )

    ws, owner, reviewer = s.workspace, s.people["sol"], s.people["rita"]
    for kind in ("deployment", "security"):
        for _, criterion in criteria_of(policy_of(ws), kind, "ASL-3"):
            record_implementation(ws, owner, criterion.id, owner="sol", status="implemented")
            doc = tmp / f"{criterion.id}.md"
            doc.write_text(f"# {criterion.title}\n\nHow {criterion.id} is met.\n", encoding="utf-8")
            row = add_evidence(
                ws,
                owner,
                criterion.id,
                title=f"{criterion.title}: design and test",
                kind="document",
                path=doc,
                expires_at=ws.now() + timedelta(days=300),
            )
            review_evidence(ws, reviewer, row.id, approve=True, note="checked")
    for kind in ("deployment", "security"):
        decision = propose_safeguards_determination(ws, owner, kind, "ASL-3")
        sign_decision(
            ws,
            s.people["rita"],
            decision.id,
            "rso",
            password=PASSWORD,
            justification="every criterion evidenced",
        )
        sign_decision(ws, s.people["carl"], decision.id, "ceo", password=PASSWORD, justification="agreed")
        notify_decision(ws, s.people["rita"], decision.id, s.notifier)


def _configure(s: Scenario) -> None:
    from scalegate.governance.notifications import configure_notifier

    configure_notifier(
        s.workspace,
        s.people["root"],
        government="ai-safety-institute@example.gov",
        webhook="http://127.0.0.1:9/unused",
    )


def build(url: str, clock: FixedClock, tmp: Path, notifier: Notifier | None = None) -> Scenario:
    """The whole scenario in a fresh workspace at ``url``."""
    from scalegate.assessment.determination import propose_determination
    from scalegate.testing.demo_data import seed_demo_family

    workspace = init_workspace(url, "anthropic-rsp-2.2", clock=clock)
    s = Scenario(workspace, clock, notifier or InMemoryNotifier())
    s.people = _people(workspace)
    s.checkpoints = seed_demo_family(workspace, s.people["eve"], model=MODEL).checkpoints
    _configure(s)
    _evidence(s, tmp)
    _safeguards(s, tmp)
    s.determination_id = int(propose_determination(workspace, s.people["eve"], s.latest).id)
    return s
