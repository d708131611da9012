"""The reports read well on paper: no text beyond the page's box, a one-page summary first, the gate's reasons
once. The PDF pages are saved as PNG under tests/artifacts/reports/ for a look."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from markupsafe import escape

from scalegate.reports.capability import capability_report
from scalegate.reports.render import render_html, render_markdown
from scalegate.reports.service import (
    write_capability_report,
    write_compliance_report,
    write_safeguards_report,
)
from tests.reports.conftest import Build
from tests.reports.scenario import REF

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdftoppm", "pdftotext")), reason="poppler-utils not installed"
)

ARTIFACTS = Path(__file__).parent.parent / "artifacts" / "reports"
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)"')
_WORD = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*)</word>')


def beyond_the_page(pdf: Path) -> list[tuple[int, str]]:
    """(page, word) for every word of the PDF's text layer that lies outside its page's box."""
    layer = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
    out: list[tuple[int, str]] = []
    page, width, height = 0, 0.0, 0.0
    for line in layer.stdout.splitlines():
        if m := _PAGE.search(line):
            page, width, height = page + 1, float(m[1]), float(m[2])
        elif m := _WORD.search(line):
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
                out.append((page, unescape(m[5])))
    return out


def _page_text(pdf: Path, page: int) -> str:
    args = ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _save_pages(pdf: Path) -> list[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / pdf.stem
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(prefix)], check=True)
    return sorted(ARTIFACTS.glob(f"{pdf.stem}-*.png"))


def _long_addresses(s: object) -> None:
    """Give the people the long e-mail addresses of a real organisation (the notices table lists them)."""
    from sqlalchemy import update

    from scalegate.store.models.identity import UserRow

    workspace = s.workspace  # type: ignore[attr-defined]
    with workspace.transaction() as session:
        for user in ("bea", "rita", "carl"):
            address = f"{user}.responsible-scaling@board-and-governance.frontier-lab.example"
            session.execute(update(UserRow).where(UserRow.name == user).values(email=address))


@pytest.mark.slow
def test_no_report_text_lies_beyond_the_page(make_scenario: Build, tmp_path: Path) -> None:
    from tests.reports.scenario import determine, safeguard

    s = make_scenario("evaluated")
    _long_addresses(s)
    determine(s)
    safeguard(s)
    rita, sol = s.people["rita"], s.people["sol"]
    start = (s.clock.now() - timedelta(days=60)).date()
    pdfs = [
        write_capability_report(s.workspace, REF, tmp_path, formats=("pdf",), actor=rita)["pdf"],
        write_compliance_report(s.workspace, start, s.clock.now().date(), tmp_path, ("pdf",), rita)["pdf"],
        write_safeguards_report(
            s.workspace, "deployment", "L3", tmp_path, formats=("pdf",), actor=sol, ref=REF
        )["pdf"],
    ]
    for pdf in pdfs:
        assert _save_pages(pdf), pdf
        assert beyond_the_page(pdf) == [], pdf.name
    text = " ".join(_page_text(pdfs[0], 1).split())
    assert "Summary" in text and "What blocks or restricts" in text
    assert "Checkpoint and triggers" not in text, "the summary has the first page to itself"


def test_the_gate_reasons_are_printed_once(make_scenario: Build) -> None:
    s = make_scenario("determined")
    report = capability_report(s.workspace, REF)
    html = render_html(report)
    markdown = render_markdown(report)[0].split("<details>")[0]  # before the data block
    shared = [
        r["text"]
        for r in report.data["verdicts"]["deploy-external"]["reasons"]
        if r["effect"] == "blocks" and r in report.data["verdicts"]["deploy-internal"]["reasons"]
    ]
    assert shared, "the scenario has reasons that block both deployments"
    page = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # the data block holds every reason too
    for text in shared:
        # a whole reason, not a part of a longer one ("training pause: ... standard L3 is not met; ...")
        assert len(re.findall(re.escape(f"</span> {escape(text)} <"), page)) == 1, text
        assert len(re.findall(rf"^- {re.escape(text)} \(", markdown, flags=re.M)) == 1, text
    assert "[deploy-internal, deploy-external]" in markdown
