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
    gone = left_behind(cpn, "award_decision")
    assert set(gone) == {"negotiation_started", "final_tenders_invited", "final_tender_deadline"} | {
        "sq_published", "sq_deadline", "sq_evaluation_started", "itt_issued", "initial_tender_deadline"}
    assert gone["negotiation_started"] == cpn.stage("negotiation").title
    assert "award_letters_sent" not in gone and "service_live" not in gone


def test_while_negotiation_is_still_possible_nothing_ahead_is_left_behind(cpn):
    gone = left_behind(cpn, "initial_tender_evaluation")
    assert not {"negotiation_started", "final_tender_deadline", "award_recommended", "service_live"} & set(gone)
    assert "abandoned" in reachable_stages(cpn, "initial_tender_evaluation")


def test_an_abandoned_procurement_leaves_every_milestone_behind(cpn):
    assert set(left_behind(cpn, "abandoned")) == {m.key for m in cpn.milestones}
