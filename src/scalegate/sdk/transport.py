"""The SDK's one seam: a transport that reports checkpoints and asks the gate, locally or over HTTP.

``LocalTransport`` calls the service layer on an open workspace; ``HttpTransport`` calls the web API
(`docs/sdk.md` lists the routes). Both fail closed on the gate: anything but a readable verdict is a pause.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote

from scalegate.actor import Actor
from scalegate.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDenied,
    ScalegateError,
    StoreError,
)
from scalegate.jsonable import to_jsonable
from scalegate.sdk.documents import (
    CheckpointBatchDocument,
    CheckpointReportDocument,
    DecisionDocument,
    IngestDocument,
    ModelDocument,
    SkippedFile,
    checked,
)
from scalegate.sdk.result import GateResult

if TYPE_CHECKING:
    import httpx

    from scalegate.workspace import Workspace

__all__ = ["GateFunction", "HttpTransport", "LocalTransport", "Transport"]

D = TypeVar("D")

GateFunction = Callable[[Any, str, str], Any]
"""``(workspace, ref, action) -> Verdict``: the signature of ``scalegate.gate.service.evaluate_gate``."""


class Transport(Protocol):
    """What a client needs from the system it talks to."""

    def ensure_model(self, name: str, family: str, owner: str) -> ModelDocument: ...

    def report_checkpoint(self, model: str, payload: dict[str, Any]) -> CheckpointReportDocument: ...

    def register_checkpoints(self, model: str, payloads: list[dict[str, Any]]) -> CheckpointBatchDocument: ...

    def ingest(self, checkpoint: str, paths: list[Path], options: dict[str, Any]) -> IngestDocument: ...

    def ingest_manifest(
        self, rows: list[tuple[str, Path, str]], options: dict[str, Any]
    ) -> IngestDocument: ...

    def gate(self, ref: str, action: str) -> GateResult: ...

    def sign(self, decision_id: int, body: dict[str, Any]) -> DecisionDocument: ...

    def close(self) -> None: ...


class LocalTransport:
    """Calls the service layer of a workspace in this process (with the governance hooks installed)."""

    def __init__(self, workspace: Workspace, actor: Actor, gate_fn: GateFunction | None = None) -> None:
        # deferred: the service layer (the policy schema, SQLAlchemy, the table models: ~420 modules,
        # ~0.9 s) loads with the first in-process transport: ``import scalegate.sdk`` is a training loop's
        # import, and a remote client (``HttpTransport``) never needs it
        from scalegate import wiring

        wiring.install()
        self.workspace = workspace
        self.actor = actor
        self._gate_fn = gate_fn

    def ensure_model(self, name: str, family: str, owner: str) -> ModelDocument:
        # deferred: the service layer (~450 modules), as in ``__init__``
        from scalegate.registry import lookup, service

        try:
            row = service.create_model(self.workspace, self.actor, name, family, owner)
        except ConflictError:
            with self.workspace.read() as session:
                row = lookup.get_model(session, name)
        return {"name": row.name, "family": row.family, "owner": row.owner}

    def report_checkpoint(self, model: str, payload: dict[str, Any]) -> CheckpointReportDocument:
        # deferred: the service layer (~450 modules), as in ``__init__``
        from scalegate.registry import service
        from scalegate.registry.specs import CheckpointSpec, validated

        spec = validated(CheckpointSpec, payload, "checkpoint")
        report = service.register_checkpoint(self.workspace, self.actor, model, spec)
        return checked(CheckpointReportDocument, report.to_dict(), "checkpoint")

    def register_checkpoints(self, model: str, payloads: list[dict[str, Any]]) -> CheckpointBatchDocument:
        # deferred: the service layer (~450 modules), as in ``__init__``
        from scalegate.registry import service
        from scalegate.registry.specs import CheckpointSpec, validated

        specs = [
            (f"checkpoints[{n}]", validated(CheckpointSpec, p, f"checkpoints[{n}]"))
            for n, p in enumerate(payloads)
        ]
        reports = service.register_checkpoints(self.workspace, self.actor, model, specs)
        return checked(CheckpointBatchDocument, service.batch_document(model, reports), "checkpoints")

    def ingest(self, checkpoint: str, paths: list[Path], options: dict[str, Any]) -> IngestDocument:
        # deferred: the service layer (~290 modules), as in ``__init__``
        from scalegate.evidence.bulk import ingest_paths

        done = ingest_paths(self.workspace, self.actor, paths, checkpoint, **options)
        return checked(IngestDocument, done.to_dict(), "paths")

    def ingest_manifest(self, rows: list[tuple[str, Path, str]], options: dict[str, Any]) -> IngestDocument:
        # deferred: the service layer (~290 modules), as in ``__init__``
        from scalegate.evidence.manifest import ManifestEntry, ingest_manifest

        entries = [ManifestEntry(where, path, checkpoint) for where, path, checkpoint in rows]
        done = ingest_manifest(self.workspace, self.actor, entries, **options)
        return checked(IngestDocument, done.to_dict(), "manifest")

    def sign(self, decision_id: int, body: dict[str, Any]) -> DecisionDocument:
        # deferred: the service layer (~390 modules), as in ``__init__``
        from scalegate.assessment.standing import decision as show_decision
        from scalegate.governance.decisions import sign as sign_decision

        sign_decision(self.workspace, self.actor, decision_id, **body)
        document = to_jsonable(show_decision(self.workspace, self.actor, decision_id))
        return checked(DecisionDocument, document, f"decision {decision_id}")

    def gate(self, ref: str, action: str) -> GateResult:
        gate_fn = self._gate_fn
        if gate_fn is None:
            try:
                # deferred: the engine (~410 modules, ~0.7 s), as in ``__init__``; without it: pause
                from scalegate.gate.service import evaluate_gate
            except ImportError:
                return GateResult.paused(
                    "gate unavailable: scalegate.gate.service is not installed", checkpoint=ref
                )
            gate_fn = evaluate_gate
        try:
            verdict = gate_fn(self.workspace, ref, action)
        except ScalegateError as exc:
            return GateResult.paused(f"gate could not decide: {exc}", checkpoint=ref)
        except Exception as exc:
            return GateResult.paused(f"gate failed: {type(exc).__name__}: {exc}", checkpoint=ref)
        result = GateResult.from_verdict(verdict)
        return (
            result
            if result.checkpoint
            else GateResult(result.outcome, result.reasons, result.exit_code, ref, result.raw)
        )

    def close(self) -> None:
        """The workspace belongs to whoever opened it; nothing to release here."""


_STATUS_ERRORS: dict[int, type[ScalegateError]] = {
    400: InputError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFoundError,
    409: ConflictError,
    422: InputError,
}


class HttpTransport:
    """Calls the web API under ``{base_url}/api/v1`` with a bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._owned = client is None
        self._http = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self._http.headers.update(headers)

    def ensure_model(self, name: str, family: str, owner: str) -> ModelDocument:
        response = self._send("POST", "/api/v1/models", json={"name": name, "family": family, "owner": owner})
        if response.status_code == 409:
            return {"name": name, "family": family, "owner": owner}
        return self._json(response, ModelDocument)

    def report_checkpoint(self, model: str, payload: dict[str, Any]) -> CheckpointReportDocument:
        body = {k: _jsonable(v) for k, v in payload.items()}
        path = f"/api/v1/models/{quote(model, safe='')}/checkpoints"
        return self._json(self._send("POST", path, json=body), CheckpointReportDocument)

    def register_checkpoints(self, model: str, payloads: list[dict[str, Any]]) -> CheckpointBatchDocument:
        body = {"checkpoints": [{k: _jsonable(v) for k, v in p.items()} for p in payloads]}
        path = f"/api/v1/models/{quote(model, safe='')}/checkpoints/batch"
        return self._json(self._send("POST", path, json=body), CheckpointBatchDocument)

    def ingest(self, checkpoint: str, paths: list[Path], options: dict[str, Any]) -> IngestDocument:
        """Upload the logs (found as ``scalegate evidence ingest`` finds them) in requests of at most
        ``UPLOAD_BYTES``, each with the lm-eval samples files its results files read."""
        # deferred: the ingest service (SQLAlchemy, the table models: ~290 modules, ~0.5 s); a remote
        # client only walks the directories
        from scalegate.evidence.bulk import find_logs

        files, skipped = find_logs(paths, recursive=options.get("recursive", True))
        total = _ingest_total([_skipped(s.path, s.reason) for s in skipped])
        form = {
            "checkpoint": checkpoint,
            "allow_status": _form_status(options.get("allow_status", False)),
            **({"metadata": json.dumps(options["metadata"])} if options.get("metadata") else {}),
        }
        for group in _upload_groups([f.path for f in files]):
            handles = [("files", (p.name, p.open("rb"))) for p in group]
            try:
                sent = self._send("POST", "/api/v1/evidence/batch", data=form, files=handles)
                answer = self._json(sent, IngestDocument)
            finally:
                for _, (_, handle) in handles:
                    handle.close()
            _add_answer(total, answer)
        return total

    def ingest_manifest(self, rows: list[tuple[str, Path, str]], options: dict[str, Any]) -> IngestDocument:
        """Upload the logs of every row to ``/api/v1/evidence/manifest`` in requests of at most
        ``UPLOAD_BYTES``, each with the manifest of its own files; a request never carries two files of one
        name (the same log name under two checkpoints' directories goes in separate requests)."""
        # deferred: the ingest service (~290 modules), as in ``ingest``
        from scalegate.evidence.bulk import find_logs

        total = _ingest_total([])
        planned: list[tuple[Path, str]] = []
        for where, path, checkpoint in rows:
            try:
                files, skipped = find_logs([path], recursive=options.get("recursive", True))
            except InputError as exc:
                raise InputError(f"column 'path': {exc.message}", where=where) from exc
            total["skipped"] += [_skipped(s.path, s.reason) for s in skipped]
            planned += [(f.path, checkpoint) for f in files]
        form = {
            "allow_status": _form_status(options.get("allow_status", False)),
            **({"metadata": json.dumps(options["metadata"])} if options.get("metadata") else {}),
        }
        for group in _manifest_groups(planned):
            lines = ["path,checkpoint", *(f"{_csv_cell(p.name)},{_csv_cell(c)}" for p, c in group if c)]
            handles = [("files", (p.name, p.open("rb"))) for p, _ in group]
            try:
                answer = self._json(
                    self._send(
                        "POST",
                        "/api/v1/evidence/manifest",
                        data={**form, "manifest": "\n".join(lines) + "\n"},
                        files=handles,
                    ),
                    IngestDocument,
                )
            finally:
                for _, (_, handle) in handles:
                    handle.close()
            _add_answer(total, answer)
        return total

    def sign(self, decision_id: int, body: dict[str, Any]) -> DecisionDocument:
        sent = self._send("POST", f"/api/v1/decisions/{decision_id}/signatures", json=body)
        return self._json(sent, DecisionDocument)

    def gate(self, ref: str, action: str) -> GateResult:
        try:
            response = self._send("GET", "/api/v1/gate", params={"model": ref, "action": action})
        except StoreError as exc:
            return GateResult.paused(f"gate unreachable: {exc}", checkpoint=ref)
        if response.status_code != 200:
            return GateResult.paused(
                f"gate answered HTTP {response.status_code}: {_message(response)}", checkpoint=ref
            )
        try:
            data = response.json()
        except ValueError:
            return GateResult.paused("gate answered with a body that is not JSON", checkpoint=ref)
        return (
            GateResult.from_dict(data)
            if isinstance(data, dict)
            else GateResult.paused("gate answer is not an object")
        )

    def close(self) -> None:
        if self._owned:
            self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        try:
            return self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(f"cannot reach scalegate API: {exc}", where=path) from exc

    def _json(self, response: httpx.Response, kind: type[D]) -> D:
        """A successful answer's body as the document ``kind`` (``StoreError`` when it is not one); an
        error answer as the error of its status."""
        if response.is_success:
            return checked(kind, response.json(), str(response.request.url.path))
        error = _STATUS_ERRORS.get(response.status_code, StoreError)
        raise error(
            f"HTTP {response.status_code}: {_message(response)}", where=str(response.request.url.path)
        )


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            return str(err.get("message", err))
        return str(err or body.get("detail") or body)
    return str(body)[:200]


