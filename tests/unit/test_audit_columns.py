"""The audit event's shape is declared once: every list of fields and every generated statement follows it."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from tender.audit_export.csv_jsonl import CSV_COLUMNS, FORMULA_TRIGGERS
from tender.domain.audit_chain import EVENT_FIELDS, canonical_json, seal
from tender.domain.audit_columns import (
    AUDIT_COLUMNS, INTEGER, JSON, TEXT, AuditColumn, canonical_halves, check_columns, column_names,
)
from tender.domain.audit_rows import STORED_COLUMNS
from tender.models.audit import RECORD_COLUMNS, AuditEvent
from tender.services.audit import chain_sql, csv_sql

ROOT = Path(__file__).resolve().parents[2]


def test_every_list_of_the_event_fields_is_the_specification():
    names = column_names()
    assert EVENT_FIELDS == STORED_COLUMNS == RECORD_COLUMNS == CSV_COLUMNS == names
    doc = (ROOT / "docs" / "audit-trail.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `(\w+)` \| (?:text|integer|object)", doc, flags=re.MULTILINE)
    assert tuple(documented) == names
    assert f"columns in this fixed order: `{', '.join(names)}`" in doc


def test_the_specification_is_the_audit_event_table():
    table = AuditEvent.__table__
    assert tuple(column.name for column in table.columns) == column_names()
    for spec in AUDIT_COLUMNS:
        column = table.columns[spec.name]
        assert column.nullable == spec.nullable, spec.name
        python_type = column.type.python_type
        assert python_type is (int if spec.kind == INTEGER else str), spec.name


def test_the_python_reference_hashes_every_column_but_hash():
    event = seal({name: None for name in column_names()} | {"seq": 1, "occurred_at": "t", "actor": "a"}, "0" * 64)
    assert set(json.loads(canonical_json(event))) == {c.name for c in AUDIT_COLUMNS if c.hashed}


def test_the_canonical_halves_split_where_hash_falls_in_key_order():
    head, tail = canonical_halves()
    assert [c.name for c in head] == ["action", "actor", "actor_role", "after", "before"]
    assert [c.name for c in tail] == ["ip", "lot", "object_id", "object_type", "occurred_at", "prev_hash",
                                      "procurement_ref", "reason", "seq"]


@pytest.mark.parametrize("columns, problem", [
    (AUDIT_COLUMNS[1:], "'seq'"),
    (AUDIT_COLUMNS + (AuditColumn("actor", TEXT),), "unique"),
    (AUDIT_COLUMNS[:-1] + (AuditColumn("hash", TEXT),), "'hash'"),
    (AUDIT_COLUMNS + (AuditColumn("note", TEXT, hashed=False),), "only 'hash'"),
])
def test_a_specification_that_cannot_describe_a_chain_is_refused(columns, problem):
    with pytest.raises(ValueError, match=problem):
        check_columns(columns)


@pytest.mark.parametrize("name", ["Bad", "a-b", "x'; DROP TABLE audit_event; --", "1st"])
def test_a_column_name_must_be_a_plain_identifier(name):
    with pytest.raises(ValueError, match="lowercase"):
        AuditColumn(name, TEXT)


def _statements(columns) -> dict[str, str]:
    """Every statement and expression generated from ``columns``, by name."""
    found = {}
    for dialect in ("sqlite", "postgresql"):
        head, tail, plain = chain_sql.canonical_sql(dialect, columns)
        found |= {f"{dialect} canonical head": head, f"{dialect} canonical tail": tail,
                  f"{dialect} plain CSV flag": plain, f"{dialect} CSV line": csv_sql.line_sql(dialect, columns),
                  f"{dialect} chunk": chain_sql.chunk_sql(dialect, False, columns=columns),
                  f"{dialect} chunk with CSV": chain_sql.chunk_sql(dialect, True, columns=columns)}
    found |= {"sqlite chunk with the general CSV": chain_sql.chunk_sql("sqlite", True, True, columns),
              "sqlite printf CSV line": csv_sql.sqlite_printf_line_sql(columns),
              "sqlite CSV cells": csv_sql.sqlite_cells_sql(columns),
              "postgresql plain CSV line": csv_sql.postgresql_plain_line_sql(columns),
              "postgresql risky row": chain_sql.risky_sql(columns)}
    return found


@pytest.mark.parametrize("kind", [TEXT, INTEGER, JSON])
@pytest.mark.parametrize("name", ["agency", "zone"])  # one sorts into the head half, the other into the tail
def test_a_column_added_to_the_specification_reaches_every_generated_statement(kind, name):
    added = AuditColumn(name, kind, nullable=True)
    columns = AUDIT_COLUMNS[:-2] + (added,) + AUDIT_COLUMNS[-2:]
    before, after = _statements(AUDIT_COLUMNS), _statements(columns)
    mentions = re.compile(rf"\b{name}\b")
    other_half = f"canonical {'tail' if name < 'hash' else 'head'}"
    for label, statement in after.items():
        # JSON cells are always quoted, so they are not among the cells checked for quoting
        changed = other_half not in label and not (label == "sqlite CSV cells" and kind == JSON)
        assert bool(mentions.search(statement)) == changed, label
        assert (statement != before[label]) == changed, label
        assert not mentions.search(before[label])
    half = "head" if name < "hash" else "tail"
    for dialect in ("sqlite", "postgresql"):
        assert f'"{name}":' in after[f"{dialect} canonical {half}"]
    assert csv_sql.plain_cells(",1" * 13 + ",x", 1, columns) == (kind != JSON)  # 14 cells: 13 and the new one


def test_the_generated_statements_use_the_csv_writers_formula_triggers():
    for dialect, chr_ in (("sqlite", "char"), ("postgresql", "chr")):
        listed = csv_sql.triggers_sql(dialect)
        for trigger in FORMULA_TRIGGERS:
            assert (f"'{trigger}'" if trigger.isprintable() else f"{chr_}({ord(trigger)})") in listed
        assert listed in csv_sql.plain_flag_sql(dialect) and listed in csv_sql.line_sql(dialect)
    assert csv_sql.FORMULA_CLASS == "[-=+@]"


AUDIT_MODULES = ("tender/services/audit", "tender/audit_export", "tender/domain/audit_chain.py",
                 "tender/domain/audit_columns.py", "tender/domain/audit_rows.py", "tender/domain/audit_consistency.py")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``path`` imports anywhere, inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                found.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & known - {_module_name(path)}


def test_the_audit_modules_import_each_other_without_a_cycle():
    paths = [p for entry in AUDIT_MODULES for p in ((ROOT / entry).rglob("*.py") if (ROOT / entry).is_dir()
                                                    else [ROOT / entry])]
    known = {_module_name(p) for p in paths}
    graph = {_module_name(p): _imports(p, known) for p in paths}
    assert graph["tender.services.audit.verify"] >= {"tender.services.audit.sealed_prices"}

    def cycle_from(module: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        for imported in sorted(graph[module]):
            if imported in path:
                return path[path.index(imported):] + (imported,)
            found = cycle_from(imported, path + (imported,))
            if found:
                return found
        return None

    for module in sorted(graph):
        assert cycle_from(module, (module,)) is None, " -> ".join(cycle_from(module, (module,)))
