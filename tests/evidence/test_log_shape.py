"""The quick test of a sample summary's shape never passes one that the field-by-field check refuses."""

from __future__ import annotations

from typing import Any

import pytest

from scalegate.evidence import log_shape

BASE: dict[str, Any] = {
    "id": "q00001",
    "epoch": 1,
    "scores": {"choice": {"value": "C", "answer": "A"}},
    "metadata": {"topic": "t1"},
}

VALUES: list[Any] = [None, "", "x", "7", 0, 3, True, False, 1.0, 1.5, {}, {"a": 1}, [], ["x"], {"s": []}]


def _variants() -> list[dict[str, Any]]:
    out = [dict(BASE), {}]
    for field in ("id", "epoch", "scores", "error", "limit", "metadata"):
        for value in VALUES:
            out.append({**BASE, field: value})
    for value in VALUES:  # one scorer's score of every kind
        out.append({**BASE, "scores": {"choice": {"value": "C"}, "other": value}})
    return out


@pytest.mark.parametrize("summary", _variants(), ids=repr)
def test_a_plain_summary_is_one_the_full_check_accepts(summary: dict[str, Any]) -> None:
    if log_shape._plain_summary(summary):
        log_shape._check(summary, log_shape._SUMMARY, "sample 0 ")  # raises if the quick test was wrong


def test_the_usual_summary_takes_the_quick_test() -> None:
    assert log_shape._plain_summary(BASE)
    assert log_shape._plain_summary({**BASE, "error": "boom", "limit": "tokens", "id": 7})
    assert not log_shape._plain_summary({**BASE, "epoch": True})  # a bool is judged by the full check
