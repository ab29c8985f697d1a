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


def _strings(node: ast.AST, constants: dict[str, str]) -> set[str]:
    """The strings an expression can be: a literal, a module constant, ``a + b`` and ``a if c else b`` of
    those (an operation string put together, as in ``"GET /x" + ("/y" if deep else "")``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and node.id in constants:
        return {constants[node.id]}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) | _strings(node.orelse, constants)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return {a + b for a in _strings(node.left, constants) for b in _strings(node.right, constants)}
    return set()


def _validated_operations(node: ast.AST, constants: dict[str, str]) -> set[str]:
    """Operation strings passed to ``validate(...)`` calls inside ``node``: literals, module constants and
    strings put together from them. A call whose operation is a variable (``validate(exchange, operation)``)
    validates whichever operation the function chose: every operation string the function holds counts."""
    found, chosen = set(), False
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if name != "validate":
            continue
        operations = set()
        for arg in (*call.args, *(k.value for k in call.keywords)):
            operations |= {s for s in _strings(arg, constants) if OPERATION_STRING.match(s)}
        found |= operations
        chosen = chosen or (not operations and any(isinstance(a, ast.Name) for a in call.args[1:2]))
    if chosen:
        parts = {id(part) for expr in ast.walk(node) if isinstance(expr, ast.BinOp) for part in (expr.left, expr.right)}
        for expr in ast.walk(node):
            if isinstance(expr, ast.Constant | ast.BinOp | ast.IfExp) and id(expr) not in parts:
                found |= {s for s in _strings(expr, constants) if OPERATION_STRING.match(s)}
    return found


def _called(node: ast.AST, modules: set[str]) -> tuple[set[str], set[str], set[str]]:
    """(plain function names called, method names called on the user-level ``api`` (``api.x()``,
    ``self.api.x()``), method names called on anything else that is not an imported module)."""
    functions, on_api, methods = set(), set(), set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        if isinstance(call.func, ast.Name):
            functions.add(call.func.id)
        elif isinstance(call.func, ast.Attribute):
            receiver = call.func.value
            if isinstance(receiver, ast.Name) and receiver.id in modules:
                continue
            named = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", None)
            (on_api if named == "api" else methods).add(call.func.attr)
    return functions, on_api, methods


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
            called = _called(node, set())
            flow_edges[method] = called[1] | called[2]
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
        # A name the module binds at its top (a compiled pattern, a table) is no Api object either.
        bound = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        local = {**shared, **dict(_functions(tree))}
        # A method called on something other than ``api`` is the module's own helper class's when one of its
        # classes has it (``crons.search`` is Crons.search, not the thread search of the Api flows).
        own: dict[str, set[str]] = {}
        for qualified in local:
            if "::" in qualified:
                own.setdefault(qualified.rsplit("::", 1)[1], set()).add(qualified)
        direct: dict[str, set[str]] = {}
        edges: dict[str, set[str]] = {}
        for name, node in local.items():
            functions, on_api, methods = _called(node, imported | bound)
            direct[name] = _validated_operations(node, constants)
            flows = on_api | {m for m in methods if m not in own}
            for method in flows & set(flow_ops):
                direct[name] |= flow_ops[method]
            fixtures = {a.arg for a in node.args.args}
            edges[name] = ((functions | fixtures) & set(local)) | {q for m in methods & set(own) for q in own[m]}
        if not filename.startswith("test_"):
            continue
        for name, _node in _functions(tree):
            if not name.rsplit("::", 1)[-1].startswith("test"):
                continue
            for operation in _closure(name, direct, edges):
                covered.setdefault(operation, set()).add(f"{filename}::{name}")
    return {op: sorted(tests) for op, tests in sorted(covered.items())}
