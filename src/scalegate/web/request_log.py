"""One JSON line per request, tied together by a request id the caller can see.

Every response carries ``X-Request-ID``: the caller's own id when it sent a well-formed one (a reverse proxy's
``$request_id``, a pipeline's trace id), else a fresh random one. The same id is on the request's log line
and on ``request.state.request_id`` for anything else that logs, so an operator can follow one failing call
from the proxy to the store. Error bodies keep their one shape; the id travels in the header.

The line goes to the ``scalegate.access`` logger as a JSON object (``JsonFormatter`` writes any record as
one); it never holds a client address or a query string, so the anonymous noncompliance paths leave no
trace of who called (``scalegate.web.server.ANONYMOUS_PATHS``).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scalegate.web.auth import route_list
from scalegate.web.metrics import observe_request

__all__ = [
    "LOGGING",
    "REQUEST_ID_HEADER",
    "JsonFormatter",
    "LoggerConfig",
    "LoggingConfig",
    "RequestLogMiddleware",
    "logging_config",
]

REQUEST_ID_HEADER = "x-request-id"
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
ACCESS = logging.getLogger("scalegate.access")


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            document.update(fields)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


class LoggerConfig(TypedDict):
    """One logger's entry of a ``logging.config.dictConfig`` document."""

    handlers: NotRequired[list[str]]
    level: str
    propagate: NotRequired[bool]


class LoggingConfig(TypedDict):
    """A ``logging.config.dictConfig`` document, as far as the server's logging uses one."""

    version: int
    disable_existing_loggers: bool
    formatters: dict[str, dict[str, type[logging.Formatter]]]
    handlers: dict[str, dict[str, str]]
    loggers: dict[str, LoggerConfig]


LOGGING: LoggingConfig = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "loggers": {
        "scalegate": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
"""The server's logging (``logging.config.dictConfig``): everything as JSON lines on stderr; uvicorn's own
access log is replaced by ``scalegate.access``."""


def logging_config(level: str = "info") -> LoggingConfig:
    """``LOGGING`` at ``level`` (uvicorn's ``--log-level`` names) for scalegate's and uvicorn's loggers."""
    wanted = level.upper() if level.lower() != "trace" else "DEBUG"
    loggers = {name: conf.copy() for name, conf in LOGGING["loggers"].items()}
    for name in ("scalegate", "uvicorn", "uvicorn.error"):
        loggers[name]["level"] = wanted
    config = LOGGING.copy()
    config["loggers"] = loggers
    return config


def _route(scope: Scope) -> str:
    """The full path template of the route that answered (routers are nested, so the matched route's own
    ``path`` lacks its prefix: look its endpoint up among the app's routes), or ``unmatched``."""
    endpoint = scope.get("endpoint")
    app = scope.get("app")
    if endpoint is None or app is None:
        return "unmatched"
    state = getattr(app, "state", None)
    table = getattr(state, "route_templates", None)
    if table is None:
        table = {}
        for route in route_list(getattr(app, "routes", [])):
            found = getattr(route, "endpoint", None)
            if found is not None:
                table.setdefault(found, str(route.path))
        if state is not None:
            state.route_templates = table
    return str(table.get(endpoint) or getattr(scope.get("route"), "path", None) or "unmatched")


class RequestLogMiddleware:
    """Gives each request its id, echoes it, counts the request for ``/metrics`` and logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.encode())
        given = sent.decode("latin-1") if sent else ""
        request_id = given if _ACCEPTED.match(given) else secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(scope)
            observe_request(scope["method"], route, status, seconds)
            if ACCESS.isEnabledFor(logging.INFO):
                ACCESS.info(
                    "request",
                    extra={
                        "fields": {
                            "request_id": request_id,
                            "method": scope["method"],
                            "path": scope.get("path", ""),
                            "route": route,
                            "status": status,
                            "duration_ms": round(seconds * 1000, 3),
                            "user": _user(scope),
                        }
                    },
                )


def _user(scope: Scope) -> str | None:
    identity = scope.get("state", {}).get("identity")
    actor = getattr(identity, "actor", None)
    return getattr(actor, "name", None) if getattr(actor, "kind", None) == "user" else None
