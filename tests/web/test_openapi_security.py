"""The OpenAPI document says how to authenticate: an API token or the session cookie, required by every
operation except the public ones, which declare none."""

from __future__ import annotations

from fastapi.testclient import TestClient

from scalegate.web.app import SESSION_COOKIE
from tests.web.test_permissions import PUBLIC


def test_the_openapi_document_declares_its_security_schemes(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiToken"] == {**schemes["apiToken"], "type": "http", "scheme": "bearer"}
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == SESSION_COOKIE
    assert document["security"] == [{"apiToken": []}, {"session": []}]
    open_ops = {
        (method.upper(), path)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if op.get("security") == []
    }
    # The versioned API is what the document describes; /api/docs is the HTML page that browses it.
    public_api = {(m, p) for m, p in PUBLIC if p.startswith("/api/v1/")}
    assert open_ops == public_api
    assert "/api/docs" not in document["paths"]
