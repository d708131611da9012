"""Plain-text rendering of a verdict document, shared by the fast path and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalegate.gate.verdict import ReasonDocument, VerdictDocument

__all__ = ["render_text"]

_MARK = {"blocks": "x", "restricts": "!", "satisfied": "+", "info": "-"}


def render_text(document: VerdictDocument) -> str:
    """The verdict as an indented tree: outcome first, then every reason with its clause."""
    lines = [f"{str(document['outcome']).upper()}: {document['action']} {document['ref']}"]
    required = document.get("required") or {}
    if required:
        lines.append("  required: " + ", ".join(f"{k} {v}" for k, v in required.items()))
    for restriction in document.get("restrictions") or []:
        lines.append(f"  restricted to: {restriction.get('scope')}")

    def walk(reason: ReasonDocument, depth: int) -> None:
        clause = f"  [{reason['clause']}]" if reason.get("clause") else ""
        lines.append(f"{'  ' * depth}{_MARK.get(reason['effect'], '-')} {reason['text']}{clause}")
        for child in reason.get("children", []):
            walk(child, depth + 1)

    order = {"blocks": 0, "restricts": 1, "satisfied": 2, "info": 3}
    for reason in sorted(document.get("reasons", []), key=lambda r: order.get(r["effect"], 9)):
        walk(reason, 1)
    for error in document.get("errors") or []:
        lines.append(f"  error: {error}")
    return "\n".join(lines) + "\n"
