"""The SDK's documents mirror the server's: every key a client is promised is one the service writes.

``scalegate.sdk.documents`` declares the API's answers again, on purpose: the SDK checks each answer's keys at
run time and must not import the service modules that define them (a training loop that reports a checkpoint
loads no store). Declared twice, they could drift apart; this test holds them together. The SDK may name
fewer keys than the service writes (a client reads what it needs), never one the service does not write.
"""

from __future__ import annotations

import importlib
import typing

import pytest

from scalegate.sdk import documents

MIRRORS = {
    "BatchCheckpoint": "scalegate.registry.service:BatchCheckpoint",
    "CheckpointReportDocument": "scalegate.registry.service:CheckpointReportDocument",
    "OpenedAssessment": "scalegate.registry.service:OpenedAssessment",
    "TriggerDocument": "scalegate.registry.triggers:TriggerDocument",
    "CheckpointBatchDocument": "scalegate.registry.service:BatchDocument",
    "IngestDocument": "scalegate.evidence.bulk:BulkIngestDocument",
}


def _keys(document: type) -> set[str]:
    assert typing.is_typeddict(document), document
    return set(document.__required_keys__) | set(document.__optional_keys__)


@pytest.mark.parametrize("name", sorted(MIRRORS))
def test_the_sdk_names_only_keys_the_service_writes(name: str) -> None:
    module, server_name = MIRRORS[name].split(":")
    server = getattr(importlib.import_module(module), server_name)
    client = getattr(documents, name)
    assert _keys(client) <= _keys(server), f"{name}: the service never writes {_keys(client) - _keys(server)}"
    assert _keys(client), name


def test_the_check_fails_on_a_key_the_service_does_not_write() -> None:
    """The comparison can fail: a client document with an extra key is not a subset of the server's."""
    server = importlib.import_module("scalegate.registry.service").BatchCheckpoint

    class Extra(typing.TypedDict):
        not_written: int

    assert not _keys(Extra) <= _keys(server)
