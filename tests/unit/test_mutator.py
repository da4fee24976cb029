"""The mutation-testing tool's mutator: the mutants it makes, and that it makes the same ones every run.

A reviewed list of equivalent mutants is only worth keeping if the mutants
are the same from run to run, and a score is only honest if each mutant
really changes the code it says it changes.
"""
from __future__ import annotations

import ast

from tools.mutator import all_mutants, apply, sample

SOURCE = '''\
"""Docstring: 1 < 2 is never mutated."""
__all__ = ["f"]
LIMIT: int = 10


def f(x: int = 0) -> bool:
    """Neither is this one."""
    if x < LIMIT and not x == 3:
        return x + 1 > 2
    return True
'''


def changes():
    return [(m.line, m.change) for m in all_mutants(SOURCE)]


def test_each_operator_constant_and_return_is_mutated_and_docstrings_and_annotations_are_not():
    assert changes() == [
        (3, "10 -> 11"), (3, "10 -> 9"),
        (6, "0 -> 1"), (6, "0 -> -1"),
        (8, "and -> or"), (8, "< -> <="), (8, "< -> >="), (8, "not x -> x"), (8, "== -> !="),
        (8, "3 -> 4"), (8, "3 -> 2"),
        (9, "return x -> return None"), (9, "> -> >="), (9, "> -> <="), (9, "+ -> -"),
        (9, "1 -> 2"), (9, "1 -> 0"), (9, "2 -> 3"), (9, "2 -> 1"),
        (10, "return x -> return None"), (10, "True -> False"),
    ]


def test_applying_a_mutant_changes_exactly_what_it_says():
    by_change = {(m.line, m.change): m for m in all_mutants(SOURCE)}
    mutated = ast.unparse(apply(SOURCE, by_change[(8, "< -> <=")]))
    assert "if x <= LIMIT and (not x == 3):" in mutated
    assert ast.unparse(apply(SOURCE, by_change[(8, "not x -> x")])).count("not ") == 0
    assert "return None" in ast.unparse(apply(SOURCE, by_change[(10, "return x -> return None")]))
    namespace = {}
    exec(compile(apply(SOURCE, by_change[(9, "+ -> -")]), "m", "exec"), namespace)
    assert namespace["f"](2) is False  # 2 - 1 > 2 is false; the original says 2 + 1 > 2


def test_sampling_is_even_and_the_same_every_run():
    everything = all_mutants(SOURCE)
    picked = sample(everything, 5)
    assert picked == sample(all_mutants(SOURCE), 5)
    assert [everything.index(m) for m in picked] == [2, 6, 10, 14, 18]
    assert sample(everything, 100) == everything
