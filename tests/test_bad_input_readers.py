"""The readers of files from outside (evidence, imports, policies) refuse each fuzz-corpus file with one line
naming the file, in process (``tests/cli/test_fuzz_corpus.py`` runs the same files through the CLI with
bounded time and memory); and the shared bounds of ``scalegate.inputs`` and ``scalegate.clock``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from scalegate.clock import InstantError, parse_instant
from scalegate.errors import EvidenceError, InputError, PolicyError
from scalegate.evidence.readers import read_results
from scalegate.inputs import INT_MAX, MAX_DEPTH, BoundsError, check_int, file_kind, load_json, read_text
from scalegate.policy.loader import load_policy
from scalegate.registry.importer import read_checkpoints
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "fuzz"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text())


def _read(case: dict[str, Any]) -> Any:
    path = CORPUS / case["file"]
    if case["kind"] == "evidence":
        return read_results(path)
    if case["kind"] == "import":
        return read_checkpoints(path)
    return load_policy(path)


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_each_corpus_file_is_refused_in_one_line_naming_it(case: dict[str, Any]) -> None:
    if case["accepted"]:
        assert _read(case)
        return
    expected = {"evidence": EvidenceError, "import": InputError, "policy": PolicyError}[case["kind"]]
    with pytest.raises(expected) as caught:
        _read(case)
    message = str(caught.value)
    assert "\n" not in message and Path(case["file"]).name in message


def test_json_is_refused_beyond_the_bounds() -> None:
    assert isinstance(load_json("[" * MAX_DEPTH + "]" * MAX_DEPTH), list)
    with pytest.raises(BoundsError, match="nested deeper"):
        load_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(BoundsError, match="nested deeper"):
        load_json("[" * 100_000 + "]" * 100_000)
    assert load_json(str(INT_MAX)) == INT_MAX
    with pytest.raises(BoundsError, match="out of range"):
        load_json(str(INT_MAX + 1))
    with pytest.raises(BoundsError, match=r"5000 digits"):
        load_json("9" * 5000)
    with pytest.raises(BoundsError, match=r"not UTF-8 text .* at byte 2"):
        load_json(b'"a\xff"')
    assert load_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    with pytest.raises(BoundsError, match="out of range"):
        check_int(-(2**63) - 1)


def test_dates_that_do_not_exist_or_lie_outside_the_years_are_refused() -> None:
    assert parse_instant("2025-06-01").isoformat() == "2025-06-01T00:00:00+00:00"
    for text, match in [
        ("2025-02-30", "not an ISO-8601"),
        ("yesterday", "not an ISO-8601"),
        ("9999-12-31", "outside the years"),
        ("1900-01-01", "outside the years"),
    ]:
        with pytest.raises(InstantError, match=match) as caught:
            parse_instant(text, "--at")
        assert str(caught.value).startswith("--at: ")


def test_a_file_that_is_not_regular_is_named_before_it_is_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert file_kind(pipe) == "a named pipe"
    assert file_kind(Path("/dev/zero")) == "a character device"
    assert file_kind(tmp_path) == "a directory"
    with pytest.raises(BoundsError, match="not a regular file"):
        read_text(pipe)  # returns at once: a read of the pipe would wait for a writer forever
    with pytest.raises(EvidenceError, match="not a regular file"):
        from scalegate.evidence.service import _file_source

        _file_source(Path("/dev/zero"))
