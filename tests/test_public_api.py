"""The public Python API: exactly the documented names, each resolvable, and ``import scalegate`` cheap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import scalegate

ROOT = Path(__file__).resolve().parents[1]

DOCUMENTED = {
    "__version__",
    # SDK
    "Client",
    "GateResult",
    "check_and_report",
    "ScalegateCallback",
    # gate
    "evaluate_gate",
    "decide",
    "Verdict",
    "Reason",
    "Outcome",
    "Action",
    "ACTIONS",
    # workspace
    "Workspace",
    "open_workspace",
    "init_workspace",
    "Context",
    "Actor",
    # policy and assessment
    "Policy",
    "load_policy",
    "assess",
    "Assessment",
    # errors
    "ScalegateError",
    "InputError",
    "PolicyError",
    "EvidenceError",
    "FitError",
    "NotFoundError",
    "ConflictError",
    "PermissionDenied",
    "AuthenticationError",
    "StoreError",
    "IntegrityError",
    "MissingExtraError",
    "InternalError",
}
"""The names ``docs/python-api.md`` documents; a name added to the package is added here and there."""

HEAVY = ("sqlalchemy", "fastapi", "pydantic", "typer", "rich", "numpy", "scipy", "yaml", "httpx", "alembic")


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_exported_names_are_exactly_the_documented_ones() -> None:
    assert len(scalegate.__all__) == len(set(scalegate.__all__))
    assert set(scalegate.__all__) == DOCUMENTED
    assert set(scalegate.__all__) <= set(dir(scalegate))


@pytest.mark.slow
def test_every_exported_name_resolves_to_its_definition() -> None:
    code = (
        "import json, scalegate\n"
        "out = {}\n"
        "for name in scalegate.__all__:\n"
        "    value = getattr(scalegate, name)\n"
        "    out[name] = getattr(value, '__name__', None)\n"
        "    assert getattr(scalegate, name) is value\n"
        "print(json.dumps(out))\n"
    )
    names = json.loads(_python(code))
    assert set(names) == DOCUMENTED
    for name, defined in names.items():
        if defined is not None and name not in {"Outcome", "Action"}:  # type aliases carry no name of theirs
            assert defined == name, (name, defined)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        scalegate.gate_that_does_not_exist  # noqa: B018
    except AttributeError as exc:
        assert "gate_that_does_not_exist" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def test_importing_scalegate_imports_nothing_heavy() -> None:
    code = "import sys, json, scalegate\nprint(json.dumps(sorted(sys.modules)))\n"
    loaded = set(json.loads(_python(code)))
    assert not {m for m in loaded if m.partition(".")[0] in HEAVY}
    assert {m for m in loaded if m.startswith("scalegate")} == {"scalegate"}


def test_one_name_loads_only_what_it_needs() -> None:
    code = "import sys, json\nfrom scalegate import Verdict\nprint(json.dumps(sorted(sys.modules)))\n"
    loaded = set(json.loads(_python(code)))
    assert not {m for m in loaded if m.partition(".")[0] in HEAVY}  # a verdict is plain data


def test_the_public_api_is_documented() -> None:
    text = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    missing = [name for name in sorted(DOCUMENTED) if f"`{name}`" not in text]
    assert not missing, missing
