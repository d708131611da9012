"""The demo's checkpoint judged under all 19 built-in frameworks: every row of the comparison (the service,
the HTML and PDF report, the CLI, the API and the dashboard page) agrees with the verdicts the gate gives
when asked under that policy directly, each missing piece of evidence is named, and nothing is written.

The demo is the one ``tests/governance/test_demo_rsp_v3.py`` walks to its sign-off under RSP v2.2 (the
committed Inspect logs in place of fresh runs), built once for the module.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from scalegate.assessment.service import assess
from scalegate.assessment.under_policy import CandidateWorkspace, reading_under
from scalegate.cli.app import app
from scalegate.errors import InputError, InternalError
from scalegate.gate.comparison import Comparison, FrameworkRow, compare, select_policies
from scalegate.gate.service import evaluate_actions, evaluate_gate
from scalegate.gate.verdict import ACTIONS, Verdict
from scalegate.governance.users import create_token
from scalegate.jsonable import to_jsonable
from scalegate.policy import builtin_ids, load_builtin
from scalegate.reports.comparison import comparison_report
from scalegate.reports.document import Report
from scalegate.reports.render import DATA_ID, render_html, render_markdown, render_pdf
from scalegate.store.models.audit import AuditEntryRow
from scalegate.testing import demo
from scalegate.web import WebSettings, create_app
from scalegate.web.server import BackgroundServer
from tests.support.demo import signed_demo

ACTIVE = "anthropic-rsp-2.2"


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[demo.DemoState]:
    """The demo walked to its sign-off under RSP v2.2, on SQLite, with the committed Inspect logs."""
    state = signed_demo(tmp_path_factory.mktemp("compare") / "demo")
    try:
        yield state
    finally:
        state.workspace.close()


@pytest.fixture(scope="module")
def comparison(signed: demo.DemoState) -> Comparison:
    return compare(signed.workspace, signed.ref, select_policies("all"))


@pytest.fixture(scope="module")
def direct(signed: demo.DemoState) -> dict[str, dict[str, Verdict]]:
    """Each built-in's verdicts, from the gate's own entry point on the workspace seen under that policy
    (its own transaction, its own check of the rows it relied on)."""
    return {
        pid: evaluate_actions(CandidateWorkspace(signed.workspace, load_builtin(pid)), signed.ref)
        for pid in builtin_ids()
    }


def _blocking(verdict: Verdict) -> list[tuple[str, str | None]]:
    wanted = ("satisfied",) if verdict.outcome == "allow" else ("blocks", "restricts")
    return [(r.code, r.clause) for r in verdict.reasons if r.effect in wanted]


def _row(comparison: Comparison, policy_id: str) -> FrameworkRow:
    return next(f for f in comparison.frameworks if f.policy_id == policy_id)


def test_all_19_builtins_are_judged_and_only_the_active_one_is_marked(comparison: Comparison) -> None:
    assert [f.policy_id for f in comparison.frameworks] == builtin_ids()
    assert len(comparison.frameworks) == 19
    assert [f.policy_id for f in comparison.frameworks if f.active] == [ACTIVE]
    assert comparison.active_policy == f"{ACTIVE} 2.2"


def test_every_row_is_the_gates_verdict_under_that_policy(
    comparison: Comparison, direct: dict[str, dict[str, Verdict]]
) -> None:
    for row in comparison.frameworks:
        for action in ACTIONS:
            got, want = row.actions[action], direct[row.policy_id][action]
            where = f"{row.policy_id} {action}"
            assert (got.outcome, got.exit_code) == (want.outcome, want.exit_code), where
            assert [(d.code, d.clause) for d in got.decisive][: len(_blocking(want))] == _blocking(want), (
                where
            )
            assert got.required == want.required, where


def test_the_active_row_is_the_workspaces_own_gate(signed: demo.DemoState, comparison: Comparison) -> None:
    row = _row(comparison, ACTIVE)
    for action in ACTIONS:
        verdict = evaluate_gate(signed.workspace, signed.ref, action)
        assert row.actions[action].outcome == verdict.outcome == "allow", action
    assert not [n for n in row.needs if n.kind == "decision"]


def test_missing_evidence_is_named_and_never_ruled_out(
    signed: demo.DemoState, comparison: Comparison
) -> None:
    seen = 0
    for row in comparison.frameworks:
        policy = load_builtin(row.policy_id)
        tasks = {i.id: f"{i.evaluation.harness}/{i.evaluation.task}" for _, i in policy.indicators()}
        with reading_under(signed.workspace, policy) as ctx:
            assessment = assess(ctx, signed.ref, with_forecasts=False)
        expected = {
            (f.threshold_id, i.indicator_id, tasks[i.indicator_id], i.clause)
            for f in assessment.findings
            if f.status == "active" and not f.ruled_out
            for i in f.indicators
            if i.state == "insufficient_evidence"
        }
        named = {(n.threshold, n.indicator, n.task, n.clause) for n in row.needs if n.kind == "evidence"}
        assert named == expected, row.policy_id
        unbound = {
            f.threshold_id
            for f in assessment.findings
            if f.status == "active" and not f.ruled_out and not f.indicators
        }
        assert {n.threshold for n in row.needs if n.kind == "unbound"} == unbound, row.policy_id
        for domain in row.uncovered_domains:  # every active threshold of the domain lacks usable evidence
            of_domain = [t for t in policy.thresholds if t.domain == domain and t.status == "active"]
            assert of_domain and all(
                not any(i.state != "insufficient_evidence" for i in f.indicators)
                for f in assessment.findings
                if f.threshold_id in {t.id for t in of_domain}
            ), (row.policy_id, domain)
        for need in row.needs:
            if need.kind in ("evidence", "unbound"):
                finding = next(t for t in row.thresholds if t.threshold_id == need.threshold)
                assert not finding.ruled_out and "cannot rule out" in need.text, (row.policy_id, need)
        seen += len(named)
    assert seen > 0  # the demo's four evaluations leave most frameworks' evaluations unmet
    assert any(row.uncovered_domains for row in comparison.frameworks)


def test_missing_evidence_is_never_an_allow(comparison: Comparison) -> None:
    """A framework that cannot rule out one of its active thresholds for want of evidence gives no allow
    without the safeguards and sign-offs that threshold calls for under it, which the record cannot show for
    a framework other than the active one."""
    for row in comparison.frameworks:
        if row.active or not [n for n in row.needs if n.kind in ("evidence", "unbound")]:
            continue
        assert {a.outcome for a in row.actions.values()} <= {"pause", "restrict"}, row.policy_id


def test_signoffs_do_not_carry_over_to_another_framework(comparison: Comparison) -> None:
    for row in comparison.frameworks:
        if row.active:
            continue
        policy = load_builtin(row.policy_id)
        decisions = [n for n in row.needs if n.kind == "decision"]
        wants = {d for rule in policy.actions for d in rule.requires_decisions} - {"safeguards_determination"}
        for decision in wants:
            needed = [n for n in decisions if n.decision == decision]
            assert needed, (row.policy_id, decision)
            assert all("none recorded under this framework" in n.text for n in needed), needed
            rule = policy.decision_rule(decision)
            if rule is not None:
                assert all(n.roles == list(rule.signoff_roles) for n in needed)


def test_deciding_reasons_carry_clauses_and_numbers(comparison: Comparison) -> None:
    row = _row(comparison, ACTIVE)
    allow = row.actions["deploy-external"]
    findings = [d for d in allow.decisive if d.code == "finding"]
    assert findings and all(d.clause for d in findings)
    numbers = [x for d in findings for x in d.numbers if x.estimate is not None]
    assert numbers and all(x.threshold is not None and x.alert is not None for x in numbers)
    assert all(x.ci_low is not None and x.ci_high is not None and x.buffer is not None for x in numbers)
    paused = [a for f in comparison.frameworks for a in f.actions.values() if a.outcome == "pause"]
    assert paused and all(a.decisive and a.decisive[0].code for a in paused)


def _snapshot(signed: demo.DemoState) -> dict[str, Any]:
    """Every table's rows, and the audit log's size: the whole store."""
    with signed.workspace.read() as session:
        names = [
            r[0]
            for r in session.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            )
        ]
        tables = {n: session.execute(text(f'SELECT * FROM "{n}"')).all() for n in names}
        size = session.execute(select(func.count()).select_from(AuditEntryRow)).scalar_one()
    return {"tables": tables, "size": size}


def test_comparing_writes_nothing(signed: demo.DemoState) -> None:
    before = _snapshot(signed)
    compare(signed.workspace, signed.ref, select_policies("all"))
    assert _snapshot(signed) == before
    candidate = CandidateWorkspace(signed.workspace, load_builtin("gdm-fsf-3.0"))
    for attempt in (candidate.transaction, lambda: candidate.writing(signed.people["rita"])):
        with pytest.raises(InternalError):
            attempt()


@pytest.mark.parametrize("spec", ["", " , ", "anthropic-rsp-9.9", "all,gdm-fsf-3.0"])
def test_bad_policy_selections_are_refused(spec: str) -> None:
    with pytest.raises(InputError) as caught:
        select_policies(spec)
    assert caught.value.where == "policies"


def _expect(direct: dict[str, dict[str, Verdict]]) -> dict[tuple[str, str], str]:
    return {(pid, action): v.outcome for pid, verdicts in direct.items() for action, v in verdicts.items()}


@pytest.fixture(scope="module")
def report(signed: demo.DemoState) -> Report:
    return comparison_report(signed.workspace, signed.ref, select_policies("all"))


@pytest.fixture(scope="module")
def html(report: Report) -> str:
    return render_html(report)


@pytest.mark.slow
def test_the_html_report_shows_every_row_and_every_missing_evaluation(
    signed: demo.DemoState, direct: dict[str, dict[str, Verdict]], report: Report, html: str
) -> None:
    cells = re.findall(r'<tr class="framework" data-policy="([^"]+)">(.*?)</tr>', html, flags=re.S)
    shown = {
        (pid, action): outcome
        for pid, row in cells
        for action, outcome in re.findall(r'data-action="([^"]+)" data-outcome="([^"]+)"', row)
    }
    assert shown == _expect(direct)
    found = re.search(rf'<script type="application/json" id="{DATA_ID}">(.*?)</script>', html, re.S)
    assert found is not None
    data = json.loads(found[1].replace("<\\/", "</"))
    assert data["comparison"]["ref"] == signed.ref
    for row in data["comparison"]["frameworks"]:
        for need in row["needs"]:
            if need["kind"] == "evidence":  # every missing evaluation is printed with its id and task
                assert f'data-indicator="{need["indicator"]}" data-task="{need["task"]}"' in html
    markdown, _ = render_markdown(report)
    assert all(f"## {pid}: " in markdown for pid in builtin_ids())


@pytest.mark.slow
@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdftotext", "pdfdetach")), reason="poppler-utils not installed"
)
def test_the_pdf_report_carries_and_prints_every_row(
    direct: dict[str, dict[str, Verdict]], report: Report, html: str, tmp_path: Path
) -> None:
    pdf = render_pdf(report, html)
    assert pdf.startswith(b"%PDF")
    pdf_path = tmp_path / "comparison.pdf"
    pdf_path.write_bytes(pdf)
    attached = tmp_path / "attached"
    attached.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(attached), str(pdf_path)], check=True)
    embedded = json.loads((attached / "report-data.json").read_text(encoding="utf-8"))
    rows = embedded["comparison"]["frameworks"]
    assert {(r["policy_id"], a): v["outcome"] for r in rows for a, v in r["actions"].items()} == _expect(
        direct
    )
    printed = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert all(pid in printed for pid in builtin_ids())


def test_the_cli_prints_the_comparison_and_refuses_bad_input(signed: demo.DemoState, tmp_path: Path) -> None:
    db = signed.workspace.url
    runner = CliRunner()
    done = runner.invoke(
        app, ["--db", db, "compare", signed.ref, "--policies", f"{ACTIVE},gdm-fsf-3.0", "--json"]
    )
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert [f["policy_id"] for f in document["frameworks"]] == [ACTIVE, "gdm-fsf-3.0"]
    table = runner.invoke(app, ["--db", db, "compare", signed.ref, "--policies", "gdm-fsf-3.0"])
    assert table.exit_code == 0 and "gdm-fsf-3.0" in table.stdout and "needs:" in table.stdout
    out = tmp_path / "reports"
    report = [
        *("--db", db, "--as", "rita", "report", "comparison", signed.ref),
        *("--policies", "all", "--format", "html"),
    ]
    written = runner.invoke(app, [*report, "--out", str(out), "--json"])
    assert written.exit_code == 0, written.output
    html = Path(json.loads(written.stdout)["files"]["html"]["path"]).read_text(encoding="utf-8")
    assert all(f'data-policy="{pid}"' in html for pid in builtin_ids())
    bad = runner.invoke(app, ["--db", db, "compare", signed.ref, "--policies", "nope"])
    assert bad.exit_code == 2
    assert bad.stderr.count("\n") == 1 and "nope" in bad.stderr and "Traceback" not in bad.output


def test_the_api_and_the_page_over_http(signed: demo.DemoState, comparison: Comparison) -> None:
    token = create_token(signed.workspace, signed.people["rita"], name="compare", scopes=["*"]).secret
    settings = WebSettings(session_secret="comparison-" + "c" * 40)
    with (
        BackgroundServer(create_app(signed.workspace, settings)) as server,
        httpx.Client(base_url=server.url, timeout=120) as client,
    ):
        headers = {"Authorization": f"Bearer {token}"}
        got = client.get(
            f"/api/v1/checkpoints/{signed.ref}/comparison", params={"policies": "all"}, headers=headers
        )
        assert got.status_code == 200, got.text
        document = got.json()
        want = to_jsonable(compare(signed.workspace, signed.ref, select_policies("all")))
        assert {k: v for k, v in document.items() if k != "assessed_at"} == {
            k: v for k, v in want.items() if k != "assessed_at"
        }
        bad = client.get(
            f"/api/v1/checkpoints/{signed.ref}/comparison", params={"policies": "x"}, headers=headers
        )
        assert bad.status_code == 400 and bad.json()["error"]["where"] == "policies"
        assert client.get(f"/api/v1/checkpoints/{signed.ref}/comparison").status_code == 401

        demo_login(client, "rita")
        page = client.get("/compare", params={"ref": signed.ref})
        assert page.status_code == 200
        assert re.findall(r'<tr data-policy="([^"]+)">', page.text) == builtin_ids()
        refused = client.get("/compare", params={"ref": signed.ref, "policies": "anthropic-rsp-9.9"})
        assert refused.status_code == 400 and "anthropic-rsp-9.9" in refused.text
        narrowed = client.get("/compare", params={"ref": signed.ref, "policies": f"{ACTIVE},gdm-fsf-3.0"})
        assert re.findall(r'<tr data-policy="([^"]+)">', narrowed.text) == [ACTIVE, "gdm-fsf-3.0"]
        for row in comparison.frameworks:
            for action in ACTIONS:
                outcome = row.actions[action].outcome
                block = page.text.split(f'<tr data-policy="{row.policy_id}">', 1)[1].split("</tr>", 1)[0]
                assert f'data-action="{action}" data-outcome="{outcome}"' in block, (row.policy_id, action)


def demo_login(client: httpx.Client, user: str) -> None:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found is not None
    data = {"username": user, "password": demo.demo_password(user), "csrf_token": found[1]}
    assert client.post("/login", data=data).status_code == 303


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_in_chromium_shows_every_row_and_fits_a_laptop_and_a_phone(
    signed: demo.DemoState, direct: dict[str, dict[str, Verdict]]
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.web.test_browser import ARGS, CHROMIUM
    from tests.web.test_dashboard_layout import OVERFLOWS, SCREENSHOTS, TOLERANCE, WIDTHS

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    settings = WebSettings(session_secret="comparison-browser-" + "b" * 40)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with (
        BackgroundServer(create_app(signed.workspace, settings)) as server,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for device, width in sorted(WIDTHS.items()):
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, sink=errors: sink.append(str(e)))
                page.goto(server.url + "/login")
                page.fill("input[name=username]", "rita")
                page.fill("input[name=password]", demo.demo_password("rita"))
                page.click("form[action='/login'] button[type=submit]")
                page.wait_for_load_state("networkidle")
                page.click("nav a[href='/compare']")  # the menu leads there
                page.wait_for_load_state("networkidle")
                page.locator("#comparison").wait_for(state="attached")
                shown = {
                    (row.get_attribute("data-policy"), cell.get_attribute("data-action")): (
                        cell.get_attribute("data-outcome")
                    )
                    for row in page.locator("#comparison tbody tr").all()
                    for cell in row.locator("td[data-action]").all()
                }
                assert shown == _expect(direct), device
                page.screenshot(path=str(SCREENSHOTS / f"compare-{width}.png"), full_page=True)
                assert page.evaluate(OVERFLOWS, TOLERANCE) == [], device
                assert errors == [], device
                context.close()
        finally:
            browser.close()
