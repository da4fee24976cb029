"""The limits of sensible input, in one place: forms, services and the database all use these.

Why bounds at all: a date in the year 9999 breaks date arithmetic (there is no
next day), a year-1 date makes every working-day calculation walk two
thousand years, an amount of 10^20 pounds cannot be stored exactly, and an
id above 2^31 cannot even be looked up on PostgreSQL. Each limit below is
generous for a UK public body and small enough that nothing downstream
overflows.

Money. The largest amount Tender accepts is £10,000,000,000.00 (ten billion
pounds, to the penny: more than any council's whole-life contract). That is
1,000,000,000,000 pence, 13 significant digits, well inside the 15 that an
IEEE double holds exactly, so SQLite (which keeps NUMERIC as a double once
it has a fractional part) hands back exactly the amount that went in and the
database and the audit trail cannot disagree. PostgreSQL keeps
``NUMERIC(16, 2)`` exactly anyway.

This module is pure Python: no Flask, SQLAlchemy or WTForms.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

# Dates: the life of a procurement and of its records (a 1990s contract's
# records may still be loaded; a 2100 expiry is the longest term plus options).
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2100, 12, 31)

# Money, in pounds, to the penny.
PENNY = Decimal("0.01")
MIN_AMOUNT = PENNY
MAX_AMOUNT = Decimal("10000000000.00")

# Contract terms, in whole years.
MAX_TERM_YEARS = 50
MAX_EXTENSION_YEARS = 25
MAX_EXTENSIONS = 10

# Lots of one procurement.
MAX_LOT_NUMBER = 999

# Percentages such as an annual uplift (exclusive upper bound).
MAX_PERCENT = Decimal("100")

# Identifiers: PostgreSQL INTEGER (and so every id column and version counter).
MAX_ID = 2**31 - 1

# Numbers in definition files (workflows/*.yaml and scoring_rules/*.yaml), which people write by hand.
# Every number a file may hold has a bound here: far above what the law or a real evaluation needs, and
# small enough that nothing downstream overflows (a version is an INTEGER column; a period of days must
# leave date arithmetic inside the calendar; a score, weight or percentage must stay exact as a Decimal
# and quick to multiply). A file giving a number outside its bound is refused on load, naming the file,
# the line and the field.
MAX_DEFINITION_VERSION = 1_000_000
MAX_SHORTLIST = 1_000
MAX_PERIOD_DAYS = 3_660  # ten years
MAX_SCALE_POINT = Decimal(1_000_000)  # the highest point a scoring scale may have
SCALE_POINT_PLACES = 2  # a score is stored as NUMERIC(10, 2): a point with more places could not be kept
MAX_CEILING_PERCENT = Decimal(1_000)  # an affordability ceiling: a bid up to ten times the budget
MAX_DECIMAL_PLACES = 6  # in a weight or a percentage of an evaluation model
# A supplier's answer to one question (issue 18): a question's own word or character limit must fit inside these.
MAX_ANSWER_WORDS = 20_000
MAX_ANSWER_CHARACTERS = 150_000

# Plain text: every control character except tab, line feed and carriage return.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

DATE_MESSAGE = "Enter a date between 1 January 1990 and 31 December 2100"
CONTROL_MESSAGE = ("Remove the invisible control characters (such as a null byte) from what you typed, "
                   "then try again")


class OutOfBounds(ValueError):
    """A value outside Tender's limits; ``str()`` is an instruction for the person who typed it."""


def money_message(what: str) -> str:
    """The instruction for an amount outside the bounds."""
    return f"Enter {what} between £0.01 and £10,000,000,000"


