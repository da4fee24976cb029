"""The canonical form and the chunk statements in SQL, generated from the column specification.

The database assembles each row's canonical form (and, for the one-pass
export, its CSV line: :mod:`tender.services.audit.csv_sql`) in C, which is
much faster than Python. Nothing is trusted: Python hashes what comes back,
and a row whose text does not hash to its stored hash (a different
escaping, a tampered row) is checked again by the general path, whose
reference is :func:`tender.domain.audit_chain.canonical_json`. Every
expression is built from :data:`~tender.domain.audit_columns.AUDIT_COLUMNS`:
a column's key order, JSON type and nullability decide its SQL, so a column
is added in one place.
"""
from __future__ import annotations

from functools import lru_cache

from tender.domain.audit_columns import AUDIT_COLUMNS, INTEGER, JSON, TEXT, AuditColumn, canonical_halves
from tender.services.audit import csv_sql

Columns = tuple[AuditColumn, ...]

#: A LIMIT no chunk reaches (it only stops SQLite flattening a subquery).
NO_LIMIT = 1_000_000_000


def _sqlite_value(column: AuditColumn) -> str:
    """SQLite: a column as JSON text for ``printf``; a value of the wrong type becomes null.

    ``json_quote`` refuses BLOBs with an error, and a BLOB pasted into text
    may not be UTF-8; such values become null here, so the row does not hash
    and takes the general path, which reports it.
    """
    c = column.name
    if column.kind == TEXT:
        return f"json_quote(iif(typeof({c}) = 'blob', NULL, {c}))"
    if column.kind == JSON:
        return f"iif(typeof({c}) = 'text', {c}, 'null')"
    return f"iif(typeof({c}) = 'integer', {c}, 'null')" if column.nullable else c


def _postgresql_value(column: AuditColumn, plain: bool) -> str:
    """PostgreSQL: a column as JSON text; ``plain`` for a value known to need no JSON escape (see :func:`risky_sql`)."""
    c = column.name
    if column.kind == TEXT:
        return f"""coalesce('"' || {c} || '"', 'null')""" if plain else f"coalesce(to_json({c})::text, 'null')"
    if column.kind == JSON:
        return f"coalesce({c}, 'null')" if plain else f"coalesce({c}::text, 'null')"
    return f"coalesce({c}::text, 'null')" if column.nullable else f"{c}::text"


def _sqlite_half(columns: Columns, opening: str, closing: str) -> str:
    """One ``printf`` (cheaper than chained ``||`` in SQLite) writing ``"key":value`` for each column."""
    keys = ",".join(f'"{column.name}":%s' for column in columns)
    return f"printf('{opening}{keys}{closing}', {', '.join(_sqlite_value(column) for column in columns)})"


def _postgresql_half(columns: Columns, opening: str, closing: str, plain: bool = False) -> str:
    pieces = [f"""'{opening if i == 0 else ','}"{column.name}":' || {_postgresql_value(column, plain)}"""
              for i, column in enumerate(columns)]
    return " || ".join(pieces) + (f" || '{closing}'" if closing else "")


@lru_cache(maxsize=None)
def halves_sql(dialect: str, columns: Columns = AUDIT_COLUMNS) -> tuple[str, str]:
    """SQL for the canonical form's two halves, around where ``hash`` belongs (see ``canonical_halves``)."""
    head, tail = canonical_halves(columns)
    half = _postgresql_half if dialect == "postgresql" else _sqlite_half
    return half(head, "{", ""), half(tail, ",", "}")


def canonical_sql(dialect: str, columns: Columns = AUDIT_COLUMNS) -> tuple[str, str, str]:
    """SQL for the canonical form's two halves and a "plain CSV row" flag (``csv_sql.plain_flag_sql``)."""
    return (*halves_sql(dialect, columns), csv_sql.plain_flag_sql(dialect, columns))


def risky_sql(columns: Columns = AUDIT_COLUMNS) -> str:
    """PostgreSQL: true for a row that needs a JSON escape, CSV quoting or formula protection somewhere.

    A text cell holds a comma, quote, backslash or control character or
    starts with a formula trigger (one regular expression over the text
    cells joined by DEL), a number is negative, or JSON is other than an
    object or array. Other rows' canonical forms and CSV lines are plain
    concatenations of the stored values.
    """
    texts = ", ".join(c.name for c in columns if c.kind == TEXT)
    tests = [f"""concat_ws(chr(127), '', {texts}) ~ '[,"\\\\\\x01-\\x1f]|\\x7f{csv_sql.FORMULA_CLASS}'"""]
    tests += [f"coalesce({c.name} < 0, false)" if c.nullable else f"{c.name} < 0"
              for c in columns if c.kind == INTEGER]
    tests += [f"coalesce(left({c.name}, 1) NOT IN ('{{', '['), false)" for c in columns if c.kind == JSON]
    return " OR ".join(tests)


