"""A workspace: one store (SQLite file or PostgreSQL database), its active policy, its mode, and the clock.

The service layer of every domain takes a ``Workspace``. Each state change runs inside
``workspace.transaction()`` and appends its audit entry there, so a failure leaves nothing half-written.

The mode (``scalegate.workspace_mode``) is fixed when the workspace is created. A production workspace takes
every "now" from the system clock, whatever clock it was handed; a demo workspace uses its clock (the seam
tests and ``SCALEGATE_NOW`` move) and marks every audit entry ``"demo": true``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from scalegate.actor import SYSTEM, Actor
from scalegate.audit.log import append, ensure_head
from scalegate.clock import Clock, SystemClock, default_clock
from scalegate.context import ActivePolicy, Context, PolicyLoader
from scalegate.errors import ConflictError, StoreError
from scalegate.store.base import Base, row_ref, take_written
from scalegate.store.engine import make_engine, resolve_url
from scalegate.store.models.workspace import PolicyVersionRow, SettingRow
from scalegate.store.revision import HEAD_REVISION
from scalegate.workspace_mode import MODE_SETTING, WorkspaceMode, check_mode, stored_mode

if TYPE_CHECKING:
    pass

__all__ = ["ActivePolicy", "Context", "Workspace", "init_workspace", "open_workspace", "stored_revision"]


_SYSTEM_CLOCK = SystemClock()


class Workspace:
    """An open store plus its mode and the clock; the handle every service function receives."""

    def __init__(
        self, engine: Engine, url: str, clock: Clock | None = None, mode: WorkspaceMode = "production"
    ) -> None:
        self.engine = engine
        self.url = url
        self.mode: WorkspaceMode = mode
        self.clock: Clock = clock or default_clock()
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # A reading transaction is one snapshot on every backend: SQLite's deferred BEGIN under WAL is one,
        # and PostgreSQL needs REPEATABLE READ for it (under READ COMMITTED each statement sees the latest
        # commit, so a verdict could be decided on one state and labelled with the next).
        readers = engine.execution_options(scalegate_read=True)
        if engine.dialect.name == "postgresql":
            readers = readers.execution_options(isolation_level="REPEATABLE READ")
        self._readers = sessionmaker(readers, expire_on_commit=False)
        self._policies = PolicyLoader()

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @property
    def demo(self) -> bool:
        """Whether this is a demo workspace (moved time, ``--as`` without a credential, marked records)."""
        return self.mode == "demo"

    def now(self) -> datetime:
        """The time of anything recorded now: the clock's in a demo workspace, the system's otherwise."""
        return self.clock.now() if self.mode == "demo" else _SYSTEM_CLOCK.now()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._begin(self._sessions) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading, in a deferred transaction (its objects stay usable after it ends)."""
        with self._begin(self._readers) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Context]:
        """A ``Context`` for reading: a deferred transaction, the hash-checked policy, the time."""
        with self._begin(self._readers) as session:
            yield Context(session, self._policies.load(session), self.now(), self)

    @contextmanager
    def writing(self, actor: Actor) -> Iterator[Context]:
        """A ``Context`` for a change by ``actor``: committed on success, rolled back on any error."""
        with self._begin(self._sessions) as session:
            yield Context(session, self._policies.load(session), self.now(), self, actor)

    def active_in(self, session: Session) -> ActivePolicy:
        """The hash-checked active policy as ``session`` sees it, for code handed a bare session of its
        caller's transaction. There is no other way to the policy outside a ``Context``: a read in a
        transaction of its own, before the work's, could see another version than the work does."""
        return self._policies.load(session)

    @contextmanager
    def _begin(self, sessions: sessionmaker[Session]) -> Iterator[Session]:
        """One transaction on a session from ``sessions``; a failing store becomes a ``StoreError``."""
        session = sessions()
        try:
            with session.begin():
                yield session
        except OperationalError as exc:
            raise StoreError(f"store error: {exc.orig}", where=self.safe_url) from exc
        finally:
            session.close()

    def record(
        self,
        session: Session,
        actor: Actor,
        event: str,
        subject: str,
        data: dict[str, Any],
        rows: Sequence[Base] = (),
    ) -> int:
        """Append an audit entry for a state change made in ``session``; returns its sequence number.

        ``rows`` are the ORM rows the change wrote: their canonical digests go into the entry under ``rows``,
        so ``audit verify`` can later prove that the current rows are exactly what the log says (a direct SQL
        edit of an evidence row or a decision is then detected). A change that deletes a row puts
        ``scalegate.audit.deleted_row_ref(row)`` in ``data["rows"]``; the written rows are appended to it.
        Rows that helpers wrote in ``session`` and noted (``scalegate.store.base.note_written``, e.g. a stored
        file's blob row) are named first.
        """
        rows = [*take_written(session), *rows]
        if rows:
            session.flush()
            data = {**data, "rows": [*data.get("rows", []), *(row_ref(row) for row in rows)]}
        return append(
            session,
            event=event,
            subject=subject,
            actor=actor.label,
            data=data,
            at=self.now(),
            demo=self.demo,
        ).seq

    @property
    def safe_url(self) -> str:
        """The URL without any password, for messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    # -- policy ----------------------------------------------------------------------------------------------

    def forget_policy(self) -> None:
        """Drop the kept validated policy (the next read validates it again)."""
        self._policies.forget()

    def close(self) -> None:
        self.engine.dispose()


def open_workspace(url: str | None = None, clock: Clock | None = None) -> Workspace:
    """Open an initialised workspace; fails with ``StoreError`` if the store is missing or not migrated."""
    resolved = resolve_url(url)
    if resolved.startswith("sqlite:///"):
        from pathlib import Path

        path = Path(resolved.removeprefix("sqlite:///"))
        if not path.exists():
            raise StoreError(f"no workspace at {path} (none was initialised there)")
    engine = make_engine(resolved)
    try:
        revision = stored_revision(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot open store: {getattr(exc, 'orig', exc)}", where=_hide(resolved)) from exc
    if revision is None:
        engine.dispose()
        raise StoreError("store is not an initialised scalegate workspace", where=_hide(resolved))
    if revision != HEAD_REVISION:
        # deferred: Alembic (~150 modules, ~0.15 s), only for a store behind the head revision
        from scalegate.store.migrate import upgrade

        upgrade(engine)
    return Workspace(engine, resolved, clock, _mode_of(engine))


def _mode_of(engine: Engine) -> WorkspaceMode:
    with Session(engine) as session:
        return stored_mode(session)


def stored_revision(engine: Engine) -> str | None:
    """The store's schema revision, read directly (Alembic is imported only when a migration must run)."""
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def init_workspace(
    url: str | None = None,
    policy_ref: str | None = None,
    clock: Clock | None = None,
    actor: Actor | None = None,
    mode: WorkspaceMode | None = None,
) -> Workspace:
    """Create (or migrate) a workspace and activate a policy: a built-in id or a policy file path.

    ``mode`` is fixed here, once (``scalegate.workspace_mode``): by default a workspace handed an explicit
    ``clock`` (a test's) is a demo workspace, any other a production one. Initialising an existing workspace
    keeps its mode; asking for another one is a ``ConflictError``.
    """
    # deferred: the policy schema and built-ins (pydantic, YAML: a quarter of a second) load only where a
    # policy is read, so that opening a workspace for a command that never reads one (``evidence ingest``)
    # stays quick.
    from scalegate.policy import DEFAULT_POLICY_ID, content_hash, resolve_policy

    wanted = check_mode(mode) if mode is not None else ("demo" if clock is not None else "production")
    policy = resolve_policy(policy_ref or DEFAULT_POLICY_ID)
    resolved = resolve_url(url)
    engine = make_engine(resolved)
    try:
        # A store already at head (reopened, or copied from a migrated template) needs no Alembic import.
        if stored_revision(engine) != HEAD_REVISION:
            # deferred: Alembic (~150 modules, ~0.15 s), only for a store behind the head revision
            from scalegate.store.migrate import upgrade

            upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot create store: {getattr(exc, 'orig', exc)}", where=_hide(resolved)) from exc
    workspace = Workspace(engine, resolved, clock, wanted)
    who = actor or SYSTEM
    digest = content_hash(policy)
    with workspace.transaction() as session:
        ensure_head(session)
        existing = session.execute(
            select(PolicyVersionRow).where(PolicyVersionRow.status == "active")
        ).scalar_one_or_none()
        if existing is not None:
            workspace.mode = stored_mode(session)
            if mode is not None and mode != workspace.mode:
                raise ConflictError(
                    f"workspace is already a {workspace.mode} workspace; a mode is fixed at creation",
                    where="mode",
                )
            if existing.content_hash != digest:
                raise ConflictError(
                    f"workspace already has active policy {existing.policy_id} "
                    f"({existing.content_hash[:12]}); change it through the policy-change workflow"
                )
            return workspace
        row = PolicyVersionRow(
            policy_id=policy.id,
            version=policy.framework.version,
            content_hash=digest,
            document=policy.model_dump(mode="json"),
            origin=policy_ref or DEFAULT_POLICY_ID,
            status="active",
            created_at=workspace.now(),
            activated_at=workspace.now(),
        )
        setting = SettingRow(key="created_at", value=workspace.now().isoformat())
        # workspace mode: written once, covered by the entry's row digests
        mode_row = SettingRow(key=MODE_SETTING, value=wanted)
        session.add_all([row, setting, mode_row])
        session.flush()
        workspace.record(
            session,
            who,
            "workspace.initialised",
            f"policy:{policy.id}",
            {"policy_id": policy.id, "policy_version_id": row.id, "content_hash": digest, "mode": wanted},
            rows=[row, setting, mode_row],
        )
    return workspace


def _hide(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
