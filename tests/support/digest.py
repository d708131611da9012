"""A digest of a SQLite store's contents: every table's rows, in order, so a test can show nothing changed."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path


def store_digest(url_or_path: str | Path) -> str:
    """SHA-256 over every table's name and rows (ordered by rowid or by all columns)."""
    path = str(url_or_path).removeprefix("sqlite:///")
    digest = hashlib.sha256()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        for table in tables:
            digest.update(table.encode())
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
    finally:
        conn.close()
    return digest.hexdigest()