def _skipped(path: Path, reason: str) -> SkippedFile:
    """A file the client passed over, as the API lists it (``Skipped.to_dict``)."""
    return {"file": str(path), "reason": reason}


def _ingest_total(skipped: list[SkippedFile]) -> IngestDocument:
    """The answer of an ingest split over several upload requests, before the first: nothing ingested yet,
    ``skipped`` holding what the client itself passed over."""
    return {"files": 0, "created": 0, "unchanged": 0, "ingested": [], "skipped": skipped}


def _add_answer(total: IngestDocument, answer: IngestDocument) -> None:
    """Fold one upload request's answer into ``total``: the counts summed, the files listed in order, so that
    the caller sees one answer, as from a single request."""
    total["files"] += answer["files"]
    total["created"] += answer["created"]
    total["unchanged"] += answer["unchanged"]
    total["ingested"] += answer["ingested"]
    total["skipped"] += answer["skipped"]


UPLOAD_BYTES = 32 * 1024 * 1024
"""Most bytes of logs one upload request carries (the API's upload limit is 64 MiB by default)."""


def _upload_groups(paths: list[Path]) -> list[list[Path]]:
    """The logs in groups of at most ``UPLOAD_BYTES`` (a larger log goes alone), each lm-eval results file
    with the samples files beside it."""
    groups: list[list[Path]] = []
    current: list[Path] = []
    size = 0
    for path in paths:
        bundle = [path, *_companions(path)]
        weight = sum(p.stat().st_size for p in bundle)
        if current and size + weight > UPLOAD_BYTES:
            groups.append(current)
            current, size = [], 0
        current += bundle
        size += weight
    if current:
        groups.append(current)
    return groups


