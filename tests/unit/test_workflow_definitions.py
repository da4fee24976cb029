"""Procedure files load, are sound, and a wrong one is refused with file, line and field."""
from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest

from tender.domain.workflow_definition import (
    ProcedureDefinition,
    load_definition,
    load_definitions,
)
from tender.domain.guards import KNOWN_GUARDS  # the real registry the app uses
from tender.domain.yaml_source import DefinitionError

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yaml"))



def _reachable(defn: ProcedureDefinition) -> set[str]:
    seen, queue = {defn.initial}, deque([defn.initial])
    while queue:
        for t in defn.transitions_from(queue.popleft()):
            if t.dest not in seen:
                seen.add(t.dest)
                queue.append(t.dest)
    return seen


# --- every shipped file -------------------------------------------------------


def test_the_four_required_procedures_are_shipped():
    names = {path.stem for path in WORKFLOW_FILES}
    assert {"competitive_procedure_with_negotiation", "open_procedure", "light_touch_regime",
            "competitive_flexible_procedure"} <= names


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=[p.stem for p in WORKFLOW_FILES])
def test_each_procedure_file_loads_and_is_sound(path):
    defn = load_definition(path, KNOWN_GUARDS)
    assert defn.name == path.stem
    assert defn.source == str(path)
    reached = _reachable(defn)
    assert reached == {stage.name for stage in defn.stages}, "every stage is reachable from initial"
    assert {s.name for s in defn.stages if s.final} <= reached, "every final stage is reachable"
    for stage in defn.stages:
        if not stage.final:
            assert defn.transitions_from(stage.name), f"{stage.name} has a way out"
        if stage.milestone:
            assert defn.milestone(stage.milestone)
    for t in defn.transitions:
        assert t.label and t.label[0].isupper()
        for ref in t.guards:
            assert ref.name in KNOWN_GUARDS
            assert set(ref.args) == KNOWN_GUARDS[ref.name]
    for period in defn.periods:
        assert period.source.strip()
        assert defn.milestone(period.start) and defn.milestone(period.end)
    assert sorted(s.name for s in defn.ordered_stages()) == sorted(s.name for s in defn.stages)


def test_load_definitions_keys_every_file_by_name():
    definitions = load_definitions(WORKFLOWS, KNOWN_GUARDS)
    assert set(definitions) == {path.stem for path in WORKFLOW_FILES}


# --- the law in the shipped files ---------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> dict[str, ProcedureDefinition]:
    return load_definitions(WORKFLOWS, KNOWN_GUARDS)


def test_cpn_follows_the_reg_29_route_in_order(shipped):
    cpn = shipped["competitive_procedure_with_negotiation"]
    assert [s.name for s in cpn.ordered_stages()] == [
        "draft", "sq_published", "sq_closed", "sq_evaluation", "itt_issued", "initial_tender_evaluation",
        "negotiation", "final_tenders_invited", "final_tender_evaluation", "award_decision", "standstill",
        "contract_awarded", "mobilisation", "live", "abandoned",
    ]
    assert cpn.min_shortlist == 3 and cpn.min_shortlist_source == "PCR 2015 reg. 65(2)"
    assert cpn.transition("publish_sq").label == "Publish selection questionnaire"
    assert cpn.transition("close_sq").label == "Close SQ responses"


def test_cpn_can_award_on_initial_tenders_only_when_reserved(shipped):
    cpn = shipped["competitive_procedure_with_negotiation"]
    award = cpn.transition("award_on_initial_tenders")
    assert award.sources == ("initial_tender_evaluation",) and award.dest == "award_decision"
    assert [(g.name, dict(g.args)) for g in award.guards] == [
        ("award_on_initial_reserved", {}), ("evaluation_complete", {"round": "initial"})]


def test_cpn_can_be_abandoned_from_every_stage_that_is_not_final_with_a_reason(shipped):
    cpn = shipped["competitive_procedure_with_negotiation"]
    abandon = cpn.transition("abandon")
    assert abandon.label == "Abandon the procurement" and abandon.requires_reason
    assert set(abandon.sources) == {s.name for s in cpn.stages if not s.final}
    assert cpn.is_final("abandoned")


def test_open_procedure_minimum_tender_period_follows_reg_27(shipped):
    period = shipped["open_procedure"].period("tender_period")
    assert period.minimum_for(set()) == (35, period.source)
    assert period.minimum_for({"electronic"})[0] == 30
    assert period.minimum_for({"pin"})[0] == 15
    assert period.minimum_for({"urgency"})[0] == 15
    assert period.minimum_for({"electronic", "pin"}) == (15, period.variants[1].source)
    assert "27(6)" in period.minimum_for({"electronic"})[1]


