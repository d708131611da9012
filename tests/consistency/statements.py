"""Statements a window makes, and the check that every window that makes one agrees.

A statement is ``(subject, property, value)``:
``("aurora-1@step-40000", "verdict deploy-external", "pause")``, ``("decision 5", "stale", "false")``,
``("decision 5", "notices due", "board, ltbt")``. Each window (a CLI
command's ``--json``, an API route, a dashboard page, a report's data block or PDF text) is read into a set of
them; two windows disagree when they give one subject and property different values. A window that says
nothing about a subject does not disagree, so each test also names what each window must cover.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Statement", "Statements", "Tally", "assert_agree", "disagreements", "tally"]

Statement = tuple[str, str, str]
"""(subject, property, value), every part as text."""


@dataclass
class Statements:
    """What one window says."""

    window: str
    said: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, subject: str, prop: str, value: object) -> None:
        """Record one statement; a window that says two things about one subject contradicts itself."""
        text = _text(value)
        key = (subject, prop)
        if key in self.said and self.said[key] != text:
            raise AssertionError(
                f"{self.window} contradicts itself on {subject} / {prop}: {self.said[key]!r} and {text!r}"
            )
        self.said[key] = text

    def about(self, prop: str) -> dict[str, str]:
        """Subject -> value for one property."""
        return {s: v for (s, p), v in self.said.items() if p == prop}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def disagreements(windows: list[Statements]) -> list[str]:
    """Every (subject, property) on which two windows give different values, one line each."""
    by_key: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for w in windows:
        for key, value in w.said.items():
            by_key[key][w.window] = value
    out = []
    for (subject, prop), values in sorted(by_key.items()):
        if len(set(values.values())) > 1:
            said = "; ".join(f"{w}: {v!r}" for w, v in sorted(values.items()))
            out.append(f"{subject} / {prop}: {said}")
    return out


@dataclass(frozen=True)
class Tally:
    """How much was cross-checked: statements said by at least two windows, and the pairs compared."""

    keys: int
    statements: int
    windows: int


def tally(windows: list[Statements]) -> Tally:
    """Count the statements that at least one other window also makes (those are the ones cross-checked)."""
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for w in windows:
        for key in w.said:
            seen[key] += 1
    shared = {k: n for k, n in seen.items() if n > 1}
    return Tally(keys=len(shared), statements=sum(shared.values()), windows=len(windows))


def assert_agree(
    label: str, windows: list[Statements], record_property: Callable[[str, object], None]
) -> None:
    """Print and record how many statements ``windows`` cross-check at ``label``; fail on any
    disagreement."""
    problems = disagreements(windows)
    counted = tally(windows)
    print(
        f"\n{label}: {counted.statements} statements about {counted.keys} subjects/properties "
        f"cross-checked over {counted.windows} windows"
    )
    record_property("statements_cross_checked", counted.statements)
    assert not problems, "windows disagree:\n" + "\n".join(problems)
