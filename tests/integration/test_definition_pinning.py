"""A running procurement keeps the procedure definition it started with (issue 20, part 4).

The app reads its procedure files from ``TENDER_WORKFLOWS_DIR``; each test
copies the shipped files to a temporary directory, starts a procurement,
then points the app at a changed copy, as a deployment of an edited file
would. The change used: the CPN's time for requests to participate goes from
30 to 40 days, so the CPN timetable's 35 days pass under version 1 and are
refused under version 2.
"""
from __future__ import annotations

import re
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from tender.extensions import db
from tender.models import AuditEvent, Milestone, PinnedDefinition, Procurement
from tender.services import audit
from tender.services.errors import Blocked, ConcurrentChange, InvalidRequest
from tender.services.procurement import definitions, procedures, setup, workflow
from tests.helpers import CPN_TIMETABLE, counted, make_procurement, make_user

ROOT = Path(__file__).resolve().parents[2]
CPN = "competitive_procedure_with_negotiation"
PUBLISHED = date(2022, 4, 4)


def workflows_copy(directory: Path, change=None) -> Path:
    """The shipped procedure files copied to ``directory``, the CPN's text passed through ``change``."""
    shutil.copytree(ROOT / "workflows", directory)
    if change is not None:
        path = directory / f"{CPN}.yaml"
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return directory


def version_2(text: str) -> str:
    """Version 2: 40 days for requests to participate instead of 30, and a new first milestone."""
    text = text.replace("\nversion: 1\n", "\nversion: 2\n", 1)
    start = text.index("  - name: sq_response_period")
    days = text.index("    days: 30\n", start)
    text = text[:days] + "    days: 40\n" + text[days + len("    days: 30\n"):]
    return text.replace("\nmilestones:\n", "\nmilestones:\n  - key: market_engagement\n"
                                              "    title: Market engagement event\n    ocds_type: engagement\n", 1)


@pytest.fixture
def files(ctx, tmp_path):
    """Version 1 (the shipped files) and version 2 directories; the app reads version 1 to begin with."""
    v1, v2 = workflows_copy(tmp_path / "v1"), workflows_copy(tmp_path / "v2", version_2)
    ctx.config["TENDER_WORKFLOWS_DIR"] = str(v1)
    return v1, v2


def use(app, directory: Path) -> None:
    """Point the app at ``directory`` (what restarting it with a changed TENDER_WORKFLOWS_DIR does)."""
    app.config["TENDER_WORKFLOWS_DIR"] = str(directory)


def fresh(procurement_id: int) -> Procurement:
    db.session.expire_all()
    return db.session.get(Procurement, procurement_id)


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_creating_a_procurement_pins_the_exact_text_of_its_procedure_file(ctx, files):
    v1, _v2 = files
    officer = make_user("procurement_officer")
    p = setup.create_procurement(officer, "PIN-1", "Community services", "", CPN, "pcr2015", "1000000", 3, "2",
                                 True, False, False, False, officer.id)
    stored = db.session.get(PinnedDefinition, p.definition_digest)
    assert stored.text == (v1 / f"{CPN}.yaml").read_text(encoding="utf-8")
    assert (stored.procedure, stored.version, p.procedure_version) == (CPN, 1, 1)
    assert p.definition_digest == procedures.digest_of(stored.text)
    created = audit_events("procurement.created")[-1].to_record()
    assert created["after"]["definition_sha256"] == p.definition_digest
    # A second procurement on the same file shares the stored text.
    setup.create_procurement(officer, "PIN-2", "More services", "", CPN, "pcr2015", "1000000", 3, "2",
                             True, False, False, False, officer.id)
    assert db.session.scalar(select(func.count()).select_from(PinnedDefinition)) == 1


def test_a_changed_file_leaves_a_running_procurement_on_its_definition_and_applies_to_a_new_one(ctx, files):
    _v1, v2 = files
    officer = make_user("procurement_officer")
    running = make_procurement(timetable=CPN_TIMETABLE)
    use(ctx, v2)
    new = make_procurement(timetable=CPN_TIMETABLE)

    assert definitions.definition_of(fresh(running.id)).version == 1
    assert definitions.definition_of(fresh(running.id)).period("sq_response_period").days == 30
    assert definitions.definition_of(fresh(new.id)).version == 2
    assert [m.key for m in fresh(new.id).milestones][0] == "market_engagement"
    assert "market_engagement" not in {m.key for m in fresh(running.id).milestones}

    # The running procurement's 35 days meet its own 30-day minimum; the new one's do not meet 40.
    change = workflow.advance(running.id, "publish_sq", officer, expected_version=fresh(running.id).version,
                              today=PUBLISHED)
    assert change.to_stage == "sq_published"
    new_timetable = {**CPN_TIMETABLE, "market_engagement": date(2022, 3, 1)}
    for m in fresh(new.id).milestones:
        m.planned_date = new_timetable[m.key]
    db.session.commit()
    with pytest.raises(Blocked) as blocked:
        workflow.advance(new.id, "publish_sq", officer, expected_version=fresh(new.id).version, today=PUBLISHED)
    assert any("40" in reason for reason in blocked.value.reasons), blocked.value.reasons


