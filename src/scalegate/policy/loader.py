"""Load policy files from YAML with file:line:column in every error.

PyYAML's composer gives every node a start mark; we build plain Python data while remembering the mark of
every path, then validate with pydantic and translate each error's location back to the line it came from.
Duplicate mapping keys are rejected (PyYAML would silently keep the last one, which could quietly weaken a
policy).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scalegate.errors import PolicyError
from scalegate.inputs import MAX_DEPTH, BoundsError, check_int, read_text
from scalegate.policy.schema import SCHEMA_VERSION, Policy

__all__ = ["content_hash", "load_policy", "load_policy_text"]

Loc = tuple[str | int, ...]

_ID_KEYS = ("id", "decision", "action")


MAX_NODES = 200_000
"""Most YAML nodes a policy may expand to (the built-in policies have a few thousand). An alias is expanded
where it is used, so ten nested aliases of ten items each (a "billion laughs" of a few hundred bytes) would
build a thousand million nodes: counting every node built stops it at once."""


class _Located:
    """Plain data built from YAML nodes, with the (line, column) of every path (1-based)."""

    def __init__(self) -> None:
        self.marks: dict[Loc, tuple[int, int]] = {}
        self.nodes = 0

    def build(self, node: yaml.Node, loc: Loc = ()) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _LocatedError(f"the policy expands to more than {MAX_NODES:,} YAML nodes (aliases?)", node)
        if len(loc) > MAX_DEPTH:
            raise _LocatedError(f"YAML nested deeper than {MAX_DEPTH} levels", node)
        self.marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._scalar(key_node)
                if not isinstance(key, str):
                    raise _LocatedError(f"mapping key {key!r} must be a string", key_node)
                if key in out:
                    raise _LocatedError(f"duplicate key {key!r}", key_node)
                out[key] = self.build(value_node, (*loc, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, n)) for n, item in enumerate(node.value)]
        return self._scalar(node)

    @staticmethod
    def _scalar(node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise _LocatedError("expected a scalar", node)
        try:
            value = _CONSTRUCTOR.construct_object(node, deep=True)
            return (
                check_int(value, "integer")
                if isinstance(value, int) and not isinstance(value, bool)
                else value
            )
        except (ValueError, OverflowError) as exc:  # 2025-02-30; an integer of 5,000 digits or of 2^63
            raise _LocatedError(f"{node.value[:40]!r}: {str(exc).splitlines()[0]}", node) from None


_CONSTRUCTOR = yaml.SafeLoader("")


class _LocatedError(Exception):
    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1
        self.column = node.start_mark.column + 1


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raises ``PolicyError`` with file:line:column on any problem."""
    path = Path(path)
    try:
        text = read_text(path)
    except (OSError, BoundsError) as exc:
        raise PolicyError(f"cannot read policy file: {exc}", where=str(path)) from exc
    return load_policy_text(text, str(path))


def load_policy_text(text: str, name: str = "<policy>") -> Policy:
    """Validate policy YAML given as text; ``name`` is used in error locations."""
    located = _Located()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            raise PolicyError("policy file is empty", where=f"{name}:1:1")
        data = located.build(node)
    except _LocatedError as exc:
        raise PolicyError(str(exc), where=f"{name}:{exc.line}:{exc.column}") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise PolicyError(f"YAML syntax: {exc.problem or exc.context}", where=where) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"YAML: {exc}", where=name) from exc
    except RecursionError as exc:
        raise PolicyError("YAML nesting too deep", where=name) from exc
    if not isinstance(data, dict):
        raise PolicyError("policy file must be a mapping at the top level", where=f"{name}:1:1")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        line, col = located.marks.get(("schema_version",), (1, 1))
        raise PolicyError(
            f"schema_version: expected {SCHEMA_VERSION}, got {version!r}", where=f"{name}:{line}:{col}"
        )
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc, data, located, name) from exc


def _translate(exc: ValidationError, data: dict[str, Any], located: _Located, name: str) -> PolicyError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc: Loc = tuple(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if not loc:
        # Semantic checks report "path[id].field: message"; find that path in the data.
        loc = _loc_from_message(message, data)
    line, col = _nearest_mark(loc, located.marks)
    field = _dotted(loc, data)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    text = f"{field}: {message}" if field and not message.startswith(field) else message
    return PolicyError(f"{text}{more}".replace("\n", " "), where=f"{name}:{line}:{col}")


def _nearest_mark(loc: Loc, marks: dict[Loc, tuple[int, int]]) -> tuple[int, int]:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in marks:
            return marks[loc[:cut]]
    return (1, 1)


def _dotted(loc: Loc, data: Any) -> str:
    """Render a location as `thresholds[CBRN-3].indicators[0].alert`, naming list items by their id."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label: str | int = part
            if isinstance(node, list) and 0 <= part < len(node) and isinstance(node[part], dict):
                label = next((node[part][k] for k in _ID_KEYS if isinstance(node[part].get(k), str)), part)
            out += f"[{label}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


_SEGMENT = re.compile(r"([A-Za-z_]+)((?:\[[^\]]+\])*)")


def _loc_from_message(message: str, data: dict[str, Any]) -> Loc:
    head = message.split(":", 1)[0].split(";")[0].strip()
    loc: list[str | int] = []
    node: Any = data
    for segment in head.split("."):
        match = _SEGMENT.fullmatch(segment.strip())
        if not match or not isinstance(node, dict) or match.group(1) not in node:
            break
        loc.append(match.group(1))
        node = node[match.group(1)]
        for ref in re.findall(r"\[([^\]]+)\]", match.group(2)):
            index = _find_index(node, ref)
            if index is None:
                return tuple(loc)
            loc.append(index)
            node = node[index]
    return tuple(loc)


def _find_index(node: Any, ref: str) -> int | None:
    if not isinstance(node, list):
        return None
    if ref.isdigit() and int(ref) < len(node):
        return int(ref)
    for n, item in enumerate(node):
        if isinstance(item, dict) and any(item.get(k) == ref for k in _ID_KEYS):
            return n
    return None


def content_hash(policy: Policy) -> str:
    """SHA-256 of the normalised policy (canonical JSON): the identity of a policy version.

    Formatting and comments of the YAML do not change it; any change of meaning does.
    """
    canonical = json.dumps(
        policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
