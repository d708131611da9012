"""The index of the built-in policies (read by the CLI's fast path) is current."""

from __future__ import annotations

from scalegate.cli._index import builtin_summaries
from scalegate.policy.service import builtin_index, index_path


def test_the_shipped_index_is_current() -> None:
    assert index_path().read_text(encoding="utf-8") == builtin_index(), (
        "a built-in policy changed: run python -c 'from scalegate.policy.service import "
        "write_builtin_index as w; w()'"
    )
    assert builtin_summaries() is not None
