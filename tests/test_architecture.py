"""The layering the project promises, checked on the source: a change that breaks it fails here.

* ``tourplan/`` (the domain) imports no Flask and nothing of ``web/``;
* the referee (``tourplan/checker.py``) never reaches the optimiser;
* no import cycle between files of ``web/`` — imports inside functions included, since a
  cycle hidden in a function is still two modules that cannot be understood apart;
* no function of ``tourplan/`` or ``web/`` runs over 80 lines: a longer one is steps that
  want names (issue 11);
* views stay thin: a module that declares a blueprint builds no query (its area's
  operations do, where they can be tested and used again).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module(path)
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base
                                                                                                  else []))
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def _graph(top: str) -> dict[str, set[str]]:
    files = {_module(p): p for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts}
    return {m: {x for x in _imports(p) if x in files and x != m} for m, p in files.items()}


def _pop_component(stack: list[str], on: set[str], root: str) -> list[str]:
    comp = []
    while True:
        w = stack.pop()
        on.discard(w)
        comp.append(w)
        if w == root:
            return comp


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = _pop_component(stack, on, v)
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_domain_imports_no_flask_and_nothing_of_the_web_application():
    for path in (ROOT / "tourplan").rglob("*.py"):
        bad = {m for m in _imports(path) if m.split(".")[0] in {"flask", "web", "flask_sqlalchemy", "sqlalchemy"}}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_referee_never_reaches_the_optimiser():
    graph = _graph("tourplan")
    seen, todo = set(), ["tourplan.checker"]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(graph.get(m, ()))
    assert not any(m.startswith("tourplan.optimiser") for m in seen), sorted(seen)


def test_no_import_cycle_between_files_of_the_web_application():
    assert _cycles(_graph("web")) == []


def _queries(source: str) -> list[int]:
    """Lines where ``source`` calls ``select(...)`` (SQLAlchemy's query builder)."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "select"]


def test_no_module_that_declares_a_blueprint_builds_a_query():
    found = {}
    for path in sorted((ROOT / "web").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "Blueprint(" in source and _queries(source):
            found[str(path.relative_to(ROOT))] = _queries(source)
    assert found == {}, f"queries belong in the area's operations: {found}"
    assert _queries("rows = db.session.execute(sa.select(Visit)).all()") == [1]


#: A function longer than this is split into named steps (issue 11).
MAX_FUNCTION_LINES = 80


def _long_functions(source: str, name: str) -> list[str]:
    """"name:line function (N lines)" for each function of ``source`` over MAX_FUNCTION_LINES, nested ones too."""
    tree = ast.parse(source)
    return [f"{name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_no_function_of_the_domain_or_the_web_application_is_over_80_lines():
    found = []
    for top in ("tourplan", "web"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("web/migrations/versions/"):
                continue
            found += _long_functions(path.read_text(encoding="utf-8"), rel)
    assert found == [], "split into named steps:\n" + "\n".join(found)


def test_the_length_check_names_a_long_function_and_passes_a_short_one():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    source = f"def short():\n    return 1\n\n\nclass C:\n    def long(self):\n{body.replace('    ', '        ')}\n"
    assert _long_functions(source, "probe.py") == [f"probe.py:6 long ({MAX_FUNCTION_LINES + 1} lines)"]
