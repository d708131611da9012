"""Reason codes are one closed vocabulary, each explained in docs/gate.md."""

from __future__ import annotations

import re
from pathlib import Path

from scalegate.gate.verdict import REASON_CODES

GATE_DOC = Path(__file__).resolve().parents[2] / "docs" / "gate.md"


def test_every_reason_code_is_documented_and_nothing_else() -> None:
    section = GATE_DOC.read_text().split("## 7. Reason codes", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `([a-z_.]+)` \|", section, re.M))
    assert rows == set(REASON_CODES)


def test_every_code_the_engine_writes_is_in_the_vocabulary() -> None:
    gate = Path(__file__).resolve().parents[2] / "src" / "scalegate" / "gate"
    source = "".join((gate / name).read_text() for name in ("service.py", "relied.py", "obligations.py"))
    written = set(re.findall(r'Reason\(\s*"([a-z_.]+)"', source))
    written |= set(re.findall(r'reason\.code = "([a-z_.]+)"', source))
    written |= set(re.findall(r'"(store\.unavailable|gate\.error)"', source))
    assert written and written <= set(REASON_CODES)
    assert set(REASON_CODES) - written == set(), set(REASON_CODES) - written
