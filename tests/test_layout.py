"""The package's rooms import one way: tests -> plugin -> contract / targets / reports, and never in a circle.

Read from the source (every ``import``, lazy ones inside functions and annotation-only ones under
``if TYPE_CHECKING:`` included: a room that names its importer's types has two jobs), so a new module
that imports its importer fails here before it confuses anyone.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conformance.paths import PACKAGE_DIR

# Which room may import which. A room not named here (the top-level modules) may import anything below it.
ALLOWED = {
    "contract": {"contract", "paths", "graphs"},
    "reports": {"reports", "contract", "paths", "graphs"},
    "targets": {"targets", "contract", "paths", "graphs"},
    "spectools": {"spectools", "contract", "targets", "paths"},
    "plugin": {"plugin", "contract", "targets", "reports", "paths", "graphs"},
    "properties": {"properties", "plugin", "contract", "targets", "paths", "graphs"},
    "graphs": {"graphs"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        if path.parent.name == "graphs" and path.name == "graphs.py":
            continue  # runs inside the target, imports only langgraph
        name = _module_name(path)
        found: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("conformance"):
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("conformance")}
        graph[name] = found
    return {name: {m for m in deps if m in graph and m != name} for name, deps in graph.items()}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_module_imports_its_importer():
    graph = _imports()
    cycles = set()

    def visit(node: str, path: list[str]) -> None:
        for dep in graph[node]:
            if dep in path:
                cycles.add(" -> ".join([*path[path.index(dep) :], dep]))
            elif len(path) < 12:
                visit(dep, [*path, dep])

    for module in graph:
        visit(module, [module])
    assert not cycles, "import circles:\n" + "\n".join(sorted(cycles))


def test_rooms_import_one_way():
    wrong = []
    for module, deps in sorted(_imports().items()):
        room = _room(module)
        allowed = ALLOWED.get(room)
        if allowed is None:
            continue
        wrong += [
            f"{module} imports {dep}" for dep in sorted(deps) if _room(dep) not in allowed and dep != "conformance"
        ]
    assert not wrong, "imports against the direction tests -> plugin -> contract/targets/reports:\n" + "\n".join(wrong)


def test_the_readme_layout_names_every_module():
    """The README's layout section is the newcomer's map: a module it does not name is a room nobody finds."""
    readme = (PACKAGE_DIR.parent / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    unnamed = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR)
        if path.name == "__init__.py" and relative.parent != Path("graphs"):
            continue
        if relative.parts[0] == "tests":
            continue  # one module per API area, named by the folder's own line
        room = f"conformance/{relative.parent.as_posix()}/" if len(relative.parts) > 1 else None
        if path.name not in layout or (room and room not in layout):
            unnamed.append(relative.as_posix())
    assert not unnamed, "modules the README's layout section does not name: " + ", ".join(unnamed)


def test_every_module_imports():
    """Every module imports on its own: a name moved to another room fails here, not in a gate an hour later."""
    import importlib

    failed = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if (path.parent.name == "graphs" and path.name == "graphs.py") or path.parent.name == "js":
            continue
        name = _module_name(path)
        try:
            importlib.import_module(name)
        except Exception as error:
            failed.append(f"{name}: {type(error).__name__}: {error}")
    assert not failed, "\n".join(failed)
