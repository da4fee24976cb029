"""Evaluation model files: every shipped file loads, and each kind of mistake is named."""
from __future__ import annotations

import ast
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from tender.domain.scoring.loader import load_model, load_models
from tender.domain.yaml_source import DefinitionError

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "scoring_rules"
DEMO = RULES / "community_services_quality_price_social_value.yaml"

GOOD = """\
title: Small model
scales:
  s04:
    spread: 1
    points: {0: none, 1: poor, 2: acceptable, 3: good, 4: excellent}
criteria:
  - id: pf
    title: Pass/fail
    children:
      - {id: PF1, title: Insured, pass_fail: true}
  - id: quality
    title: Quality
    weight: 70
    scale: s04
    children:
      - {id: Q1, title: Method, weight: 75, minimum: 2}
      - {id: Q2, title: Staff, weight: 25}
price:
  weight: 30
  formula: lowest_relative
tie_break: [highest_quality, lowest_price]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def marked_line(text: str) -> int:
    """The line carrying the ``# <-`` marker: where the error must point."""
    return next(i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if "# <-" in line)


@pytest.mark.parametrize("path", sorted(RULES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_model_loads(path):
    model = load_model(path)
    assert model.title
    assert sum(model.top_level_weights.values()) == 100
    assert model.questions()


def test_at_least_two_models_are_shipped_and_load_models_keys_them_by_file_name():
    models = load_models(RULES)
    assert {"community_services_quality_price_social_value", "selection_questionnaire"} <= set(models)


def test_demo_model_weights_become_marks_out_of_100():
    model = load_model(DEMO)
    # quality 60 x Q1 30% x Q1.1 50% = 9 marks; Q3 = 60 x 25% = 15; SV1 = 10 x 50% = 5
    assert model.criterion("Q1.1").marks == Decimal(9)
    assert model.criterion("Q3").marks == Decimal(15)
    assert model.criterion("SV1").marks == Decimal(5)
    assert sum(q.marks for q in model.questions()) == 70  # everything but price
    assert model.top_level_weights == {"quality": 60, "social_value": 10, "price": 30}
    assert model.criterion("Q3").scale.descriptor(Decimal(4)).startswith("Excellent")
    assert model.needs_budget


def test_a_good_small_model_loads_with_defaults(tmp_path):
    model = load_model(write(tmp_path, GOOD))
    assert model.name == "model"
    assert model.final_score_method == "moderation"
    assert [q.id for q in model.questions()] == ["PF1", "Q1", "Q2"]
    assert model.criterion("quality").group == "quality"
    assert model.criterion("Q1").minimum == 2
    assert not model.needs_budget


def assert_refused(tmp_path, text, field, words):
    with pytest.raises(DefinitionError) as caught:
        load_model(write(tmp_path, text))
    error = caught.value
    assert (error.line, error.field) == (marked_line(text), field), str(error)
    assert words in error.message
    assert str(tmp_path / "model.yaml") in str(error)


def test_section_weights_that_do_not_add_up_name_the_level_and_its_sum(tmp_path):
    text = GOOD.replace("    children:\n      - {id: Q1", "    children:  # <-\n      - {id: Q1").replace(
        "weight: 25}", "weight: 20}")
    assert_refused(tmp_path, text, "criteria[quality].children", "children of quality add up to 95, not 100")


def test_top_level_weights_that_do_not_add_up_count_the_price(tmp_path):
    text = GOOD.replace("criteria:\n", "criteria:  # <-\n").replace("weight: 70", "weight: 60")
    assert_refused(tmp_path, text, "criteria", "add up to 90, not 100 (quality 60 + price 30)")


def test_a_minimum_outside_the_scale_is_refused(tmp_path):
    text = GOOD.replace("{id: Q1, title: Method, weight: 75, minimum: 2}",
                        "{id: Q1, title: Method, weight: 75, minimum: 5}  # <-")
    assert_refused(tmp_path, text, "criteria[Q1].minimum", "5 is not a point on scale s04")


def test_an_unknown_criterion_in_the_tie_break_is_refused(tmp_path):
    text = GOOD.replace("tie_break: [highest_quality, lowest_price]", "tie_break:\n  - highest_score: Q9  # <-")
    assert_refused(tmp_path, text, "tie_break[0]", "unknown criterion 'Q9'")


def test_an_unknown_scale_is_refused(tmp_path):
    text = GOOD.replace("    scale: s04\n", "    scale: s05  # <-\n")
    assert_refused(tmp_path, text, "criteria[quality].scale", "unknown scale 's05'")


def test_an_unknown_key_is_refused_so_typos_do_not_pass_silently(tmp_path):
    text = GOOD.replace("  formula: lowest_relative", "  formula: lowest_relative\n  wieght: 3  # <-")
    assert_refused(tmp_path, text, "price.wieght", "unknown key")


def test_an_unknown_price_formula_is_refused(tmp_path):
    text = GOOD.replace("  formula: lowest_relative", "  formula: cheapest  # <-")
    assert_refused(tmp_path, text, "price.formula", "must be one of lowest_relative, budget_relative")


def test_a_criterion_id_used_twice_is_refused(tmp_path):
    text = GOOD.replace("{id: Q2, title: Staff, weight: 25}", "{id: Q1, title: Staff, weight: 25}  # <-")
    assert_refused(tmp_path, text, "criteria[Q1].id", "already used")


def test_a_pass_fail_question_cannot_carry_a_weight(tmp_path):
    text = GOOD.replace("{id: PF1, title: Insured, pass_fail: true}",
                        "{id: PF1, title: Insured, pass_fail: true, weight: 5}  # <-")
    assert_refused(tmp_path, text, "criteria[PF1].weight", "a pass/fail question has no weight")


def test_a_scale_point_that_is_not_a_number_is_refused(tmp_path):
    text = GOOD.replace("4: excellent}", "4: excellent, high: best}  # <-")
    assert_refused(tmp_path, text, "scales[s04].points", "must be a number")


def test_a_spread_wider_than_the_scale_is_refused(tmp_path):
    text = GOOD.replace("    spread: 1", "    spread: 9  # <-")
    assert_refused(tmp_path, text, "scales[s04].spread", "at most 4")


def test_budget_relative_needs_its_full_marks_percentage(tmp_path):
    text = GOOD.replace("  formula: lowest_relative", "  formula: budget_relative  # <-")
    assert_refused(tmp_path, text, "price.full_marks_below_budget_percent", "is missing")


def test_a_missing_title_is_refused(tmp_path):
    text = GOOD.replace("title: Small model\n", "").replace("scales:\n", "scales:  # <-\n", 1)
    assert_refused(tmp_path, text, "title", "is missing")


def test_a_yaml_syntax_error_names_the_line(tmp_path):
    with pytest.raises(DefinitionError) as caught:
        load_model(write(tmp_path, GOOD.replace("title: Pass/fail", "title: [unclosed")))
    assert caught.value.line is not None


def test_the_scoring_domain_imports_no_web_or_database_library():
    for path in (ROOT / "tender" / "domain" / "scoring").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [n for n in names if n.split(".")[0].lower() in {"flask", "sqlalchemy", "wtforms", "flask_wtf"}]


def test_the_price_envelope_opens_after_quality_unless_the_model_says_any_time(tmp_path):
    from tender.domain.scoring import load_model
    from tender.domain.yaml_source import DefinitionError

    base = (ROOT / "scoring_rules" / "community_services_quality_price_social_value.yaml").read_text()
    assert load_model(ROOT / "scoring_rules" / "community_services_quality_price_social_value.yaml").price.opening == "after_quality"
    early = tmp_path / "early.yaml"
    early.write_text(base.replace("  formula: lowest_relative", "  opening: any_time\n  formula: lowest_relative", 1))
    assert load_model(early).price.opening == "any_time"
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(base.replace("  formula: lowest_relative", "  opening: whenever\n  formula: lowest_relative", 1))
    with pytest.raises(DefinitionError, match="price.opening"):
        load_model(wrong)
