"""The whole CPV 2008 vocabulary ships, every code of it is accepted, and officers find codes by words or digits."""
from __future__ import annotations

import csv
import io
from importlib import resources

import pytest

from tender.domain.ocds import cpv


def test_the_whole_vocabulary_ships_with_its_provenance():
    codes = cpv.cpv_codes()
    assert len(codes) == 9457
    assert all(cpv.cpv_problem(code) is None for code in codes)
    notice = resources.files("tender.domain.ocds").joinpath("cpv2008.NOTICE.md").read_text(encoding="utf-8")
    assert "213/2008" in notice and "9,457" in notice


@pytest.mark.parametrize("code, label", [
    ("72000000-5", "IT services: consulting, software development, Internet and support"),
    ("45000000-7", "Construction work"),
    ("85323000-9", "Community health services"),
])
def test_codes_outside_health_and_social_care_are_accepted(code, label):
    assert cpv.cpv_problem(code) is None
    assert cpv.cpv_label(code) == label


def test_a_code_with_a_wrong_check_digit_is_refused_with_what_to_do():
    assert "not in the CPV list" in cpv.cpv_problem("72000000-4")
    assert "check digit" in cpv.cpv_problem("72000000-4")


def _codes(query: str) -> list[str]:
    return [match.code for match in cpv.search(query, limit=10_000).matches]


def test_words_find_the_codes_whose_labels_have_every_word():
    assert _codes("community health") == ["85323000-9"]
    assert _codes("Community   HEALTH services") == ["85323000-9"]
    assert "85312320-8" in _codes("counselling")


def test_mental_health_finds_the_psychiatric_and_psychological_services_and_not_environmental_ones():
    found = cpv.search("mental health")
    codes = [m.code for m in found.matches]
    assert {"85121270-6", "85111500-5", "85312320-8"} <= set(codes)
    assert not any("nvironmental" in m.label for m in found.matches)  # "mental" is a word, not a substring
    assert found.total == len(codes)


def test_a_code_prefix_finds_that_part_of_the_tree_broadest_first():
    assert _codes("8532") == ["85320000-8", "85321000-5", "85322000-2", "85323000-9"]
    under_45 = _codes("45")
    assert under_45[0] == "45000000-7" and all(code.startswith("45") for code in under_45)
    assert len(under_45) == sum(1 for code in cpv.cpv_codes() if code.startswith("45"))


@pytest.mark.parametrize("query", ["72000000-5", "72000000", "720000005", "72000000 5"])
def test_a_whole_code_finds_that_code(query):
    assert _codes(query)[0] == "72000000-5"


def test_a_wide_search_lists_the_first_matches_and_counts_them_all():
    found = cpv.search("services")
    assert len(found.matches) == cpv.SEARCH_LIMIT < found.total
    depths = [len(m.code[:8].rstrip("0")) for m in found.matches]
    assert depths == sorted(depths)


@pytest.mark.parametrize("query", ["", "   ", "!!!", "zzzzqqq", "99999999-9", "x" * 5000])
def test_nothing_matches_nonsense_and_nothing_breaks(query):
    found = cpv.search(query)
    assert found.matches == () and found.total == 0


def test_the_list_is_read_and_indexed_once():
    cpv.search("health")
    cpv.search("8532")
    cpv.cpv_problem("85323000-9")
    assert cpv._index.cache_info().misses <= 1


def test_the_shipped_file_is_the_shared_vocabulary_unchanged():
    text = resources.files("tender.domain.ocds").joinpath("cpv2008.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["code", "label"]
    assert [row[0] for row in rows[1:]] == list(cpv.cpv_codes())
