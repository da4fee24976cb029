"""From individual scores to final scores, and the spread flags for moderation."""
from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from tender.domain.scoring.aggregate import IndividualScore, final_scores, spread_flags
from tender.domain.scoring.loader import load_model
from tender.domain.scoring.model import EvaluationInputError

RULES = Path(__file__).resolve().parents[2] / "scoring_rules"
DEMO = load_model(RULES / "community_services_quality_price_social_value.yaml")  # moderation, spread 1
SQ = load_model(RULES / "selection_questionnaire.yaml")  # mean, spread 25


def scores(rows):
    """rows of (evaluator, bidder, criterion, score) -> IndividualScore objects."""
    return [IndividualScore(e, b, c, s if isinstance(s, bool) else D(s)) for e, b, c, s in rows]


def test_mean_method_averages_the_evaluators():
    individual = scores([("ann", "North", "TP1", 50), ("bob", "North", "TP1", 75), ("cat", "North", "TP1", 100)])
    # (50 + 75 + 100) / 3 = 75
    assert final_scores(SQ, individual) == {"North": {"TP1": D(75)}}


def test_mean_method_keeps_the_unrounded_mean():
    individual = scores([("ann", "N", "TP2", 50), ("bob", "N", "TP2", 50), ("cat", "N", "TP2", 75)])
    # 175 / 3 = 58.333...; rounding happens only at output
    assert abs(final_scores(SQ, individual)["N"]["TP2"] - D(175) / D(3)) < D("1e-20")


def test_mean_method_needs_moderation_when_evaluators_split_on_pass_fail():
    individual = scores([("ann", "N", "EX1", True), ("bob", "N", "EX1", False)])
    with pytest.raises(EvaluationInputError, match="disagree on pass/fail"):
        final_scores(SQ, individual)
    assert final_scores(SQ, individual, {("N", "EX1"): False}) == {"N": {"EX1": False}}
    agreed = scores([("ann", "N", "EX1", True), ("bob", "N", "EX1", True)])
    assert final_scores(SQ, agreed) == {"N": {"EX1": True}}


def test_moderation_method_uses_the_consensus_score():
    individual = scores([("ann", "Acme", "Q3", 2), ("bob", "Acme", "Q3", 4)])
    assert final_scores(DEMO, individual, {("Acme", "Q3"): D(3)}) == {"Acme": {"Q3": D(3)}}


def test_moderation_method_refuses_an_answer_not_yet_moderated():
    individual = scores([("ann", "Acme", "Q3", 2), ("bob", "Acme", "Q3", 4)])
    with pytest.raises(EvaluationInputError, match="no moderated score"):
        final_scores(DEMO, individual, {})


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (("ann", "Acme", "Q9", 2), "Q9 is not a question"),
        (("ann", "Acme", "Q1", 2), "Q1 is not a question"),  # a section
        (("ann", "Acme", "Q3", 5), "not a point on the scale"),
        (("ann", "Acme", "Q3", "2.5"), "not a point on the scale"),
        (("ann", "Acme", "C1", 1), "must be pass or fail"),
    ],
)
def test_individual_scores_off_the_model_are_refused(row, words):
    with pytest.raises(EvaluationInputError, match=words):
        final_scores(DEMO, scores([row]), {})


def test_the_same_evaluator_cannot_score_an_answer_twice():
    with pytest.raises(EvaluationInputError, match="twice"):
        spread_flags(DEMO, scores([("ann", "Acme", "Q3", 2), ("ann", "Acme", "Q3", 3)]))


def test_spread_flags_answers_scored_further_apart_than_the_scale_allows():
    individual = scores([
        ("ann", "Acme", "Q3", 1), ("bob", "Acme", "Q3", 3), ("cat", "Acme", "Q3", 2),  # 3 - 1 = 2 > 1: flag
        ("ann", "Acme", "Q4", 2), ("bob", "Acme", "Q4", 3),  # 1 apart: allowed
        ("ann", "Beta", "Q3", 4), ("bob", "Beta", "Q3", 0),  # 4 apart: flag
        ("ann", "Beta", "C1", True), ("bob", "Beta", "C1", False),  # pass/fail: not a spread
    ])
    flags = spread_flags(DEMO, individual)
    assert [(f.bidder, f.criterion, f.lowest, f.highest, f.spread) for f in flags] == [
        ("Acme", "Q3", D(1), D(3), D(2)),
        ("Beta", "Q3", D(0), D(4), D(4)),
    ]
    assert flags[0].allowed == D(1)


def test_spread_flags_do_not_depend_on_row_order():
    individual = scores([("ann", "A", "TP1", 0), ("bob", "A", "TP1", 75), ("ann", "B", "TP2", 100),
                         ("bob", "B", "TP2", 50)])
    assert spread_flags(SQ, individual) == spread_flags(SQ, list(reversed(individual)))
    assert [(f.bidder, f.criterion) for f in spread_flags(SQ, individual)] == [("A", "TP1"), ("B", "TP2")]
