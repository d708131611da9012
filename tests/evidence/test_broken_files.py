"""Broken, truncated and fuzzed files: a one-line error naming the file and what is wrong; the store
unchanged."""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalegate.errors import EvidenceError
from scalegate.evidence.readers import read_results
from scalegate.evidence.service import ingest_file
from scalegate.workspace import Workspace
from tests.evidence.conftest import EVALUATOR, count_rows, with_header, write_zip, zip_members


def _truncated(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return target


def _random_bytes(source: Path, target: Path) -> Path:
    target.write_bytes(bytes(range(256)) * 40)
    return target


def _corrupt_member(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo("summaries.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 20
    for i in range(start, start + 40):
        data[i] ^= 0x5A
    target.write_bytes(bytes(data))
    return target


def _edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path, Path], Path]:
    return lambda source, target: with_header(source, target, edit)


def _nan_metric(header: dict[str, Any]) -> None:
    header["results"]["scores"][0]["metrics"]["accuracy"]["value"] = math.nan


def _no_model(header: dict[str, Any]) -> None:
    del header["eval"]["model"]


def _scores_not_a_list(header: dict[str, Any]) -> None:
    header["results"]["scores"] = {"choice": 1}


def _summaries_not_json(source: Path, target: Path) -> Path:
    members = [
        (i.filename, b'[{"id": 1, ' if i.filename == "summaries.json" else d) for i, d in zip_members(source)
    ]
    return write_zip(target, members)


def _no_header(source: Path, target: Path) -> Path:
    return write_zip(
        target,
        [
            (i.filename, d)
            for i, d in zip_members(source)
            if i.filename not in ("header.json", "_journal/start.json")
        ],
    )


def _text(content: str) -> Callable[[Path, Path], Path]:
    def make(source: Path, target: Path) -> Path:
        target.write_text(content)
        return target

    return make


CASES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "truncated zip": (_truncated, "not a readable zip archive"),
    "random bytes": (_random_bytes, "not a recognised evaluation file"),
    "corrupt member": (_corrupt_member, "summaries.json"),
    "NaN metric": (_edit(_nan_metric), "is nan"),
    "missing model": (_edit(_no_model), "eval.model is missing"),
    "scores not a list": (_edit(_scores_not_a_list), "results.scores is not a list"),
    "summaries not JSON": (_summaries_not_json, "summaries.json is not a valid JSON array"),
    "no header": (_no_header, "no header.json"),
    "wrong JSON": (_text('{"eval": {"task": "x",'), "not valid JSON"),
    "JSON list": (_text("[1, 2, 3]"), "not a recognised evaluation file"),
    "empty": (_text(""), "file is empty"),
    "unknown JSON": (_text('{"hello": "world"}'), "not an Inspect log"),
    "lm-eval NaN": (
        _text(json.dumps({"results": {"t": {"acc,none": "NaN"}}, "versions": {"t": 1}})),
        "is NaN",
    ),
    "lm-eval no metrics": (
        _text(json.dumps({"results": {"t": {"alias": "t"}}, "versions": {"t": 1}})),
        "no numeric metrics",
    ),
    "lm-eval samples": (
        _text('{"doc_id": 0, "filtered_resps": ["A"], "acc": 1.0}\n{"doc_id": 1}\n'),
        "lm-eval samples file",
    ),
    "manual bad": (
        _text(json.dumps({"kind": "scalegate.manual_result", "task": "t", "metric": "m"})),
        "give a value or per-sample scores",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_file_gives_one_line_error_and_leaves_store_unchanged(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path], tmp_path: Path, case: str
) -> None:
    make, expected = CASES[case]
    path = make(inspect_logs["success"], tmp_path / f"broken-{case.replace(' ', '_')}.eval")
    before = count_rows(workspace)
    with pytest.raises(EvidenceError) as caught:
        ingest_file(workspace, EVALUATOR, path, checkpoint)
    message = str(caught.value)
    assert "\n" not in message
    assert path.name in message
    assert expected in message
    assert count_rows(workspace) == before


def test_a_bad_file_in_a_batch_means_nothing_is_ingested(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path], tmp_path: Path
) -> None:
    from scalegate.evidence.service import ingest_files

    bad = _truncated(inspect_logs["json"], tmp_path / "bad.json")
    before = count_rows(workspace)
    with pytest.raises(EvidenceError, match=r"bad\.json"):
        ingest_files(workspace, EVALUATOR, [inspect_logs["success"], bad], checkpoint)
    assert count_rows(workspace) == before


def test_error_status_is_refused_unless_allowed(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    before = count_rows(workspace)
    refused = r"status 'error' .*only when status 'error' is allowed"
    with pytest.raises(EvidenceError, match=refused) as caught:
        ingest_file(workspace, EVALUATOR, inspect_logs["error_status"], checkpoint)
    assert "sample runs ended in an error" in str(caught.value)
    assert count_rows(workspace) == before
    result = ingest_file(workspace, EVALUATOR, inspect_logs["error_status"], checkpoint, allow_status="error")
    assert result.created and result.record.status == "error"


def test_unknown_checkpoint_leaves_store_unchanged(
    workspace: Workspace, checkpoint: str, inspect_logs: dict[str, Path]
) -> None:
    from scalegate.errors import NotFoundError

    before = count_rows(workspace)
    with pytest.raises(NotFoundError):
        ingest_file(workspace, EVALUATOR, inspect_logs["success"], "m1@nope")
    assert count_rows(workspace) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_random_bytes_never_crash_the_reader(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.eval"
    path.write_bytes(data)
    _assert_clean_failure(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=10**9), flips=st.lists(st.integers(0, 10**9), max_size=8))
def test_mutated_logs_fail_cleanly_or_read_correctly(
    inspect_logs: dict[str, Path], tmp_path: Path, cut: int, flips: list[int]
) -> None:
    original = inspect_logs["success"].read_bytes()
    data = bytearray(original[: len(original) - cut % len(original)] if cut % 3 == 0 else original)
    for flip in flips:
        data[flip % len(data)] ^= 0xFF
    path = tmp_path / "mutated.eval"
    path.write_bytes(bytes(data))
    _assert_clean_failure(path)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    document=st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=True) | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "eval",
                        "results",
                        "version",
                        "status",
                        "samples",
                        "scores",
                        "kind",
                        "versions",
                        "task",
                        "model",
                        "acc,none",
                        "n-samples",
                        "metrics",
                        "value",
                    ]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_fuzzed_json_documents_fail_cleanly(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(document))
    _assert_clean_failure(path)


def _assert_clean_failure(path: Path) -> None:
    """The reader either reads the file or raises a one-line EvidenceError naming it; nothing else."""
    try:
        read_results(path)
    except EvidenceError as exc:
        assert "\n" not in str(exc)
        assert str(path) in str(exc)
