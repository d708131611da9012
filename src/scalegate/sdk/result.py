"""The gate's answer as the SDK returns it: outcome, reasons with clauses, and the CLI's exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scalegate.jsonable import JsonObject
from scalegate.sdk.documents import GateResultDocument
from scalegate.vocabulary import EXIT_CODES, Outcome

__all__ = ["EXIT_CODES", "GateOutcome", "GateResult"]

GateOutcome = Outcome
"""allow: proceed; restrict: proceed under approved interim measures; pause: stop."""


@dataclass(frozen=True)
class GateResult:
    """A gate verdict for one action on one checkpoint. Anything unrecognised reads as ``pause``."""

    outcome: GateOutcome
    reasons: list[JsonObject] = field(default_factory=list)
    exit_code: int = 3
    checkpoint: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def may_proceed(self) -> bool:
        """True for allow and restrict."""
        return self.outcome != "pause"

    def explain(self) -> str:
        """The reasons as one line, each with its clause."""
        parts = [
            f"{r.get('text', '')}" + (f" [{r['clause']}]" if r.get("clause") else "") for r in self.reasons
        ]
        return "; ".join(parts) or self.outcome

    def to_dict(self) -> GateResultDocument:
        return {
            "outcome": self.outcome,
            "reasons": self.reasons,
            "exit_code": self.exit_code,
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def paused(cls, text: str, clause: str | None = None, checkpoint: str | None = None) -> GateResult:
        """A fail-closed pause with one reason."""
        return cls("pause", [{"text": text, "clause": clause}], EXIT_CODES["pause"], checkpoint)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        """From a verdict document (``Verdict.to_dict()`` or the web API's JSON)."""
        outcome = data.get("outcome")
        reasons = [_reason(r) for r in data.get("reasons") or []]
        named = data.get("ref", data.get("checkpoint"))
        checkpoint = named if isinstance(named, str) else None
        if outcome not in EXIT_CODES:
            return cls(
                "pause",
                [{"text": f"unrecognised gate outcome {outcome!r}", "clause": None}, *reasons],
                EXIT_CODES["pause"],
                checkpoint,
                dict(data),
            )
        return cls(outcome, reasons, EXIT_CODES[outcome], checkpoint, dict(data))

    @classmethod
    def from_verdict(cls, verdict: Any) -> GateResult:
        """From the gate service's ``Verdict`` (with ``to_dict()``, or ``outcome`` and ``reasons``)."""
        if isinstance(verdict, dict):
            data: Any = verdict
        elif hasattr(verdict, "to_dict"):
            data = verdict.to_dict()
        else:
            data = {
                "outcome": getattr(verdict, "outcome", None),
                "reasons": list(getattr(verdict, "reasons", [])),
            }
        if not isinstance(data, dict):
            return cls.paused(f"gate returned {type(data).__name__}, not a verdict")
        return cls.from_dict(data)


def _reason(reason: Any) -> JsonObject:
    """A reason of a verdict as ``{"text", "clause", ...}``: a reason document keeps its other keys (code,
    effect, data, children), so its keys are the answer's."""
    if isinstance(reason, dict):
        return {
            "text": str(reason.get("text", reason.get("message", ""))),
            "clause": reason.get("clause"),
            **{k: v for k, v in reason.items() if k not in ("text", "clause", "message")},
        }
    if isinstance(reason, str):
        return {"text": reason, "clause": None}
    return {"text": str(getattr(reason, "text", reason)), "clause": getattr(reason, "clause", None)}
