"""Print the shape of scalegate's import graph: the numbers the layering test holds steady.

Reports, for ``src/scalegate`` (Alembic migrations excluded: they are generated, and loaded by Alembic rather
than imported):

- the number of modules;
- import cycles between modules and between top-level packages, counting imports made inside functions (they
  run too, only later) but not those under ``if TYPE_CHECKING:`` (they never run);
- upward imports against the layer order declared in ``tests/test_architecture.py``;
- import statements inside functions that import scalegate modules (each one hides an arrow from a reader of
  the module's top; outside ``scalegate.cli`` each says, in a ``# deferred:`` comment, what start-up cost
  it defers);
- functions annotated to return ``dict[str, Any]``, alone or inside another type (``list[dict[str, Any]]``,
  ``dict[str, Any] | None``, a tuple holding one), and ``to_dict`` methods (untyped values crossing layers).

The test imports :func:`build_graph` and friends from here, so that the script and the test cannot disagree.

Usage: ``python scripts/import_graph.py [SRC_DIR] [-v]`` (``-v`` lists every finding).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "scalegate"
TOP = "scalegate"
EXCLUDED_DIRS = ("store/migrations",)


@dataclass(frozen=True)
class Edge:
    """One import statement's arrow from a module to a scalegate module."""

    source: str
    target: str
    line: int
    in_function: bool
    implicit: bool = False
    """An arrow to a package the import runs first: ``import a.b.c`` runs ``a/b/__init__.py`` before ``c``."""


@dataclass
class Graph:
    """All scalegate modules and the arrows between them, with the counts the report prints."""

    modules: dict[str, Path] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    function_import_statements: list[tuple[str, int]] = field(default_factory=list)
    dict_any_returns: list[tuple[str, str]] = field(default_factory=list)
    to_dict_methods: list[tuple[str, str]] = field(default_factory=list)


def module_name(path: Path, src: Path) -> str:
    """Dotted module name of a file under ``src`` (``src`` itself is the ``scalegate`` package)."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([TOP, *parts])


def package_of(module: str) -> str:
    """Top-level package (or ground module) a module belongs to: ``scalegate.web.api.x`` -> ``web``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else TOP


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node with whether it sits in a function; ``if TYPE_CHECKING:`` bodies are skipped."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.orelse:
                yield sub, in_function
                yield from _walk(sub, in_function)
            continue
        inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield child, in_function
        yield from _walk(child, inner)


