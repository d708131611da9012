"""Rendering a ``Report``: Jinja2 templates to HTML and Markdown, WeasyPrint to PDF.

Templates print a number only through ``n(path)``, which reads the report's data block; in HTML it becomes
``<span class="num" data-path=... data-value=...>`` so a test (or a reviewer) can check every printed number
against the embedded JSON. The JSON data block and the provenance block are embedded in the HTML as
``<script type="application/json">`` and attached to the PDF as files, so every format carries its own record.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypedDict

from markupsafe import Markup

from scalegate.extras import requires_extra
from scalegate.reports.document import Report, lookup
from scalegate.reports.provenance import ProvenanceDocument

__all__ = [
    "DATA_ID",
    "PROVENANCE_ID",
    "format_value",
    "format_when",
    "reasons_once",
    "render_html",
    "render_markdown",
    "render_pdf",
]

DATA_ID = "scalegate-report-data"
PROVENANCE_ID = "scalegate-provenance"


def format_value(value: Any) -> str:
    """How a value is printed: 4 significant digits for floats, `n/a` for missing, yes/no for booleans."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3e}" if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3) else f"{value:.4g}"
    return str(value)


def reasons_once(verdicts: dict[str, Any], effects: tuple[str, ...] = ("blocks", "satisfied")) -> list[Any]:
    """The verdicts' top-level reasons of the given effects, each once, with the actions it applies to.

    The three actions share most reasons (a finding, a missing standard, a determination); printed per action
    they filled two pages three times over. Here each reason text appears once, in the order first met, naming
    its actions and every clause cited for it: ``{"effect", "code", "text", "clause", "actions"}``.
    """
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for action, verdict in verdicts.items():
        for reason in verdict.get("reasons") or []:
            if reason.get("effect") not in effects:
                continue
            key = (reason.get("effect"), reason.get("text"))
            entry = merged.setdefault(
                key,
                {"effect": key[0], "code": reason.get("code"), "text": key[1], "clauses": [], "actions": []},
            )
            if reason.get("clause") and reason["clause"] not in entry["clauses"]:
                entry["clauses"].append(reason["clause"])
            if action not in entry["actions"]:
                entry["actions"].append(action)
    for entry in merged.values():
        entry["clause"] = ", ".join(entry.pop("clauses")) or None
    return list(merged.values())


def format_when(value: Any) -> str:
    """An ISO-8601 time as `YYYY-MM-DD HH:MM` (UTC, as stored); empty for none."""
    if not value:
        return ""
    text = str(value)
    return text[:16].replace("T", " ") if len(text) >= 16 and text[10] == "T" else text


@cache
def _environment(markdown: bool) -> Any:
    with requires_extra("reports", "rendering reports"):
        from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("scalegate.reports", "templates"),
        autoescape=not markdown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fmt"] = format_value
    env.filters["short"] = lambda v: str(v)[:12] if v else "n/a"
    env.filters["when"] = format_when
    env.filters["reasons_once"] = reasons_once
    return env


def _json_block(value: Any) -> Markup:
    text = json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return Markup(text.replace("</", "<\\/"))


class ReportContext(TypedDict):
    """What a report template sees: the report, its data and provenance (as values and as embedded JSON),
    ``n(path)`` to print a number of the data block, ``figure(name)`` to place a figure, the style sheet."""

    report: Report
    data: Mapping[str, object]
    prov: ProvenanceDocument
    n: Callable[[str], Any]
    figure: Callable[[str], Any]
    data_json: Markup
    provenance_json: Markup
    data_id: str
    provenance_id: str
    css: Markup


def _context(report: Report, markdown: bool, assets: dict[str, str] | None = None) -> ReportContext:
    data = report.data

    def n(path: str) -> Any:
        value = lookup(data, path)
        text = format_value(value)
        if markdown:
            return text
        raw = json.dumps(value, ensure_ascii=False)
        return Markup('<span class="num" data-path="{}" data-value="{}">{}</span>').format(path, raw, text)

    def figure(name: str) -> Any:
        fig = report.figure(name)
        if fig is None:
            return ""
        if markdown:
            return f"![{fig.caption}]({(assets or {}).get(name, name + '.png')})"
        encoded = base64.b64encode(fig.svg).decode("ascii")
        return Markup(
            '<figure><img alt="{}" src="data:image/svg+xml;base64,{}"><figcaption>{}</figcaption></figure>'
        ).format(fig.caption, encoded, fig.caption)

    return {
        "report": report,
        "data": data,
        "prov": report.provenance.to_dict(),
        "n": n,
        "figure": figure,
        "data_json": _json_block(data),
        "provenance_json": _json_block(report.provenance.to_dict()),
        "data_id": DATA_ID,
        "provenance_id": PROVENANCE_ID,
        "css": _css(),
    }


@cache
def _css() -> Markup:
    from importlib.resources import files

    text = (files("scalegate.reports") / "templates" / "report.css").read_text(encoding="utf-8")
    return Markup(text)


def render_html(report: Report) -> str:
    """The report as a standalone HTML document (figures inline, data and provenance embedded)."""
    template = _environment(False).get_template(f"{report.template or report.kind}.html.j2")
    return str(template.render(**_context(report, markdown=False)))


def render_markdown(report: Report, asset_prefix: str = "") -> tuple[str, dict[str, bytes]]:
    """The report as Markdown, and the PNG files its figure links point to (name -> bytes)."""
    assets = {f.name: f"{asset_prefix}{f.name}.png" for f in report.figures}
    template = _environment(True).get_template(f"{report.template or report.kind}.md.j2")
    text = str(template.render(**_context(report, markdown=True, assets=assets)))
    return text, {assets[f.name]: f.png for f in report.figures}


def render_pdf(report: Report, html: str | None = None) -> bytes:
    """The report as PDF (WeasyPrint), with the data and provenance JSON attached to the file."""
    with requires_extra("reports", "PDF reports"):
        from weasyprint import HTML, Attachment

    source = html if html is not None else render_html(report)
    attachments = [
        Attachment(
            string=json.dumps(report.data, indent=1, sort_keys=True),
            name="report-data.json",
            description="Machine-readable data of this report",
        ),
        Attachment(
            string=json.dumps(report.provenance.to_dict(), indent=1, sort_keys=True),
            name="provenance.json",
            description="Provenance of this report",
        ),
    ]
    pdf = HTML(string=source).write_pdf(attachments=attachments)
    assert isinstance(pdf, bytes)
    return pdf
