"""``scalegate demo``: build the demo workspace and walk the RSP scenario on it, printing each stage.

The scenario itself (``scalegate.testing.demo``) builds and walks and prints nothing; printing the verdicts
and serving the dashboard belong to this door.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from scalegate.cli._output import console, guarded

if TYPE_CHECKING:
    from scalegate.gate.verdict import Verdict
    from scalegate.testing.demo import DemoState


def demo(
    directory: Path = typer.Option(
        Path("demo-workspace"), "--dir", help="Where to create the demo workspace."
    ),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the dashboard at the end."),
    port: int = typer.Option(8000, "--port", help="Dashboard port when serving."),
) -> None:
    """Create a fresh demo workspace (SQLite) with the default policy and walk the scenario."""
    with guarded():
        run_demo(directory, console(), serve=serve, port=port)


def run_demo(directory: Path, out: Any, *, serve: bool = True, port: int = 8000) -> DemoState:
    """Walk the scenario (``scalegate.testing.demo``), printing what happens after each stage; optionally
    serve the dashboard on the result, leaving the sign-off to the people in the browser.

    Without serving, the demo goes on after the sign-off and its Capability Report: the last chapter moves
    the lab to RSP v3.4 (``adopt_v3``), so the report shows the v2.2 outcome the earlier chapters reached."""
    from scalegate.testing.demo import adopt_v3, fresh_state, walk

    state = fresh_state(directory)
    workspace = state.workspace
    out.rule("[bold]scalegate demo[/bold]")
    with workspace.reading() as ctx:
        active = ctx.active
    out.print(
        f"Workspace {workspace.safe_url}\nPolicy {active.policy.title} ({active.policy.id}, "
        f"hash {active.content_hash[:12]})"
    )
    walk(state, until="propose" if serve else "sign", after=lambda stage: _report(state, stage, out))
    _write_report(state, out)
    if not serve:
        adopt_v3(state)
        _report(state, "rsp-v3", out)
    _finish(state, out, serve=serve, port=port)
    return state


def _verdict(state: DemoState, action: str) -> Verdict:
    """The gate's verdict on the demo checkpoint, kept (as its document) in the state's record."""
    from scalegate.gate.service import evaluate_gate

    return evaluate_gate(state.workspace, state.ref, action)


def _report(state: DemoState, stage: str, out: Any) -> None:
    from scalegate.assessment.service import assess

    ws = state.workspace
    titles = {
        "seed": "1. Model family registered; effective compute and assessment triggers",
        "evaluate": "2. Inspect evaluations ingested; findings",
        "safeguard": "3. Safeguards implemented, evidenced and determined",
        "propose": "4. Capability determination proposed; government notified",
        "sign": "5. RSO and CEO sign; board and LTBT notified",
        "rsp-v3": "7. The lab moves from RSP v2.2 to v3.4: what its obligations become",
    }
    out.rule(titles[stage])
    if stage == "rsp-v3":
        _print_adoption(state, out)
        return
    if stage == "seed":
        _print_family(state, out)
    if stage == "evaluate":
        from scalegate.cli.assessment import print_assessment

        print_assessment(dict(assess(ws, state.ref).to_dict()))
    for action in ("continue-training", "deploy-external"):
        verdict = _verdict(state, action)
        state.verdicts.append((stage, verdict.to_dict()))
        colour = {"allow": "green", "restrict": "yellow", "pause": "red"}[verdict.outcome]
        out.print(f"gate {action:<17} -> [bold {colour}]{verdict.outcome.upper()}[/bold {colour}]")
        for reason in [r for r in verdict.reasons if r.effect == "blocks"][:4]:
            out.print(f"    x {reason.text}  [dim][{reason.clause}][/dim]")


def _print_adoption(state: DemoState, out: Any) -> None:
    done = state.adoption
    out.print(
        f"Policy change #{done['change_id']}: {done['from']} -> {done['policy']} {done['version']} "
        f"(proposed, LTBT consulted, signed by CEO, RSO and Board, published, active {done['activated_at']})",
        markup=False,
    )
    for line in done["obligations"]:
        out.print(f"Obligation {line}", markup=False)
    out.print(f"First Risk Report due: {done['risk_report_due'] or 'not required'}", markup=False)
    for action, reasons in done["gate_reasons"].items():
        verdict = _verdict(state, action)
        state.verdicts.append(("rsp-v3", verdict.to_dict()))
        out.print(f"gate {action:<17} -> {verdict.outcome.upper()}", markup=False)
        for reason in reasons:
            out.print(f"    {reason['code']} ({reason['effect']}): {reason['text']}", markup=False)


def _print_family(state: DemoState, out: Any) -> None:
    from scalegate.registry.assessments_due import due_assessments
    from scalegate.registry.fits import scaling_summary

    ws = state.workspace
    summary = scaling_summary(ws, "aurora")
    fit = summary["fit"] or {}
    params = fit.get("params") or fit
    if not isinstance(params, Mapping):
        params = fit
    out.print(
        f"Scaling law of the baseline recipe: L(C) = {params.get('E', 0):.3f} + {params.get('A', 0):.1f}"
        f"·C^-{params.get('alpha', 0):.3f}"
    )
    for cp in summary.get("checkpoints", []):
        ec = cp.get("effective_compute")
        out.print(
            f"  {cp.get('ref', cp.get('name'))}: training {cp.get('training_flops', 0):.2e} FLOP, "
            f"effective {ec:.2e}"
            if ec
            else f"  {cp.get('name')}: effective compute unknown"
        )
    for due in due_assessments(ws):
        out.print(
            f"  comprehensive assessment due: {due.checkpoint} ({due.trigger} trigger), "
            f"deadline {due.due_at.date().isoformat()}"
        )


def print_logins(out: Any, url: str, *, serve: bool, port: int) -> None:
    """How to reach the dashboard and who can sign in, whether the demo serves it or leaves that to the user
    (``--no-serve``)."""
    from scalegate.testing.demo import DEMO_USERS

    out.rule("Dashboard")
    if serve:
        out.print(f"Serving http://127.0.0.1:{port}/  (Ctrl-C to stop)")
    else:
        out.print(f"Serve it with: scalegate --db {url} serve --port {port}")
    out.print(
        "Logins (password demo-<name>-password): "
        + ", ".join(f"{n} ({', '.join(r)})" for n, (r, _) in DEMO_USERS.items())
    )


def _write_report(state: DemoState, out: Any) -> None:
    ws = state.workspace
    try:
        from scalegate.reports.service import write_capability_report

        paths = write_capability_report(ws, state.ref, state.directory / "reports")
        out.rule("Capability Report")
        for fmt, path in paths.items():
            out.print(f"  {fmt}: {path.resolve()}")
    except Exception as exc:  # the demo goes on; the report's absence is printed
        out.print(f"[red]Capability Report not written: {exc}[/red]")


def _finish(state: DemoState, out: Any, *, serve: bool, port: int) -> None:
    from scalegate.audit.verify import verify

    ws = state.workspace
    report = verify(ws)
    out.print(
        f"Audit log: {'verified' if report.ok else 'PROBLEMS: ' + '; '.join(map(str, report.problems[:3]))}"
    )
    print_logins(out, ws.safe_url, serve=serve, port=port)
    if not serve:
        return
    out.print(
        f"Sign the capability determination #{state.decision_id} as rita (RSO) and carl (CEO) to watch "
        "the gate change from PAUSE to ALLOW."
    )
    from scalegate.web import create_app
    from scalegate.web.server import serve_app

    serve_app(create_app(ws), host="127.0.0.1", port=port)