def test_the_stage_buttons_follow_the_pinned_definition(ctx, files):
    _v1, v2 = files
    running = make_procurement(timetable=CPN_TIMETABLE)
    use(ctx, v2)
    options = workflow.available_transitions(fresh(running.id), PUBLISHED)
    assert [o.trigger for o in options][0] == "publish_sq"
    assert all(o.allowed for o in options if o.trigger == "publish_sq")


def test_a_pinned_definition_not_among_the_current_files_costs_one_query_once(ctx, files):
    _v1, v2 = files
    running = make_procurement(timetable=CPN_TIMETABLE)
    use(ctx, v2)
    procurement = fresh(running.id)
    definitions._engines.pop(procurement.definition_digest, None)
    with counted() as first:
        definitions.definition_of(procurement)
    with counted() as again:
        definitions.definition_of(procurement)
    assert (len(first), len(again)) == (1, 0)


def test_a_pinned_definition_this_tender_cannot_load_is_a_clear_error_naming_the_migration(ctx, files):
    p = make_procurement()
    broken = (ROOT / "workflows" / f"{CPN}.yaml").read_text(encoding="utf-8").replace(
        "- timetable_complete", "- timetable_was_complete", 1)
    digest = procedures.digest_of(broken)
    db.session.add(PinnedDefinition(digest=digest, procedure=CPN, version=1, text=broken,
                                    stored_at=datetime.now(timezone.utc)))
    p.definition_digest = digest
    db.session.commit()
    with pytest.raises(definitions.DefinitionUnusable) as caught:
        definitions.definition_of(fresh(p.id))
    assert "timetable_was_complete" in str(caught.value)
    assert f"tender workflow migrate {p.reference}" in str(caught.value)


def test_migrating_moves_the_procurement_to_the_changed_file_with_its_milestones_and_an_audit_event(ctx, files):
    _v1, v2 = files
    officer = make_user("procurement_officer")
    running = make_procurement(timetable=CPN_TIMETABLE, lead_officer_id=officer.id)
    old_digest = running.definition_digest
    use(ctx, v2)
    plan = definitions.plan_migration(running.reference)
    assert (plan.from_version, plan.to_version, plan.problems) == (1, 2, ())
    assert "version 1 → 2" in plan.changes
    assert any(line.startswith("period changed: sq_response_period: 30 calendar days") and "→ 40 calendar days"
               in line for line in plan.changes), plan.changes
    assert "-    days: 30\n" in plan.diff and "+    days: 40\n" in plan.diff
    assert plan.milestones_added == ("market_engagement",)

    definitions.migrate(running.reference, audit.Actor.system("test"), "PCR amended", expected_digest=plan.to_digest)
    moved = fresh(running.id)
    assert (moved.procedure_version, moved.definition_digest) == (2, plan.to_digest)
    assert definitions.definition_of(moved).period("sq_response_period").days == 40
    milestones = db.session.scalars(select(Milestone).where(Milestone.procurement_id == moved.id)
                                    .order_by(Milestone.position)).all()
    assert [m.key for m in milestones][:2] == ["market_engagement", "sq_published"]
    assert milestones[0].owner_id == officer.id and milestones[0].planned_date is None
    [event] = audit_events(definitions.MIGRATED)
    record = event.to_record()
    assert record["procurement_ref"] == running.reference and record["reason"] == "PCR amended"
    assert record["before"]["definition_sha256"] == old_digest and record["before"]["procedure_version"] == 1
    assert record["after"]["definition_sha256"] == plan.to_digest and record["after"]["procedure_version"] == 2
    assert record["after"]["milestones_added"] == ["market_engagement"]
    with pytest.raises(InvalidRequest, match="already runs"):
        definitions.migrate(running.reference, audit.Actor.system("test"), "again")


