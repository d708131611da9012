"""Bad input to the API: integers beyond the store's, numbers as dates, bounded in the schema itself."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from scalegate.inputs import INT_MAX
from scalegate.web.api.models import NewRun
from tests.web.test_errors import assert_error_shape


@pytest.mark.parametrize("against", [str(2**64), "9" * 5000, "-1", "0"])
def test_an_out_of_range_version_id_is_a_validation_error_not_a_500(client: TestClient, against: str) -> None:
    response = client.get(f"/api/v1/policy-versions/1/diff?against={against}")
    assert response.status_code == 422
    assert_error_shape(response.json(), "invalid_request")


def _integer(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "integer" for option in options)


def _maximum(schema: dict[str, Any]) -> float | None:
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "integer":
            return option.get("maximum", schema.get("maximum"))
    return None


def test_every_integer_path_and_query_parameter_is_bounded_in_the_schema(app: FastAPI) -> None:
    unbounded = []
    count = 0
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["in"] in ("path", "query") and _integer(schema):
                    count += 1
                    maximum = _maximum(schema)
                    if maximum is None or maximum > INT_MAX:
                        unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert count > 5
    assert unbounded == []


@pytest.mark.parametrize("value", [0, 1_700_000_000, 1.5, True])
def test_a_number_is_not_a_date(value: Any) -> None:
    with pytest.raises(ValidationError, match="ISO-8601 string"):
        NewRun.model_validate({"name": "r1", "started_at": value})


@pytest.mark.parametrize("value", ["9999-12-31", "2025-02-30", "0001-01-01T00:00:00Z"])
def test_an_impossible_or_far_date_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        NewRun.model_validate({"name": "r1", "started_at": value})
    assert NewRun.model_validate({"name": "r1", "started_at": "2025-06-01"}).started_at is not None