def test_light_touch_periods_warn_but_standstill_still_blocks(shipped):
    ltr = shipped["light_touch_regime"]
    assert ltr.enforcement == "warn" and ltr.regimes == ("pcr2015_light_touch",)
    assert "76(6)" in ltr.period("tender_period").source
    assert ltr.enforcement_for("tender_period", "pcr2015_light_touch") == "warn"
    assert ltr.enforcement_for("standstill", "pcr2015_light_touch") == "block"
    assert "87" in ltr.period("standstill").source


def test_cpn_periods_block_under_the_full_regime_and_warn_under_light_touch(shipped):
    cpn = shipped["competitive_procedure_with_negotiation"]
    assert cpn.enforcement_for("initial_tender_period", "pcr2015") == "block"
    assert cpn.enforcement_for("initial_tender_period", "pcr2015_light_touch") == "warn"


def test_procurement_act_standstill_counts_working_days_and_periods_calendar_days(shipped):
    pa = shipped["competitive_flexible_procedure"]
    assert pa.regimes == ("pa2023", "pa2023_light_touch")
    standstill = pa.period("standstill")
    assert (standstill.days, standstill.counting) == (8, "working") and "s.51" in standstill.source
    assert standstill.kind == "standstill"
    # Calendar days as the Act counts them: no PCR reg. 2 roll-forward.
    assert pa.period("participation_period").counting == "days"
    assert pa.period("participation_period").minimum_for(set())[0] == 25
    assert pa.period("tendering_period").counting == "days"
    abandon = pa.transition("abandon")
    assert abandon.requires_reason and "UK12" in abandon.description
    assert "contract_entered" not in abandon.sources
    summaries = pa.transition("publish_contract_award_notice")
    assert "assessment_summaries_sent" in [g.name for g in summaries.guards]


def test_lookups_name_what_is_missing(shipped):
    cpn = shipped["competitive_procedure_with_negotiation"]
    with pytest.raises(KeyError, match="no_such_stage"):
        cpn.stage("no_such_stage")
    with pytest.raises(KeyError):
        cpn.transition("fly")
    assert cpn.transitions_from("live") == ()
    assert [t.trigger for t in cpn.transitions_from("initial_tender_evaluation")] == [
        "start_negotiation", "award_on_initial_tenders", "abandon"]


# --- wrong definitions ----------------------------------------------------------

VALID = """\
name: mini
title: Mini procedure
version: 1
legal_basis: Test basis
regimes: [pcr2015]
enforcement: block
min_shortlist: null
min_shortlist_source: null
initial: draft
stages:
  - name: draft
    title: Draft
    description: Being prepared.
  - name: published
    title: Published
    description: Out to market.
    milestone: published
  - name: done
    title: Done
    description: Finished.
    milestone: closed
    final: true
milestones:
  - key: published
    title: Published
    ocds_type: engagement
  - key: closed
    title: Closed
transitions:
  - trigger: publish
    label: Publish
    source: draft
    dest: published
    guards:
      - timetable_complete
      - guard: period_meets_minimum
        period: response_period
  - trigger: close
    label: Close
    source: published
    dest: done
    guards:
      - guard: deadline_passed
        milestone: closed
periods:
  - name: response_period
    label: Time to respond
    start: published
    end: closed
    days: 30
    counting: calendar
    source: Test reg. 1
"""


