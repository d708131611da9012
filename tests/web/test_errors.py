"""One JSON error shape for every error the API returns, whatever produced it."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from scalegate.errors import ConflictError, InputError, IntegrityError, NotFoundError, StoreError
from scalegate.web.auth import public, route_list


def assert_error_shape(body: Any, code: str) -> None:
    """The pinned shape: exactly one key `error` holding exactly `code`, `message`, `where`."""
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "where"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "\n" not in body["error"]["message"]
    assert body["error"]["where"] is None or isinstance(body["error"]["where"], str)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/nowhere", 404, "not_found"),
        ("DELETE", "/api/v1/health", 405, "method_not_allowed"),
        ("GET", "/api/v1/policy-versions/1/diff?against=x", 422, "invalid_request"),
        ("GET", "/api/v1/policy-versions/not-a-number", 422, "invalid_request"),
        ("GET", "/api/v1/policy-versions/999999", 404, "not_found"),
    ],
)
def test_routing_and_validation_errors_have_the_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, path, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert_error_shape(response.json(), code)


def test_validation_error_says_where(client: TestClient) -> None:
    body = client.get("/api/v1/policy-versions/1/diff?against=x").json()
    assert body["error"]["where"] == "query.against"


def test_unauthenticated_api_call_is_401_with_the_shape(client: TestClient) -> None:
    response = client.get("/api/v1/audit/entries")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert_error_shape(response.json(), "unauthenticated")


def test_bad_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/audit/entries", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert_error_shape(response.json(), "unauthenticated")
    assert response.json()["error"]["where"] == "header.authorization"


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (InputError("bad value", where="field.x"), 400, "invalid_input"),
        (NotFoundError("no thing 'x'", where="path.id"), 404, "not_found"),
        (ConflictError("already signed"), 409, "conflict"),
        (StoreError("store unreachable"), 503, "store_unavailable"),
        (IntegrityError("log mismatch at 3"), 500, "integrity_violation"),
        (RuntimeError("a bug"), 500, "internal_error"),
    ],
)
def test_service_errors_map_to_their_status(app: FastAPI, exc: Exception, status: int, code: str) -> None:
    from fastapi import Depends

    @app.get("/api/v1/_raise", dependencies=[Depends(public("test route"))])
    def _raise() -> None:
        raise exc

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/_raise")
    assert response.status_code == status
    assert_error_shape(response.json(), code)
    if isinstance(exc, InputError | NotFoundError):
        assert response.json()["error"]["where"] == exc.where


def test_browser_gets_an_html_error_page_with_the_same_facts(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no route /no-such-page" in response.text


def test_browser_not_signed_in_is_sent_to_login(client: TestClient) -> None:
    response = client.get("/audit", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/audit"


def _paths_with_several_methods(app: FastAPI) -> dict[str, set[str]]:
    """Each route path served by more than one method (HEAD, which comes with GET, aside): its methods."""
    methods: dict[str, set[str]] = defaultdict(set)
    for route in route_list(app.routes):
        if route.methods and route.path:
            methods[route.path] |= route.methods
    return {path: served for path, served in methods.items() if len(served - {"HEAD"}) > 1}


def test_405_allow_lists_every_method_of_the_path(app: FastAPI, client: TestClient) -> None:
    """OPTIONS (served by no route) and any other unserved method: 405 with ``Allow`` naming every method
    the path serves, not only those of the first route whose path matched."""
    paths = _paths_with_several_methods(app)
    assert paths, "no path serves several methods: the test would prove nothing"
    for template, served in sorted(paths.items()):
        path = re.sub(r"\{[^}]+\}", "p1", template)
        for method in ("OPTIONS", *sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - served)):
            response = client.request(method, path, headers={"Accept": "application/json"})
            assert response.status_code == 405, (method, path, response.status_code)
            assert set(response.headers["allow"].split(", ")) == served, (method, template)
            assert_error_shape(response.json(), "method_not_allowed")
