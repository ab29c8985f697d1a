"""Which conformance tests check which operation, read from the tests' own source.

A test covers "POST /threads/search" when it (or a helper function, fixture or ``Api`` flow method it
calls) passes that operation string to ``contract.validate(...)``. Used by ``conformance spec diff
--coverage`` (which tests to look at when an operation changes) and by the plugin (a test whose checked
operations a target's release does not have is unsupported: conformance/plugin/release.py).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

OPERATION_STRING = re.compile(r"^(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) /\S*$")


def _is_operation(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(OPERATION_STRING.match(node.value))


def _validated_operations(node: ast.AST, constants: dict[str, str]) -> set[str]:
    """Operation strings passed to ``validate(...)`` calls inside ``node`` (literals or module constants)."""
    found = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if name != "validate":
            continue
        for arg in (*call.args, *(k.value for k in call.keywords)):
            if _is_operation(arg):
                found.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                found.add(constants[arg.id])
    return found


def _called(node: ast.AST, modules: set[str]) -> tuple[set[str], set[str]]:
    """(plain function names called, method names called on something that is not an imported module)."""
    functions, methods = set(), set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        if isinstance(call.func, ast.Name):
            functions.add(call.func.id)
        elif isinstance(call.func, ast.Attribute):
            receiver = call.func.value
            if not (isinstance(receiver, ast.Name) and receiver.id in modules):
                methods.add(call.func.attr)
    return functions, methods


def _functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            for inner in node.body:
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.append((f"{node.name}::{inner.name}", inner))
    return found


def _closure(start: str, direct: dict[str, set[str]], edges: dict[str, set[str]]) -> set[str]:
    seen, stack, result = set(), [start], set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        result |= direct.get(name, set())
        stack.extend(edges.get(name, ()))
    return result


def coverage(tests_dir: Path | None = None, flows_path: Path | None = None) -> dict[str, list[str]]:
    """Operation -> the conformance tests that validate a response of it, directly or through a helper.

    A test covers "POST /threads/search" when it (or a helper function, fixture or ``Api`` flow method it
    calls) passes that operation string to ``contract.validate(...)``. Derived from the source so the map
    never goes stale when tests are added.
    """
    from conformance.paths import PACKAGE_DIR

    tests_dir = tests_dir or PACKAGE_DIR / "tests"
    flows_path = flows_path or PACKAGE_DIR / "tests" / "flows.py"
    flow_direct: dict[str, set[str]] = {}
    flow_edges: dict[str, set[str]] = {}
    if flows_path.exists():
        for name, node in _functions(ast.parse(flows_path.read_text(encoding="utf-8"))):
            method = name.rsplit("::", 1)[-1]
            flow_direct[method] = flow_direct.get(method, set()) | _validated_operations(node, {})
            flow_edges[method] = _called(node, set())[1]
    flow_ops = {m: _closure(m, flow_direct, flow_edges) for m in flow_direct}

    modules: dict[str, ast.Module] = {}
    for path in sorted(tests_dir.glob("*.py")):
        try:
            modules[path.name] = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue  # a module being edited: its tests are simply not counted
    shared = dict(_functions(modules["conftest.py"])) if "conftest.py" in modules else {}
    covered: dict[str, set[str]] = {}
    for filename, tree in modules.items():
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and _is_operation(node.value)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        imported = {
            (alias.asname or alias.name).split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        local = {**shared, **dict(_functions(tree))}
        direct: dict[str, set[str]] = {}
        edges: dict[str, set[str]] = {}
        for name, node in local.items():
            functions, methods = _called(node, imported)
            direct[name] = _validated_operations(node, constants)
            for method in methods & set(flow_ops):
                direct[name] |= flow_ops[method]
            fixtures = {a.arg for a in node.args.args}
            edges[name] = (functions | fixtures) & set(local)
        if not filename.startswith("test_"):
            continue
        for name, _node in _functions(tree):
            if not name.rsplit("::", 1)[-1].startswith("test"):
                continue
            for operation in _closure(name, direct, edges):
                covered.setdefault(operation, set()).add(f"{filename}::{name}")
    return {op: sorted(tests) for op, tests in sorted(covered.items())}
