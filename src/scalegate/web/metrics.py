"""What ``GET /metrics`` tells Prometheus: this server's requests and gate answers, and the store's own size.

Two kinds of figures, kept apart because several server processes (``serve --workers``, several hosts) share
one store:

- **Counted in the process**: HTTP requests by method, route template and status, their durations, and the
  gate verdicts served over HTTP by outcome. With several worker processes on one host, set
  ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before the server starts: ``prometheus_client`` then
  keeps each process's counts in files there and every scrape adds them up (its multiprocess mode).
- **Read from the store at scrape time**: the audit log's size, the seconds since the last signed tree head,
  and the ingest volume (files and bytes of stored evidence). Every process and host answers the same, so
  these are right whichever server Prometheus reaches. A store that does not answer is a scrape error (the
  target goes down), never a stale figure.

Route templates (``/api/v1/models/{name}``), not paths, label requests, so a scan of random URLs cannot
grow the number of series without bound.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from scalegate.audit.figures import store_figures

if TYPE_CHECKING:
    from scalegate.workspace import Workspace

__all__ = [
    "REGISTRY",
    "StoreCollector",
    "exposition",
    "observe_request",
    "record_verdict",
]

REGISTRY = CollectorRegistry(auto_describe=True)
"""This process's own metrics (requests, verdicts)."""

REQUESTS = Counter(
    "scalegate_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
DURATION = Histogram(
    "scalegate_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
VERDICTS = Counter(
    "scalegate_gate_verdicts",
    "Gate verdicts served over HTTP (GET /api/v1/gate), by outcome.",
    ["outcome"],
    registry=REGISTRY,
)

_OUTCOMES = ("allow", "restrict", "pause")
_seen: dict[bytes, str] = {}
_seen_lock = threading.Lock()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    REQUESTS.labels(method, route, str(status)).inc()
    DURATION.labels(method, route).observe(seconds)


def record_verdict(body: bytes) -> None:
    """Count a served verdict (its JSON bytes) by outcome.

    The gate serves the same bytes object again and again from its cache, and a bytes object keeps its hash,
    so the outcome of a body already seen is a dictionary lookup, not a parse."""
    outcome = _seen.get(body)
    if outcome is None:
        import json

        found = json.loads(body).get("outcome")
        outcome = found if found in _OUTCOMES else "unknown"
        with _seen_lock:
            if len(_seen) >= 1024:
                _seen.clear()
            _seen[body] = outcome
    VERDICTS.labels(outcome).inc()


class StoreCollector(Collector):
    """Figures read from the store when Prometheus scrapes (the same from every server of the store)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def collect(self) -> Iterator[Metric]:
        figures = store_figures(self.workspace)
        size, signed = figures.log_entries, figures.last_signed
        files, stored = figures.evidence_files, figures.evidence_bytes
        now = self.workspace.now()
        entries = GaugeMetricFamily("scalegate_audit_log_entries", "Entries in the audit log.")
        entries.add_metric([], float(size or 0))
        yield entries
        age = GaugeMetricFamily(
            "scalegate_audit_seconds_since_signed_tree_head",
            "Seconds since the newest signed tree head (checkpoint) of the audit log; +Inf when none exists.",
        )
        age.add_metric([], (now - signed).total_seconds() if signed is not None else math.inf)
        yield age
        ingested = CounterMetricFamily(
            "scalegate_ingested_files", "Evidence files stored (content-addressed, so each counted once)."
        )
        ingested.add_metric([], float(files))
        yield ingested
        volume = CounterMetricFamily("scalegate_ingested_bytes", "Bytes of evidence files stored.")
        volume.add_metric([], float(stored))
        yield volume


def exposition(workspace: Workspace) -> tuple[bytes, str]:
    """The scrape's body and content type: this process's metrics (or, in multiprocess mode, every
    process's), then the store's."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client.multiprocess import MultiProcessCollector

        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Own())
    registry.register(StoreCollector(workspace))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Own(Collector):
    """This process's registry, as one collector of the scrape's registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