def test_migrating_is_refused_when_the_current_stage_is_not_in_the_new_file(ctx, tmp_path):
    renamed = workflows_copy(tmp_path / "renamed", lambda t: re.sub(r"\bdraft\b", "preparation", t))
    p = make_procurement()
    use(ctx, renamed)
    plan = definitions.plan_migration(p.reference)
    assert plan.problems and "'draft'" in plan.problems[0]
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(InvalidRequest, match="stage 'draft'"):
        definitions.migrate(p.reference, audit.Actor.system("test"), "tidy names")
    assert fresh(p.id).procedure_version == 1 and definitions.definition_of(fresh(p.id)).initial == "draft"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_migrating_needs_a_reason_and_the_file_the_person_reviewed(ctx, files):
    _v1, v2 = files
    p = make_procurement()
    use(ctx, v2)
    with pytest.raises(InvalidRequest, match="reason"):
        definitions.migrate(p.reference, audit.Actor.system("test"), "  ")
    with pytest.raises(ConcurrentChange):
        definitions.migrate(p.reference, audit.Actor.system("test"), "PCR amended", expected_digest="0" * 64)
    assert fresh(p.id).procedure_version == 1


def test_the_migrate_command_shows_the_change_then_moves_the_procurement_audited(app, tmp_path):
    v1, v2 = workflows_copy(tmp_path / "v1"), workflows_copy(tmp_path / "v2", version_2)
    with app.app_context():
        use(app, v1)
        reference = make_procurement(timetable=CPN_TIMETABLE).reference
    use(app, v2)
    runner = app.test_cli_runner()

    shown = runner.invoke(args=["workflow", "migrate", reference, "--dry-run"])
    assert shown.exit_code == 0, shown.output
    assert "runs version 1" in shown.output and "the file now: version 2" in shown.output
    assert "period changed: sq_response_period" in shown.output and "+    days: 40" in shown.output
    assert "Dry run: nothing changed." in shown.output
    no_reason = runner.invoke(args=["workflow", "migrate", reference, "--yes"])
    assert no_reason.exit_code != 0 and "--reason" in no_reason.output

    moved = runner.invoke(args=["workflow", "migrate", reference, "--reason", "PCR amended", "--yes"])
    assert moved.exit_code == 0, moved.output
    assert f"Moved {reference} to version 2" in moved.output
    with app.app_context():
        p = db.session.scalar(select(Procurement).where(Procurement.reference == reference))
        assert definitions.definition_of(p).version == 2
        [event] = audit_events(definitions.MIGRATED)
        assert (event.actor, event.reason) == ("tender workflow migrate", "PCR amended")
    again = runner.invoke(args=["workflow", "migrate", reference])
    assert again.exit_code == 0 and "already runs the current file" in again.output


def test_the_migrate_command_refuses_a_procurement_whose_stage_the_new_file_lacks(app, tmp_path):
    renamed = workflows_copy(tmp_path / "renamed", lambda t: re.sub(r"\bdraft\b", "preparation", t))
    with app.app_context():
        reference = make_procurement().reference
    use(app, renamed)
    result = app.test_cli_runner().invoke(args=["workflow", "migrate", reference, "--reason", "x", "--yes"])
    assert result.exit_code == 1
    assert "REFUSED" in result.output and "'draft'" in result.output
    with app.app_context():
        assert audit_events(definitions.MIGRATED) == []


INSERT = text(
    "INSERT INTO procurement (reference, title, description, procedure, procedure_version, regime, state, "
    "estimated_value, initial_term_years, extension_years, electronic_submission, qualifying_pin, urgency, "
    "award_on_initial_reserved, created_at, version) "
    "VALUES (:ref, 'T', '', :procedure, :version, 'pcr2015', 'draft', 1000, 3, '', :yes, :no, :no, :no, "
    ":created, 1)")


def _before_pinning() -> str:
    """The revision 0015_pinned_definitions follows."""
    text = (ROOT / "tender" / "migrations" / "versions" / "0015_pinned_definitions.py").read_text(encoding="utf-8")
    return re.search(r'^down_revision = "([^"]+)"', text, re.M).group(1)


def test_upgrading_pins_running_procurements_to_the_file_of_the_version_they_recorded(ctx):
    current = procedures.registry().definitions[CPN].version
    downgrade(revision=_before_pinning())
    with db.engine.begin() as conn:
        common = {"yes": True, "no": False, "created": datetime(2025, 1, 1, tzinfo=timezone.utc),
                  "procedure": CPN}
        conn.execute(INSERT, {**common, "ref": "SAME-1", "version": current})
        conn.execute(INSERT, {**common, "ref": "OLDER-1", "version": current + 100})
    upgrade()
    with db.engine.connect() as conn:
        pins = dict(conn.execute(text("SELECT reference, definition_digest FROM procurement")).all())
        stored = conn.execute(text("SELECT digest, procedure, text FROM pinned_definition")).all()
    expected = procedures.registry().digests[CPN]
    assert pins == {"SAME-1": expected, "OLDER-1": None}
    assert [(digest, procedure) for digest, procedure, _text in stored] == [(expected, CPN)]
    assert procedures.digest_of(stored[0][2]) == expected
