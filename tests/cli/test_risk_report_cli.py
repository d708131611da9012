"""``risk-report draft`` and ``render`` with their repeatable options left out: every model, and HTML with
Markdown (Typer passes an omitted repeatable option as None, which the commands once failed on)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.cli.app import app
from scalegate.clock import FixedClock
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user
from scalegate.registry.service import create_model
from scalegate.workspace import init_workspace


def test_draft_covers_every_model_and_render_writes_html_and_markdown_by_default(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scalegate.db'}"
    workspace = init_workspace(url, "anthropic-rsp-3.4", clock=FixedClock(datetime(2026, 7, 1, tzinfo=UTC)))
    try:
        add_user(workspace, Actor("root"), "root", admin=True)
        add_user(workspace, resolve_actor(workspace, "root"), "ada", roles=["rso", "evaluator"])
        for name in ("m1", "m2"):
            create_model(workspace, resolve_actor(workspace, "ada"), name, "fam", "team")
    finally:
        workspace.close()
    runner = CliRunner()
    env = {"SCALEGATE_USER": "", "SCALEGATE_NOW": "2026-07-10T12:00:00Z", "COLUMNS": "200"}
    base = ["--db", url, "--as", "ada", "risk-report"]
    drafted = runner.invoke(
        app, [*base, "draft", "--title", "RR", "--coverage-date", "2026-07-05", "--json"], env=env
    )
    assert drafted.exit_code == 0, drafted.output
    report = json.loads(drafted.stdout)
    assert report["models"] == ["m1", "m2"]
    out = tmp_path / "out"
    rendered = runner.invoke(app, [*base, "render", str(report["id"]), "--out", str(out)], env=env)
    assert rendered.exit_code == 0, rendered.output
    assert sorted(p.suffix for p in out.iterdir()) == [".html", ".md"]
