"""Which milestones a procurement can no longer reach: skipped stages and ended procurements."""
from __future__ import annotations

from pathlib import Path

import pytest

from tender.domain.guards import KNOWN_GUARDS
from tender.domain.milestone_scope import left_behind, reachable_stages
from tender.domain.workflow_definition import load_definition

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


@pytest.fixture(scope="module")
def cpn():
    return load_definition(WORKFLOWS / "competitive_procedure_with_negotiation.yaml", KNOWN_GUARDS)


def test_awarding_on_initial_tenders_leaves_the_negotiation_milestones_behind(cpn):
    gone = left_behind(cpn, "initial_tender_evaluation", "award_decision")
    assert set(gone) == {"negotiation_started", "final_tenders_invited", "final_tender_deadline"}
    assert gone["negotiation_started"] == cpn.stage("negotiation").title


def test_moving_along_the_usual_path_leaves_nothing_behind(cpn):
    assert left_behind(cpn, "sq_closed", "sq_evaluation") == {}
    assert left_behind(cpn, "initial_tender_evaluation", "negotiation") == {}
    assert left_behind(cpn, "mobilisation", "live") == {}
    assert "abandoned" in reachable_stages(cpn, "initial_tender_evaluation")


def test_an_abandoned_procurement_leaves_every_milestone_ahead_behind_but_not_those_before(cpn):
    gone = set(left_behind(cpn, "itt_issued", "abandoned"))
    assert gone == {m.key for m in cpn.milestones} - {"sq_published", "sq_deadline", "sq_evaluation_started",
                                                       "itt_issued"}
