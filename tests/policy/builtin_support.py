"""What the built-in policy tests share: where the reference texts are, and walking a policy's citations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from scalegate.policy import Policy, Source, builtin_path, load_policy

__all__ = ["REFERENCE", "WORKFLOW_ROLES", "builtin_policy", "squash", "walk_sources"]

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "policies"
"""The published framework texts the built-in policies quote: public documents, vendored with their README
and manifest so that the verbatim-quote checks run, and never skip, on any clone."""

WORKFLOW_ROLES = {"evaluator", "safeguards_owner", "security", "staff", "external_reviewer", "auditor"}
"""Roles scalegate's workflows need beyond a framework's own; no text names them, so they carry no source."""


def builtin_policy(policy_id: str) -> Policy:
    """The built-in policy ``policy_id``, loaded from its file."""
    return load_policy(builtin_path(policy_id))


def squash(text: str) -> str:
    """Drop whitespace, fold case, so quotes match across the texts' hard line breaks, columns and odd spacing
    (like "uswhenwe", "b e")."""
    return re.sub(r"\s+", "", text).casefold()


def walk_sources(node: object, path: str = "") -> Iterator[tuple[str, Source]]:
    """Every ``Source`` citation under ``node``, with its field path."""
    if isinstance(node, Source):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from walk_sources(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, list | tuple):
        for n, item in enumerate(node):
            yield from walk_sources(item, f"{path}[{n}]")
