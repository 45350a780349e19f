"""The import graph of src/: no cycles, and no part imports one above it.

Every import counts: at module level, inside functions, under `if TYPE_CHECKING:`, and
`importlib.import_module("...")` with a constant name. `from package import submodule` is an
edge to the submodule (Python runs the package's `__init__` first either way; that is not a
dependency of the importing module on the package's other contents).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import vantageadapt

SRC = Path(vantageadapt.__file__).parent
ROOT = "vantageadapt"

# Lowest first; a part may import only parts in lower layers (DESIGN.md's parts table read as
# "arrows point down the order of use", with the shared modules placed where their imports
# put them). `vantageadapt` is the package's own `__init__`: the public names it re-exports.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "home", "lazy"),
    ("logs", "rules", "outputs"),  # rules: the condition language; models validates rules
    # with it. outputs: checked, atomic output files
    ("models",),
    ("data", "settings", "prompts", "results"),
    ("backtest", "store"),
    ("optimize",),
    ("llm",),
    ("agent",),
    ("report",),
    ("pipeline",),
    ("vantageadapt",),
    ("commands",),
    ("cli",),
]
RANK = {part: rank for rank, layer in enumerate(LAYERS) for part in layer}

# DESIGN.md's "knows nothing of" column, beyond what the layers already forbid.
KNOWS_NOTHING_OF: dict[str, set[str]] = {
    "data": {"llm", "store"},
    "rules": {"llm", "store"},
    "backtest": {"llm", "store", "optimize"},
    "optimize": {"llm", "store"},
    "llm": {"backtest"},
    "prompts": set(RANK) - {"prompts", "errors", "home"},
    "agent": {"store"},
    "store": {"data", "rules", "backtest", "optimize", "llm", "prompts", "agent"},
}

# Imports that break the layering today inside code another issue is rewriting; the lead
# deletes each entry once that issue has landed (test_known_exceptions_are_still_needed says
# when). Each: (importing part, imported part) -> why and who removes it.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


MODULES = _modules()


def _nearest_module(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        return [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names
        ]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "import_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return [node.args[0].value]
    return []


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, (path, is_package) in MODULES.items():
        package = name if is_package else name.rpartition(".")[0]
        graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _targets(node, package):
                module = _nearest_module(target) if target.startswith(ROOT) else None
                if module is not None and module != name:
                    graph[name].add(module)
    return graph


GRAPH = _graph()


def part_of(module: str) -> str:
    """`vantageadapt.agent.godel` -> `agent`; `vantageadapt.models` -> `models`."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else ROOT


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _part_edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module, targets in GRAPH.items():
        for target in targets:
            if part_of(module) != part_of(target):
                edges[part_of(module), part_of(target)].append(f"{module} -> {target}")
    return edges


PART_EDGES = _part_edges()


def test_the_walker_sees_every_kind_of_import():
    """Guards the walker itself: a function-level, a TYPE_CHECKING and a module-level import."""
    assert "vantageadapt.report" in GRAPH["vantageadapt.pipeline.finish"]  # inside a function
    assert "vantageadapt.agent.godel" in GRAPH["vantageadapt.agent"]  # module level
    assert "vantageadapt.agent.strategic_trader" in GRAPH["vantageadapt.agent"]  # lazy export
    assert "vantageadapt.models" in GRAPH["vantageadapt.agent.contracts"]  # import_module("...")
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_cycles():
    assert _cycles(GRAPH) == []


def test_no_part_cycles_beyond_the_known_exceptions():
    parts: dict[str, set[str]] = defaultdict(set)
    for a, b in PART_EDGES:
        if (a, b) not in KNOWN_UPWARD:
            parts[a].add(b)
    assert _cycles(parts) == []


def test_every_part_has_a_layer():
    assert {part_of(m) for m in MODULES} - set(RANK) == set()


def test_no_part_imports_one_above_it():
    upward = {
        f"{a} (layer {RANK[a]}) imports {b} (layer {RANK[b]}): " + "; ".join(via)
        for (a, b), via in PART_EDGES.items()
        if RANK[b] >= RANK[a] and (a, b) not in KNOWN_UPWARD
    }
    assert sorted(upward) == []


@pytest.mark.parametrize("part", sorted(KNOWS_NOTHING_OF))
def test_parts_know_nothing_of_what_design_md_says(part):
    known = {b: via for (a, b), via in PART_EDGES.items() if a == part}
    assert {b: known[b] for b in KNOWS_NOTHING_OF[part] & set(known)} == {}


def test_numeric_cores_never_import_llm_db_or_cli_layers():
    cores = {"data", "rules", "backtest", "optimize"}
    above = {"llm", "store", "pipeline", "cli", "commands", "report", "agent", "prompts"}
    assert [(a, b) for (a, b) in PART_EDGES if a in cores and b in above] == []


def test_known_exceptions_are_still_needed():
    """When the owning issue removes an edge, delete its KNOWN_UPWARD entry."""
    assert [edge for edge in KNOWN_UPWARD if edge not in PART_EDGES] == []
