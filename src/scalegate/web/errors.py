"""The one JSON error shape of the API, and the handlers that produce it for every error.

Every error the server returns, whether raised by the service layer (``ScalegateError``), by routing (404,
405), by request validation (422), by the upload limit (413) or by a bug (500), has this body::

    {"error": {"code": "not_found", "message": "no model 'x'", "where": "query.model"}}

``code`` is a stable machine-readable word (the ``code`` of the ``scalegate.errors`` class for service
errors); ``message`` is one line naming what was wrong; ``where`` says where (a field path, a record id, a
file:line) or is null. Browsers asking for a dashboard page get the same three facts rendered as an HTML page
instead.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any, TypedDict

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from scalegate.errors import ScalegateError, TooManyRequests
from scalegate.web.auth import route_list
from scalegate.web.ui.render import error_page

__all__ = [
    "ERROR_RESPONSES",
    "ErrorBody",
    "ErrorDetail",
    "ErrorDocument",
    "ErrorResponse",
    "allowed_methods",
    "error_payload",
    "error_response",
    "install_error_handlers",
]

log = logging.getLogger("scalegate.web")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "store_unavailable",
}


class ErrorBody(BaseModel):
    """What went wrong and where."""

    code: str = Field(
        description="Stable machine-readable code, e.g. `not_found`, `forbidden`, `invalid_input`."
    )
    message: str = Field(description="One line naming what was wrong.")
    where: str | None = Field(
        description="Where: a field path, record id or file:line; null when not applicable."
    )


class ErrorResponse(BaseModel):
    """The body of every error response of the API."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "Bad input (a malformed argument, file or field).",
        401: "No valid identity was presented.",
        403: "The identity may not do this.",
        404: "A named record does not exist.",
        409: "The write contradicts the stored state.",
        413: "The request body is larger than the server accepts.",
        422: "The request does not match the documented parameters.",
        503: "The store is unreachable.",
    }.items()
}
"""Documented on every API route so clients (and schemathesis) know the error shape."""


class ErrorDetail(TypedDict):
    """``error`` of the error document, as the handlers write it (``ErrorBody`` documents it)."""

    code: str
    message: str
    where: str | None


class ErrorDocument(TypedDict):
    """The error document, as the handlers write it (``ErrorResponse`` documents it)."""

    error: ErrorDetail


def error_payload(code: str, message: str, where: str | None = None) -> ErrorDocument:
    """The error document; the message is folded onto one line whatever produced it."""
    return {"error": {"code": code, "message": " ".join(message.split()) or code, "where": where}}


def error_response(status: int, code: str, message: str, where: str | None = None) -> Response:
    """A JSON response carrying the error document."""
    headers = {"WWW-Authenticate": 'Bearer realm="scalegate"'} if status == 401 else None
    return JSONResponse(error_payload(code, message, where), status_code=status, headers=headers)


def _wants_html(request: Request) -> bool:
    """Dashboard pages answer browsers with HTML; the API always answers JSON."""
    if request.url.path.startswith("/api/") or request.url.path.startswith("/static/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _respond(request: Request, status: int, code: str, message: str, where: str | None) -> Response:
    if _wants_html(request):
        return error_page(request, status, code, message, where)
    return error_response(status, code, message, where)


async def _scalegate_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ScalegateError)
    if exc.http_status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
    response = _respond(request, exc.http_status, exc.code, exc.message, exc.where)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    response = _respond(request, exc.status_code, code, message, None)
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(sorted(allowed_methods(request)))
    return response


@functools.lru_cache(maxsize=1024)
def _path_regex(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


def allowed_methods(request: Request) -> set[str]:
    """Every method some route serves on the request's path.

    Routing answers 405 with the ``Allow`` of the first route whose path matched, which is one of several
    when a path's methods are separate routes (``GET`` and ``POST`` of a collection); a client reading
    ``Allow`` must see them all."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    path = path.removeprefix(root) if root and path.startswith(root + "/") else path
    methods: set[str] = set()
    for route in route_list(request.app.routes):
        served = getattr(route, "methods", None)
        if served and route.path and _path_regex(route.path).match(path):
            methods |= set(served)
    return methods


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    first = problems[0] if problems else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ())) or None
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    message = f"{first.get('msg', 'invalid request')}{more}".replace("\n", " ")
    return _respond(request, 422, "invalid_request", message, where)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _respond(
        request, 500, "internal_error", f"internal error ({type(exc).__name__}); see the server log", None
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the one shape."""
    app.add_exception_handler(ScalegateError, _scalegate_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
