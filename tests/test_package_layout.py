"""The Python package's shape: `import ncasr` stays light, modules import without cycles,
test helpers stay out of the wheel."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "ncasr"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(tree: ast.Module):
    """Import statements run at import time: module level, including under if/try, but not
    inside functions or classes (those run later, so they cannot close a cycle)."""
    todo: List[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []):
                    todo.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])


def _all_imports(tree: ast.Module):
    """Every import statement, inside functions too."""
    return (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))


def import_graph(deferred: bool = False) -> Dict[str, Set[str]]:
    """module -> the package modules it imports at import time (with ``deferred``, also
    those imported inside its functions)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: Dict[str, Set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _all_imports(tree) if deferred else _top_level_imports(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # `from pkg import sub` imports the submodule; `from mod import name` the module
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            # a package's own __init__ is already running when its modules import it
            graph[name].update(t for t in targets if t in files and t != name and not name.startswith(t + "."))
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One import cycle as a list of modules, or [] when the graph has none."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(node: str) -> List[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_import_graph_sees_the_package():
    graph = import_graph()
    assert "ncasr.metrics" in graph["ncasr.quantization.sensitivity"]
    assert "ncasr.quantization.conversion" in graph["ncasr.quantization.sensitivity"]
    assert "ncasr.data" in graph["ncasr.bench"]
    assert "ncasr.bench" not in graph["ncasr"]


def test_no_import_cycle_among_package_modules():
    cycle = find_cycle(import_graph())
    assert not cycle, "import cycle at import time: " + " -> ".join(cycle)


def test_no_import_cycle_even_through_imports_inside_functions():
    # Deferring an import into a function hides a cycle from Python, not from the reader.
    cycle = find_cycle(import_graph(deferred=True))
    assert not cycle, "import cycle through a function-level import: " + " -> ".join(cycle)


def _run(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_import_ncasr_does_not_import_the_benchmark_package():
    _run("import ncasr, sys; assert 'ncasr.bench' not in sys.modules")
    # quantization uses ncasr.metrics and ncasr.data, never the benchmark package
    _run(
        "import sys, ncasr.quantization.calibration, ncasr.quantization.conversion, "
        "ncasr.quantization.sensitivity, ncasr.quantization.pipeline, ncasr.data, "
        "ncasr.metrics, ncasr.cli; bench = sorted(m for m in sys.modules if "
        "m.startswith('ncasr.bench')); assert not bench, bench"
    )


def test_every_module_imports_on_its_own():
    # Each in a fresh interpreter: a module that only imports after another one would pass
    # in a shared process.
    for name in sorted(import_graph()):
        if not name.endswith("__main__"):  # runs the CLI
            _run(f"import {name}")


def test_test_helpers_and_moved_modules_are_gone_from_the_package():
    # layer_nets is in tests/helpers; the others became ncasr.metrics and ncasr.data
    for gone in ("layer_nets.py", "audio_sources.py", "bench/wer.py", "bench/manifest.py"):
        assert not (PACKAGE / gone).exists(), gone
