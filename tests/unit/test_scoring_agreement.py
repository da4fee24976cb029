"""Krippendorff's alpha (interval) for the panel, per question and per evaluator."""
from __future__ import annotations

import random
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tender.domain.scoring.aggregate import IndividualScore
from tender.domain.scoring.agreement import (agreement, agreement_from_json, agreement_to_json,
                                            krippendorff_alpha_interval)
from tender.domain.scoring.loader import load_model

DEMO = load_model(Path(__file__).resolve().parents[2] / "scoring_rules"
                  / "community_services_quality_price_social_value.yaml")


def units_from_rows(rows: dict[str, list]) -> dict:
    """coder -> values by unit (None = missing) into unit -> coder -> value."""
    units: dict = {}
    for coder, values in rows.items():
        for unit, value in enumerate(values):
            if value is not None:
                units.setdefault(unit, {})[coder] = D(value)
    return units


def test_krippendorffs_published_example_gives_0_849():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers,
    # 12 units, missing values; interval alpha = 0.849.
    _ = None
    rows = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
        "C": [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
    }
    assert round(krippendorff_alpha_interval(units_from_rows(rows)), 3) == D("0.849")


def test_small_example_worked_by_hand():
    # Unit 1: 1 and 2; unit 2: 3 and 3. n = 4 pairable values.
    # D_o = [(1-2)^2 + (2-1)^2] / (2 - 1) / 4 = 0.5
    # D_e = sum over ordered pairs of [1, 2, 3, 3] = 2 x (1 + 4 + 4 + 1 + 1 + 0) = 22, / (4 x 3) = 11/6
    # alpha = 1 - 0.5 / (11/6) = 1 - 3/11 = 8/11
    units = {1: {"x": D(1), "y": D(2)}, 2: {"x": D(3), "y": D(3)}}
    assert abs(krippendorff_alpha_interval(units) - D(8) / D(11)) < D("1e-20")


def test_perfect_agreement_is_1_and_undefined_cases_are_none():
    assert krippendorff_alpha_interval({1: {"x": D(1), "y": D(1)}, 2: {"x": D(3), "y": D(3)}}) == 1
    assert krippendorff_alpha_interval({1: {"x": D(2), "y": D(2)}}) is None  # no variation
    assert krippendorff_alpha_interval({1: {"x": D(2)}, 2: {"y": D(3)}}) is None  # nothing pairable


values = st.integers(min_value=0, max_value=4).map(D)
panels = st.dictionaries(st.integers(0, 6), st.dictionaries(st.sampled_from("abc"), values, min_size=1),
                         min_size=1)


@given(panels, st.integers(-5, 5))
def test_alpha_is_at_most_1_and_ignores_a_shift_of_every_score(units, shift):
    alpha = krippendorff_alpha_interval(units)
    shifted = {u: {c: v + shift for c, v in coders.items()} for u, coders in units.items()}
    assert alpha == krippendorff_alpha_interval(shifted)
    assert alpha is None or alpha <= 1


def test_agreement_shows_which_evaluator_scores_apart_from_the_panel():
    rows = []
    for bidder, score in (("A", 0), ("B", 1), ("C", 2), ("D", 3), ("E", 4)):
        for question in ("Q3", "Q4"):
            rows.append(IndividualScore("ann", bidder, question, D(score)))
            rows.append(IndividualScore("bob", bidder, question, D(score)))
            rows.append(IndividualScore("cat", bidder, question, D(4 - score)))  # reversed: apart
    rows.append(IndividualScore("ann", "A", "C1", True))  # pass/fail: left out
    report = agreement(DEMO, rows)
    assert set(report.by_criterion) == {"Q3", "Q4"}
    assert report.overall < D("0.5")
    assert report.by_evaluator["cat"].alpha_without == 1  # ann and bob agree exactly
    assert report.by_evaluator["cat"].change > 0
    assert report.by_evaluator["ann"].change < 0
    # cat's deviation from the others' mean, as a fraction of the 0-4 scale, averages to 0 here
    # (as generous on low scores as severe on high ones)
    assert report.by_evaluator["cat"].mean_deviation == 0


def naive_report(model, rows):
    """The report as the definition says it, unit by unit with Decimal (the reference)."""
    scored = [i for i in rows if not isinstance(i.score, bool)]
    panel, raw = {}, {}
    for i in scored:
        panel.setdefault((i.bidder, i.criterion), {})[i.evaluator] = i.score / model.criterion(i.criterion).scale.maximum
        raw.setdefault(i.criterion, {}).setdefault(i.bidder, {})[i.evaluator] = i.score
    by_evaluator = {}
    for e in sorted({i.evaluator for i in scored}):
        without = {u: {c: v for c, v in coders.items() if c != e} for u, coders in panel.items()}
        deviations = [coders[e] - sum(without[u].values()) / len(without[u])
                      for u, coders in panel.items() if e in coders and without[u]]
        by_evaluator[e] = (krippendorff_alpha_interval(without),
                           sum(deviations) / len(deviations) if deviations else None)
    return (krippendorff_alpha_interval(panel), {q: krippendorff_alpha_interval(u) for q, u in raw.items()},
            by_evaluator)


def close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < D("1e-20"))


@pytest.mark.parametrize("seed", range(12))
def test_agreement_from_sums_matches_the_definition_with_missing_scores(seed):
    rng = random.Random(seed)
    scored_questions = [q for q in DEMO.questions() if not q.pass_fail]
    rows = []
    for bidder in "ABCDEFG"[:rng.randrange(1, 8)]:
        base = rng.randrange(0, 5)
        for question in rng.sample(scored_questions, rng.randrange(1, len(scored_questions) + 1)):
            for evaluator in ("ann", "bob", "cat", "dan", "eve"):
                if rng.random() < 0.7:
                    points = question.scale.values
                    rows.append(IndividualScore(evaluator, bidder, question.id,
                                                points[min(len(points) - 1, max(0, base + rng.choice((-1, 0, 1))))]))
    report = agreement(DEMO, rows)
    overall, by_criterion, by_evaluator = naive_report(DEMO, rows)
    assert close(report.overall, overall)
    assert set(report.by_criterion) == set(by_criterion)
    assert all(close(report.by_criterion[q], by_criterion[q]) for q in by_criterion)
    assert set(report.by_evaluator) == set(by_evaluator)
    for e, (alpha_without, mean_deviation) in by_evaluator.items():
        assert close(report.by_evaluator[e].alpha_without, alpha_without)
        assert close(report.by_evaluator[e].mean_deviation, mean_deviation)
    # What is kept when the scores freeze reads back as the same report, to every digit.
    assert agreement_from_json(agreement_to_json(report)) == report


def test_a_report_with_undefined_figures_reads_back_the_same():
    rows = [IndividualScore("ann", "A", "Q3", D(2)), IndividualScore("bob", "A", "Q3", D(2)),
            IndividualScore("ann", "B", "Q4", D(1))]
    report = agreement(DEMO, rows)
    assert report.overall is None and report.by_evaluator["ann"].alpha_without is None
    assert agreement_from_json(agreement_to_json(report)) == report
