"""Each window of scalegate read into statements (``tests.consistency.statements``).

The windows: the CLI's ``--json`` (``gate``, ``decision list``, ``decision show``, ``compliance``), the API
over real HTTP (the same four), the dashboard's served HTML (overview, model page, sign-offs, calendar), the
reports' embedded data blocks (Capability Report, Safeguards Report, compliance review). The dashboard as
Chromium renders it is read in ``tests.consistency.chromium``, the reports' printed PDF text in
``tests.consistency.pdf_text``.

What a window says is normalised to a few properties:

- ``verdict ACTION`` of a checkpoint: allow, restrict or pause;
- ``stale``, ``status`` and ``notices due`` (the ``before_proceeding`` roles not yet notified, for an approved
  decision) of a decision;
- ``status`` of a deadline (``TITLE | SUBJECT | DUE-DATE``), and the ``deadlines`` of a period.

The gate is read as a window too: a reason about a decision says whether it is stale, and which notices are
due.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime
from typing import Any

import httpx
from typer.testing import CliRunner

from scalegate.cli.app import app
from scalegate.reports.document import Report
from tests.consistency.statements import Statements

__all__ = [
    "ACTIONS",
    "api_window",
    "calendar_key",
    "cli_window",
    "dashboard_window",
    "gate_statements",
    "report_window",
    "required_standards",
]

ACTIONS = ("continue-training", "deploy-internal", "deploy-external")
_NOTIFY = re.compile(r"is signed but (.+) must be notified before proceeding")


def calendar_key(item: dict[str, Any]) -> str:
    """A deadline as every window can name it: its title, what it is about, and its due day."""
    return f"{item['title']} | {item.get('subject') or ''} | {str(item['due_at'])[:10]}"


def gate_statements(out: Statements, verdict: dict[str, Any]) -> None:
    """A gate verdict: its outcome, and what its reasons say about the decisions it relies on."""
    out.add(verdict["ref"], f"verdict {verdict['action']}", verdict["outcome"])
    for reason in verdict["reasons"]:
        data = reason.get("data") or {}
        if "decision_id" not in data or data.get("decision_id") is None:
            continue
        subject = f"decision {data['decision_id']}"
        code = reason["code"]
        out.add(subject, "stale", code == "decision.stale")
        if code == "decision.complete":
            out.add(subject, "notices due", "")
        elif code == "decision.unnotified":
            found = _NOTIFY.search(reason["text"])
            assert found is not None, reason["text"]
            out.add(subject, "notices due", found[1].split(", "))


def decision_statements(out: Statements, d: dict[str, Any]) -> None:
    """A decision document (``decision list``/``show``, the API): its status, staleness, notices due."""
    subject = f"decision {d['decision_id']}"
    out.add(subject, "status", d["status"])
    out.add(subject, "stale", d["stale"])
    if d["status"] == "approved":
        out.add(subject, "notices due", d["missing_notifications"])


def calendar_statements(out: Statements, document: dict[str, Any], period: tuple[date, date]) -> None:
    """The compliance calendar: each deadline's status, and which fall due in ``period`` (both days
    included)."""
    start, end = period
    within = []
    for item in document["items"]:
        out.add(calendar_key(item), "status", item["status"])
        if start <= datetime.fromisoformat(item["due_at"]).date() <= end:
            within.append(calendar_key(item))
    out.add(f"period {start}..{end}", "deadlines", within)


def cli_window(
    db_url: str, refs: list[str], period: tuple[date, date], *, now: datetime, user: str = "", token: str = ""
) -> Statements:
    """The CLI's ``--json`` documents, at the workspace's time ``now`` (``SCALEGATE_NOW``), as ``user`` (a
    demo workspace) or with an API ``token`` (``SCALEGATE_TOKEN``)."""
    out = Statements("cli")
    env = {"COLUMNS": "200", "SCALEGATE_NOW": now.isoformat(), "SCALEGATE_USER": ""}
    if token:
        env["SCALEGATE_TOKEN"] = token
    who = ["--as", user] if user else []

    def run(*argv: str) -> Any:
        result = CliRunner().invoke(app, ["--db", db_url, *who, *argv], env=env)
        assert result.exit_code in (0, 3, 4), (argv, result.exit_code, result.output[-2000:])
        return json.loads(result.output)

    for ref in refs:
        for action in ACTIONS:
            gate_statements(out, run("gate", ref, "--action", action, "--json"))
    listed = run("decision", "list", "--json")
    for d in listed:
        decision_statements(out, d)
    shown = Statements("cli decision show")
    for d in listed:
        decision_statements(shown, run("decision", "show", str(d["decision_id"]), "--json"))
    assert shown.said == {k: v for k, v in out.said.items() if k in shown.said}, "decision show != list"
    calendar_statements(out, run("compliance", "--json"), period)
    return out


def api_window(client: httpx.Client, token: str, refs: list[str], period: tuple[date, date]) -> Statements:
    """The API over HTTP, with a bearer token."""
    out = Statements("api")
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str, **params: str) -> Any:
        response = client.get(f"/api/v1{path}", params=params, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response.json()

    for ref in refs:
        for action in ACTIONS:
            gate_statements(out, get("/gate", model=ref, action=action))
    listed = get("/decisions")
    listed = listed["items"] if isinstance(listed, dict) else listed
    for d in listed:
        decision_statements(out, d)
        decision_statements(out, get(f"/decisions/{d['decision_id']}"))
    calendar_statements(out, get("/compliance"), period)
    return out


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def dashboard_window(client: httpx.Client, models: list[str]) -> Statements:
    """The dashboard's pages as served (a signed-in session)."""
    out = Statements("dashboard")

    def page(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    overview = page("/")
    for row in re.findall(r'(?s)<tr>\s*<td><a href="/models/([^"]+)">.*?</tr>', overview):
        assert row in models, row
    for name, block in re.findall(r'(?s)<a href="/models/([^"]+)">(.*?)</tr>', overview):
        checkpoint = re.search(r"<td>([^<]+)<br>", block)
        assert checkpoint is not None, block
        ref = f"{name}@{checkpoint[1].strip()}"
        for outcome, action in re.findall(r'class="badge (\w+)" data-action="([a-z-]+)"', block):
            out.add(ref, f"verdict {action}", outcome)
    for name in models:
        model = page(f"/models/{name}")
        heading = re.search(r"<h1>([^<:]+): checkpoint ([^<]+)</h1>", model)
        assert heading is not None, f"no checkpoint heading on /models/{name}"
        ref = f"{html.unescape(heading[1])}@{html.unescape(heading[2])}"
        for action, outcome in re.findall(
            r'(?s)<section class="card" data-action="([a-z-]+)">\s*<h3>[^<]*<span class="badge (\w+)">', model
        ):
            out.add(ref, f"verdict {action}", outcome)
        det = re.search(r'Decision #(\d+): <span class="badge (\w+)">(.*?)</p>', model, re.S)
        if det:
            subject = f"decision {det[1]}"
            out.add(subject, "status", det[2])
            out.add(subject, "stale", "badge invalidated" in det[3])
            notify = re.search(r"still to notify: ([^<—]+)", det[3])
            if det[2] == "approved":
                out.add(subject, "notices due", notify[1].strip().split(", ") if notify else "")
    signoffs = page("/signoffs")
    for number in re.findall(r'<section class="card" id="decision-(\d+)">', signoffs):
        out.add(f"decision {number}", "status", "open")
    for number, roles in re.findall(
        r'(?s)<section class="card" id="notify-(\d+)">.*?still to notify <strong>([^<]+)</strong>', signoffs
    ):
        out.add(f"decision {number}", "notices due", roles.split(", "))
    for row in re.findall(r"(?s)<tr><td>(\d+)</td>(.*?)</tr>", signoffs):
        cells = re.findall(r"(?s)<td[^>]*>(.*?)</td>", row[1])
        status, notified = _text(cells[2]), _text(cells[4])
        out.add(f"decision {row[0]}", "status", status)
        if status == "approved":
            out.add(
                f"decision {row[0]}", "notices due", "" if notified == "yes" else notified[4:].split(", ")
            )
    calendar = page("/calendar")
    for row in re.findall(r'(?s)<tr class="(\w+)">(.*?)</tr>', calendar):
        cells = re.findall(r"(?s)<td[^>]*>(.*?)</td>", row[1])
        title = _text(cells[2].split("<br>")[0])
        key = f"{title} | {_text(cells[3])} | {_text(cells[1])}"
        out.add(key, "status", row[0])
    return out


def data_block(rendered_html: str) -> dict[str, Any]:
    """The data a report embeds in its HTML."""
    found = re.search(
        r'(?s)<script type="application/json" id="[^"]*data[^"]*">(.*?)</script>', rendered_html
    )
    assert found is not None, "no data block"
    block: dict[str, Any] = json.loads(found[1].replace("<\\/", "</"))
    return block


def required_standards(capability: Report) -> list[tuple[str, str]]:
    """The standards (kind, level) a Capability Report says its checkpoint requires: the Safeguards Reports
    read beside it."""
    levels = capability.data["assessment"]["requirements"]["levels"]
    return [(kind, str(entry["level"])) for kind, entry in levels.items()]


def report_window(
    capability: list[str], compliance: str | None, period: tuple[date, date], safeguards: tuple[str, ...] = ()
) -> Statements:
    """The reports' embedded data: each Capability Report (verdicts, its decisions), each Safeguards Report
    (its standard's determination) and the compliance review of ``period`` (its deadlines, decisions)."""
    out = Statements("reports")
    for rendered in safeguards:
        det = data_block(rendered)["status"]["determination"]
        if det:
            decision_statements(out, det)
    for rendered in capability:
        data = data_block(rendered)
        for verdict in data["verdicts"].values():
            gate_statements(out, verdict)
        for d in data["governance"]["decisions"]:
            decision_statements(out, d)
        det = data["assessment"].get("determination")
        if det:
            decision_statements(out, det)
    if compliance is not None:
        data = data_block(compliance)
        for item in data["deadlines"]["items"]:
            out.add(calendar_key(item), "status", item["status"])
        start, end = period
        out.add(f"period {start}..{end}", "deadlines", [calendar_key(i) for i in data["deadlines"]["items"]])
        for d in data["decisions"]:
            subject = f"decision {d['decision_id']}"
            out.add(subject, "status", d["status"])
            out.add(subject, "stale", d["stale"])
    return out
