"""Which tables the audit log covers, and how ``audit verify`` checks each one.

Every table of the store is one of three kinds:

- **covered**: nothing in it can change, appear or vanish without ``audit verify`` reporting it. Most tables
  are covered by *row digests*: every entry that writes a row names it with its digest, and every current
  row must have the digest of the latest entry naming it, so an edited, inserted or deleted row is a
  problem (an inserted row is one no entry names). The log's own tables are covered by the log itself
  (leaf hashes, the head, signed checkpoints), and the chunks of stored files by the files' content
  addresses (every file is re-hashed against its SHA-256, which its covered blob row names).
- **cache**: derived from covered rows, authenticated, and recomputed whenever it fails its check; an edit
  costs speed, never a wrong answer. Verify runs the cache's own check and reports rows that fail it, which
  are ignored and rebuilt by their reader.
- **transient**: not part of the record and not derived from it: counters the servers share through the
  store (the sign-in throttle's failures, ``scalegate.governance.login_throttle``). Verify reads none of its
  rows. An edit
  can loosen or tighten the throttle, which gives someone with write access to the store nothing they lack:
  they can read the password hashes and guess offline.

The declaration is here, in one table, so that a reader sees the whole store at a glance and a new table
cannot slip in unnoticed: a table the store defines but this module does not name is checked as covered by
row digests (so a table whose writes are not logged fails verification rather than passing silently), and
the test of the declaration fails until it is named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "COVERAGE",
    "CacheCheck",
    "Coverage",
    "Mechanism",
    "TableKind",
    "cache_check",
    "coverage_of",
    "register_cache_check",
]

TableKind = Literal["covered", "cache", "transient"]
"""The three kinds of table: covered by the audit log, a derived, authenticated cache, or transient."""

Mechanism = Literal["log", "rows", "content", "mac", "index", "none"]
"""How a table is checked: as the log itself, by row digests in entries, by content hashes, by a MAC, (an
index derived from the log) against the entries it names, or not at all (a transient table)."""


@dataclass(frozen=True)
class Coverage:
    """How one table is protected: its kind, the mechanism, and one line for ``audit verify`` to print."""

    table: str
    kind: TableKind
    mechanism: Mechanism
    how: str
    declared: bool = True
    """False for a table this module does not name (checked as covered by row digests)."""


def _rows(table: str) -> Coverage:
    return Coverage(table, "covered", "rows", "row digests in log entries")


_LOG = {
    "audit_entries": (
        "leaf hashes, gap-free sequence, time order, columns generated from bodies, signed checkpoints"
    ),
    "audit_head": "exactly one row, equal to the number of entries",
    "audit_checkpoints": "Ed25519 signature over size, root, time, key, id and signer",
}

_ROWS = (
    # workspace
    "settings",
    "policy_versions",
    "audit_keys",
    # governance
    "users",
    "user_roles",
    "user_keys",
    "api_tokens",
    "sessions",
    "decisions",
    "signatures",
    "notifications",
    "policy_changes",
    "policy_consultations",
    "noncompliance_reports",
    "noncompliance_events",
    "noncompliance_summaries",
    "compliance_events",
    # registry
    "models",
    "training_runs",
    "scaling_fits",
    "checkpoints",
    "loss_measurements",
    "enhancements",
    "assessments",
    "compliance_findings",
    # evidence and safeguards
    "evidence_blobs",
    "evidence",
    "evidence_scores",
    "safeguard_implementations",
    "safeguard_evidence",
    # documents a policy obliges
    "risk_reports",
    "offcycle_analyses",
    "external_reviews",
    "external_reviewers",
    "roadmap_items",
)

COVERAGE: dict[str, Coverage] = {
    **{name: Coverage(name, "covered", "log", how) for name, how in _LOG.items()},
    **{name: _rows(name) for name in _ROWS},
    "evidence_blob_chunks": Coverage(
        "evidence_blob_chunks",
        "covered",
        "content",
        "every stored file re-hashed against the SHA-256 its logged blob row names",
    ),
    "audit_row_index": Coverage(
        "audit_row_index",
        "cache",
        "index",
        "derived from the entries' row references; each lookup finds its reference in the entry it names, "
        "and verify compares every row with the replayed log; rebuilt from the log when it disagrees",
    ),
    "gate_verdicts": Coverage(
        "gate_verdicts",
        "cache",
        "mac",
        "derived verdicts, HMAC bound to the audit root; a failing row is recomputed",
    ),
    "login_failures": Coverage(
        "login_failures",
        "transient",
        "none",
        "failed sign-ins shared by the servers; not the record, not checked; rows leave with the window",
    ),
}
"""Every table the store defines, by name."""


def coverage_of(table: str) -> Coverage:
    """The declared coverage of ``table``; an undeclared table is checked as covered by row digests."""
    found = COVERAGE.get(table)
    if found is not None:
        return found
    return Coverage(table, "covered", "rows", "row digests in log entries (undeclared table)", declared=False)


CacheCheck = Callable[["Session"], list[str]]
"""A cache's own check: one line per row that fails its authentication, ``table[pk]: reason``."""

_CACHE_CHECKS: dict[str, CacheCheck] = {}


def register_cache_check(table: str, check: CacheCheck) -> None:
    """Install the check ``audit verify`` runs on cache ``table`` (the cache's domain owns it; the log does
    not import the domains, which sit above it)."""
    if coverage_of(table).kind != "cache":
        raise ValueError(f"{table} is not declared a cache")
    _CACHE_CHECKS[table] = check


def cache_check(table: str) -> CacheCheck | None:
    """The installed check of cache ``table``, if any."""
    return _CACHE_CHECKS.get(table)