def date_in_bounds(value: date | datetime) -> bool:
    """True if ``value`` (a date, or the date part of a datetime) lies within the life of a procurement."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def check_date(value: date | datetime, what: str = "") -> date | datetime:
    """``value`` unchanged, or OutOfBounds saying which dates to enter (naming ``what`` if given)."""
    if not date_in_bounds(value):
        suffix = f" for the {what}" if what else ""
        raise OutOfBounds(f"{DATE_MESSAGE}{suffix}.")
    return value


def parse_amount(value) -> Decimal | None:
    """Text like "£1,250,000.00" (or a number) as a Decimal; None if it is not a finite number."""
    if isinstance(value, Decimal):
        amount = value
    else:
        raw = str(value).replace(",", "").replace("£", "").strip()
        if len(raw) > 40:  # longer than any amount within the bounds, however written
            return None
        try:
            amount = Decimal(raw)
        except (InvalidOperation, ValueError):
            return None
    return amount if amount.is_finite() else None


def check_amount(amount: Decimal, what: str) -> Decimal:
    """``amount`` if it is from a penny up to the maximum, in whole pence; otherwise OutOfBounds."""
    if not amount.is_finite() or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise OutOfBounds(f"{money_message(what)}.")
    if amount != amount.quantize(PENNY):
        raise OutOfBounds(f"Enter {what} in pounds and pence, with no more than 2 decimal places.")
    return amount.quantize(PENNY)


def check_whole(value: int, low: int, high: int, message: str) -> int:
    """``value`` if ``low <= value <= high``; otherwise OutOfBounds with ``message``."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise OutOfBounds(message)
    return value


def check_term(initial_years: int, extensions: list[int]) -> tuple[int, list[int]]:
    """The initial term and extension options, each within the bounds."""
    check_whole(initial_years, 1, MAX_TERM_YEARS,
                f"Enter an initial contract term from 1 to {MAX_TERM_YEARS} years.")
    if len(extensions) > MAX_EXTENSIONS:
        raise OutOfBounds(f"Enter no more than {MAX_EXTENSIONS} extension options.")
    for years in extensions:
        check_whole(years, 1, MAX_EXTENSION_YEARS,
                    f"Enter each extension option as 1 to {MAX_EXTENSION_YEARS} years.")
    return initial_years, extensions


def check_text(value: str, what: str) -> str:
    """``value`` unchanged unless it holds control characters (a NUL byte cannot even be stored)."""
    if CONTROL_CHARACTERS.search(value):
        raise OutOfBounds(f"{CONTROL_MESSAGE} in the {what}.")
    return value


def id_in_range(value: int) -> bool:
    """True if ``value`` can be an id (positive, and fits the database's INTEGER)."""
    return 0 < value <= MAX_ID


@dataclass(frozen=True)
class Check:
    """A database CHECK constraint that mirrors one of these bounds (used by the migration)."""

    table: str
    name: str
    sql: str


def _money_sql(column: str, *, nullable: bool = False) -> str:
    condition = f"{column} >= {MIN_AMOUNT} AND {column} <= {MAX_AMOUNT}"
    return f"{column} IS NULL OR ({condition})" if nullable else condition


def _date_sql(column: str, *, nullable: bool = True, timestamp: bool = False) -> str:
    # ISO strings compare as dates on both databases (SQLite keeps them as text).
    upper = f"{column} < '{LATEST_DATE.year + 1}-01-01'" if timestamp else f"{column} <= '{LATEST_DATE.isoformat()}'"
    condition = f"{column} >= '{EARLIEST_DATE.isoformat()}' AND {upper}"
    return f"{column} IS NULL OR ({condition})" if nullable else condition


CHECKS: tuple[Check, ...] = (
    Check("procurement", "estimated_value_bounds", _money_sql("estimated_value")),
    Check("procurement", "initial_term_years_bounds", f"initial_term_years >= 1 AND initial_term_years <= {MAX_TERM_YEARS}"),
    Check("lot", "number_bounds", f"number >= 1 AND number <= {MAX_LOT_NUMBER}"),
    Check("lot", "annual_budget_bounds", _money_sql("annual_budget", nullable=True)),
    Check("funder", "annual_amount_bounds", _money_sql("annual_amount")),
    Check("funder", "annual_uplift_percent_bounds", f"annual_uplift_percent >= 0 AND annual_uplift_percent < {MAX_PERCENT}"),
    Check("milestone", "planned_date_bounds", _date_sql("planned_date")),
    Check("milestone", "actual_date_bounds", _date_sql("actual_date")),
    Check("sq_response", "received_at_bounds", _date_sql("received_at", nullable=False, timestamp=True)),
    Check("bid", "received_at_bounds", _date_sql("received_at", nullable=False, timestamp=True)),
    Check("bid", "price_bounds", _money_sql("price", nullable=True)),
)
