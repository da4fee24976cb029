"""The Procurement Act's rules as data and as pure functions: contract guards, notices, conflicts, summaries."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tender.domain import guards, letters
from tender.domain.guards import ConflictsFacts, GuardContext
from tender.domain.workflow_definition import load_definition
from tender.domain.yaml_source import DefinitionError

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
ACT = (WORKFLOWS / "competitive_flexible_procedure.yaml").read_text(encoding="utf-8")
UK6 = datetime(2025, 6, 3, 9, tzinfo=timezone.utc)


def _refused(tmp_path: Path, text: str) -> DefinitionError:
    path = tmp_path / "competitive_flexible_procedure.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as refused:
        load_definition(path, guards.KNOWN_GUARDS)
    return refused.value


def test_a_procedure_under_the_act_must_guard_every_way_into_the_contract_with_the_uk6(tmp_path):
    text = ACT.replace("""    dest: contract_entered
    guards:
      - contract_award_notice_published
""", """    dest: contract_entered
    guards:
""")
    assert text != ACT
    error = _refused(tmp_path, text)
    assert "enters the contract stage 'contract_entered'" in str(error) and "contract_award_notice_published" in \
        str(error)


def test_a_transition_a_notice_fires_names_the_guard_for_that_notice(tmp_path):
    text = ACT.replace("""    on_notice: contract
    guards:
      - contract_details_notice_published
""", """    on_notice: contract
""")
    assert text != ACT
    assert "must also name the guard 'contract_details_notice_published'" in str(_refused(tmp_path, text))
    text = ACT.replace("on_notice: contract", "on_notice: gazette")
    assert "'gazette' is not allowed" in str(_refused(tmp_path, text))


def test_each_notice_fires_the_transition_into_the_stage_it_evidences():
    act = load_definition(WORKFLOWS / "competitive_flexible_procedure.yaml", guards.KNOWN_GUARDS)
    fired = {(kind, stage): act.fired_by_notice(kind, stage) for kind in ("tender", "award", "contract")
             for stage in ("draft", "assessment_summaries_sent", "contract_entered", "standstill")}
    assert {key: t.dest for key, t in fired.items() if t} == {
        ("tender", "draft"): "participation_period", ("award", "assessment_summaries_sent"): "standstill",
        ("contract", "contract_entered"): "contract_details_published"}


def _context(**fields) -> GuardContext:
    return GuardContext(today=date(2025, 6, 12), regime="pa2023", **fields)


def test_the_contract_needs_the_uk6_on_record_and_its_standstill_over():
    act = load_definition(WORKFLOWS / "competitive_flexible_procedure.yaml", guards.KNOWN_GUARDS)
    assert guards.contract_award_notice_published(act, _context(award_notice_published_at=UK6)).blocks
    assert guards.contract_award_notice_published(act, _context(notices=frozenset({"award"}))).blocks
    on_record = _context(notices=frozenset({"award"}), award_notice_published_at=UK6)
    assert guards.contract_award_notice_published(act, on_record).passed
    assert guards.standstill_over(act, on_record).blocks  # 3-12 June 2025: the 12th is its last day
    assert guards.standstill_over(act, GuardContext(**{**on_record.__dict__, "today": date(2025, 6, 13)})).passed


def test_a_light_touch_contract_waits_only_for_a_voluntary_standstill():
    act = load_definition(WORKFLOWS / "competitive_flexible_procedure.yaml", guards.KNOWN_GUARDS)
    none = GuardContext(today=date(2025, 6, 3), regime="pa2023_light_touch", award_notice_published_at=UK6)
    assert guards.standstill_over(act, none).passed
    chosen = GuardContext(**{**none.__dict__, "voluntary_standstill": True})
    outcome = guards.standstill_over(act, chosen)
    assert outcome.blocks and "voluntary standstill" in outcome.message and "12 June 2025" in outcome.message
    assert guards.standstill_over(act, GuardContext(**{**chosen.__dict__, "today": date(2025, 6, 13)})).passed


def test_the_conflicts_assessment_blocks_the_uk4_under_the_act_and_warns_under_the_regulations():
    act = load_definition(WORKFLOWS / "competitive_flexible_procedure.yaml", guards.KNOWN_GUARDS)
    missing = guards.conflicts_assessed(act, _context())
    assert missing.blocks and "s.83" in missing.message
    pcr = guards.conflicts_assessed(act, GuardContext(today=date(2022, 4, 4), regime="pcr2015"))
    assert not pcr.passed and not pcr.blocks and "reg. 24" in pcr.message
    unreviewed = ConflictsFacts(prepared_on=date(2025, 2, 24))
    assert "reviewed and dated" in guards.conflicts_assessed(act, _context(conflicts=unreviewed)).message
    gaps = ConflictsFacts(date(2025, 2, 24), reviewed_on=date(2025, 2, 25), reviewed_by="Ann", undeclared=("Bo",))
    assert "have not declared: Bo" in guards.conflicts_assessed(act, _context(conflicts=gaps)).message
    done = ConflictsFacts(date(2025, 2, 24), reviewed_on=date(2025, 2, 25), reviewed_by="Ann")
    assert guards.conflicts_assessed(act, _context(conflicts=done)).passed
    assert guards.conflicts_revisited_at_award(act, _context(conflicts=done)).blocks
    revisited = ConflictsFacts(date(2025, 2, 24), date(2025, 2, 25), "Ann", award_reviewed_on=date(2025, 5, 28))
    assert guards.conflicts_revisited_at_award(act, _context(conflicts=revisited)).passed


def test_summaries_say_what_the_contract_stage_enforces():
    sent = date(2025, 6, 2)
    full = letters.standstill("pa2023", sent)
    assert full.applies and full.last_day == date(2025, 6, 11)
    assert "on or after 2 June 2025" in full.wording and "no earlier than midnight at the end of Wednesday 11 June" \
        in full.wording and "PCR" not in full.wording and "regulation" not in full.wording
    none = letters.standstill("pa2023_light_touch", sent)
    assert not none.applies and "No standstill period applies" in none.wording and "section 51(3)" in none.wording
    voluntary = letters.standstill("pa2023_light_touch", sent, voluntary=True)
    assert voluntary.applies and voluntary.last_day == full.last_day
    assert "voluntary standstill period of 8 working days" in voluntary.wording
