"""``audit.csv``'s lines in SQL, generated from the column specification.

On the chunk path of the one-pass export (:mod:`tender.services.audit.verify`)
the database writes the CSV lines, so the rows never become Python objects.
Those lines must be byte for byte what
:func:`tender.audit_export.csv_jsonl.write_csv` (the reference) writes:
RFC 4180 quoting, formula protection, NULL as an empty cell, CRLF. Every
expression here is built from :data:`~tender.domain.audit_columns.AUDIT_COLUMNS`
and the writer's :data:`~tender.audit_export.csv_jsonl.FORMULA_TRIGGERS`, so
a new column or trigger reaches every statement. A line the database cannot
get right (JSON that is not an object or array) comes back NULL, and the
general writer writes that row.
"""
from __future__ import annotations

import re
from typing import Any

from tender.audit_export.csv_jsonl import FORMULA_TRIGGERS
from tender.domain.audit_columns import AUDIT_COLUMNS, INTEGER, JSON, TEXT, AuditColumn

Columns = tuple[AuditColumn, ...]

if any(not t.isprintable() and ord(t) >= 32 for t in FORMULA_TRIGGERS) or any(t in "]\\^'" for t in FORMULA_TRIGGERS):
    raise ValueError("formula triggers must be printable or control characters, and none of ] \\ ^ '")

#: The printable triggers as a regular-expression bracket (``-`` first, so it is not a range), e.g. ``[-=+@]``;
#: the others are control characters, which the checks for control characters catch anyway.
FORMULA_CLASS = "[" + "".join(sorted((t for t in FORMULA_TRIGGERS if t.isprintable()), key=lambda t: t != "-")) + "]"


def _chr(dialect: str) -> str:
    return "chr" if dialect == "postgresql" else "char"


def triggers_sql(dialect: str) -> str:
    """The formula triggers as an SQL list, e.g. ``('=', '+', '-', '@', chr(9), chr(13))``."""
    items = (f"'{t}'" if t.isprintable() else f"{_chr(dialect)}({ord(t)})" for t in FORMULA_TRIGGERS)
    return f"({', '.join(items)})"


def _by_kind(columns: Columns, kind: str) -> list[AuditColumn]:
    return [column for column in columns if column.kind == kind]


def plain_flag_sql(dialect: str, columns: Columns = AUDIT_COLUMNS) -> str:
    """1 when a row's stored values are its CSV cells as they are (nothing to protect or decode), else 0.

    Read beside each row on the general path, so that the writer copies
    such rows without looking at their cells.
    """
    texts, ints, objects = (_by_kind(columns, kind) for kind in (TEXT, INTEGER, JSON))
    risky = [f"substr({c.name}, 1, 1) IN {triggers_sql(dialect)}" for c in texts]
    risky += [f"{c.name} < 0" for c in ints]
    risky += [f"substr({c.name}, 1, 1) NOT IN ('{{', '[')" for c in objects]
    if dialect != "postgresql":  # SQLite stores whatever type it is given
        risky += [f"typeof({c.name}) NOT IN ('text', 'null')" for c in texts + objects]
        risky += [f"typeof({c.name}) NOT IN ('integer', 'null')" if c.nullable else f"typeof({c.name}) <> 'integer'"
                  for c in ints]
    return f"CASE WHEN {' OR '.join(f'coalesce({r}, false)' for r in risky)} THEN 0 ELSE 1 END"


def cell_sql(dialect: str, column: AuditColumn) -> str:
    """SQL for one CSV cell exactly as ``csv_jsonl.write_csv`` writes it (formula protection, RFC 4180 quoting).

    NULL is an empty cell; a number is its decimal text (protected when
    negative); JSON is the stored text, used only when it is an object or
    an array (otherwise the cell, and so the line, is NULL, and the general
    writer, which decodes it, writes the row).
    """
    pg, c = dialect == "postgresql", column.name
    chr_ = _chr(dialect)
    if column.kind == INTEGER:
        text = f"{c}::text" if pg else f"CAST({c} AS TEXT)"
        cell = f"CASE WHEN {c} < 0 THEN '''' || {text} ELSE {text} END"
    elif column.kind == JSON:
        cell = f"CASE WHEN substr({c}, 1, 1) IN ('{{', '[') THEN {c} END"
    else:
        cell = f"CASE WHEN substr({c}, 1, 1) IN {triggers_sql(dialect)} THEN '''' || {c} ELSE {c} END"
    find = (lambda x, s: f"strpos({x}, {s}) > 0") if pg else (lambda x, s: f"instr({x}, {s}) > 0")  # noqa: E731
    needs_quotes = " OR ".join(find(f"({cell})", s) for s in ("','", "'\"'", f"{chr_}(10)", f"{chr_}(13)"))
    quoted = f"""CASE WHEN {needs_quotes} THEN '"' || replace({cell}, '"', '""') || '"' ELSE {cell} END"""
    if column.kind == JSON:
        return f"CASE WHEN {c} IS NULL THEN '' ELSE {quoted} END"
    return f"coalesce({quoted}, '')"


