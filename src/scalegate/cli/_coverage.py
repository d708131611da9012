"""Printing and exporting the coverage matrix for ``scalegate policy coverage``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from scalegate.cli._output import console, emit_json
from scalegate.jsonable import to_jsonable
from scalegate.policy.coverage import CoverageMatrix, to_csv

__all__ = ["print_table", "write_export"]

_MARKS = {"not_addressed": "[dim]not addressed[/dim]", "left_to_lab": "[yellow]left to the lab[/yellow]"}


def print_table(matrix: CoverageMatrix) -> None:
    """Concepts down, frameworks across; under each value the sections it cites (the column names the
    document)."""
    from rich.markup import escape
    from rich.table import Table

    t = Table(title="Coverage: frameworks against concepts", show_lines=True, header_style="bold")
    t.add_column("concept")
    for column in matrix.columns:
        t.add_column(column.policy_id)
    for row in matrix.concepts:
        cells = []
        for column in matrix.columns:
            cell = column.cell(row.id)
            mark = _MARKS.get(cell.status)
            text = escape(cell.value) if mark is None else f"{mark}: {escape(cell.value)}"
            if cell.value == "not addressed":
                text = mark or ""
            sections = "; ".join("§" + c.split(" §", 1)[-1] for c in cell.clauses)
            clauses = f"\n[dim]{escape(sections)}[/dim]" if cell.clauses else ""
            cells.append(text + clauses)
        t.add_row(row.label, *cells)
    console().print(t)


def write_export(matrix: CoverageMatrix, fmt: str, output: str | None, *, quiet: bool = False) -> Any:
    """Print the csv or json export, or write it to ``output`` whole (a temporary file renamed into place, so
    a failure leaves no half-written file). Returns what ``--json`` prints after writing a file."""
    import json

    if fmt == "csv":
        text = to_csv(matrix)
    else:
        text = json.dumps(to_jsonable(matrix), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        if fmt == "json":
            emit_json(matrix)
        else:
            sys.stdout.write(text)
        return None
    target = Path(output)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:  # name the file the user asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    summary = {"output": str(target), "format": fmt, "policies": len(matrix.columns)}
    if not quiet:
        console().print(
            f"wrote the {fmt} coverage of {len(matrix.columns)} policies to {target}", markup=False
        )
    return summary