def _manifest_groups(planned: list[tuple[Path, str]]) -> list[list[tuple[Path, str]]]:
    """``(log, checkpoint)`` pairs in requests of at most ``UPLOAD_BYTES``, each log with its lm-eval
    samples files (checkpoint ``""``: uploaded, not named in the manifest), no two files of one name in a
    request."""
    groups: list[list[tuple[Path, str]]] = []
    current: list[tuple[Path, str]] = []
    names: set[str] = set()
    size = 0
    for path, checkpoint in planned:
        bundle = [(path, checkpoint), *((c, "") for c in _companions(path))]
        weight = sum(p.stat().st_size for p, _ in bundle)
        clash = any(p.name in names for p, _ in bundle)
        if current and (clash or size + weight > UPLOAD_BYTES):
            groups.append(current)
            current, names, size = [], set(), 0
        current += bundle
        names |= {p.name for p, _ in bundle}
        size += weight
    if current:
        groups.append(current)
    return groups


def _csv_cell(text: str) -> str:
    """``text`` as one CSV cell."""
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\r\n') else text


def _companions(path: Path) -> list[Path]:
    """The ``samples_<task>_<timestamp>.jsonl`` files an lm-eval ``results_<timestamp>.json`` reads."""
    if not (path.name.startswith("results_") and path.suffix == ".json"):
        return []
    stamp = path.stem.removeprefix("results_")
    return sorted(path.parent.glob(f"samples_*_{stamp}.jsonl"))


def _form_status(allow: Any) -> str:
    """``allow_status`` as the form field: true, false, or status names separated by commas."""
    if isinstance(allow, bool):
        return "true" if allow else "false"
    return allow if isinstance(allow, str) else ",".join(allow)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
