"""The audit trail page shows each change as "field: before → after" under plain labels, grouped by procurement
and day, not raw JSON."""
from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

from tender.web.audit_display import FieldChange, field_changes, grouped, label, long_day


def test_each_field_is_one_change_with_its_old_and_new_value():
    changes = field_changes(json.dumps({"stage": "draft"}),
                            json.dumps({"stage": "sq_published", "transition": "publish_sq", "warnings": []}))
    assert changes == [FieldChange("Stage", "draft", "sq_published"), FieldChange("Transition", "–", "publish_sq"),
                       FieldChange("Warnings", "–", "–")]


def test_keys_read_as_plain_labels_and_data_keeps_its_own_spelling():
    assert label("planned_date") == "Planned date"
    assert label("has_conflict") == "Conflict of interest"
    assert label("definition_sha256") == "Procedure definition (SHA-256)"
    assert [label(k) for k in ("Q1.1", "Sam Evans", "1", "CN")] == ["Q1.1", "Sam Evans", "1", "CN"]


def test_nested_values_show_their_path_with_question_ids_whole():
    after = {"bidder": "Porchlight", "scores": {"Q1.1": {"score": "3", "rationale": "Clear"}}, "final": True}
    changes = {c.field: c.after for c in field_changes(None, json.dumps(after))}
    assert changes == {"Bidder": "Porchlight", "Scores › Q1.1 › Score": "3", "Scores › Q1.1 › Rationale": "Clear",
                       "Final": "yes"}


def test_lists_of_records_and_roles_read_as_words_not_python():
    after = {"letters": [{"lot": 1, "supplier": "Porchlight"}, {"lot": 1, "supplier": "Shaw Trust"}],
             "role": "approver"}
    changes = {c.field: c.after for c in field_changes(None, json.dumps(after))}
    assert changes == {"Letters": "Lot: 1, Supplier: Porchlight; Lot: 1, Supplier: Shaw Trust",
                       "Role": "Approver (delegated authority)"}


def test_text_that_is_not_a_json_object_is_still_shown():
    assert field_changes("not json", '["a", "b"]') == [FieldChange("Value", "not json", "a, b")]


def _event(seq, when, ref, action="milestone.met"):
    return SimpleNamespace(seq=seq, occurred_at=when, procurement_ref=ref, action=action, actor="a@kent.example",
                           actor_role="procurement_officer", object_type="milestone", object_id=str(seq), lot=None,
                           before=None, after=json.dumps({"actual_date": "2022-05-09"}), reason=None)


def test_events_are_grouped_by_procurement_then_day():
    events = [_event(1, "2022-05-09T10:00:00.000000Z", "KCC-1"), _event(4, "2022-05-09T16:30:00.000000Z", "KCC-1"),
              _event(7, "2022-05-10T09:00:00.000000Z", "KCC-1"), _event(2, "2022-05-09T11:00:00.000000Z", "KCC-2"),
              _event(3, "2022-05-09T12:00:00.000000Z", None, "login.succeeded")]
    groups = grouped(events, {"KCC-1": "Roads"})
    assert [(g.heading, [(d.day, [e.seq for e in d.entries]) for d in g.days]) for g in groups] == [
        ("KCC-1: Roads", [(date(2022, 5, 9), [1, 4]), (date(2022, 5, 10), [7])]),
        ("KCC-2", [(date(2022, 5, 9), [2])]),
        ("Not about a procurement (accounts, sign-in, the system)", [(date(2022, 5, 9), [3])])]
    first = groups[0].days[0].entries[0]
    assert (first.time, first.description, first.subject, first.role) == (
        "10:00:00", "Milestone met", "Milestone 1", "Procurement officer")
    assert first.changes == [FieldChange("Actual date", "–", "2022-05-09")]
    assert long_day(date(2026, 12, 7)) == "Monday 7 December 2026" == groups[0].days[0].__class__(
        date(2026, 12, 7)).heading
