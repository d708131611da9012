"""``scalegate demo --no-serve`` tells how to go on: the logins of the demo people and how to serve the
dashboard, as it does when it serves."""

from __future__ import annotations

import pytest
from rich.console import Console

from scalegate.cli.demo import print_logins
from scalegate.testing.demo import DEMO_USERS


@pytest.mark.parametrize("serve", [False, True])
def test_the_demo_prints_the_logins_whether_it_serves_or_not(serve: bool) -> None:
    out = Console(record=True, width=200)
    print_logins(out, "sqlite:///demo-workspace/.scalegate/scalegate.db", serve=serve, port=8123)
    text = out.export_text()
    assert "Logins (password demo-<name>-password)" in text
    assert all(f"{name} (" in text for name in DEMO_USERS)
    expected = "http://127.0.0.1:8123/" if serve else "scalegate --db sqlite:///demo-workspace"
    assert expected in text
