"""The PDF renders (WeasyPrint), turns into PNG pages (pdftoppm), has its sections, and carries its data."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from scalegate.reports.service import write_capability_report, write_safeguards_report
from tests.reports.conftest import Build
from tests.reports.scenario import REF
from tests.support.policy import active_of

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("pdftoppm", "pdftotext", "pdfdetach")),
        reason="poppler-utils not installed",
    ),
]

SECTIONS = [
    "Summary",
    "Checkpoint and triggers",
    "Findings per threshold",
    "Elicitation and evidence quality",
    "Forecast",
    "Required safeguards and gaps",
    "Determination, sign-offs and feedback",
    "Notifications",
    "Gate verdicts",
    "Provenance",
]


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_capability_report_pdf_has_pages_sections_and_data(make_scenario: Build, tmp_path: Path) -> None:
    s = make_scenario("determined")
    paths = write_capability_report(s.workspace, REF, tmp_path / "out", formats=("pdf",))
    pdf = paths["pdf"]
    assert pdf.read_bytes().startswith(b"%PDF-")
    pages = tmp_path / "pages"
    pages.mkdir()
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(pages / "page")], check=True)
    images = sorted(pages.glob("page-*.png"))
    assert len(images) >= 3
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and p.stat().st_size > 2000 for p in images)
    text = _text(pdf)
    positions = [text.find(section) for section in SECTIONS]
    assert all(p >= 0 for p in positions), dict(zip(SECTIONS, positions, strict=True))
    assert positions == sorted(positions), "sections out of order"
    assert "Capability Report: atlas@c3" in text and "page 1 of" in text
    # The machine-readable data travels inside the PDF as an attachment.
    attached = tmp_path / "attached"
    attached.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(attached), str(pdf)], check=True)
    data = json.loads((attached / "report-data.json").read_text(encoding="utf-8"))
    provenance = json.loads((attached / "provenance.json").read_text(encoding="utf-8"))
    assert data["assessment"]["checkpoint"]["ref"] == REF
    finding = data["assessment"]["findings"][0]["indicators"][0]
    assert f"{finding['estimate']:.4g}" in text
    assert provenance["policy"]["content_hash"] == active_of(s.workspace).content_hash


def test_the_safeguards_report_pdf_shows_criteria_evidence_and_the_matrix(
    make_scenario: Build, tmp_path: Path
) -> None:
    s = make_scenario("safeguarded")
    paths = write_safeguards_report(
        s.workspace, "deployment", "L3", tmp_path, formats=("pdf",), actor=s.people["sol"], ref=REF
    )
    text = _text(paths["pdf"])
    for phrase in (
        "Safeguards Report: L3 Deployment",
        "Criteria",
        "Evidence, owners and approvals",
        "Safeguards determination",
        "l3-dep-red-team",
        "l2-dep-usage-policy",
        "Safeguards matrix",
        "rita",
    ):
        assert phrase in text, phrase
