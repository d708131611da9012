"""Load policy files from YAML with file:line:column in every error.

PyYAML's composer gives every node a start mark; ``scalegate.yaml_data`` builds plain Python data within
bounds while remembering the mark of every path (and rejects duplicate mapping keys, which PyYAML would
silently keep the last of, quietly weakening a policy); we validate with pydantic and translate each
error's location back to the line it came from.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scalegate.errors import PolicyError
from scalegate.inputs import BoundsError, read_text
from scalegate.policy.schema import SCHEMA_VERSION, Policy
from scalegate.yaml_data import Loc, Located, YamlDataError, load_yaml

__all__ = ["content_hash", "load_policy", "load_policy_text"]

_ID_KEYS = ("id", "decision", "action")


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
    located = Located()
    try:
        data = load_yaml(text, located)
    except YamlDataError as exc:
        where = f"{name}:{exc.line}:{exc.column}" if exc.line is not None else name
        raise PolicyError(str(exc), where=where) from exc
    if data is None:
        raise PolicyError("policy file is empty", where=f"{name}:1:1")
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


def _translate(exc: ValidationError, data: dict[str, Any], located: Located, name: str) -> PolicyError:
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
