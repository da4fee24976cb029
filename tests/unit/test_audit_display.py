"""The audit trail page shows each change as "field: before → after", not raw JSON."""
from __future__ import annotations

import json

from tender.web.audit_display import FieldChange, field_changes


def test_each_field_is_one_change_with_its_old_and_new_value():
    changes = field_changes(json.dumps({"stage": "draft"}),
                            json.dumps({"stage": "sq_published", "transition": "publish_sq", "warnings": []}))
    assert changes == [FieldChange("stage", "draft", "sq_published"), FieldChange("transition", "–", "publish_sq"),
                       FieldChange("warnings", "–", "–")]


def test_nested_values_are_flattened_to_dotted_names():
    after = {"bidder": "Porchlight", "scores": {"Q1.1": {"score": "3", "rationale": "Clear"}}, "final": True}
    changes = {c.field: c.after for c in field_changes(None, json.dumps(after))}
    assert changes == {"bidder": "Porchlight", "scores.Q1.1.score": "3", "scores.Q1.1.rationale": "Clear",
                       "final": "yes"}


def test_text_that_is_not_a_json_object_is_still_shown():
    assert field_changes("not json", '["a", "b"]') == [FieldChange("value", "not json", "a, b")]
