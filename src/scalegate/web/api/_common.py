"""What every API router shares: the documented error responses, the workspace dependency, paging.

A route that returns a JSON object document (a ``TypedDict`` the route module declares, or a ``JsonObject``
for a document a service's typed value serialises to) says ``response_model=dict[str, Any]``: the type
checker holds the function to its return annotation, while FastAPI keeps serialising the document as it is
given, straight to JSON bytes. Left to derive the model from the annotation, FastAPI would validate each
document against it (writing an ``int`` in a ``float`` field as ``1.0``, dropping keys the type does not
declare); ``response_model=None`` would render through ``json.dumps``, which writes some floats differently
(``1e-07`` for ``1e-7``). Either would change response bodies that clients already read.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import inspect as orm_inspect

from scalegate.jsonable import JsonObject
from scalegate.web.errors import ERROR_RESPONSES
from scalegate.workspace import Workspace

__all__ = ["Limit", "Offset", "RecordId", "api_router", "page_headers", "record", "workspace_of"]

Limit = Annotated[int, Query(ge=1, le=500, description="Most items to return.")]
Offset = Annotated[int, Query(ge=0, le=2**53, description="Items to skip.")]
RecordId = Annotated[int, Path(ge=1, le=2**53, description="Record id.")]
"""A stored record's id in a path (bounded, so no store is asked about a number it cannot hold)."""


def api_router(tag: str) -> APIRouter:
    """A router whose routes document the one error shape."""
    responses: dict[int | str, dict[str, Any]] = dict(ERROR_RESPONSES)
    return APIRouter(tags=[tag], responses=responses)


def workspace_of(request: Request) -> Workspace:
    """The workspace the app serves."""
    workspace = request.app.state.workspace
    assert isinstance(workspace, Workspace)
    return workspace


def page_headers(request: Request, response: Response, total: int, next_before: int | None) -> None:
    """Paging of a list route whose body stays a JSON array: ``X-Total-Count`` (items matching the query)
    and, unless this is the last page, ``Link: <...>; rel="next"``: the same query with ``before`` set to
    the last item shown (keyset paging, so every page costs the same)."""
    response.headers["X-Total-Count"] = str(total)
    if next_before is not None:
        url = request.url.include_query_params(before=next_before)
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def record(value: Any) -> JsonObject:
    """A record a service returned, as the API's JSON object: every field by name, bytes as hex and times as
    ISO-8601 in UTC.

    Serialisation belongs to the door. A service hands back a typed record (a dataclass) or, for a record it
    has just written, the stored object itself; either is rendered field by field here, so no route reads
    the store to describe what it got.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    mapper = orm_inspect(value).mapper
    return {attr.columns[0].name: _json_value(getattr(value, attr.key)) for attr in mapper.column_attrs}
