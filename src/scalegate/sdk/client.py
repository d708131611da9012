"""The Python SDK client: report checkpoints and ask the gate, against a local workspace or the HTTP API.

    client = Client("sqlite:///path/.scalegate/scalegate.db")           # local: calls the service layer
    client = Client(base_url="https://scalegate.example", token="...")   # remote: calls /api/v1
    client.report_checkpoint("aurora-1", "step-5000", 5000, 2.5e21, {"heldout": 2.31})
    result = client.gate("aurora-1@step-5000", "continue-training")
    if result.outcome == "pause": ...

Both transports behave the same; which one is in use is the only thing the constructor decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scalegate.actor import Actor
from scalegate.errors import InputError
from scalegate.sdk.documents import (
    CheckpointBatchDocument,
    CheckpointReportDocument,
    DecisionDocument,
    IngestDocument,
    ModelDocument,
)
from scalegate.sdk.login import stored_login
from scalegate.sdk.result import GateResult
from scalegate.sdk.transport import GateFunction, HttpTransport, LocalTransport, Transport

if TYPE_CHECKING:
    import httpx

    from scalegate.workspace import Workspace

__all__ = ["Client"]


class Client:
    """One client, two transports: ``workspace_url``/``workspace`` for local use, ``base_url`` for HTTP.

    A local client acts as the user its credential proves, as the CLI does
    (``scalegate.governance.credentials``): ``token`` (an API token), or ``user`` with ``password``; failing
    those, ``SCALEGATE_TOKEN``, ``user`` with ``SCALEGATE_PASSWORD``, or the ``scalegate login`` session kept
    for the workspace. ``user`` alone is enough only in a demo workspace; in a production one it is refused
    (``AuthenticationError``). With no user and no credential the client acts as nobody: it may ask the gate,
    and every write the permission matrix guards is refused.

    ``gate_fn`` replaces the gate of a local client (same signature as
    ``scalegate.gate.service.evaluate_gate``); it exists for tests of training loops.
    """

    def __init__(
        self,
        workspace_url: str | None = None,
        *,
        base_url: str | None = None,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        workspace: Workspace | None = None,
        gate_fn: GateFunction | None = None,
        http_client: httpx.Client | None = None,
        timeout: float = 10.0,
        transport: Transport | None = None,
    ) -> None:
        self._opened: Workspace | None = None
        if transport is not None:
            self.transport = transport
        elif base_url is not None or http_client is not None:
            self.transport = HttpTransport(base_url or "", token, timeout=timeout, client=http_client)
        else:
            if workspace is None:
                # deferred: the local store (SQLAlchemy, the table models: ~270 modules, ~0.4 s), only for an
                # in-process client; a remote client (``base_url``) never loads it
                from scalegate.workspace import open_workspace

                workspace = self._opened = open_workspace(workspace_url)
            try:
                actor = _actor(workspace, user, password, token)
            except BaseException:
                if self._opened is not None:
                    self._opened.close()
                raise
            self.transport = LocalTransport(workspace, actor, gate_fn)

    def ensure_model(self, name: str, family: str, owner: str) -> ModelDocument:
        """Register the model unless it exists."""
        return self.transport.ensure_model(name, family, owner)

    def report_checkpoint(
        self,
        model: str,
        name: str,
        step: int,
        training_flops: float,
        losses: dict[str, float],
        *,
        weights: dict[str, float] | None = None,
        recorded_at: datetime | None = None,
        stage: str = "pretraining",
        run: str | None = None,
    ) -> CheckpointReportDocument:
        """Register a checkpoint with its held-out losses; returns its effective compute, triggers and the
        assessments it opened."""
        payload: dict[str, Any] = {
            "name": name,
            "step": step,
            "training_flops": training_flops,
            "losses": dict(losses),
            "stage": stage,
        }
        optional = {"weights": weights, "recorded_at": recorded_at, "run": run}
        payload |= {k: v for k, v in optional.items() if v is not None}
        return self.transport.report_checkpoint(model, payload)

    def register_checkpoints(
        self, model: str, checkpoints: Iterable[Mapping[str, Any]], *, batch_size: int = 1000
    ) -> CheckpointBatchDocument:
        """Register many checkpoints of a model, ``batch_size`` at a time: each batch is one transaction (all
        of it or none of it) with one audit entry, and one request over HTTP. Each checkpoint is a mapping
        with the fields of ``report_checkpoint`` (``name``, ``step``, ``training_flops``, ``losses``, and
        optionally ``weights``, ``recorded_at``, ``stage``, ``run``). Returns, over every batch,
        ``{"model", "registered", "checkpoints": [{"ref", "step", "recorded_at", "effective_compute",
        "method"}], "assessments_opened"}``; a failing batch raises, the batches before it staying
        registered."""
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}", where="batch_size")
        payloads = [dict(c) for c in checkpoints]
        total: CheckpointBatchDocument = {
            "model": model,
            "registered": 0,
            "checkpoints": [],
            "assessments_opened": [],
        }
        for lo in range(0, len(payloads), batch_size):
            done = self.transport.register_checkpoints(model, payloads[lo : lo + batch_size])
            total["registered"] += done["registered"]
            total["checkpoints"] += done["checkpoints"]
            total["assessments_opened"] += done["assessments_opened"]
        return total

    def ingest(
        self,
        checkpoint: str,
        paths: Iterable[str | Path],
        *,
        allow_status: bool | str = False,
        metadata: dict[str, Any] | None = None,
        recursive: bool = True,
    ) -> IngestDocument:
        """Ingest evaluation logs and log directories for ``MODEL@CHECKPOINT`` as ``scalegate evidence
        ingest`` does: one transaction per file, each file idempotent, files that are not logs skipped.
        Returns ``{"files", "created", "unchanged", "ingested": [{"file", "created", "records"}], "skipped":
        [{"file", "reason"}]}``; over HTTP the logs are uploaded in requests of at most 32 MiB."""
        options = {"allow_status": allow_status, "metadata": metadata, "recursive": recursive}
        return self.transport.ingest(checkpoint, [Path(p) for p in paths], options)

    def ingest_manifest(
        self,
        manifest: str | Path | Iterable[tuple[str | Path, str]],
        *,
        allow_status: bool | str = False,
        metadata: dict[str, Any] | None = None,
        recursive: bool = True,
    ) -> IngestDocument:
        """Ingest the logs of many checkpoints: ``manifest`` is a CSV file of ``path,checkpoint`` rows (paths
        relative to it) or ``(path, MODEL@CHECKPOINT)`` pairs, each path a log or a directory of logs.
        Locally the whole manifest is checked before anything is written (a bad row raises ``InputError``
        naming ``file:line``, or ``rows[i]`` for pairs), then every file is one transaction of its own, as
        ``scalegate evidence ingest --manifest`` does. Over HTTP the logs go to ``/api/v1/evidence/manifest``
        in requests of at most 32 MiB, each checked whole by the server. Returns the document of ``ingest``,
        each ingested file naming its ``checkpoint``."""
        if isinstance(manifest, str | Path):
            # deferred: the store and the ingest service (~290 modules, ~0.4 s), only for a manifest file
            from scalegate.evidence.manifest import read_manifest

            rows = [(e.where, e.path, e.checkpoint) for e in read_manifest(manifest)]
        else:
            rows = [(f"rows[{n}]", Path(p), str(c)) for n, (p, c) in enumerate(manifest)]
        if not rows:
            raise InputError("manifest has no rows", where="manifest")
        options = {"allow_status": allow_status, "metadata": metadata, "recursive": recursive}
        return self.transport.ingest_manifest(rows, options)

    def gate(self, model_ref: str, action: str = "continue-training") -> GateResult:
        """The gate's verdict for ``action`` on ``MODEL[@CHECKPOINT]``; fails closed to pause."""
        return self.transport.gate(model_ref, action)

    def sign(
        self,
        decision_id: int,
        role: str,
        *,
        password: str,
        approve: bool = True,
        justification: str | None = None,
    ) -> DecisionDocument:
        """Sign (approve or reject) a decision in one role; returns the decision with its signatures.

        ``password`` is the signer's own, asked for at every signature: it opens their signing key, which
        signs the decision's bound state and the time (``scalegate.governance.signing_keys``)."""
        body = {"role": role, "password": password, "approve": approve, "justification": justification}
        return self.transport.sign(decision_id, body)

    def close(self) -> None:
        self.transport.close()
        if self._opened is not None:
            self._opened.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _actor(workspace: Workspace, user: str | None, password: str | None, token: str | None) -> Actor:
    """The authenticated actor of a local client (see ``Client``); nobody without roles when none."""
    import os
    from dataclasses import replace

    # deferred: the local store (~270 modules, ~0.4 s), only for an in-process client
    from scalegate.governance.credentials import PASSWORD_ENV, TOKEN_ENV, Presented, authenticate

    token = token or os.environ.get(TOKEN_ENV) or None
    password = password or os.environ.get(PASSWORD_ENV) or None
    presented = Presented(user=user or None, password=password, token=token)
    if not token and not (user and password) and not (user and workspace.demo):
        kept = stored_login(workspace)
        if kept is not None:
            presented = replace(presented, session_user=kept[0], session=kept[1])
    actor = authenticate(workspace, presented)
    return actor if actor is not None else Actor(name="training-sdk")
