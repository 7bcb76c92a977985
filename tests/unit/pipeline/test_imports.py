"""hub/pipeline imports in one direction: no module imports one that, in turn, imports it."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
PIPELINE = ROOT / "hub" / "pipeline"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(node: ast.AST):
    """The import statements at any depth (functions included), except `if TYPE_CHECKING:`."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    for child in ast.iter_child_nodes(node):
        if not (isinstance(child, ast.If) and ast.unparse(child.test).endswith("TYPE_CHECKING")):
            yield from runtime_imports(child)


def imported_names(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Every dotted name the statement may import (`from .a import b`: a, and a.b if a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = module.split(".") if is_package else module.split(".")[:-1]
    anchor = package[:len(package) - node.level + 1] if node.level else []
    base = ".".join(anchor + ([node.module] if node.module else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def with_parents(name: str) -> list[str]:
    """Importing a.b.c runs the packages a and a.b first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def import_graph() -> dict[str, set[str]]:
    """{module of hub.pipeline: the modules of hub.pipeline it imports}."""
    paths = {module_name(path): path for path in sorted(PIPELINE.rglob("*.py"))}
    graph = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [name for node in runtime_imports(tree)
                 for name in imported_names(node, module, path.name == "__init__.py")]
        graph[module] = {n for name in names for n in with_parents(name)} & set(paths) - {module}
    return graph


def test_the_pipeline_has_no_import_cycle():
    try:
        TopologicalSorter(import_graph()).prepare()
    except CycleError as exc:
        cycle = reversed(exc.args[1])  # graphlib lists each module before its importer
        pytest.fail("import cycle in hub/pipeline: " + " -> ".join(cycle))


def test_the_registry_imports_the_plugins_and_no_plugin_imports_it():
    graph = import_graph()
    assert {"hub.pipeline.connectors.files", "hub.pipeline.processors.anonymise",
            "hub.pipeline.interfaces"} <= graph["hub.pipeline.registry"]
    plugins = [m for m in graph
               if m.startswith(("hub.pipeline.connectors", "hub.pipeline.processors"))]
    assert plugins and not [m for m in plugins if "hub.pipeline.registry" in graph[m]]
