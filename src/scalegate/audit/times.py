"""Entry times never decrease: checked on the bodies, from where the signed tree heads stop vouching for it.

``append`` dates every entry no earlier than the one before it, so a log written by scalegate always passes.
An entry dated before its predecessor was therefore written some other way: by an older version that let a
pinned clock (``SCALEGATE_NOW``) date a record into the past, or by someone who rewrote the log. Either way
the order of the log and its times disagree, and a verdict that depends on "what happened first" (a notice
before its decision, an approval before its expiry) cannot be trusted, so verification reports it.

The time is read from the hashed body (never from the ``recorded_at`` column): the head of a canonical body is
``{"actor":A,"at":"T","data":``, and T must be a UTC time as Python's ``isoformat`` writes it.

Order is a property of the bodies, and a tree head pins the bodies before it. Every tree head signed in
format v3 (``scalegate.audit.tree_heads``) was signed only after this check passed on every entry it covers,
so ``audit verify`` checks times from the last v3 tree head on, as it checks that each body names its own
``seq``. Should that tree head not verify, verification replays everything in full, times included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scalegate.audit.problems import Problem

__all__ = ["TimeOrder"]

_HEAD = re.compile(
    rb'\x00?\{"actor":"(?:[^"\\]|\\.)*","at":"'
    rb'([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?\+00:00)","data":'
)
"""The head of a canonical body up to its data, capturing the time (leaf data may carry the 0x00 prefix)."""


@dataclass
class TimeOrder:
    """The time check over a stream of entries, judging those from ``since`` on.

    ``last`` is the time of the entry before the next one fed (None: not known, or not a time), so a replay
    that continues a verified one carries it on."""

    since: int
    last: datetime | None = None
    problems: list[Problem] = field(default_factory=list)

    def feed(self, seqs: Sequence[int], bodies: Sequence[bytes]) -> None:
        """Check one batch in seq order; entries before ``since - 1`` are skipped unread."""
        first = max(0, self.since - 1 - seqs[0]) if len(seqs) else 0
        for i in range(first, len(seqs)):
            self._one(seqs[i], bodies[i])

    def _one(self, seq: int, body: bytes) -> None:
        judged = seq >= self.since
        found = _HEAD.match(body)
        try:
            at = datetime.fromisoformat(found.group(1).decode()) if found is not None else None
        except ValueError:
            at = None
        if at is None:
            if judged:
                self.problems.append(
                    Problem("malformed_entry", "the body's time is not a UTC time in ISO form", seq)
                )
            self.last = None
            return
        before = self.last
        if judged and before is not None and at < before:
            self.problems.append(
                Problem(
                    "time_decreased",
                    f"dated {at.isoformat()}, before the entry preceding it ({before.isoformat()}): "
                    "the log's order and its times disagree",
                    seq=seq,
                )
            )
        self.last = at
