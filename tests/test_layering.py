"""The library's rooms import downwards only, no module imports itself in a circle,
and streamlit stays in the app (only capture_app.py and warehouse/ui/ import it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "warehouse" / "ui"
IMPORTS_STREAMLIT = re.compile(r"^\s*(?:import streamlit|from streamlit\b)", re.MULTILINE)

# A room may import rooms on a lower layer and itself, never a room on its own layer or higher.
LAYERS = {
    "schemas": 0,
    "anonymise": 1,
    "store": 2,
    "export": 3,
    "safety": 3,
    "linkage": 3,
    "review": 3,
    "capture": 4,
    "exchange": 4,
    "demo": 4,
    "reporting": 4,
    "ui": 5,
    "cli": 5,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "warehouse" and len(parts) > 1 else parts[0]


def library_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in ("schemas", "anonymise", "warehouse")
        for path in (ROOT / package).rglob("*.py")
    }


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (never run, so never a circle)."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Library modules a file imports, at any depth (a lazy import inside a function counts)."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name.count(".") >= (1 if name.startswith("warehouse") else 0):
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = library_modules()
    known = set(modules)
    graph = {name: imports_of(path, known) - {name} for name, path in modules.items()}
    # A package's __init__ is not an edge: importing warehouse.store.db runs warehouse/__init__.
    return {
        m: {d for d in deps if d not in ("warehouse", "schemas", "anonymise")}
        for m, deps in graph.items()
    }


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    """Edges from a room to a room on its own layer or a higher one."""
    bad = []
    for module, deps in graph.items():
        for dep in deps:
            here, there = room(module), room(dep)
            if here != there and LAYERS[there] >= LAYERS[here]:
                bad.append(f"{module} ({here}, layer {LAYERS[here]}) imports {dep} ({there})")
    return sorted(bad)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in graph.get(node, ()):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_room_is_a_known_layer() -> None:
    rooms = {p.name for p in (ROOT / "warehouse").iterdir() if (p / "__init__.py").exists()}
    assert rooms <= set(LAYERS)


def test_warehouse_has_no_module_at_its_top_level() -> None:
    assert [p.name for p in (ROOT / "warehouse").glob("*.py")] == ["__init__.py"]


def test_rooms_import_downwards_only() -> None:
    assert layering_violations(import_graph()) == []


def test_no_import_circle() -> None:
    assert circles(import_graph()) == []


def test_the_checks_catch_an_upward_import_and_a_circle() -> None:
    graph = {
        "warehouse.store.db": {"warehouse.capture.case_entry"},
        "warehouse.capture.case_entry": {"warehouse.store.db"},
        "warehouse.export.pooled": {"warehouse.safety.cohort"},
    }
    assert layering_violations(graph) == [
        "warehouse.export.pooled (export, layer 3) imports warehouse.safety.cohort (safety)",
        "warehouse.store.db (store, layer 2) imports warehouse.capture.case_entry (capture)",
    ]
    assert circles(graph) == [["warehouse.capture.case_entry", "warehouse.store.db"]]


def test_library_packages_never_import_streamlit() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("schemas", "anonymise", "warehouse")
        for path in (ROOT / package).rglob("*.py")
        if UI not in path.parents and IMPORTS_STREAMLIT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_page_script_is_registered_in_the_navigation() -> None:
    from warehouse.ui.navigation import PAGES

    registered = {page.script for page in PAGES}
    on_disk = {path.name for path in (UI / "pages").glob("*.py") if path.name != "__init__.py"}
    assert on_disk == registered
