"""Small AST mutator: every one-token change of a module, listed in a fixed order.

Why our own rather than mutmut: the core modules are small, we want the same
mutants on every run (so a reviewed list of equivalents stays valid) and no
new dependency. A mutant is one change: a comparison, arithmetic or boolean
operator swapped, a ``not`` dropped, a number moved by one, True/False
flipped, or a returned value replaced by None. Docstrings, annotations and
``__all__`` are left alone: changing them changes no behaviour.
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

COMPARE_SWAPS = {
    ast.Lt: (ast.LtE, ast.GtE), ast.LtE: (ast.Lt, ast.Gt), ast.Gt: (ast.GtE, ast.LtE),
    ast.GtE: (ast.Gt, ast.Lt), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,), ast.In: (ast.NotIn,), ast.NotIn: (ast.In,),
}
BINOP_SWAPS = {
    ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult,),
    ast.FloorDiv: (ast.Div,), ast.Mod: (ast.FloorDiv,),
}
BOOLOP_SWAPS = {ast.And: ast.Or, ast.Or: ast.And}
SYMBOLS = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-",
    ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.And: "and", ast.Or: "or",
}


@dataclass(frozen=True)
class Mutant:
    """One change: where it is (line, column), the source line and what changed (``"<= -> <"``).

    ``path`` is the route from the module's root node to the changed node
    (field name and list index per step), so the change can be re-applied to
    a fresh parse of the same source.
    """

    line: int
    col: int
    source_line: str
    change: str
    path: tuple
    kind: str

    @property
    def key(self) -> tuple[str, str]:
        """What the equivalents list matches on: survives unrelated edits that move lines."""
        return (self.source_line.strip(), self.change)


def _skipped_fields(node: ast.AST) -> set[str]:
    """Fields never mutated: annotations and decorators."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {"returns", "decorator_list"}
    if isinstance(node, ast.ClassDef):  # @dataclass(frozen=True) is a declaration, not logic
        return {"decorator_list"}
    if isinstance(node, ast.AnnAssign):
        return {"annotation"}
    if isinstance(node, ast.arg):
        return {"annotation"}
    return set()


def _is_all_assign(node: ast.AST) -> bool:
    return isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)


def _walk(node: ast.AST, path: tuple):
    """Yield (node, path) depth first in source order, skipping fields that never matter."""
    yield node, path
    if _is_all_assign(node):
        return
    skip = _skipped_fields(node)
    for field, value in ast.iter_fields(node):
        if field in skip:
            continue
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield from _walk(item, path + ((field, index),))
        elif isinstance(value, ast.AST):
            yield from _walk(value, path + ((field, None),))


def _changes(node: ast.AST):
    """(kind, description, function applying the change to a copy of ``node``) for one node."""
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            which = f" (comparison {index + 1})" if len(node.ops) > 1 else ""
            for new in COMPARE_SWAPS.get(type(op), ()):
                yield "compare", f"{SYMBOLS[type(op)]} -> {SYMBOLS[new]}{which}", _set_compare(index, new)
    elif isinstance(node, (ast.BinOp, ast.AugAssign)):
        for new in BINOP_SWAPS.get(type(node.op), ()):
            yield "arithmetic", f"{SYMBOLS[type(node.op)]} -> {SYMBOLS[new]}", _set_op(new)
    elif isinstance(node, ast.BoolOp):
        new = BOOLOP_SWAPS[type(node.op)]
        yield "boolean", f"{SYMBOLS[type(node.op)]} -> {SYMBOLS[new]}", _set_op(new)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "boolean", "not x -> x", lambda n: n.operand
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield "constant", f"{node.value} -> {not node.value}", _set_value(not node.value)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        for new in (node.value + 1, node.value - 1):
            yield "constant", f"{node.value!r} -> {new!r}", _set_value(new)
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        yield "return", "return x -> return None", _set_return_none


def _set_compare(index, new):
    def apply(node):
        node.ops[index] = new()
        return node
    return apply


def _set_op(new):
    def apply(node):
        node.op = new()
        return node
    return apply


def _set_value(new):
    def apply(node):
        node.value = new
        return node
    return apply


def _set_return_none(node):
    node.value = ast.Constant(None)
    return node


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first))
    return ids


def all_mutants(source: str) -> list[Mutant]:
    """Every mutant of ``source``, ordered by position then by change (the same list every run)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    docstrings = _docstring_nodes(tree)
    found = []
    for node, path in _walk(tree, ()):
        if id(node) in docstrings or not hasattr(node, "lineno"):
            continue
        for kind, change, _ in _changes(node):
            found.append(Mutant(node.lineno, node.col_offset, lines[node.lineno - 1], change, path, kind))
    found.sort(key=lambda m: (m.line, m.col))  # stable: keeps the order of changes at one place
    return found


def _locate(tree: ast.AST, path: tuple):
    parent, field, index, node = None, None, None, tree
    for field, index in path:
        parent = node
        node = getattr(node, field) if index is None else getattr(node, field)[index]
    return parent, field, index, node


def apply(source: str, mutant: Mutant) -> ast.Module:
    """A fresh tree of ``source`` with ``mutant`` applied, ready for ``compile``."""
    tree = ast.parse(source)
    parent, field, index, node = _locate(tree, mutant.path)
    for _, change, make in _changes(node):
        if change == mutant.change:
            new = make(copy.deepcopy(node))
            break
    else:
        raise LookupError(f"mutant {mutant.change} not found at line {mutant.line}")
    if parent is None:
        return new
    if index is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[index] = new
    return ast.fix_missing_locations(tree)


def sample(mutants: list[Mutant], count: int) -> list[Mutant]:
    """``count`` mutants spread evenly over the module (by position), the same ones every run."""
    if count >= len(mutants):
        return list(mutants)
    total = len(mutants)
    return [mutants[(2 * i + 1) * total // (2 * count)] for i in range(count)]
