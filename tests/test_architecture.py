"""The layering of ``src/scalegate``, checked from its source: no import cycles and no upward imports.

The graph comes from ``scripts/import_graph.py`` (``ast`` only; nothing is imported). It counts imports made
inside functions, because they run too, only later, and they hide an arrow from a reader of the module's top;
it skips those under ``if TYPE_CHECKING:``, which never run.

``LAYERS`` is the house as ``docs/architecture.md`` draws it, lowest floor first. A package may import its own
floor and any floor below, never one above. A new top-level package or module must be placed here.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: list[tuple[tuple[str, ...], str]] = [
    (
        (
            "scalegate",
            "errors",
            "clock",
            "actor",
            "jsonable",
            "canonical",
            "months",
            "calendar_types",
            "vocabulary",
            "statements",
            "extras",
            "inputs",
            "fields",
            "yaml_data",
        ),
        "ground: errors, time, who acts, JSON and hashing, month arithmetic, the calendar item shape, the "
        "gate's words, the signed statements, the optional extras and the bounds on input from outside; "
        "nothing of scalegate below them",
    ),
    (("store",), "tables, engines and migrations; knows no domain"),
    (("audit",), "the tamper-evident log every change is recorded in; knows no roles"),
    (("policy",), "the policy schema, loader and built-ins; pure data"),
    (
        ("context", "workspace", "policy_versions", "workspace_mode", "permissions"),
        "one store + the hash-checked active policy + the clock + the mode: the unit of work every service "
        "runs in, and the permission matrix every service checks",
    ),
    (("registry",), "models, checkpoints, effective compute, the triggers and the assessments they open"),
    (("governance",), "people, roles, permissions, sign-offs, notifications, the compliance calendar"),
    (("evidence",), "evaluation evidence: Inspect and lm-eval ingestion, statistics, quality flags"),
    (("safeguards",), "safeguard criteria, their evidence and determinations"),
    (("assessment",), "findings, forecasts, required levels, capability determinations"),
    (("gate",), "allow / restrict / pause with reasons"),
    (("reports",), "capability, safeguards and compliance reports, safety cases, bundles"),
    (("wiring",), "the composition root: installs every domain's governance hooks"),
    (("testing",), "test doubles and the demo scenario; the engine never imports them"),
    (("cli", "web", "sdk"), "the doors: parse, call, print; they may use each other"),
]
"""Floors, lowest first: (packages and top-level modules on that floor, what the floor is for)."""

ALLOWED_UPWARD: dict[tuple[str, str], str] = {}
"""Upward imports tolerated for now, as (importing module, imported module) -> why. Keep it short."""

ALLOWED_CYCLES: dict[tuple[str, ...], str] = {}
"""Module cycles tolerated for now, as the sorted members of the cycle -> why."""


def _load_graph_module() -> ModuleType:
    path = ROOT / "scripts" / "import_graph.py"
    spec = importlib.util.spec_from_file_location("scalegate_import_graph", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ig = _load_graph_module()


@pytest.fixture(scope="module")
def graph() -> Any:
    return ig.build_graph(ROOT / "src" / "scalegate")


def test_every_package_has_a_floor(graph: Any) -> None:
    placed = {package for layer, _ in LAYERS for package in layer}
    present = {ig.package_of(m) for m in graph.modules}
    assert not present - placed, f"place these in LAYERS: {sorted(present - placed)}"
    assert not placed - present, f"no longer in src/scalegate, drop from LAYERS: {sorted(placed - present)}"


def test_no_module_import_cycles(graph: Any) -> None:
    cycles = {tuple(group) for group in ig.module_cycles(graph)}
    unexpected = sorted(cycles - ALLOWED_CYCLES.keys())
    assert not unexpected, "import cycles between modules:\n" + "\n".join(" <-> ".join(c) for c in unexpected)
    for gone in sorted(ALLOWED_CYCLES.keys() - cycles):
        print(f"cycle gone, drop it from ALLOWED_CYCLES: {' <-> '.join(gone)}")


def test_no_package_import_cycles(graph: Any) -> None:
    assert ig.package_cycles(graph) == []


def test_no_upward_imports(graph: Any) -> None:
    upward = ig.upward_imports(graph, [layer for layer, _ in LAYERS])
    found = {(e.source, e.target) for e in upward}
    unexpected = sorted(e for e in upward if (e.source, e.target) not in ALLOWED_UPWARD)
    assert not unexpected, "upward imports (a lower floor importing a higher one):\n" + "\n".join(
        f"{e.source}:{e.line} -> {e.target}" for e in unexpected
    )
    for gone in sorted(ALLOWED_UPWARD.keys() - found):
        print(f"upward import gone, drop it from ALLOWED_UPWARD: {gone[0]} -> {gone[1]}")


def test_function_level_imports_are_counted(graph: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Imports of scalegate modules inside functions hide arrows; each is justified by start-up time (the
    gate's fast path, the CLI entry, the SDK in a training loop) or by a heavy optional dependency behind it,
    never by a cycle: there are none (``test_no_module_import_cycles``)."""
    found = graph.function_import_statements
    by_package: dict[str, int] = {}
    for module, _line in found:
        by_package[ig.package_of(module)] = by_package.get(ig.package_of(module), 0) + 1
    with capsys.disabled():
        print(f"\nfunction-level imports of scalegate modules: {len(found)}", sorted(by_package.items()))
    assert len(found) > 0


