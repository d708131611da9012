"""``GET /api/docs``: Swagger UI over the OpenAPI document, served from this server alone.

Over plain HTTP: the page and its vendored assets are served from ``/static`` with their content types and the
app's content security policy. In headless Chromium: the page renders the API's operations, every request it
makes stays on the loopback server, and the console shows no error (a CSP violation would be one).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from scalegate.web.app import CSP
from scalegate.web.server import BackgroundServer
from tests.web.test_browser import ARGS, CHROMIUM

ASSETS = {
    "/static/vendor/swagger-ui/swagger-ui-bundle.js": "text/javascript",
    "/static/vendor/swagger-ui/swagger-ui.css": "text/css",
    "/static/api-docs.js": "text/javascript",
}


def test_page_loads_only_local_assets(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CSP
    for path in ASSETS:
        assert f'"{path}"' in page.text
    assert "<script>" not in page.text and "http" not in page.text.replace('"/api/v1/openapi.json"', "")
    assert 'data-spec-url="/api/v1/openapi.json"' in page.text


def test_assets_are_served_from_static_with_their_types(client: TestClient) -> None:
    for path, media_type in ASSETS.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].split(";")[0] == media_type, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content


@pytest.fixture
def running(app: FastAPI) -> Iterator[BackgroundServer]:
    with BackgroundServer(app) as server:
        yield server


@pytest.mark.browser
@pytest.mark.slow
def test_swagger_ui_renders_the_operations_offline(running: BackgroundServer) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    base = running.url.rstrip("/")
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page: Any = browser.new_context().new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/api/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            page.wait_for_load_state("networkidle")
            text = page.inner_text("#swagger-ui")
        finally:
            browser.close()
    assert "/api/v1/gate" in text
    foreign = [u for u in requests if urlsplit(u).scheme != "data" and urlsplit(u).hostname != "127.0.0.1"]
    assert not foreign, f"requests left loopback: {foreign}"
    assert base + "/api/v1/openapi.json" in requests
    assert not errors, errors
