"""What changed between two versions of a procedure, one sentence per difference (tender.domain.workflow_changes)."""
from __future__ import annotations

from pathlib import Path

from tender.domain.guards import KNOWN_GUARDS
from tender.domain.workflow_changes import changes_between
from tender.domain.workflow_definition import definition_from_text

ROOT = Path(__file__).resolve().parents[2]
CPN = "competitive_procedure_with_negotiation"
TEXT = (ROOT / "workflows" / f"{CPN}.yaml").read_text(encoding="utf-8")


def load(text: str):
    return definition_from_text(text, f"{CPN}.yaml", KNOWN_GUARDS, expected_name=CPN)


def test_the_same_file_has_no_changes_and_comments_do_not_count():
    assert changes_between(load(TEXT), load(TEXT)) == []
    assert changes_between(load(TEXT), load("# a new comment\n" + TEXT)) == []


def test_each_kind_of_change_is_named():
    start = TEXT.index("  - name: sq_response_period")
    days = TEXT.index("    days: 30\n", start)
    changed = TEXT[:days] + "    days: 40\n" + TEXT[days + len("    days: 30\n"):]
    changed = changed.replace("\nversion: 1\n", "\nversion: 2\n", 1)
    changed = changed.replace("label: Publish selection questionnaire", "label: Publish the SQ", 1)
    changed = changed.replace("\nmilestones:\n", "\nmilestones:\n  - key: market_engagement\n"
                                                  "    title: Market engagement event\n", 1)
    lines = changes_between(load(TEXT), load(changed))
    assert "version 1 → 2" in lines
    assert "transition changed: publish_sq: label “Publish selection questionnaire” → “Publish the SQ”" in lines
    assert "milestone added: market_engagement (Market engagement event)" in lines
    [period] = [line for line in lines if line.startswith("period changed: sq_response_period")]
    assert "30 calendar days" in period and "→ 40 calendar days" in period
    assert len(lines) == 4, lines


def test_a_removed_guard_and_a_stage_retitled_are_named():
    changed = TEXT.replace("    title: Draft\n", "    title: Being prepared\n", 1)
    changed = changed.replace("      - timetable_complete\n", "", 1)
    lines = changes_between(load(TEXT), load(changed))
    assert any(line.startswith("stage changed: draft: title 'Draft' → 'Being prepared'") for line in lines), lines
    assert any(line.startswith("transition changed: publish_sq: guards [timetable_complete, ") for line in lines)
