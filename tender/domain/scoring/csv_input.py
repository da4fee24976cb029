"""Read final scores and prices from CSV for offline evaluation.

CSV files come from spreadsheets, so every refusal names the file and the row
as a spreadsheet shows it (the header is row 1) and says what to fix. Parsing
works on text (``parse_*``) so it stays pure; ``read_evaluation_input`` is the
thin file-reading wrapper the CLI uses.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from tender.domain.scoring.model import METHOD_MODERATION, EvaluationInputError, EvaluationModel

SCORE_COLUMNS = ("lot", "bidder", "criterion", "score")
PRICE_COLUMNS = ("lot", "bidder", "price")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
PASS_FAIL = {"pass": True, "fail": False}
#: Bounds on what a scores or prices file may hold: generous for any real
#: evaluation (100 lots x 100 bidders x 10 questions), and small enough that a
#: wrong or hostile file is refused quickly and in little memory.
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 50
MAX_FIELD_CHARACTERS = 200
MAX_LINE_CHARACTERS = 10_000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CsvInputError(ValueError):
    """A CSV file that cannot be used; ``str()`` is "FILE, row N: reason"."""

    def __init__(self, source: str, row: int | None, message: str):
        self.source, self.row, self.message = source, row, message
        super().__init__(f"{source}, row {row}: {message}" if row else f"{source}: {message}")


@dataclass(frozen=True)
class LotInput:
    """Everything ``rank_lot`` needs for one lot."""

    lot: str
    final_scores: Mapping[str, Mapping[str, Decimal | bool]]
    prices: Mapping[str, Decimal] | None
    budget: Decimal | None


@dataclass(frozen=True)
class ScoresTable:
    """Parsed SCORES.csv: lot -> bidder -> question -> score, and where each bidder first appears."""

    scores: Mapping[str, Mapping[str, Mapping[str, Decimal | bool]]]
    first_rows: Mapping[tuple[str, str], int]


@dataclass(frozen=True)
class PricesTable:
    """Parsed PRICES.csv: lot -> bidder -> price, lot -> budget (optional column), row of each price."""

    prices: Mapping[str, Mapping[str, Decimal]]
    budgets: Mapping[str, Decimal]
    rows: Mapping[tuple[str, str], int]


def parse_number(text: str) -> Decimal | None:
    """A plain decimal number ("1250000", "2.5"), or None: no thousands separators, units or exponents."""
    text = text.strip()
    return Decimal(text) if NUMBER.match(text) else None


def _rows(text: str | Iterable[str], source: str, columns: tuple[str, ...]):
    """Yield (row number, row dict) after checking the header has ``columns``.

    ``text`` is the whole file or an open file (read line by line, so a huge
    file fails at its first bad row without being read into memory). Rows,
    fields and the header are bounded (``MAX_ROWS``, ``MAX_FIELD_CHARACTERS``).
    """
    lines = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.reader(_bounded_lines(lines, source))
    number = 1
    try:
        raw_header = next(reader, None)
        header = [h.strip().lstrip("\ufeff").strip() for h in (raw_header or [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise CsvInputError(source, 1, f"missing column {', '.join(missing)}; the header must have "
                                           f"{','.join(columns)}")
        if len(header) > MAX_COLUMNS:
            raise CsvInputError(source, 1, f"has {len(header)} columns; keep to {MAX_COLUMNS} or fewer")
        for number, values in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                raise CsvInputError(source, number, f"has more than {MAX_ROWS:,} rows; split the file by lot")
            if not values:
                continue
            for value in values:
                _check_field(value, source, number)
            row = {name: values[i].strip() if i < len(values) else "" for i, name in enumerate(header)}
            for column in columns:
                if not row.get(column):
                    raise CsvInputError(source, number, f"enter a value for {column}")
            yield number, row
    except csv.Error as exc:
        raise CsvInputError(source, reader.line_num or number, f"is not a CSV file a spreadsheet can read ({exc}); "
                                                              "save it again as CSV UTF-8") from None
    except UnicodeDecodeError:
        raise CsvInputError(source, reader.line_num + 1, "is not UTF-8 text; save it again as CSV UTF-8") from None


def _bounded_lines(lines: Iterable[str] | Iterable[bytes], source: str) -> Iterator[str]:
    """The file's lines, refusing one longer than any real row before the csv module buffers it."""
    readline = getattr(lines, "readline", None)
    if readline is not None:  # an open file: never read more than one bounded line at a time
        lines = _lines_of(readline)
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):  # decoded here, line by line, so a bad byte is reported on its own row
            try:
                line = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise CsvInputError(source, number, "is not UTF-8 text; save it again as CSV UTF-8") from None
        if len(line) > MAX_LINE_CHARACTERS:
            raise CsvInputError(source, number, f"a line is longer than {MAX_LINE_CHARACTERS:,} characters; "
                                                "check it is the right file")
        if "\x00" in line:
            raise CsvInputError(source, number, "contains a null byte; save it again as CSV UTF-8")
        yield line


