"""A report before it is rendered: its data (every number it prints), figures and provenance.

Builders (capability, safeguards, compliance, public) turn service objects into a ``Report``; ``render.py``
turns a ``Report`` into HTML, PDF or Markdown. Templates print numbers only through the data block (by path),
so the rendered text and the embedded JSON cannot disagree, and the JSON is the service objects' own
``to_dict()``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from scalegate.reports.plots import Figure
from scalegate.reports.provenance import Provenance

__all__ = ["FORMATS", "Format", "Report", "ReportKind", "lookup"]

ReportKind = Literal[
    "capability", "safeguards", "compliance", "public", "risk_report", "reviewer_packet", "comparison"
]
"""The documents the RSP asks for: Capability Report, Safeguards Report, compliance review, public summary,
(RSP v3.x) the Risk Report and the packet for its external reviewers; and the comparison of one checkpoint's
record under several frameworks."""

Format = Literal["html", "pdf", "md"]
"""Output formats."""

FORMATS: tuple[Format, ...] = ("html", "pdf", "md")


@dataclass
class Report:
    """One report, ready to render."""

    kind: ReportKind
    title: str
    subject: str
    data: Mapping[str, object]
    """Every number the report prints, as JSON (read by path with ``lookup``)."""
    provenance: Provenance
    figures: list[Figure] = field(default_factory=list)
    template: str | None = None
    """Template stem; defaults to ``kind``."""
    name: str | None = None
    """File name stem chosen by the caller; defaults to one derived from kind and subject."""

    @property
    def stem(self) -> str:
        """File name stem, e.g. `capability-report-frontier-next-ckpt-7`."""
        if self.name:
            return self.name
        subject = re.sub(r"[^A-Za-z0-9._-]+", "-", self.subject).strip("-")
        return f"{self.kind}-report-{subject}" if subject else f"{self.kind}-report"

    def figure(self, name: str) -> Figure | None:
        """A figure by name."""
        return next((f for f in self.figures if f.name == name), None)


def lookup(data: Any, path: str) -> Any:
    """The value at a slash-separated path (`assessment/findings/0/estimate`); list indices are integers.

    Slashes, not dots: indicator ids may contain dots, and no id scalegate uses may contain a slash.
    """
    value = data
    for part in path.split("/"):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value[part]
        else:
            raise KeyError(path)
    return value
