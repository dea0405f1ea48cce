"""The package's structure: no import cycles, and the engine knows no measure."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "analysis"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> package modules it imports, at the top or inside a function (both make a cycle)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "analysis":
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    graph[name].add(target if target in modules else node.module)
            elif isinstance(node, ast.Import):
                graph[name].update(alias.name for alias in node.names if alias.name in modules)
    return {name: {t for t in targets if t in modules and t != name} for name, targets in graph.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first = last), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_find_cycle_finds_a_planted_cycle_and_none_in_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 30 and graph["analysis.cli"]  # the walk saw the package
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_engine_and_the_cluster_import_no_measure():
    graph = import_graph()
    assert graph["analysis.cluster"] == set()
    measures = {name for name in graph if name.startswith("analysis.measures")} | {
        "analysis.provenance",
        "analysis.reuse",
        "analysis.passages",
        "analysis.omission",
        "analysis.evaluation",
        "analysis.coding",
        "analysis.events",
        "analysis.lexicons",
        "analysis.quotes",
    }
    assert not graph["analysis.engine"] & measures


def test_the_measures_package_exports_its_entry_points_without_hiding_a_submodule():
    import importlib

    import analysis.measures as measures

    for name in ("measure_loaded", "measure_tone", "measure_top_terms", "measure_keyness"):
        assert callable(getattr(measures, name))
    for module in ("keyness", "loaded", "sources", "tfidf", "tone"):
        assert getattr(measures, module) is importlib.import_module(f"analysis.measures.{module}")