@lru_cache(maxsize=None)
def chunk_sql(dialect: str, with_csv: bool, general_csv: bool = False, columns: Columns = AUDIT_COLUMNS) -> str:
    """One chunk of rows as one row: count, first and last seq, canonical forms, hashes, links, CSV lines.

    Forms, hashes and links are joined by newlines, in sequence order; a NULL
    anywhere drops out of its aggregate, so the counts no longer agree and
    the chunk is checked row by row. Parameters: the first seq, and one past
    the last.
    """
    if dialect == "postgresql":
        return _postgresql_chunk_sql(with_csv, columns)
    return _sqlite_chunk_sql(with_csv, general_csv, columns)


def _postgresql_chunk_sql(with_csv: bool, columns: Columns) -> str:
    """PostgreSQL: one chunk as one row, the common row taking plain concatenations.

    Each row is classified once (the inner query, :func:`risky_sql`;
    ``OFFSET 0`` keeps the planner from copying the expression into every
    use). Rows that are not risky need no JSON escape, CSV quoting or
    formula protection, so their canonical form and CSV line are plain
    concatenations, byte for byte what ``to_json`` and the cell-by-cell
    expressions give (and the canonical form must still hash to the stored
    hash). Risky rows take the general expressions.
    """
    head, tail = halves_sql("postgresql", columns)
    head_columns, tail_columns = canonical_halves(columns)
    plain_canonical = _postgresql_half(head_columns + tail_columns, "{", "}", plain=True)
    if with_csv:
        line = (f"CASE WHEN risky THEN {csv_sql.line_sql('postgresql', columns)} "
                f"ELSE {csv_sql.postgresql_plain_line_sql(columns)} END")
    else:
        line = "NULL::text"
    # The aggregates take the rows in the order the sorted subquery gives them (one sort, not one
    # per aggregate); were it ever otherwise, the links would not match and the chunk would go row by row.
    return ("SELECT count(*), min(seq), max(seq), string_agg(c, chr(10)), string_agg(hash, chr(10)), "
            "string_agg(prev_hash, chr(10)), string_agg(l, ''), count(l), NULL "
            "FROM (SELECT seq, hash, prev_hash, "
            f"CASE WHEN risky THEN {head} || {tail} ELSE {plain_canonical} END AS c, {line} AS l FROM (SELECT *, {risky_sql(columns)} AS risky FROM audit_event "
            "WHERE seq >= %s AND seq < %s OFFSET 0) AS classified ORDER BY seq) AS chunk")


def _sqlite_chunk_sql(with_csv: bool, general_csv: bool, columns: Columns) -> str:
    """SQLite: one chunk as one row.

    SQLite pays for every function call, so the common row takes one
    ``printf`` for its canonical form (``json_quote``d cells; a BLOB makes
    ``json_quote`` fail, and the chunk is checked row by row) and one for
    its CSV line, with every cell as it is stored. That line is only right
    when no cell needs quoting or formula protection, which Python checks
    for the whole chunk at once on the cells, each after a comma
    (``csv_sql.plain_cells``); otherwise the chunk is read again with
    ``general_csv``, the cell-by-cell expressions. The LIMIT keeps SQLite
    from flattening the subquery, which would compute each text twice.
    """
    head, tail = halves_sql("sqlite", columns)
    if not with_csv:
        line, cells = "NULL", "NULL"
    elif general_csv:
        line, cells = csv_sql.line_sql("sqlite", columns), "NULL"
    else:
        line, cells = csv_sql.sqlite_printf_line_sql(columns), csv_sql.sqlite_cells_sql(columns)
    return ("SELECT count(*), min(seq), max(seq), group_concat(c, char(10)), group_concat(hash, char(10)), "
            "group_concat(prev_hash, char(10)), group_concat(l, ''), count(l), group_concat(j, '') "
            f"FROM (SELECT seq, hash, prev_hash, {head} || {tail} AS c, {line} AS l, {cells} AS j "
            f"FROM audit_event WHERE seq >= ? AND seq < ? ORDER BY seq LIMIT {NO_LIMIT})")
