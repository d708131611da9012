"""An Inspect hook that ingests every log a user's own ``inspect eval`` (or ``eval()``, ``eval_set()``)
writes.

Inspect loads it through scalegate's ``inspect_ai`` entry point, so it is present wherever scalegate is
installed, and stays inert unless switched on:

- ``SCALEGATE_INSPECT_HOOK=1`` enables it;
- ``SCALEGATE_CHECKPOINT=MODEL@CHECKPOINT`` names the checkpoint the logs are evidence for;
- ``SCALEGATE_DATABASE_URL`` names the workspace (default: ``./.scalegate``), ``SCALEGATE_USER`` who ingests
  (with ``SCALEGATE_PASSWORD``, or ``SCALEGATE_TOKEN`` instead, outside a demo workspace);
- ``SCALEGATE_ALLOW_STATUS=error`` also ingests logs that did not succeed (as insufficient evidence);
- ``SCALEGATE_ELICITATION=best_of_n,helpful_only`` declares the elicitation used.

At the end of each task the finished log is ingested exactly as ``scalegate evidence ingest`` would. A failure
is reported as a warning and never fails the user's eval (Inspect also shields evals from hook errors).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from inspect_ai.hooks import Hooks, TaskEnd, hooks

from scalegate.actor import Actor
from scalegate.errors import InputError

if TYPE_CHECKING:
    from scalegate.evidence.types import IngestResult
    from scalegate.workspace import Workspace

__all__ = [
    "ENV_ALLOW_STATUS",
    "ENV_CHECKPOINT",
    "ENV_ELICITATION",
    "ENV_ENABLE",
    "ScalegateIngestHook",
    "hook_enabled",
    "ingest_log",
]

ENV_ENABLE = "SCALEGATE_INSPECT_HOOK"
ENV_CHECKPOINT = "SCALEGATE_CHECKPOINT"
ENV_ALLOW_STATUS = "SCALEGATE_ALLOW_STATUS"
ENV_ELICITATION = "SCALEGATE_ELICITATION"

logger = logging.getLogger(__name__)


def hook_enabled() -> bool:
    """Whether ``SCALEGATE_INSPECT_HOOK`` switches the hook on."""
    return os.environ.get(ENV_ENABLE, "").strip().lower() in ("1", "true", "yes", "on")


def ingest_log(location: str) -> IngestResult:
    """Ingest one finished log into the workspace and checkpoint named by the environment."""
    # deferred: Inspect loads this hook module at every eval's start; the store and the ingest service
    # (SQLAlchemy, the table models: ~160 modules, ~0.4 s) load only when a finished log is ingested
    from scalegate.evidence.service import ingest_file
    from scalegate.workspace import open_workspace

    checkpoint = os.environ.get(ENV_CHECKPOINT, "").strip()
    if not checkpoint:
        raise InputError(
            f"{ENV_CHECKPOINT} is not set: name the checkpoint (MODEL@CHECKPOINT) the logs are for"
        )
    workspace = open_workspace()
    try:
        allow = os.environ.get(ENV_ALLOW_STATUS, "").strip()
        metadata = {"source": "inspect hook"}
        if os.environ.get(ENV_ELICITATION):
            metadata["elicitation"] = os.environ[ENV_ELICITATION]
        return ingest_file(
            workspace, _actor(workspace), location, checkpoint, allow_status=allow or False, metadata=metadata
        )
    finally:
        workspace.close()


def _actor(workspace: Workspace) -> Actor:
    """Who ingests: ``SCALEGATE_TOKEN``, or ``SCALEGATE_USER`` with ``SCALEGATE_PASSWORD`` (a bare user name
    only in a demo workspace: ``scalegate.governance.credentials``)."""
    # deferred: SQLAlchemy and the table models (~150 modules) only when a log is ingested (see ingest_log)
    from scalegate.governance.credentials import PASSWORD_ENV, TOKEN_ENV, Presented, authenticate

    presented = Presented(
        user=os.environ.get("SCALEGATE_USER") or None,
        password=os.environ.get(PASSWORD_ENV) or None,
        token=os.environ.get(TOKEN_ENV) or None,
    )
    actor = authenticate(workspace, presented)
    return actor if actor is not None else Actor(name=os.environ.get("USER", "inspect"))


@hooks(name="scalegate_ingest", description="Ingests each finished log into a scalegate workspace.")
class ScalegateIngestHook(Hooks):
    """Ingests each task's log when it ends."""

    def enabled(self) -> bool:
        return hook_enabled()

    async def on_task_end(self, data: TaskEnd) -> None:
        import anyio

        location = data.log.location
        if not location:
            logger.warning("scalegate: the log has no location; nothing ingested")
            return
        try:
            result = await anyio.to_thread.run_sync(ingest_log, location)
        except Exception as exc:  # a hook must never fail the user's eval
            logger.warning(f"scalegate: {location} not ingested: {exc}")
            return
        ids = ", ".join(str(r.id) for r in result.records)
        logger.info(
            f"scalegate: {'ingested' if result.created else 'already had'} {location} as evidence {ids}"
        )
