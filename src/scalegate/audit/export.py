"""Exporting the log for verification elsewhere: entries, checkpoints, public keys, and the offline verifier.

An export is a directory a reviewer can check with ``verify_offline.py`` (a copy of
``scalegate.audit.offline``) and the workspace's public key, without scalegate or the store::

    manifest.json       format, size, root, export time, SHA-256 of each file below
    entries.jsonl       one entry per line: exactly the canonical body whose leaf hash is in the tree, or, for
                        an entry sealed for the exporter, ``{"sealed":"<leaf hash hex>","seq":N}``
    checkpoints.json    every signed checkpoint (origin, size, root, time, key_id, signature)
    keys.json           every public signing key (id, algorithm, raw key in hex and PEM, created, retired)
    verify_offline.py   the standalone verifier

Before writing, the export signs a checkpoint of the current log (when the signing key is at hand), so the
exported entries are all covered by a signature.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypedDict

from sqlalchemy import select

from scalegate.actor import SYSTEM
from scalegate.audit.entries import SEAL_KEY
from scalegate.audit.keys import KeyInfo
from scalegate.audit.log import log_size
from scalegate.audit.merkle import TreeBuilder
from scalegate.audit.replay import BATCH, _body_bytes
from scalegate.audit.tree_heads import TreeHead, TreeHeadDocument, _all, sign_tree_head
from scalegate.canonical import canonical_json
from scalegate.errors import ConflictError, ScalegateError
from scalegate.store.models.audit import AuditEntryRow, AuditKeyRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scalegate.workspace import Workspace

__all__ = ["EXPORT_FORMAT", "ExportDocument", "ExportResult", "export_log"]

EXPORT_FORMAT = "scalegate-audit-export/v1"
"""The ``format`` of ``manifest.json`` (``scalegate.audit.offline`` checks for the same string)."""

VERIFIER_NAME = "verify_offline.py"


class ExportDocument(TypedDict):
    """An export's result as JSON (``ExportResult.to_dict``)."""

    directory: str
    size: int
    root: str
    files: dict[str, str]
    checkpoint: TreeHeadDocument | None
    notes: list[str]


@dataclass(frozen=True)
class ExportResult:
    """Where the export went, what it holds, and the checkpoint signed for it (if one could be)."""

    directory: Path
    size: int
    root: str
    files: dict[str, str]
    checkpoint: TreeHead | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> ExportDocument:
        return {
            "directory": str(self.directory),
            "size": self.size,
            "root": self.root,
            "files": self.files,
            "checkpoint": self.checkpoint.to_dict() if self.checkpoint else None,
            "notes": self.notes,
        }


def export_log(
    workspace: Workspace,
    directory: str | Path,
    *,
    checkpoint: bool = True,
    may_open: Callable[[dict[str, Any]], bool] | None = None,
) -> ExportResult:
    """Write the log to ``directory`` (new or empty); see the module docstring for the layout.

    Permission to export is the caller's check (``scalegate.governance.audit_access``): the log knows no
    roles. ``may_open`` says whether the exporter may read an entry sealed with a given seal (entry data
    under ``SEAL_KEY``); an entry it refuses is written as its leaf hash only. None: every entry whole.
    """
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConflictError("export directory exists and is not empty", where=str(target))
    notes: list[str] = []
    signed = None
    if checkpoint:
        try:
            signed = sign_tree_head(workspace, SYSTEM)
        except ScalegateError as exc:
            notes.append(f"no checkpoint signed for this export: {exc}")
    target.mkdir(parents=True, exist_ok=True)
    with workspace.read() as session:
        size, root, sealed = _write_entries(session, target / "entries.jsonl", may_open)
        checkpoints = [c.to_dict() for c in _all(session) if c.size <= size]
        keys = [KeyInfo.of(k).to_dict() for k in session.execute(select(AuditKeyRow)).scalars()]
    _write_json(target / "checkpoints.json", checkpoints)
    _write_json(target / "keys.json", keys)
    files = {name: _sha256(target / name) for name in ("entries.jsonl", "checkpoints.json", "keys.json")}
    manifest = {
        "format": EXPORT_FORMAT,
        "size": size,
        "root": root,
        "exported_at": workspace.now().isoformat(),
        "files": files,
    }
    if sealed:
        manifest["sealed_entries"] = sealed
    _write_json(target / "manifest.json", manifest)
    (target / VERIFIER_NAME).write_bytes(Path(__file__).with_name("offline.py").read_bytes())
    return ExportResult(target, size, root, files, signed, notes)


def _write_entries(
    session: Session, path: Path, may_open: Callable[[dict[str, Any]], bool] | None
) -> tuple[int, str, int]:
    head = log_size(session)
    tree = TreeBuilder()
    sealed = 0
    query = select(_body_bytes(session)).where(AuditEntryRow.seq < head).order_by(AuditEntryRow.seq)
    with path.open("wb") as handle:
        for part in session.execute(query, execution_options={"yield_per": BATCH}).partitions():
            bodies = [bytes(r[0]) for r in part]
            leaves = [hashlib.sha256(b"\x00" + b).digest() for b in bodies]
            if may_open is not None:
                before = tree.size
                lines = [
                    _line(body, leaf, before + i, may_open)
                    for i, (body, leaf) in enumerate(zip(bodies, leaves, strict=True))
                ]
                sealed += sum(1 for line, body in zip(lines, bodies, strict=True) if line is not body)
                bodies = lines
            _write_lines(handle, bodies)
            tree.extend(leaves)
    return tree.size, tree.root().hex(), sealed


_SEAL_MARK = b'"seal":{'
"""Bytes every sealed body holds (a key of canonical JSON: quotes inside strings are escaped)."""


def _line(body: bytes, leaf: bytes, seq: int, may_open: Callable[[dict[str, Any]], bool]) -> bytes:
    """The body, or for an entry sealed for the exporter its leaf hash alone."""
    if _SEAL_MARK not in body:
        return body
    seal = json.loads(body).get("data", {}).get(SEAL_KEY)
    if not isinstance(seal, dict) or may_open(seal):
        return body
    return canonical_json({"sealed": leaf.hex(), "seq": seq})


def _write_lines(handle: IO[bytes], bodies: list[bytes]) -> None:
    handle.write(b"".join(body + b"\n" for body in bodies))


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
