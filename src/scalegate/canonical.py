"""Canonical JSON and RFC 6962 hashing, the byte-level definitions the whole audit log rests on.

It sits on the ground floor, beside ``jsonable``, because more than the log needs it: the store digests every
row it writes, sign-offs bind to the digest of the state they approved, and reports hash their inputs. None of
them should have to import the audit log to hash a value.

Canonical JSON here means: keys sorted, no insignificant whitespace, UTF-8, no NaN/Infinity. Two equal
documents always give the same bytes, so a hash of a record is a hash of its meaning.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from scalegate.jsonable import json_default

__all__ = ["canonical_json", "digest", "leaf_hash", "node_hash"]


def canonical_json(value: Any) -> bytes:
    """The canonical JSON encoding of ``value``."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=json_default,
    ).encode("utf-8")


def digest(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``value``: how decisions bind to the state they approved."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()
