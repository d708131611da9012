"""The reports as a reader of the PDF sees them: rendered by WeasyPrint (``reports.render.render_pdf``, what
``scalegate report ... --pdf`` writes) and read back as text with poppler's ``pdftotext -layout``.

``windows.report_window`` reads the data a report embeds; this reads the words printed on its pages, so a
template that shows a verdict, a badge or a deadline other than the data it was given fails here. Layout mode
keeps each table row on one line, its cells in columns; the parsers below anchor on the words the templates
print (``continue-training``, ``#12 (approved)``, ``not yet notified: board``), not on positions.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scalegate.reports.document import Report
from scalegate.reports.render import render_pdf
from tests.consistency.statements import Statements
from tests.consistency.windows import ACTIONS

__all__ = ["Printed", "pdf_text", "pdf_window", "print_report"]

_OUTCOMES = "allow|restrict|pause"


@dataclass(frozen=True)
class Printed:
    """One report as printed: its kind and the text of its pages."""

    kind: str
    text: str
    """As laid out (``pdftotext -layout``): the lines of the page, columns side by side."""
    words: list[Word]
    """Each word and where it is printed (``pdftotext -bbox``), for tables whose cells wrap."""


def _pdftotext(pdf: bytes, mode: str) -> str:
    tool = shutil.which("pdftotext")
    assert tool is not None, "pdftotext (poppler-utils) is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            [tool, mode, "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60, check=True
        )
    return done.stdout.decode("utf-8")


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF, page after page, columns kept apart (``pdftotext -layout``)."""
    return _pdftotext(pdf, "-layout")


def print_report(report: Report, rendered: str | None = None) -> Printed:
    """Render ``report`` to PDF (from its HTML when already ``rendered``) and read its text back."""
    pdf = render_pdf(report, rendered)
    assert pdf.startswith(b"%PDF-"), f"the {report.kind} report did not render to a PDF"
    return Printed(report.kind, pdf_text(pdf), pdf_words(pdf))


def _words(text: str) -> str:
    return " ".join(text.split())


def pdf_window(printed: list[Printed], period: tuple[date, date] | None) -> Statements:
    """What the printed Capability Reports, Safeguards Reports and compliance review say (the review's
    deadlines are those of ``period``)."""
    out = Statements("pdf")
    for report in printed:
        if report.kind == "capability":
            _capability(out, report.text)
        elif report.kind == "safeguards":
            _safeguards(out, report.text)
        elif report.kind == "compliance":
            assert period is not None, "a compliance review needs its period"
            _compliance(out, report.words, period)
        else:
            raise AssertionError(f"no reader for a printed {report.kind} report")
    return out


_REF = re.compile(r"^\s*(\S+@\S+): \d+ capability thresholds? assessed", re.M)
_VERDICT = re.compile(rf"^\s*({'|'.join(ACTIONS)})\s+({_OUTCOMES})\s+\d+\s+\d+\s*$", re.M)
_OPENED = re.compile(r"#(\d+) \((\w+)\), opened by")
_STATE = re.compile(r"^\s*state\s+(stale|signed|pending|invalid)\b", re.M)
_NOTIFIED = re.compile(
    r"^\s*notified before proceeding\s+(sent all required notices delivered|missing\s+(.+?))\s*$", re.M
)


def _capability(out: Statements, text: str) -> None:
    ref = _REF.search(text)
    assert ref is not None, "the printed Capability Report names no checkpoint"
    verdicts = _VERDICT.findall(text)
    assert sorted(a for a, _ in verdicts) == sorted(ACTIONS), f"printed verdicts: {verdicts}"
    for action, outcome in verdicts:
        out.add(ref[1], f"verdict {action}", outcome)
    opened = _OPENED.search(text)
    if opened is None:
        assert "No capability determination has been recorded" in text, (
            "determination neither shown nor missing"
        )
        return
    subject, status = f"decision {opened[1]}", opened[2]
    out.add(subject, "status", status)
    state = _STATE.search(text)
    assert state is not None, f"the printed determination of {subject} shows no state"
    out.add(subject, "stale", state[1] == "stale")
    notified = _NOTIFIED.search(text)
    assert notified is not None, f"the printed determination of {subject} says nothing of its notices"
    if status == "approved":
        out.add(subject, "notices due", _roles(notified[2]) if notified[2] else "")


def _roles(text: str) -> list[str]:
    return [r.strip() for r in _words(text).split(",") if r.strip()]


_SG_DECISION = re.compile(r"Decision #(\d+): (stale|signed|pending)\b")
_SG_NOTICES = re.compile(
    r"^\s*(The policy requires none\.|missing not yet notified: (.+?)|sent (.+?) notified)(?: \(|\s*$)", re.M
)


def _safeguards(out: Statements, text: str) -> None:
    decision = _SG_DECISION.search(text)
    if decision is None:
        assert "No safeguards determination recorded" in text, (
            "safeguards determination neither shown nor missing"
        )
        return
    subject = f"decision {decision[1]}"
    out.add(subject, "stale", decision[2] == "stale")
    notices = _SG_NOTICES.search(text.split("Notices before proceeding", 1)[-1])
    assert notices is not None, f"the printed Safeguards Report says nothing of {subject}'s notices"
    if decision[2] == "signed":
        out.add(subject, "notices due", _roles(notices[2]) if notices[2] else "")


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DEADLINE_HEADS = ("deadline", "kind", "due", "status", "completed", "days", "clause")
_DECISION_HEADS = ("#", "type", "subject", "status", "opened", "signed", "signatures", "notified")