def _lines_of(readline) -> Iterator[str | bytes]:
    """Lines from ``readline``, each at most one character past the limit (so an overlong one is seen)."""
    while line := readline(MAX_LINE_CHARACTERS + 1):
        yield line


def _check_field(value: str, source: str, number: int) -> None:
    if len(value) > MAX_FIELD_CHARACTERS:
        raise CsvInputError(source, number, f"a value is longer than {MAX_FIELD_CHARACTERS} characters; "
                                            "check the columns are lot, bidder, criterion, score")
    if CONTROL.search(value):
        raise CsvInputError(source, number, "a value contains a control character; delete it and save again")


def parse_scores(text: str | Iterable[str], source: str, model: EvaluationModel) -> ScoresTable:
    """Check every row against the model and return the final scores by lot and bidder."""
    scores: dict = {}
    first_rows: dict = {}
    for number, row in _rows(text, source, SCORE_COLUMNS):
        lot, bidder, cid = row["lot"], row["bidder"], row["criterion"]
        if not model.has_criterion(cid):
            raise CsvInputError(source, number, f"unknown criterion {cid!r} in model {model.name}")
        question = model.criterion(cid)
        if not question.is_question:
            raise CsvInputError(source, number, f"{cid} is a section; give scores for its questions")
        bid = scores.setdefault(lot, {}).setdefault(bidder, {})
        first_rows.setdefault((lot, bidder), number)
        if cid in bid:
            raise CsvInputError(source, number, f"a second score for {bidder} on {cid} in lot {lot}")
        bid[cid] = _score(model, question, row["score"], source, number)
    for (lot, bidder), number in first_rows.items():
        missing = [q.id for q in model.questions() if q.id not in scores[lot][bidder]]
        if missing:
            raise CsvInputError(source, number, f"bidder {bidder} in lot {lot} has no score for {', '.join(missing)}")
    return ScoresTable(scores, first_rows)


def _score(model: EvaluationModel, question, text: str, source: str, number: int) -> Decimal | bool:
    if question.pass_fail:
        if text.lower() not in PASS_FAIL:
            raise CsvInputError(source, number, f"{question.id} is pass/fail: enter pass or fail, not {text!r}")
        return PASS_FAIL[text.lower()]
    score = parse_number(text)
    if score is None:
        raise CsvInputError(source, number, f"score {text!r} is not a number")
    scale = question.scale
    if model.final_score_method == METHOD_MODERATION and score not in scale.values:
        points = ", ".join(str(v) for v in scale.values)
        raise CsvInputError(source, number, f"score {score} for {question.id} is not on the scale ({points})")
    if not scale.minimum <= score <= scale.maximum:
        raise CsvInputError(
            source, number, f"score {score} for {question.id} is outside the scale {scale.minimum}-{scale.maximum}"
        )
    return score


