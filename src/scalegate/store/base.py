"""The declarative base shared by every table, with a naming convention so migrations name constraints
stably."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, TypedDict, cast

from sqlalchemy import JSON, DateTime, MetaData, Table, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session

from scalegate.canonical import digest
from scalegate.jsonable import JsonObject, JsonValue

__all__ = [
    "Base",
    "JSONDoc",
    "RowRef",
    "UTCDateTime",
    "note_written",
    "row_digest",
    "row_ref",
    "row_values",
    "take_written",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive values; we re-attach UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: scalegate stores only timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONDoc(TypeDecorator[Any]):
    """A JSON document column (JSON on SQLite, JSONB-compatible JSON on PostgreSQL)."""

    impl = JSON
    cache_ok = True


class Base(DeclarativeBase):
    """Base of every scalegate table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDoc(),
        list[Any]: JSONDoc(),
    }


def row_values(row: Base) -> JsonObject:
    """Every column of a row as JSON-ready values (bytes as hex, times as ISO-8601); the keys are the
    table's columns, so the checker knows only that they are JSON."""
    out: JsonObject = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        if isinstance(value, bytes):
            value = value.hex()
        elif isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        out[column.name] = value
    return out


def row_digest(row: Base) -> str:
    """SHA-256 of a row's canonical JSON: what the audit log records for each row a change writes."""
    return digest(row_values(row))


class RowRef(TypedDict):
    """A row named in an audit entry's ``data["rows"]``: its table, primary key and canonical digest
    (``None`` when the change deleted the row)."""

    table: str
    pk: JsonValue
    digest: str | None


def row_ref(row: Base) -> RowRef:
    """``{"table", "pk", "digest"}`` of a row, as stored in audit entries."""
    pk = [getattr(row, c.key) for c in cast(Table, row.__table__).primary_key.columns]
    return {"table": row.__tablename__, "pk": pk[0] if len(pk) == 1 else pk, "digest": row_digest(row)}


_WRITTEN = "scalegate.written"


def note_written(session: Session, row: Base) -> None:
    """Remember that a helper wrote ``row`` in ``session`` (a stored file's blob row, say), so that the
    change's log entry names it too: ``Workspace.record`` takes these with ``take_written``. A row noted and
    never recorded is one no entry names, which ``audit verify`` reports."""
    session.info.setdefault(_WRITTEN, []).append(row)


def take_written(session: Session) -> list[Base]:
    """The rows noted with ``note_written`` since the last call, in order (and forget them)."""
    written: list[Base] = session.info.pop(_WRITTEN, [])
    return written
