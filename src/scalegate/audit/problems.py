"""What ``audit verify`` can find wrong: one ``Problem`` per broken promise, named by kind and place."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Problem", "ProblemKind"]

ProblemKind = Literal[
    "head_mismatch",
    "seq_gap",
    "seq_mismatch",
    "leaf_hash_mismatch",
    "malformed_entry",
    "column_mismatch",
    "time_decreased",
    "checkpoint_signature",
    "checkpoint_key",
    "checkpoint_inconsistent",
    "checkpoint_beyond_log",
    "checkpoint_origin",
    "key_mismatch",
    "row_mismatch",
    "row_missing",
    "row_deleted_but_present",
    "row_unlogged",
    "unknown_table",
    "signature_missing",
    "signature_invalid",
    "signature_key",
    "malformed_row",
    "blob_mismatch",
    "blob_chunks",
    "cache_invalid",
]
"""What a verification found wrong. Each names one broken promise of the log."""


@dataclass(frozen=True)
class Problem:
    """One thing verification found wrong, and where: entry ``seq``, ``table``/``pk``, ``checkpoint``."""

    kind: ProblemKind
    message: str
    seq: int | None = None
    table: str | None = None
    pk: Any = None
    checkpoint: int | None = None

    def line(self) -> str:
        """One line for a terminal: the place first, then what is wrong."""
        where = []
        if self.seq is not None:
            where.append(f"entry {self.seq}")
        if self.checkpoint is not None:
            where.append(f"checkpoint {self.checkpoint}")
        if self.table is not None:
            where.append(f"{self.table}[{json.dumps(self.pk, ensure_ascii=False)}]")
        return f"{', '.join(where) or 'log'}: {self.kind}: {self.message}"
