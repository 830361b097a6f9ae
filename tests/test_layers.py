"""The house's layers: no import runs from a lower layer to a higher one, no module imports
another's private names, and the modules imported on load form no cycle.

Layers, lowest first (a module may import its own layer and the ones below):

0. errors, models, redaction, formatting, links, version -- stdlib only;
1. capture, query, series, compare -- pure logic over runs;
2. store -- where runs are kept;
3. pin, scratch, verdict, execution, tracking -- what a run pins, how it is prepared,
   judged, executed, recorded;
4. reproduce, sweep, jobs, drift, registry, interop, determinism (the lifecycle features) --
   work built on the above;
5. kernel, session, magics, summary, server, cli, the package itself -- the faces.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mlops_jupyter"

LAYERS: dict[str, int] = {
    "errors": 0,
    "models": 0,
    "redaction": 0,
    "formatting": 0,
    "links": 0,
    "version": 0,
    "_version": 0,
    "capture": 1,
    "query": 1,
    "series": 1,
    "compare": 1,
    "store": 2,
    "pin": 3,
    "scratch": 3,
    "verdict": 3,
    "execution": 3,
    "tracking": 3,
    "reproduce": 4,
    "sweep": 4,
    "jobs": 4,
    "drift": 4,
    "registry": 4,
    "triggers": 4,
    "interop": 4,
    "determinism": 4,
    "kernel": 5,
    "session": 5,
    "magics": 5,
    "summary": 5,
    "server": 5,
    "cli": 5,
    "": 5,  # mlops_jupyter/__init__.py
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("labextension",) or "migrations" in relative.parts:
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(["mlops_jupyter", *parts])] = path
    return found


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    assert top in LAYERS, f"{module} is in no layer: add it to LAYERS (and the README)"
    return LAYERS[top]


def _imports(module: str, path: Path) -> list[tuple[str, list[str], bool]]:
    """(imported module, names, at module level) for each import of ours in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    top_level = {id(node) for node in tree.body}
    found: list[tuple[str, list[str], bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("mlops_jupyter"):
                names = [alias.name for alias in node.names]
                # `from . import x` imports the submodule x when there is one.
                submodules = [
                    n
                    for n in names
                    if (PACKAGE.parent / f"{target}.{n}".replace(".", "/"))
                    .with_suffix(".py")
                    .exists()
                    or (PACKAGE.parent / f"{target}.{n}".replace(".", "/")).is_dir()
                ]
                for name in submodules:
                    found.append((f"{target}.{name}", [], id(node) in top_level))
                others = [n for n in names if n not in submodules]
                if others or not submodules:
                    found.append((target, others, id(node) in top_level))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mlops_jupyter"):
                    found.append((alias.name, [], id(node) in top_level))
    return found


def test_no_import_runs_up_a_layer() -> None:
    upward = []
    for module, path in _modules().items():
        for target, _names, _top in _imports(module, path):
            if _layer(target) > _layer(module):
                upward.append(f"{module} (layer {_layer(module)}) imports {target}")
    assert upward == []


def test_no_module_imports_private_names_of_another() -> None:
    private = []
    modules = _modules()
    for module, path in modules.items():
        for target, names, _top in _imports(module, path):
            for name in names:
                if name.startswith("_") and not name.startswith("__") and name != "_version":
                    if f"{target}.{name}" not in modules:  # a private submodule is fine
                        private.append(f"{module} imports {target}.{name}")
    assert private == []


def test_module_level_imports_form_no_cycle() -> None:
    modules = _modules()
    graph = {
        module: {t for t, _names, top in _imports(module, path) if top and t in modules}
        for module, path in modules.items()
    }
    # A package importing its own submodules is how packages work, not a cycle.
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not t.startswith(module + ".")}
    visiting: list[str] = []
    done: set[str] = set()
    cycles: list[str] = []

    def visit(node: str) -> None:
        if node in done:
            return
        if node in visiting:
            cycles.append(" -> ".join([*visiting[visiting.index(node) :], node]))
            return
        visiting.append(node)
        for target in sorted(graph.get(node, ())):
            visit(target)
        visiting.pop()
        done.add(node)

    for module in sorted(graph):
        visit(module)
    assert cycles == []
