"""Common Procurement Vocabulary (CPV 2008) codes: the list Tender ships, and checking a code against it.

No maintained PyPI package provides the CPV list (searched December 2026), so
Tender ships it as ``cpv2008.csv`` in this package. Source: Commission
Regulation (EC) No 213/2008, Annex I (main vocabulary, English), which UK
procurement notices still use. The shipped file holds the 45 divisions and the
health and social work services codes (division 85, groups 851 and 853) that
community services procurements need; a code outside the file is refused with
a message saying so, and the file can be extended from the Regulation's annex
(same two columns: ``code`` with its check digit, ``label``).
"""
from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from importlib import resources

CPV_SOURCE = "Commission Regulation (EC) No 213/2008, Annex I (CPV 2008 main vocabulary)"
_SHAPE = re.compile(r"^\d{8}-\d$")


@lru_cache(maxsize=1)
def cpv_codes() -> dict[str, str]:
    """CPV code (``85323000-9``) -> its English label, in file order."""
    text = resources.files(__package__).joinpath("cpv2008.csv").read_text(encoding="utf-8")
    return {row["code"]: row["label"] for row in csv.DictReader(io.StringIO(text))}


def cpv_problem(code: str) -> str | None:
    """None if ``code`` is a CPV code Tender knows, else an instruction for the officer."""
    if not _SHAPE.match(code or ""):
        return "Enter a CPV code as 8 digits, a hyphen and the check digit, like 85323000-9."
    if code not in cpv_codes():
        return (f"{code} is not in the CPV list Tender holds. Check the code, or choose a broader one "
                "from the list.")
    return None


def cpv_label(code: str) -> str:
    """The label of a known code (empty for an unknown one)."""
    return cpv_codes().get(code, "")
