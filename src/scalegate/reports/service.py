"""Writing reports to disk and recording them in the audit log, by hash.

Every file is rendered in memory first; only then are the files written and one ``report.generated`` audit
entry per file appended (its ``sha256``, format, the report kind and subject, the data block's hash). If
recording fails, the files just written are removed, so a report on disk is always one the log knows about.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from scalegate.actor import SYSTEM, Actor
from scalegate.errors import InputError
from scalegate.governance.permissions import require
from scalegate.reports.capability import capability_report
from scalegate.reports.compliance import compliance_report
from scalegate.reports.document import FORMATS, Format, Report
from scalegate.reports.public import public_summary
from scalegate.reports.render import render_html, render_markdown, render_pdf
from scalegate.reports.safeguards import safeguards_report

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = [
    "RenderedFile",
    "render_files",
    "write_capability_report",
    "write_compliance_report",
    "write_public_summary",
    "write_report",
    "write_safeguards_report",
]

RenderedFile = tuple[str, bytes, str]
"""(relative path, bytes, format) of one output file."""


def render_files(report: Report, formats: Iterable[str]) -> list[RenderedFile]:
    """Render ``report`` in each format, in memory. Markdown brings its figure PNGs along."""
    wanted = _check_formats(formats)
    html = render_html(report)
    out: list[RenderedFile] = []
    for fmt in wanted:
        if fmt == "html":
            out.append((f"{report.stem}.html", html.encode("utf-8"), "html"))
        elif fmt == "pdf":
            out.append((f"{report.stem}.pdf", render_pdf(report, html), "pdf"))
        else:
            text, assets = render_markdown(report, asset_prefix=f"{report.stem}_files/")
            out.append((f"{report.stem}.md", text.encode("utf-8"), "md"))
            out += [(name, data, "png") for name, data in sorted(assets.items())]
    return out


def _check_formats(formats: Iterable[str]) -> list[Format]:
    wanted: list[Format] = []
    for fmt in formats:
        if fmt not in FORMATS:
            raise InputError(
                f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}", where="format"
            )
        if fmt not in wanted:
            wanted.append(fmt)
    if not wanted:
        raise InputError("no report format given", where="format")
    return wanted


def write_report(
    workspace: Workspace,
    report: Report,
    out_dir: Path,
    formats: Iterable[str] = ("html", "pdf"),
    actor: Actor = SYSTEM,
) -> dict[str, Path]:
    """Render, write and record ``report``; returns format -> path (figure PNGs as `png:<name>`)."""
    # No policy can grant this action (``POLICY_ACTIONS``), so checking it needs none: it fails before a file
    # is rendered; the recording transaction checks again.
    require(actor, "report.generate")
    rendered = render_files(report, formats)
    out_dir = Path(out_dir)
    written: list[Path] = []
    try:
        for rel, data, _ in rendered:
            written.append(_write_atomic(out_dir / rel, data))
        _record(workspace, actor, report, rendered, check=True)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    result: dict[str, Path] = {}
    for (rel, _, fmt), path in zip(rendered, written, strict=True):
        result[fmt if fmt != "png" else f"png:{Path(rel).stem}"] = path
    return result


def _write_atomic(path: Path, data: bytes) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"cannot write report: {exc.strerror}", where=str(path)) from exc
    return path


def _record(
    workspace: Workspace, actor: Actor, report: Report, rendered: list[RenderedFile], *, check: bool = False
) -> None:
    """Record the written files of ``report``; ``check``: ask for ``report.generate`` in the recording
    transaction (a bundle's reports are recorded under the exporter's ``report.export`` instead)."""
    with workspace.writing(actor) as ctx:
        if check:
            require(actor, "report.generate", ctx.active)
        session = ctx.session
        for rel, data, fmt in rendered:
            workspace.record(
                session,
                actor,
                "report.generated",
                f"report:{report.kind}:{report.subject}",
                {
                    "kind": report.kind,
                    "subject": report.subject,
                    "format": fmt,
                    "file": Path(rel).name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "data_sha256": report.provenance.data_sha256,
                    "audit_size_cited": report.provenance.audit.get("size"),
                    "cited": len(report.provenance.cited),
                },
            )


def write_capability_report(
    workspace: Workspace,
    ref: str,
    out_dir: Path,
    formats: Iterable[str] = ("html", "pdf"),
    actor: Actor = SYSTEM,
) -> dict[str, Path]:
    """Write the Capability Report of ``ref`` (HTML and PDF by default) into ``out_dir``; return the paths."""
    return write_report(workspace, capability_report(workspace, ref), out_dir, formats, actor)


def write_safeguards_report(
    workspace: Workspace,
    kind: str,
    level: str,
    out_dir: Path,
    formats: Iterable[str] = ("html", "pdf"),
    actor: Actor = SYSTEM,
    ref: str | None = None,
) -> dict[str, Path]:
    """Write the Safeguards Report of one standard."""
    return write_report(
        workspace, safeguards_report(workspace, kind, level, ref=ref), out_dir, formats, actor
    )


def write_compliance_report(
    workspace: Workspace,
    start: date,
    end: date,
    out_dir: Path,
    formats: Iterable[str] = ("html", "pdf"),
    actor: Actor = SYSTEM,
) -> dict[str, Path]:
    """Write the compliance review of a period."""
    return write_report(workspace, compliance_report(workspace, start, end, actor), out_dir, formats, actor)


def write_public_summary(
    workspace: Workspace,
    ref: str,
    out_dir: Path,
    formats: Iterable[str] = ("html", "md"),
    actor: Actor = SYSTEM,
) -> dict[str, Path]:
    """Write the redacted public summary of a checkpoint."""
    return write_report(workspace, public_summary(workspace, ref), out_dir, formats, actor)


class WrittenFile(TypedDict):
    """A file a report was written to, and its SHA-256."""

    path: str
    sha256: str


def describe(paths: dict[str, Path]) -> dict[str, WrittenFile]:
    """JSON-ready summary of written files: format -> {path, sha256}."""
    return {
        fmt: {"path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
        for fmt, p in paths.items()
    }