def parse_prices(text: str | Iterable[str], source: str) -> PricesTable:
    """Prices (above 0) by lot and bidder, and each lot's budget if a ``budget`` column is present."""
    prices: dict = {}
    budgets: dict = {}
    rows: dict = {}
    for number, row in _rows(text, source, PRICE_COLUMNS):
        lot, bidder = row["lot"], row["bidder"]
        price = _money(row["price"], "price", source, number)
        if (lot, bidder) in rows:
            raise CsvInputError(source, number, f"a second price for {bidder} in lot {lot}")
        prices.setdefault(lot, {})[bidder] = price
        rows[(lot, bidder)] = number
        if row.get("budget"):
            budget = _money(row["budget"], "budget", source, number)
            if budgets.setdefault(lot, budget) != budget:
                raise CsvInputError(source, number, f"budget {budget} differs from {budgets[lot]} given for lot {lot}")
    return PricesTable(prices, budgets, rows)


def _money(text: str, column: str, source: str, number: int) -> Decimal:
    value = parse_number(text)
    if value is None:
        raise CsvInputError(source, number, f"{column} {text!r} is not a number; write it like 6800000.00")
    if not value > 0:
        raise CsvInputError(source, number, f"{column} must be above 0")
    return value


def combine(
    model: EvaluationModel,
    scores: ScoresTable,
    scores_source: str,
    prices: PricesTable | None = None,
    prices_source: str = "",
    budgets: Mapping[str, Decimal] | None = None,
) -> tuple[LotInput, ...]:
    """Match prices and budgets to the scored bids, lot by lot (in order of first appearance)."""
    budgets = dict(budgets or {})
    if model.price is None and prices is not None:
        raise EvaluationInputError(f"model {model.name} has no price part; leave out the prices")
    if model.price is not None and prices is None:
        raise EvaluationInputError(f"model {model.name} scores price; give the prices CSV")
    for lot in budgets:
        if lot not in scores.scores:
            raise EvaluationInputError(f"a budget is given for lot {lot}, which has no scores")
    if prices is not None:
        _match_prices(scores, scores_source, prices, prices_source)
        for lot, budget in prices.budgets.items():
            if budgets.setdefault(lot, budget) != budget:
                raise EvaluationInputError(f"lot {lot}: the budget option and the budget column differ")
    lots = []
    for lot, bids in scores.scores.items():
        if model.needs_budget and lot not in budgets:
            raise EvaluationInputError(
                f"lot {lot} needs a budget under model {model.name}: add a budget column to the prices "
                f"or give --budget {lot}=AMOUNT"
            )
        lot_prices = None if prices is None else dict(prices.prices[lot])
        lots.append(LotInput(lot, bids, lot_prices, budgets.get(lot)))
    return tuple(lots)


def _match_prices(scores: ScoresTable, scores_source: str, prices: PricesTable, prices_source: str) -> None:
    for (lot, bidder), number in scores.first_rows.items():
        if bidder not in prices.prices.get(lot, {}):
            raise CsvInputError(scores_source, number, f"bidder {bidder} in lot {lot} has no price in {prices_source}")
    for (lot, bidder), number in prices.rows.items():
        if bidder not in scores.scores.get(lot, {}):
            raise CsvInputError(prices_source, number, f"bidder {bidder} in lot {lot} has a price but no scores")


def read_evaluation_input(
    model: EvaluationModel,
    scores_path: str | Path,
    prices_path: str | Path | None = None,
    budgets: Mapping[str, Decimal] | None = None,
) -> tuple[LotInput, ...]:
    """Read SCORES.csv (and PRICES.csv) into one ``LotInput`` per lot, refusing anything off-model.

    The files are streamed, not read whole: the first bad row stops the read.
    """
    with _open(scores_path) as lines:
        scores = parse_scores(lines, str(scores_path), model)
    prices = None
    if prices_path is not None:
        with _open(prices_path) as lines:
            prices = parse_prices(lines, str(prices_path))
    return combine(model, scores, str(scores_path), prices, str(prices_path or ""), budgets)


def _open(path: str | Path):
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CsvInputError(str(path), None, f"is {size / 1024 / 1024:,.0f} MB; Tender reads files of up to "
                                                 f"{MAX_BYTES // 1024 // 1024} MB, so split it by lot")
        return path.open("rb")
    except OSError as exc:
        raise CsvInputError(str(path), None, f"cannot be read: {exc.strerror or exc}") from None
