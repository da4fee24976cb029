"""The canonical manifest, its hash, the tender box register, and answer limits in evaluation models (issue 18)."""
from __future__ import annotations

import hashlib
import textwrap

import pytest

from tender.domain import submission_manifest as m
from tender.domain.scoring.loader import load_model
from tender.domain.yaml_source import DefinitionError
from tests.unit.test_scoring_models import GOOD, RULES

A, B = "a" * 64, "b" * 64


def _manifest(**changes):
    values = dict(procurement="KCC-1", lot=1, round_="final", supplier="Acme Care Ltd",
                  answers={"Q1": "We will.\r\nReally."}, files=[m.ManifestFile("b.pdf", B, 10, "Q1"),
                                                                m.ManifestFile("a.pdf", A, 20)],
                  price_commitment="c" * 64)
    values.update(changes)
    return m.manifest(**values)


def test_the_canonical_bytes_are_fixed_sorted_and_compact():
    body = _manifest()
    text = m.canonical_bytes(body).decode()
    assert text.startswith('{"answers":{"Q1":"We will.\\nReally."},"files":[{"name":"a.pdf","question":"",')
    assert " " not in text.replace("We will.", "").replace("Acme Care Ltd", "")
    assert m.manifest_hash(body) == hashlib.sha256(text.encode()).hexdigest()


def test_the_same_submission_however_it_was_typed_or_ordered_has_the_same_hash():
    same = _manifest(answers={"Q1": "We will.\nReally.  "},
                     files=[m.ManifestFile("a.pdf", A, 20), m.ManifestFile("b.pdf", B, 10, "Q1")])
    assert m.manifest_hash(same) == m.manifest_hash(_manifest())
    decomposed = _manifest(supplier="Cafe\u0301 Ltd")
    composed = _manifest(supplier="Caf\u00e9 Ltd")
    assert m.manifest_hash(decomposed) == m.manifest_hash(composed)


@pytest.mark.parametrize("change", [dict(answers={"Q1": "We won't."}), dict(price_commitment="d" * 64),
                                    dict(files=[m.ManifestFile("a.pdf", A, 20)]), dict(lot=2),
                                    dict(round_="initial"), dict(supplier="Other Ltd")])
def test_any_change_to_what_was_submitted_changes_the_hash(change):
    assert m.manifest_hash(_manifest(**change)) != m.manifest_hash(_manifest())


def test_a_malformed_hash_is_refused():
    with pytest.raises(ValueError):
        _manifest(files=[m.ManifestFile("a.pdf", "not-a-hash", 1)])
    with pytest.raises(ValueError):
        m.register_text(["XYZ"])


def test_the_register_is_sorted_unique_lines_and_its_digest_is_of_that_text():
    assert m.register_text([B, A, B]) == f"{A}\n{B}\n"
    assert m.register_digest([B, A]) == hashlib.sha256(f"{A}\n{B}\n".encode()).hexdigest()
    assert m.register_text([]) == ""


def test_answer_lengths_are_counted_as_a_reader_counts_them():
    assert m.word_count("  one two\nthree\t four ") == 4
    assert m.length_problem("one two three", word_limit=3, character_limit=None) is None
    assert m.length_problem("one two three four", word_limit=3, character_limit=None) == \
        "Shorten the answer to 3 words or fewer (it has 4)"
    assert m.length_problem("abcdef", word_limit=None, character_limit=5) == \
        "Shorten the answer to 5 characters or fewer (it has 6)"
    assert m.character_count("a\r\nb") == 3


def _write(tmp_path, text):
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_word_and_character_limits_load_on_questions(tmp_path):
    text = GOOD.replace("{id: Q1, title: Method, weight: 75, minimum: 2}",
                        "{id: Q1, title: Method, weight: 75, minimum: 2, word_limit: 750}").replace(
        "{id: PF1, title: Insured, pass_fail: true}", "{id: PF1, title: Insured, pass_fail: true, character_limit: 500}")
    model = load_model(_write(tmp_path, text))
    found = {q.id: (q.word_limit, q.character_limit) for top in model.criteria for q in top.questions()}
    assert found == {"PF1": (None, 500), "Q1": (750, None), "Q2": (None, None)}


@pytest.mark.parametrize("bad, field, words", [
    ("word_limit: 0", "criteria[Q1].word_limit", "whole number from 1 to 20,000, not 0"),
    ("word_limit: 12.5", "criteria[Q1].word_limit", "not 12.5"),
    ("character_limit: lots", "criteria[Q1].character_limit", "not 'lots'"),
    ("word_limit: true", "criteria[Q1].word_limit", "not True"),
    ("character_limit: 999999999", "criteria[Q1].character_limit", "from 1 to 150,000"),
])
def test_a_bad_limit_is_refused_naming_file_line_and_field(tmp_path, bad, field, words):
    text = GOOD.replace("      - {id: Q1, title: Method, weight: 75, minimum: 2}",
                        f"      - id: Q1\n        title: Method\n        weight: 75\n        {bad}")
    with pytest.raises(DefinitionError) as caught:
        load_model(_write(tmp_path, text))
    error = caught.value
    assert error.field == field and words in error.message, str(error)
    assert error.line == textwrap.dedent(text).splitlines().index(f"        {bad}") + 1
    assert str(tmp_path / "model.yaml") in str(error)


def test_a_limit_on_a_section_is_refused(tmp_path):
    text = GOOD.replace("    scale: s04\n", "    scale: s04\n    word_limit: 100\n")
    with pytest.raises(DefinitionError, match="belongs on a question"):
        load_model(_write(tmp_path, text))


def test_the_shipped_tender_and_selection_models_set_limits_on_every_question():
    for name in ("community_services_quality_price_social_value", "selection_questionnaire"):
        model = load_model(RULES / f"{name}.yaml")
        for q in (q for top in model.criteria for q in top.questions()):
            assert q.word_limit or q.character_limit, f"{name}: {q.id} has no limit"
