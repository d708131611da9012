"""YAML read into plain data within bounds, with the line and column of every node.

``yaml.safe_load`` recurses once per nesting level and expands every alias where it is used: a few hundred
bytes of nested brackets end in a ``RecursionError``, and ten nested aliases of ten items each (a "billion
laughs") build a thousand million objects. Every file scalegate reads as YAML goes through ``load_yaml``
instead: the document is composed into nodes, then built into plain data that stops at ``MAX_DEPTH`` levels
and ``MAX_NODES`` nodes, rejects duplicate mapping keys (PyYAML keeps the last one silently, which could
quietly weaken a policy or a setting) and bounds its integers like every other input.
"""

from __future__ import annotations

from typing import Any

import yaml

from scalegate.inputs import MAX_DEPTH, check_int

__all__ = ["MAX_NODES", "Loc", "Located", "YamlDataError", "load_yaml"]

Loc = tuple[str | int, ...]
"""A path into the data: mapping keys and sequence indexes."""

MAX_NODES = 200_000
"""Most YAML nodes a document may expand to (the built-in policies have a few thousand). An alias is
expanded where it is used, so counting every node built stops a "billion laughs" at once."""


class YamlDataError(Exception):
    """What is wrong with a YAML document, at a 1-based line and column (``None``: no position known)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column

    @classmethod
    def at(cls, message: str, node: yaml.Node) -> YamlDataError:
        return cls(message, node.start_mark.line + 1, node.start_mark.column + 1)


class Located:
    """Plain data built from YAML nodes, with the (line, column) of every path (1-based)."""

    def __init__(self) -> None:
        self.marks: dict[Loc, tuple[int, int]] = {}
        self.nodes = 0

    def build(self, node: yaml.Node, loc: Loc = ()) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlDataError.at(
                f"the document expands to more than {MAX_NODES:,} YAML nodes (aliases?)", node
            )
        if len(loc) > MAX_DEPTH:
            raise YamlDataError.at(f"YAML nested deeper than {MAX_DEPTH} levels", node)
        self.marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._scalar(key_node)
                if not isinstance(key, str):
                    raise YamlDataError.at(f"mapping key {key!r} must be a string", key_node)
                if key in out:
                    raise YamlDataError.at(f"duplicate key {key!r}", key_node)
                out[key] = self.build(value_node, (*loc, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, n)) for n, item in enumerate(node.value)]
        return self._scalar(node)

    @staticmethod
    def _scalar(node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise YamlDataError.at("expected a scalar", node)
        try:
            value = _CONSTRUCTOR.construct_object(node, deep=True)
            return (
                check_int(value, "integer")
                if isinstance(value, int) and not isinstance(value, bool)
                else value
            )
        except (ValueError, OverflowError) as exc:  # 2025-02-30; an integer of 5,000 digits or of 2^63
            raise YamlDataError.at(f"{node.value[:40]!r}: {str(exc).splitlines()[0]}", node) from None


_CONSTRUCTOR = yaml.SafeLoader("")


def load_yaml(text: str, located: Located | None = None) -> Any:
    """The plain data of one YAML document (``None`` when it is empty), built into ``located`` when given
    (for its marks); raises ``YamlDataError`` on bad syntax, too deep a nesting or too many nodes."""
    located = located if located is not None else Located()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        return None if node is None else located.build(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = f"YAML syntax: {exc.problem or exc.context}"
        raise YamlDataError(problem, *((mark.line + 1, mark.column + 1) if mark else ())) from None
    except yaml.YAMLError as exc:
        raise YamlDataError(f"YAML: {exc}") from None
    except RecursionError:  # the composer recurses once per level, before ``build`` can count them
        raise YamlDataError(f"YAML nested deeper than {MAX_DEPTH} levels") from None
