"""One place for each concern, checked from the source: no import cycles, one clock, one transaction module.

Imports are counted wherever they appear, inside functions too: a cycle hidden
in a function is still two modules that cannot be understood apart.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tender"
#: Modules allowed to end a transaction: the use-case module and the audit trail's own bulk writer.
COMMITTING = {"tender.services.use_case"}
#: The one module that reads the wall clock.
CLOCK = "tender.services.clock"
#: Loaders of demonstration data, and migrations, run as scripts of their own.
EXEMPT = ("tender.migrations", "tender.demo", "tender.demo_large")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _code_only(path: Path) -> str:
    """The module's source with string literals (docstrings, messages) blanked out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    source = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.lineno == node.end_lineno:
            line = source[node.lineno - 1]
            source[node.lineno - 1] = line[:node.col_offset] + '""' + line[node.end_col_offset:]
    return "".join(source)


def _target(current: str, node: ast.AST) -> list[str]:
    names = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = current.split(".")
            if not MODULES[current].name == "__init__.py":
                package = package[:-1]
            package = package[:len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    resolved = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name:
            resolved.append(name)
    return resolved


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[name].update(t for t in _target(name, node) if t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_tender_imports_itself_back_through_others():
    assert cycles(import_graph()) == []


CLOCK_READS = re.compile(r"datetime\.now\(|date\.today\(\)|\btime\.time\(\)|utcnow\(|perf_counter\(|"
                         r"time\.monotonic\(|make_msgid\(|formatdate\(\s*(localtime|\))")


def test_only_the_clock_module_reads_the_wall_clock():
    readers = sorted(name for name, path in MODULES.items()
                     if not name.startswith(EXEMPT[0]) and CLOCK_READS.search(_code_only(path)))
    assert readers == [CLOCK]


def test_only_the_use_case_module_commits_a_transaction():
    """Services run inside ``tender.services.use_case``; none commits (or forgets to roll back) on its own."""
    committing = sorted(name for name, path in MODULES.items()
                        if not name.startswith(EXEMPT) and re.search(r"session\.commit\(\)", _code_only(path)))
    assert committing == sorted(COMMITTING)
