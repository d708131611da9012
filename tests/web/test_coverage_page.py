"""The coverage matrix over real HTTP (uvicorn on loopback): the dashboard page, the JSON export and the CSV
export show the same cells; a name that is not a built-in policy is refused with the one error shape."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

from scalegate.web import create_app
from scalegate.web.server import BackgroundServer
from scalegate.workspace import Workspace
from tests.web.conftest import SETTINGS

CHOSEN = "anthropic-rsp-2.2,xai-rmf-2025-02-draft,gdm-fsf-3.0,openai-preparedness-2023-beta"

Cell = tuple[str, str, str, str, tuple[str, ...]]
"""(policy id, concept, status, value, clauses)."""


class _Cells(HTMLParser):
    """The cells of the page's ``#coverage`` table, read from their data attributes and contents."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[Cell] = []
        self._cell: dict[str, str] | None = None
        self._value: list[str] | None = None
        self._clauses: list[str] = []
        self._clause: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "td" and "data-concept" in found:
            self._cell, self._clauses = found, []
        elif self._cell is not None and tag == "span" and found.get("class") == "value":
            self._value = []
        elif self._cell is not None and tag == "li":
            self._clause = []

    def handle_data(self, data: str) -> None:
        for part in (self._value, self._clause):
            if part is not None:
                part.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._value is not None and self._cell is not None:
            self._cell["value"] = "".join(self._value)
            self._value = None
        elif tag == "li" and self._clause is not None:
            self._clauses.append("".join(self._clause))
            self._clause = None
        elif tag == "td" and self._cell is not None:
            c = self._cell
            self.cells.append(
                (c["data-policy"], c["data-concept"], c["data-status"], c["value"], tuple(self._clauses))
            )
            self._cell = None


@pytest.fixture
def base(minimal_ws: Workspace) -> Iterator[str]:
    with BackgroundServer(create_app(minimal_ws, SETTINGS)) as server:
        yield server.url


def test_page_json_and_csv_show_the_same_matrix(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/coverage", params={"policies": CHOSEN})
        document = client.get("/api/v1/policies/coverage", params={"policies": CHOSEN})
        export = client.get("/api/v1/policies/coverage", params={"policies": CHOSEN, "format": "csv"})
    assert page.status_code == document.status_code == export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    parser = _Cells()
    parser.feed(page.text)
    from_page = parser.cells
    from_json = [
        (col["policy_id"], c["concept"], c["status"], c["value"], tuple(c["clauses"]))
        for col in document.json()["columns"]
        for c in col["cells"]
    ]
    from_csv = [
        (
            r["policy_id"],
            r["concept"],
            r["status"],
            r["value"],
            tuple(filter(None, r["clauses"].split(" | "))),
        )
        for r in csv.DictReader(io.StringIO(export.text))
    ]
    assert from_json == from_csv
    assert sorted(from_page) == sorted(from_json)
    assert {p for p, *_ in from_page} == set(CHOSEN.split(","))
    cells = {(p, c): (s, v) for p, c, s, v, _ in from_json}
    assert "4x effective compute" in cells[("anthropic-rsp-2.2", "triggers")][1]
    assert cells[("xai-rmf-2025-02-draft", "decision_makers")][0] == "not_addressed"
    assert cells[("gdm-fsf-3.0", "threshold_scale")][1] == "Critical Capability Levels (CCLs)"
    assert cells[("openai-preparedness-2023-beta", "threshold_scale")][1].endswith(
        "Low / Medium / High / Critical"
    )


def test_a_name_that_is_not_a_builtin_is_refused(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        api = client.get("/api/v1/policies/coverage", params={"policies": "gdm-fsf-3.0,/etc/passwd"})
        page = client.get("/coverage", params={"policies": "nope"})
        fmt = client.get("/api/v1/policies/coverage", params={"format": "xml"})
    assert api.status_code == 400
    error = api.json()
    assert "'/etc/passwd' is not a built-in policy" in str(error)
    assert page.status_code == 400 and "not a built-in policy" in page.text
    assert fmt.status_code in (400, 422)