def line_sql(dialect: str, columns: Columns = AUDIT_COLUMNS) -> str:
    """SQL for a row's whole CSV line, cell by cell, CRLF included; NULL when the general writer must write it."""
    general = " || ',' || ".join(cell_sql(dialect, column) for column in columns)
    if dialect == "postgresql":
        return f"{general} || chr(13) || chr(10)"
    return f"{general} || char(13, 10)"


def postgresql_plain_line_sql(columns: Columns = AUDIT_COLUMNS) -> str:
    """PostgreSQL: the CSV line of a row classified as not risky (see ``chain_sql``): the cells as stored.

    Such a row's text cells hold no comma, quote, CR, LF or formula start
    and its numbers are not negative, so only its JSON may need quoting.
    """
    def value(column: AuditColumn) -> str:
        c = column.name
        if column.kind == INTEGER:
            return f"{c}::text"
        if column.kind == JSON:
            return f"""CASE WHEN {c} ~ '[,"\\r\\n]' THEN '"' || replace({c}, '"', '""') || '"' ELSE {c} END"""
        return c

    cells = (f"coalesce({value(column)}, '')" if column.nullable else value(column) for column in columns)
    return " || ',' || ".join(cells) + " || chr(13) || chr(10)"


def sqlite_printf_line_sql(columns: Columns = AUDIT_COLUMNS) -> str:
    """SQLite: a row's CSV line with one ``printf``, every cell as stored, only the JSON quoted.

    Right only when no cell needs quoting or formula protection, which
    :func:`plain_cells` checks for a whole chunk at once; NULL when a JSON
    value is not an object or array.
    """
    objects = " AND ".join(f"coalesce(substr({c.name}, 1, 1) IN ('{{', '['), 1)"
                           for c in _by_kind(columns, JSON)) or "1"
    fmt = ",".join("%d" if c.kind == INTEGER and not c.nullable else "%s" for c in columns)
    quoted = lambda c: (f"""iif(instr({c}, '"') OR instr({c}, ','), """  # noqa: E731
                        f"""'"' || replace({c}, '"', '""') || '"', {c})""")
    args = ", ".join(quoted(c.name) if c.kind == JSON else c.name for c in columns)
    return f"CASE WHEN {objects} THEN printf('{fmt}\r\n', {args}) END"


def _checked_cells(columns: Columns) -> list[AuditColumn]:
    """The cells :func:`plain_cells` looks at: the numbers, then the texts (not the JSON, which is quoted anyway)."""
    return _by_kind(columns, INTEGER) + _by_kind(columns, TEXT)


def sqlite_cells_sql(columns: Columns = AUDIT_COLUMNS) -> str:
    """SQLite: a row's number and text cells, each after a comma, for :func:`plain_cells`."""
    cells = _checked_cells(columns)
    return "printf('" + ",%s" * len(cells) + "', " + ", ".join(c.name for c in cells) + ")"


_CONTROL = re.compile("[\x00-\x1f]")
_FORMULA_START = re.compile("," + FORMULA_CLASS)


def plain_cells(cells: Any, count: int, columns: Columns = AUDIT_COLUMNS) -> bool:
    """True if none of ``count`` rows' number and text cells (:func:`sqlite_cells_sql`) needs CSV quoting or
    formula protection.

    Then Python's csv module writes every cell as it is, as the ``printf``
    line does: no comma but the separators, no quote, CR, LF or other
    control character, and no cell starting with a formula trigger (a
    negative number starts with ``-``; a tab is a control character).
    """
    if type(cells) is not str or cells.count(",") != count * len(_checked_cells(columns)):
        return False
    if '"' in cells or _FORMULA_START.search(cells):
        return False
    return cells.isprintable() or not _CONTROL.search(cells)