def _targets(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: Mapping[str, Path]
) -> list[str]:
    """The scalegate modules an import statement loads (``from pkg import mod`` names the submodule)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join([*base, node.module] if node.module else base)
        else:
            prefix = node.module or ""
        names = []
        for alias in node.names:
            candidate = f"{prefix}.{alias.name}"
            names.append(candidate if candidate in known else prefix)
    found = []
    for name in names:
        if name != TOP and not name.startswith(TOP + "."):
            continue
        while name not in known and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in known and name not in found:
            found.append(name)
    return found


def _parents(module: str) -> list[str]:
    """The packages Python initialises before ``module``: ``a.b.c`` -> ``a``, ``a.b``.

    A module's own ancestors are left out by the caller: they are initialised (or initialising) before it
    runs, so an arrow to one of them cannot start a circle at run time.
    """
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def build_graph(src: Path = SRC) -> Graph:
    """Parse every module under ``src`` and collect its scalegate imports and value-shape counts."""
    graph = Graph()
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if any(rel.startswith(d + "/") for d in EXCLUDED_DIRS):
            continue
        graph.modules[module_name(path, src)] = path
    for module, path in graph.modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node, in_function in _walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets = _targets(node, module, is_package, graph.modules)
                if targets and in_function:
                    graph.function_import_statements.append((module, node.lineno))
                for target in targets:
                    if target != module:
                        graph.edges.append(Edge(module, target, node.lineno, in_function))
                    for parent in _parents(target):
                        own = parent == module or module.startswith(parent + ".")
                        if parent in graph.modules and not own:
                            graph.edges.append(Edge(module, parent, node.lineno, in_function, implicit=True))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node.returns is not None
                and "dict[str,Any]" in ast.unparse(node.returns).replace(" ", "")
            ):
                graph.dict_any_returns.append((module, node.name))
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "to_dict":
                        graph.to_dict_methods.append((module, node.name))
    return graph


DEFERRED = "# deferred:"
"""How the comment that justifies an import made inside a function begins: what start-up cost it defers."""


def deferral_note(path: Path, line: int) -> str | None:
    """The comment block just above the import statement at ``line`` (other import statements and blank lines
    between them skipped), if it begins ``# deferred:``; else None."""
    source = path.read_text(encoding="utf-8").splitlines()
    covered: set[int] = set()
    for node in ast.walk(ast.parse("\n".join(source))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            covered.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    i = line - 1
    while i > 0 and (i in covered or not source[i - 1].strip()):
        i -= 1
    block: list[str] = []
    while i > 0 and source[i - 1].lstrip().startswith("#"):
        block.insert(0, source[i - 1].strip())
        i -= 1
    return " ".join(block) if block and block[0].startswith(DEFERRED) else None


def strongly_connected(nodes: Iterable[str], arrows: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of nodes that can reach each other (only groups of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(arrows.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(arrows.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return sorted(groups)


def module_cycles(graph: Graph) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a circle."""
    arrows: dict[str, set[str]] = {}
    for edge in graph.edges:
        arrows.setdefault(edge.source, set()).add(edge.target)
    return strongly_connected(graph.modules, arrows)


def package_arrows(graph: Graph) -> dict[str, set[str]]:
    """Arrows between top-level packages (and ground modules), from every module-to-module arrow."""
    arrows: dict[str, set[str]] = {}
    for edge in graph.edges:
        source, target = package_of(edge.source), package_of(edge.target)
        if source != target:
            arrows.setdefault(source, set()).add(target)
    return arrows


def package_cycles(graph: Graph) -> list[list[str]]:
    """Groups of top-level packages that import each other."""
    arrows = package_arrows(graph)
    return strongly_connected({package_of(m) for m in graph.modules}, arrows)


def upward_imports(graph: Graph, layers: Sequence[tuple[str, ...]]) -> list[Edge]:
    """Arrows from a package to one on a higher layer (a package not in ``layers`` is an error).

    The implicit arrow to the target's package is left out: it climbs exactly when the explicit one does.
    """
    rank = {package: i for i, layer in enumerate(layers) for package in layer}
    missing = sorted({package_of(m) for m in graph.modules} - rank.keys())
    if missing:
        raise ValueError(f"packages missing from the layer order: {missing}")
    return [
        e for e in graph.edges if not e.implicit and rank[package_of(e.target)] > rank[package_of(e.source)]
    ]


def _layers() -> list[tuple[str, ...]]:
    """The layer order, read from the architecture test so that it is declared once."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from test_architecture import LAYERS  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    return [layer for layer, _why in LAYERS]


def main(argv: Sequence[str]) -> int:
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    src = Path(args[0]).resolve() if args else SRC
    graph = build_graph(src)
    cycles = module_cycles(graph)
    pcycles = package_cycles(graph)
    try:
        upward: list[Edge] | None = upward_imports(graph, _layers())
    except (ImportError, ValueError) as exc:
        print(f"(upward imports not counted: {exc})")
        upward = None
    print(f"modules                                   {len(graph.modules)}")
    print(f"module import cycles                      {len(cycles)}")
    for group in cycles:
        print(f"    {' <-> '.join(group)}")
    print(f"package import cycles                     {len(pcycles)}")
    for group in pcycles:
        print(f"    {' <-> '.join(group)}")
    if upward is not None:
        print(f"upward imports                            {len(upward)}")
        for e in upward:
            print(f"    {e.source}:{e.line} -> {e.target}")
    print(f"function-level imports of scalegate       {len(graph.function_import_statements)}")
    if verbose:
        for module, line in graph.function_import_statements:
            note = deferral_note(graph.modules[module], line) or ""
            print(f"    {module}:{line}  {note[len(DEFERRED) :].strip()[:60]}")
    print(f"functions returning dict[str, Any]        {len(graph.dict_any_returns)}  (alone or inside a type)")
    print(f"to_dict methods                           {len(graph.to_dict_methods)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
