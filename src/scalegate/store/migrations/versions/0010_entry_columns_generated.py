"""the audit log's index columns generated from each entry's body by the database

Revision ID: 0010_entry_columns_generated
Revises: 0009_many_writers

``recorded_at``, ``event``, ``subject`` and ``actor`` were copies of body fields written beside the body, so an
edit with SQL could make them disagree with the hashed body, and ``audit verify`` had to compare them entry by
entry. They become generated columns: the database derives them from the body, refuses writes to them and
recomputes them when the body changes. The values are recomputed from the bodies here, so a column edited
before this migration now shows what its body says (readers always showed the body; a filter could miss it).

SQLite cannot turn a column into a generated one, so the table is rebuilt (bodies and leaf hashes copied as
they are); its definition is then exactly the text below, which ``scalegate.audit.columns`` compares. The
expressions are frozen copies of ``scalegate.store.models.audit.ENTRY_FIELDS``.
"""

from alembic import op

revision = "0010_entry_columns_generated"
down_revision = "0009_many_writers"
branch_labels = None
depends_on = None

_AT = "json_extract(body, '$.at')"
_SECOND = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
_SQLITE = {
    "recorded_at": (
        "DATETIME",
        f"CASE WHEN {_AT} GLOB '{_SECOND}+00:00' "
        f"THEN substr({_AT}, 1, 10) || ' ' || substr({_AT}, 12, 8) || '.000000' "
        f"WHEN {_AT} GLOB '{_SECOND}.[0-9][0-9][0-9][0-9][0-9][0-9]+00:00' "
        f"THEN substr({_AT}, 1, 10) || ' ' || substr({_AT}, 12, 15) END",
    ),
    "event": ("VARCHAR(100)", "json_extract(body, '$.event')"),
    "subject": ("VARCHAR(300)", "json_extract(body, '$.subject')"),
    "actor": ("VARCHAR(200)", "json_extract(body, '$.actor')"),
}
_PG_AT = "(body::jsonb ->> 'at')"
_PG = {
    "recorded_at": (
        "TIMESTAMP WITH TIME ZONE",
        f"make_timestamp(substr({_PG_AT}, 1, 4)::int, substr({_PG_AT}, 6, 2)::int, "
        f"substr({_PG_AT}, 9, 2)::int, substr({_PG_AT}, 12, 2)::int, substr({_PG_AT}, 15, 2)::int, "
        f"split_part(substr({_PG_AT}, 18), '+', 1)::float8) AT TIME ZONE 'UTC'",
    ),
    "event": ("VARCHAR(100)", "body::jsonb ->> 'event'"),
    "subject": ("VARCHAR(300)", "body::jsonb ->> 'subject'"),
    "actor": ("VARCHAR(200)", "body::jsonb ->> 'actor'"),
}
_INDEXED = ("recorded_at", "event", "subject")


def upgrade() -> None:
    bind = op.get_bind()
    for name in ("event", "subject"):
        op.execute(f"DROP INDEX ix_audit_entries_{name}")
    if bind.dialect.name == "sqlite":
        generated = ", ".join(f"{c} {t} GENERATED ALWAYS AS ({e}) VIRTUAL" for c, (t, e) in _SQLITE.items())
        op.execute(
            "CREATE TABLE audit_entries_generated (seq INTEGER NOT NULL, body TEXT NOT NULL, "
            f"leaf_hash BLOB NOT NULL, {generated}, CONSTRAINT pk_audit_entries PRIMARY KEY (seq))"
        )
        op.execute(
            "INSERT INTO audit_entries_generated (seq, body, leaf_hash) "
            "SELECT seq, body, leaf_hash FROM audit_entries ORDER BY seq"
        )
        op.execute("DROP TABLE audit_entries")
        op.execute("ALTER TABLE audit_entries_generated RENAME TO audit_entries")
    else:
        dropped = ", ".join(f"DROP COLUMN {c}" for c in _PG)
        added = ", ".join(f"ADD COLUMN {c} {t} GENERATED ALWAYS AS ({e}) STORED" for c, (t, e) in _PG.items())
        op.execute(f"ALTER TABLE audit_entries {dropped}, {added}")
    for name in _INDEXED:
        op.execute(f"CREATE INDEX ix_audit_entries_{name} ON audit_entries ({name})")


def downgrade() -> None:
    """Back to plain columns holding the values the database derived."""
    bind = op.get_bind()
    for name in _INDEXED:
        op.execute(f"DROP INDEX ix_audit_entries_{name}")
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE TABLE audit_entries_plain (seq INTEGER NOT NULL, recorded_at DATETIME NOT NULL, "
            "event VARCHAR(100) NOT NULL, subject VARCHAR(300) NOT NULL, actor VARCHAR(200) NOT NULL, "
            "body TEXT NOT NULL, leaf_hash BLOB NOT NULL, CONSTRAINT pk_audit_entries PRIMARY KEY (seq))"
        )
        op.execute(
            "INSERT INTO audit_entries_plain SELECT seq, recorded_at, event, subject, actor, body, leaf_hash "
            "FROM audit_entries ORDER BY seq"
        )
        op.execute("DROP TABLE audit_entries")
        op.execute("ALTER TABLE audit_entries_plain RENAME TO audit_entries")
    else:
        for name in _PG:
            op.execute(f"ALTER TABLE audit_entries ALTER COLUMN {name} DROP EXPRESSION")
            op.execute(f"ALTER TABLE audit_entries ALTER COLUMN {name} SET NOT NULL")
    for name in ("event", "subject"):
        op.execute(f"CREATE INDEX ix_audit_entries_{name} ON audit_entries ({name})")