def _write(tmp_path: Path, text: str, name: str = "mini") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line(text: str, snippet: str, occurrence: int = 1) -> int:
    """1-based number of the line holding the ``occurrence``-th ``snippet``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if snippet in line]
    return hits[occurrence - 1]


def _refused(tmp_path: Path, text: str) -> DefinitionError:
    path = _write(tmp_path, text)
    with pytest.raises(DefinitionError) as caught:
        load_definition(path, KNOWN_GUARDS)
    assert caught.value.source == str(path)
    assert str(path) in str(caught.value)
    return caught.value


def test_the_minimal_valid_definition_loads(tmp_path):
    defn = load_definition(_write(tmp_path, VALID), KNOWN_GUARDS)
    assert [t.trigger for t in defn.transitions] == ["publish", "close"]
    assert defn.transition("publish").guards[1].args == {"period": "response_period"}
    assert defn.transition("publish").line == _line(VALID, "trigger: publish")


def test_a_missing_required_key_is_named_at_its_mapping(tmp_path):
    text = VALID.replace("    label: Close\n", "")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "trigger: close"), "transitions[1].label")


def test_a_missing_top_level_key_is_named(tmp_path):
    text = VALID.replace("legal_basis: Test basis\n", "")
    err = _refused(tmp_path, text)
    assert err.field == "legal_basis"


def test_an_unknown_key_is_refused_with_a_suggestion(tmp_path):
    text = VALID.replace("    label: Publish\n", "    lable: Publish\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "lable:"), "transitions[0].lable")
    assert "Did you mean 'label'" in err.message


def test_an_unknown_destination_stage_is_refused(tmp_path):
    text = VALID.replace("    dest: done\n", "    dest: finished\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "dest: finished"), "transitions[1].dest")


def test_an_unknown_source_stage_in_a_list_is_refused(tmp_path):
    text = VALID.replace("    source: published\n", "    source:\n      - published\n      - nowhere\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "- nowhere"), "transitions[1].source[1]")


def test_a_stage_unreachable_from_initial_is_refused(tmp_path):
    text = VALID.replace("milestones:\n", "  - name: orphan\n    title: Orphan\n    description: Lost.\nmilestones:\n")
    text = text.replace("periods:\n", "  - trigger: rescue\n    label: Rescue\n    source: orphan\n    dest: done\nperiods:\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "name: orphan"), "stages[3].name")
    assert "cannot be reached" in err.message


def test_a_stage_with_no_way_out_is_refused(tmp_path):
    text = VALID.replace("milestones:\n", "  - name: stuck\n    title: Stuck\n    description: No exit.\nmilestones:\n")
    text = text.replace("periods:\n", "  - trigger: park\n    label: Park\n    source: published\n    dest: stuck\nperiods:\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "name: stuck"), "stages[3].name")
    assert "no transition out" in err.message


def test_a_loop_that_never_reaches_a_final_stage_is_refused(tmp_path):
    text = VALID.replace("milestones:\n", "  - name: spin\n    title: Spin\n    description: Loops.\nmilestones:\n")
    text = text.replace("periods:\n", "  - trigger: go_round\n    label: Go round\n    source: published\n    dest: spin\n"
                                      "  - trigger: spin_again\n    label: Spin again\n    source: spin\n    dest: spin\n"
                                      "periods:\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "name: spin"), "stages[3].name")
    assert "no final stage" in err.message


@pytest.mark.parametrize("section, old, new, snippet", [
    ("stages", "  - name: published\n    title: Published\n", "  - name: draft\n    title: Published\n", "name: draft"),
    ("milestones", "  - key: closed\n", "  - key: published\n", "key: published"),
    ("transitions", "  - trigger: close\n", "  - trigger: publish\n", "trigger: publish"),
])
def test_duplicate_names_are_refused(tmp_path, section, old, new, snippet):
    text = VALID.replace(old, new)
    err = _refused(tmp_path, text)
    assert err.line == _line(text, snippet, occurrence=2)
    assert err.field.startswith(section) and "twice" in err.message


@pytest.mark.parametrize("trigger", ["publish-now", "class", "trigger", "state", "to_done", "may_publish",
                                     "is_ready", "save", "delete", "_hidden"])
def test_a_trigger_that_is_not_a_safe_python_name_is_refused(tmp_path, trigger):
    text = VALID.replace("  - trigger: publish\n", f"  - trigger: {trigger}\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, f"trigger: {trigger}"), "transitions[0].trigger")


def test_a_guard_with_no_implementation_is_refused(tmp_path):
    text = VALID.replace("      - timetable_complete\n", "      - timetable_compete\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "timetable_compete"), "transitions[0].guards[0]")
    assert "Did you mean 'timetable_complete'" in err.message


def test_a_guard_missing_its_argument_is_refused(tmp_path):
    text = VALID.replace("      - guard: deadline_passed\n        milestone: closed\n", "      - guard: deadline_passed\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "guard: deadline_passed"), "transitions[1].guards[0].milestone")


def test_a_guard_with_an_extra_argument_is_refused(tmp_path):
    text = VALID.replace("      - timetable_complete\n", "      - guard: timetable_complete\n        strict: yes\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "strict: yes"), "transitions[0].guards[0].strict")


@pytest.mark.parametrize("old, new, field", [
    ("        period: response_period\n", "        period: reply_period\n", "transitions[0].guards[1].period"),
    ("        milestone: closed\n", "        milestone: shut\n", "transitions[1].guards[0].milestone"),
])
def test_a_guard_argument_naming_an_undeclared_period_or_milestone_is_refused(tmp_path, old, new, field):
    text = VALID.replace(old, new)
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, new.strip()), field)


def test_a_period_without_a_legal_source_is_refused(tmp_path):
    text = VALID.replace("    source: Test reg. 1\n", "")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "name: response_period"), "periods[0].source")


def test_a_period_counted_in_unknown_days_is_refused(tmp_path):
    text = VALID.replace("counting: calendar", "counting: business")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "counting: business"), "periods[0].counting")


@pytest.mark.parametrize("days", ["0", "-3", "thirty", "2.5", "true"])
def test_period_days_must_be_a_positive_whole_number(tmp_path, days):
    text = VALID.replace("    days: 30\n", f"    days: {days}\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, f"days: {days}"), "periods[0].days")


def test_a_variant_must_be_shorter_and_for_a_known_condition(tmp_path):
    variant = "    variants:\n      - when: {when}\n        days: {days}\n        source: Test reg. 2\n"
    longer = VALID + variant.format(when="pin", days=40)
    err = _refused(tmp_path, longer)
    assert (err.line, err.field) == (_line(longer, "days: 40"), "periods[0].variants[0].days")
    unknown = VALID + variant.format(when="friday", days=10)
    err = _refused(tmp_path, unknown)
    assert (err.line, err.field) == (_line(unknown, "when: friday"), "periods[0].variants[0].when")


@pytest.mark.parametrize("old, new, field", [
    ("    milestone: closed\n    final: true\n", "    milestone: finished\n    final: true\n", "stages[2].milestone"),
    ("    start: published\n", "    start: opened\n", "periods[0].start"),
])
def test_an_undeclared_milestone_is_refused(tmp_path, old, new, field):
    text = VALID.replace(old, new)
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, new.splitlines()[0].strip()), field)


def test_a_regime_tender_does_not_know_is_refused(tmp_path):
    text = VALID.replace("regimes: [pcr2015]", "regimes:\n  - pcr2015\n  - ojeu2004")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "- ojeu2004"), "regimes[1]")


def test_an_ocds_milestone_type_outside_the_codelist_is_refused(tmp_path):
    text = VALID.replace("ocds_type: engagement", "ocds_type: party")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "ocds_type: party"), "milestones[0].ocds_type")


def test_a_transition_out_of_a_final_stage_is_refused(tmp_path):
    text = VALID.replace("    source: published\n", "    source: [published, done]\n")
    err = _refused(tmp_path, text)
    assert err.field == "transitions[1].source[1]" and "final" in err.message


def test_a_file_whose_name_differs_from_its_stem_is_refused_when_loading_a_directory(tmp_path):
    path = _write(tmp_path, VALID, name="other")
    with pytest.raises(DefinitionError) as caught:
        load_definitions(tmp_path, KNOWN_GUARDS)
    assert caught.value.source == str(path)
    assert (caught.value.line, caught.value.field) == (1, "name")


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    err = _refused(tmp_path, "- just\n- a list\n")
    assert err.line == 1


# --- milestone roles ----------------------------------------------------------


def test_a_milestone_role_is_read_and_found_by_role(tmp_path):
    text = VALID.replace("  - key: closed\n    title: Closed\n",
                         "  - key: closed\n    title: Closed\n    role: contract_entered\n")
    defn = load_definition(_write(tmp_path, text), KNOWN_GUARDS)
    assert defn.milestone("closed").role == "contract_entered"
    assert defn.milestone_with_role("contract_entered") == "closed"
    assert defn.milestone_with_role("contract_details_published") is None


def test_a_milestone_role_tender_does_not_know_is_refused(tmp_path):
    text = VALID.replace("  - key: closed\n    title: Closed\n",
                         "  - key: closed\n    title: Closed\n    role: contract_signed\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "role: contract_signed"), "milestones[1].role")
    assert "contract_entered" in err.message


def test_a_milestone_role_given_twice_is_refused(tmp_path):
    text = VALID.replace("    ocds_type: engagement\n", "    ocds_type: engagement\n    role: contract_entered\n")
    text = text.replace("  - key: closed\n    title: Closed\n",
                        "  - key: closed\n    title: Closed\n    role: contract_entered\n")
    err = _refused(tmp_path, text)
    assert (err.line, err.field) == (_line(text, "role: contract_entered", 2), "milestones[1].role")
    assert "already given to the milestone 'published'" in err.message


def test_the_procurement_act_procedure_names_the_milestones_its_services_need_by_role(shipped):
    defn = shipped["competitive_flexible_procedure"]
    assert defn.milestone_with_role("contract_award_notice_published") == "contract_award_notice_published"
    assert defn.milestone_with_role("contract_entered") == "contract_entered"
    assert defn.milestone_with_role("contract_details_published") == "contract_details_published"
