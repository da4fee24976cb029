"""Audit actions are declared once: an undeclared one is refused, and nothing is written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tender.domain import audit_actions
from tender.extensions import db
from tender.models import AuditEvent
from tender.services import audit


def test_recording_an_undeclared_action_fails_and_writes_nothing(ctx):
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(audit_actions.UndeclaredAction, match="award.leter_issued"):
        audit.record(audit.Actor.system("test"), "award.leter_issued", "award_letter", 1)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def _literal_actions(node) -> list[str]:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal_actions(node.body) + _literal_actions(node.orelse)
    return []


def test_every_action_the_product_records_is_declared_with_a_description():
    """Every ``audit.record(actor, "<action>", ...)`` in tender/ names a declared action (read from the source)."""
    import ast
    from pathlib import Path

    recorded, assigned = set(), set()
    for path in (Path(__file__).parents[2] / "tender").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit" and len(node.args) > 1:
                recorded.update(_literal_actions(node.args[1]))
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "action" for t in node.targets):
                assigned.update(_literal_actions(node.value))
    assert len(recorded) > 40  # the walk found the product's calls
    assert sorted((recorded | assigned) - set(audit_actions.ACTIONS)) == []
    assert all(description and description[0].isupper() for description in audit_actions.ACTIONS.values())


def test_the_audit_filter_finds_exactly_the_declared_action_chosen(ctx):
    """The page offers the declared actions as a list (issue 19): the filter matches one action, not a prefix."""
    from tender.services.audit.query import AuditFilter

    actor = audit.Actor.system("test")
    audit.record(actor, "award.letter_emailed", "award_letter", 1)
    audit.record(actor, "evaluation.conflict_declared", "conflict_declaration", None)
    audit.record(actor, "award.approved", "procurement", 1)
    db.session.commit()

    def found(action):
        return sorted(set(db.session.scalars(AuditFilter(action=action).apply(select(AuditEvent.action)))))

    assert found("award.letter_emailed") == ["award.letter_emailed"]
    assert found("award.approved") == ["award.approved"]
    assert found("award.letter") == [] and found("letter") == []  # no prefix or word matching
    assert found("100%_") == []  # LIKE wildcards are text here
