"""The report, safety-case and export commands through the real CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from scalegate.cli.app import app
from tests.reports.conftest import Build
from tests.reports.scenario import REF, Scenario


class Cli:
    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.runner = CliRunner()

    def __call__(self, *args: str, user: str | None = "rita", code: int = 0) -> Any:
        argv = ["--db", self.s.workspace.url, *(["--as", user] if user else []), *args]
        env = {"SCALEGATE_NOW": self.s.clock.now().isoformat(), "SCALEGATE_USER": ""}
        result = self.runner.invoke(app, argv, env=env)
        assert result.exit_code == code, (result.stdout, result.stderr)
        if code and code != 3:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
            return lines[0]
        return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture
def cli(make_scenario: Build) -> Cli:
    return Cli(make_scenario("evaluated"))


@pytest.mark.slow
def test_report_capability_writes_each_format_and_prints_their_hashes(cli: Cli, tmp_path: Path) -> None:
    out = cli(
        "report", "capability", REF, "--format", "html", "--format", "md", "--out", str(tmp_path), "--json"
    )
    assert out["kind"] == "capability" and out["subject"] == REF
    assert {"html", "md"} <= set(out["files"])
    for info in out["files"].values():
        assert hashlib.sha256(Path(info["path"]).read_bytes()).hexdigest() == info["sha256"]
    single = cli("report", "capability", REF, "--out", str(tmp_path / "named.pdf"), "--json")
    assert list(single["files"]) == ["pdf"] and single["files"]["pdf"]["path"] == str(tmp_path / "named.pdf")


@pytest.mark.slow
def test_report_commands_refuse_bad_input_with_one_line(cli: Cli, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    assert "unknown report format 'docx'" in cli(
        "report", "capability", REF, "--format", "docx", "--out", str(tmp_path), code=2
    )
    assert "nosuch" in cli("report", "capability", "nosuch@c1", "--out", str(tmp_path), code=2)
    assert "--from" in cli("report", "compliance", "--from", "June", "--to", "2025-07-01", code=2)
    assert "may not report.generate" in cli(
        "report", "capability", REF, "--out", str(tmp_path), user="bea", code=2
    )
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_report_safeguards_compliance_and_public(cli: Cli, tmp_path: Path) -> None:
    for_ref = cli("report", "safeguards", REF, "--format", "html", "--out", str(tmp_path))
    assert for_ref.count("wrote") == 2
    both = cli("report", "safeguards", REF, "--format", "md", "--out", str(tmp_path), "--json")
    assert [r["subject"] for r in both] == [f"deployment:L3 for {REF}", f"security:L3 for {REF}"]
    one = cli(
        "report", "safeguards", "--standard", "security:L3", "-f", "md", "--out", str(tmp_path), "--json"
    )
    assert [r["subject"] for r in one] == ["security:L3"]
    comp = cli(
        "report",
        "compliance",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "-f",
        "html",
        "--out",
        str(tmp_path),
        "--json",
    )
    assert comp["subject"] == "2025-01-01..2025-12-31"
    public = cli("report", "public", REF, "--out", str(tmp_path), "--json")
    assert set(public["files"]) == {"html", "md"}
    assert "bad" in cli("report", "safeguards", "--standard", "bad", "--out", str(tmp_path), code=2)


def test_safety_case_build_validate_and_render(cli: Cli, tmp_path: Path) -> None:
    built = cli(
        "safety-case",
        "build",
        REF,
        "--threshold",
        "AUTO-1",
        "--purpose",
        "deploy",
        "--out",
        str(tmp_path / "auto.json"),
        "--json",
    )
    assert built[0]["valid"] is True and built[0]["audit_seq"] > 0
    assert cli("safety-case", "validate", str(tmp_path / "auto.json"), "--json")["valid"] is True
    cli(
        "safety-case",
        "build",
        REF,
        "--threshold",
        "BIO-1",
        "--purpose",
        "deploy",
        "--out",
        str(tmp_path / "bio.json"),
    )
    bad = cli("safety-case", "validate", str(tmp_path / "bio.json"), "--json", code=3)
    assert bad["valid"] is False and {d["code"] for d in bad["diagnostics"]} == {"C09", "D01"}
    offline = cli("safety-case", "validate", str(tmp_path / "auto.json"), "--offline", "--json", user=None)
    assert offline["valid"] is True
    cli("safety-case", "render", str(tmp_path / "bio.json"), "--out", str(tmp_path / "bio.svg"))
    svg = (tmp_path / "bio.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "#c62828" in svg  # the undeveloped goal is outlined in red
    cli(
        "safety-case",
        "render",
        str(tmp_path / "auto.json"),
        "--out",
        str(tmp_path / "auto.gsn.yaml"),
        "--offline",
    )
    assert "G1" in yaml.safe_load((tmp_path / "auto.gsn.yaml").read_text(encoding="utf-8"))
    every = cli("safety-case", "build", REF, "--all", "--out", str(tmp_path / "all"), "--json")
    assert len(every) == 4 and all(Path(r["path"]).exists() for r in every)
    assert "either a threshold or a safeguard standard" in cli(
        "safety-case", "build", REF, "--out", str(tmp_path / "x.json"), code=2
    )
    assert "not a valid safety case" in cli(
        "safety-case", "validate", str(tmp_path / "auto.gsn.yaml"), code=2
    )


@pytest.mark.slow
def test_export_ciso_assistant_and_bundle(cli: Cli, tmp_path: Path) -> None:
    out = cli("export", "ciso-assistant", "anthropic-rsp-2.2", "--out", str(tmp_path / "grc"), "--json")
    assert set(out["files"]) == {
        "anthropic-rsp-2.2.yaml",
        "mapping-anthropic-rsp-2.2-to-iso42001-2023.yaml",
        "mapping-anthropic-rsp-2.2-to-nist-ai-rmf-1.0.yaml",
    }
    assert "no-such-policy" in cli("export", "ciso-assistant", "no-such-policy", code=2)
    bundle = cli("export", "bundle", str(tmp_path / "b"), "--ref", REF, "--json", user="aud")
    assert bundle["audience"] == "reviewer" and (tmp_path / "b" / "MANIFEST.json").exists()
    assert "may not report.export" in cli("export", "bundle", str(tmp_path / "c"), user="eve", code=2)


def test_assess_prints_the_forecasts_its_help_promises(cli: Cli) -> None:
    from scalegate.assessment.service import assess

    assert "forecast" in cli("assess", "--help").lower()
    forecasts = assess(cli.s.workspace, REF).forecasts
    assert forecasts and all(f.ok for f in forecasts)
    text = cli("assess", REF)
    assert "Forecast" in text
    for f in forecasts:
        assert f.indicator_id in text and str(f.fit) in text
