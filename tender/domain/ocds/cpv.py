"""The Common Procurement Vocabulary (CPV 2008): the whole list, checking a code, and finding one.

Tender ships the whole CPV 2008 main vocabulary (9,457 codes with their
English labels; Commission Regulation (EC) No 213/2008, Annex I), which UK
notices still use, as ``cpv2008.csv`` beside this module (provenance in
``cpv2008.NOTICE.md``). No maintained PyPI package provides it.

The list is read once per process and indexed: codes by their 8 digits (a
code prefix is a range of the sorted list) and by the words of their labels
(a word prefix is a range of the sorted vocabulary), so a search touches only
the codes that can match. Pure: no Flask, no database.
"""
from __future__ import annotations

import bisect
import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

CPV_SOURCE = "Commission Regulation (EC) No 213/2008, Annex I (CPV 2008 main vocabulary)"
_SHAPE = re.compile(r"^\d{8}-\d$")
_CODE_QUERY = re.compile(r"^\d{1,8}(?:-\d?)?$")
_WORD = re.compile(r"[a-z0-9]+")
#: The most matches a search returns; the rest are counted, not listed.
SEARCH_LIMIT = 50
#: Words officers use that the vocabulary does not: each phrase also matches labels with any of these word
#: prefixes (the CPV's labels say "psychiatric" and "psychologist", never "mental health").
SYNONYMS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("mental", "health"): ("psychiatr", "psycholog", "counselling"),
    ("mental",): ("psychiatr", "psycholog"),
    ("social", "care"): ("social work", "welfare"),
    ("older", "people"): ("elderly",),
    ("disability",): ("handicapped", "disabled"),
    ("disabilities",): ("handicapped", "disabled"),
}


@dataclass(frozen=True)
class Match:
    """One code found by :func:`search`."""

    code: str
    label: str


@dataclass(frozen=True)
class SearchResult:
    """The first ``SEARCH_LIMIT`` matches, broadest first, and how many there were in all."""

    query: str
    matches: tuple[Match, ...]
    total: int


@dataclass(frozen=True)
class _Index:
    labels: dict[str, str]  # code -> label, in file order
    codes: tuple[str, ...]  # sorted
    words: tuple[str, ...]  # every label word, sorted
    codes_of_word: dict[str, frozenset[str]]
    phrases: dict[str, str]  # code -> " word word ... " for phrase checks


@lru_cache(maxsize=1)
def _index() -> _Index:
    text = resources.files(__package__).joinpath("cpv2008.csv").read_text(encoding="utf-8")
    labels = {row["code"]: row["label"] for row in csv.DictReader(io.StringIO(text))}
    codes_of_word: dict[str, set[str]] = {}
    phrases = {}
    for code, label in labels.items():
        words = _WORD.findall(label.lower())
        phrases[code] = f" {' '.join(words)} "
        for word in words:
            codes_of_word.setdefault(word, set()).add(code)
    return _Index(labels, tuple(sorted(labels)), tuple(sorted(codes_of_word)),
                  {word: frozenset(codes) for word, codes in codes_of_word.items()}, phrases)


def cpv_codes() -> dict[str, str]:
    """CPV code (``85323000-9``) -> its English label, in file order."""
    return _index().labels


def cpv_problem(code: str) -> str | None:
    """None if ``code`` is a CPV 2008 code, else an instruction for the officer."""
    if not _SHAPE.match(code or ""):
        return "Enter a CPV code as 8 digits, a hyphen and the check digit, like 85323000-9."
    if code not in cpv_codes():
        return (f"{code} is not in the CPV list Tender holds. Check the code and its last digit (the check digit), "
                "or search the list by code or words.")
    return None


def cpv_label(code: str) -> str:
    """The label of a known code (empty for an unknown one)."""
    return cpv_codes().get(code, "")


def search(query: str, limit: int = SEARCH_LIMIT) -> SearchResult:
    """Codes whose code starts with ``query`` (digits), or whose label has every word of it (as word prefixes).

    "8532" finds 85320000-8 and everything under it; "community health"
    finds 85323000-9; "mental health" also finds the psychiatric and
    psychological services (``SYNONYMS``). Broadest codes first, then by code.
    """
    query = " ".join((query or "").split())[:200]
    index = _index()
    if not query:
        return SearchResult(query, (), 0)
    compact = query.replace(" ", "")
    if len(compact) == 9 and compact.isdigit():  # a code typed without its hyphen
        compact = f"{compact[:8]}-{compact[8]}"
    found = _by_code(index, compact) if _CODE_QUERY.match(compact) else _by_words(index, query.lower())
    ranked = sorted(found, key=lambda code: (len(code[:8].rstrip("0")), code))
    return SearchResult(query, tuple(Match(code, index.labels[code]) for code in ranked[:limit]), len(ranked))


def _by_code(index: _Index, prefix: str) -> list[str]:
    if "-" in prefix:  # a whole code, perhaps without its check digit
        digits, check = prefix.split("-")
        return [code for code in _prefixed(index.codes, digits) if not check or code.endswith(f"-{check}")]
    return _prefixed(index.codes, prefix)


def _prefixed(ordered: tuple[str, ...], prefix: str) -> list[str]:
    """The entries of a sorted tuple that start with ``prefix``."""
    start = bisect.bisect_left(ordered, prefix)
    end = bisect.bisect_left(ordered, prefix + "\uffff")
    return list(ordered[start:end])


def _by_words(index: _Index, query: str) -> set[str]:
    """Every group of the query (a word, or a phrase with its synonyms) must match; a group's alternatives any."""
    found: set[str] | None = None
    for alternatives in _groups(_WORD.findall(query)):
        codes = set().union(*(_with_phrase(index, alternative) for alternative in alternatives))
        found = codes if found is None else found & codes
        if not found:
            return set()
    return found or set()


def _groups(words: list[str]) -> list[tuple[str, ...]]:
    """The query's words, a phrase that has synonyms taken together with them (longest phrase first)."""
    groups, i = [], 0
    longest = max(len(phrase) for phrase in SYNONYMS)
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            phrase = tuple(words[i:i + size])
            if phrase in SYNONYMS:
                groups.append((" ".join(phrase), *SYNONYMS[phrase]))
                i += size
                break
        else:
            groups.append((words[i],))
            i += 1
    return groups


def _with_phrase(index: _Index, alternative: str) -> set[str]:
    """Codes whose label has ``alternative``: one word prefix, or several words in a row (the last a prefix)."""
    words = alternative.split()
    codes = set().union(*(index.codes_of_word[w] for w in _prefixed(index.words, words[0])))
    if len(words) == 1:
        return codes
    needle = " " + alternative
    return {code for code in codes if needle in index.phrases[code]}