def test_no_function_returns_an_untyped_dict(graph: Any) -> None:
    """Values crossing a function's boundary are typed: a dataclass, a ``TypedDict`` naming the document's
    keys, or ``jsonable.JsonObject`` where the data defines them (``docs/architecture.md``, typed documents).
    A return annotated ``dict[str, Any]``, or a list, tuple or optional of one, tells the checker nothing of
    what its callers read."""
    assert graph.dict_any_returns == [], "type these returns: " + ", ".join(
        f"{module}.{name}" for module, name in graph.dict_any_returns
    )


def test_function_level_imports_say_what_they_defer(graph: Any) -> None:
    """Outside the CLI, an import of a scalegate module inside a function sits under a ``# deferred:`` comment
    saying which start-up cost it spares (``# deferred: Alembic (~150 modules) only for an old store``);
    one that spares nothing belongs at the module's top."""
    bare = [
        f"{module}:{line}"
        for module, line in graph.function_import_statements
        if ig.package_of(module) != "cli" and ig.deferral_note(graph.modules[module], line) is None
    ]
    assert bare == [], (
        f"hoist these to the module's top, or say above each what it defers ({ig.DEFERRED}):\n"
        + ("\n".join(bare))
    )


def test_the_cli_says_why_its_commands_load_lazily() -> None:
    """In the CLI the imports inside functions are the rule, not the exception: the package's docstring says
    why, once, instead of a comment on each."""
    import scalegate.cli

    doc = scalegate.cli.__doc__ or ""
    assert "inside" in doc and "--help" in doc, (
        "scalegate.cli's docstring must say why commands import lazily"
    )


DOOR_QUERIES = re.compile(
    r"from sqlalchemy(?:\.\w+)* import [^\n]*\b(?:select|text|func|insert|update|delete)\b"
    r"|(?<![.\w])session\.(?:execute|scalars|scalar|query)\("
    r"|(?<![.\w])session\.get\((?![\"'])"  # an ORM lookup, not a web session's dict key
    r"|exec_driver_sql\("
)
"""What a door would write to query a table itself."""

ALLOWED_DOOR_QUERIES = {
    "src/scalegate/web/state.py": "reads the audit log's size (the SQL is audit.log.LOG_SIZE_SQL) on every "
    "request, on connections of its own, to key the server's caches",
}
"""Doors that may run a query, -> why. Keep it short."""


def test_doors_query_no_table_themselves() -> None:
    """The CLI, the web server and the SDK parse, call a service and print: no door imports a table or writes
    a query, so every rule about what a row means (coverage, sealing, staleness) lives in one service."""
    found: list[str] = []
    for door in ("cli", "web", "sdk"):
        for path in sorted((ROOT / "src" / "scalegate" / door).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            where = path.relative_to(ROOT)
            if str(where) in ALLOWED_DOOR_QUERIES:
                continue
            if "scalegate.store.models" in source:
                found.append(f"{where}: imports a table")
            found += [f"{where}: {m.group(0)}" for m in DOOR_QUERIES.finditer(source)]
    assert found == [], found


WORKSPACE_NAMES = re.compile(r"^(ws|\w*workspace\w*|\w+_ws)$")
"""Names a module gives a ``Workspace`` (``workspace``, ``ws``, ``self.workspace``, ``minimal_ws``)."""

WORKSPACE_GETTERS = {"workspace", "workspace_of", "open_workspace", "init_workspace"}
"""Functions that hand back a ``Workspace`` (the doors' ``workspace(request)``, ``workspace_of(ctx)``)."""


def _names_a_workspace(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return bool(WORKSPACE_NAMES.match(node.id))
    if isinstance(node, ast.Attribute):
        return bool(WORKSPACE_NAMES.match(node.attr))
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name in WORKSPACE_GETTERS
    return False


def test_the_context_is_the_only_way_to_the_active_policy() -> None:
    """A read of the policy in a transaction of its own, before the work's, can see another version than the
    work does (a check made against one policy, the work done under the next): so ``Workspace`` has no
    ``policy()`` or ``active()``, and no module calls one on a workspace. ``ctx.policy``, ``ctx.active`` and
    ``active.policy`` are attributes, not calls, and a policy version's ``policy()`` is not a workspace's."""
    from scalegate.workspace import Workspace

    assert not hasattr(Workspace, "policy"), "Workspace.policy() is back: read ctx.policy in a Context"
    assert not hasattr(Workspace, "active"), "Workspace.active() is back: read ctx.active in a Context"
    found: list[str] = []
    for path in sorted((ROOT / "src" / "scalegate").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and not node.args
                and not node.keywords
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("policy", "active")
                and _names_a_workspace(node.func.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert found == [], found


def test_the_policy_check_flags_a_workspace_call() -> None:
    """The check above is not vacuous: it finds the calls it forbids and passes over the ones it allows."""
    calls = {
        "workspace.policy()": True,
        "self.workspace.active()": True,
        "workspace(request).policy()": True,
        "workspace_of(ctx).active()": True,
        "request.app.state.workspace.policy()": True,
        "minimal_ws.policy()": True,
        "ctx.policy": False,
        "active.policy": False,
        "old.policy()": False,
        "body.policy()": False,
    }
    for source, forbidden in calls.items():
        node = ast.parse(source, mode="eval").body
        flagged = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("policy", "active")
            and _names_a_workspace(node.func.value)
        )
        assert flagged is forbidden, source