def _compliance(out: Statements, words: list[Word], period: tuple[date, date]) -> None:
    """The review's deadlines (title, the subject printed small under it, due day, status) and its decisions
    (status, and the stale badge beside it), read from the printed tables cell by cell."""
    keys = []
    for row in _table(words, _DEADLINE_HEADS, starts="due", first=lambda w: bool(_DAY.match(w.text))):
        first = row["deadline"]
        tallest = max(w.height for w in first)
        title = _joined([w for w in first if w.height > tallest - 0.3])
        # A subject is an identifier (``frontier@c1``, ``cadence:noncompliance-summary``): no spaces, broken
        # anywhere when the column is narrow, so its lines join with nothing between them.
        subject = _joined([w for w in first if w.height <= tallest - 0.3], sep="")
        key = f"{title} | {subject} | {row['due'][0].text}"
        out.add(key, "status", row["status"][0].text)
        keys.append(key)
    start, end = period
    out.add(f"period {start}..{end}", "deadlines", keys)
    for row in _table(words, _DECISION_HEADS, starts="#", first=lambda w: w.text.isdigit()):
        subject = f"decision {row['#'][0].text}"
        status = [w.text for w in row["status"]]
        out.add(subject, "status", status[0])
        out.add(subject, "stale", "stale" in status[1:])


@dataclass(frozen=True)
class Word:
    """A word printed on a page, where (points from the top left; ``y`` runs on across pages)."""

    text: str
    x0: float
    y0: float
    height: float


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>')
_MARGIN = 0.06
"""The share of a page at its top and at its bottom where the running header and footer are printed."""


def pdf_words(pdf: bytes) -> list[Word]:
    """Every word of the PDF's pages with its place (``pdftotext -bbox``), page headers and footers left out,
    in reading order: page, line, left to right."""
    html_text = _pdftotext(pdf, "-bbox")
    out = []
    for number, page in enumerate(html_text.split("<page ")[1:]):
        size = _PAGE.match("<page " + page)
        assert size is not None, "pdftotext -bbox: a page without a size"
        height = float(size[2])
        for x0, y0, y1, text in _WORD.findall(page):
            top, bottom = float(y0), float(y1)
            if top < height * _MARGIN or bottom > height * (1 - _MARGIN):
                continue
            out.append(Word(html.unescape(text), float(x0), number * 10_000 + top, bottom - top))
    return sorted(out, key=lambda w: (round(w.y0), w.x0))


def _table(
    words: list[Word], heads: tuple[str, ...], *, starts: str, first: Callable[[Word], bool]
) -> list[dict[str, list[Word]]]:
    """The rows of the first table printed under a heading row of ``heads`` (left to right, on one line), down
    to the next bigger heading: each row from a word in column ``starts`` for which ``first`` holds to the
    next, its words in columns by where the headings start."""
    header = _header(words, heads)
    assert header is not None, f"no table headed {' '.join(heads)} in the printed report"
    left = [w.x0 - 3 for w in header]
    below = [w for w in words if w.y0 > header[0].y0 + 2]
    end = next((w.y0 for w in below if w.height > header[0].height * 1.25), float("inf"))
    body = [w for w in below if w.y0 < end - 1]

    def column(w: Word) -> str:
        return heads[max(i for i, x in enumerate(left) if w.x0 >= x)] if w.x0 >= left[0] else ""

    col = heads.index(starts)
    tops = [w.y0 for w in body if column(w) == heads[col] and first(w)]
    rows = []
    for i, top in enumerate(tops):
        bottom = tops[i + 1] if i + 1 < len(tops) else float("inf")
        cells: dict[str, list[Word]] = {h: [] for h in heads}
        for w in body:
            if top - 2 <= w.y0 < bottom - 2 and column(w):
                cells[column(w)].append(w)
        rows.append(cells)
    return rows


def _header(words: list[Word], heads: tuple[str, ...]) -> list[Word] | None:
    for w in words:
        if w.text != heads[0]:
            continue
        line = sorted((v for v in words if abs(v.y0 - w.y0) < 1 and v.x0 >= w.x0), key=lambda v: v.x0)
        found = [next((v for v in line if v.text == h), None) for h in heads]
        if all(found) and [v.x0 for v in found if v] == sorted(v.x0 for v in found if v):
            return [v for v in found if v is not None]
    return None


def _joined(words: list[Word], sep: str = " ") -> str:
    """The words of one cell as one line of text: its printed lines joined by ``sep``, or by nothing after a
    line that ends in a hyphen (a word broken across lines at its hyphen)."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.y0, w.x0)):
        if lines and abs(lines[-1][0].y0 - w.y0) < 2:
            lines[-1].append(w)
        else:
            lines.append([w])
    text = ""
    for line in lines:
        part = " ".join(w.text for w in sorted(line, key=lambda w: w.x0))
        text += part if not text or text.endswith("-") else sep + part
    return text
