"""Exports for legal review: every step is in the bundle, the bundle checks out, exports are audited."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

from sqlalchemy import select, text

from tender.demo import load_demo
from tender.extensions import db
from tender.models import AuditEvent, Bid, Lot, Procurement, User
from tender.services import audit
from tender.services.audit import export as audit_export
from tender.services.audit import query as audit_query
from tender.services.procurement import workflow
from tests.helpers import allow_audit_tampering, csrf_post, login, make_user, shortlist_all_but_last

TENDER = str(Path(sys.executable).parent / "tender")


def run_demo_procurement_to_tender_evaluation() -> Procurement:
    """Load the demo and take it through publication, SQ, shortlisting and ITT, as an officer would."""
    load_demo("demo-password-2022")
    officer = db.session.scalar(select(User).where(User.email == "luke.edwards@kent.example"))
    p = db.session.scalar(select(Procurement).where(Procurement.reference == "KCC-22/00033"))
    today = date(2022, 7, 12)
    for trigger in ("publish_sq", "close_sq", "start_sq_evaluation"):
        workflow.advance(p.id, trigger, officer, expected_version=p.version, today=today)
    shortlist_all_but_last(p.id, officer)
    for trigger in ("issue_itt", "close_initial_tenders"):
        workflow.advance(p.id, trigger, officer, expected_version=db.session.get(Procurement, p.id).version,
                         today=today)
    return p


def evaluate_demo_lot_one(p: Procurement) -> None:
    """Two evaluators and a moderator score lot 1's initial tenders; the officer opens prices."""
    from tender.services.evaluation import panel as evaluation
    from tender.services.evaluation import envelope
    from tender.services.evaluation import scoring as evaluation_scoring
    from tests.evaluation_support import sheet, user

    officer = user("luke.edwards@kent.example")
    panel = [user("sam.evans@kent.example"), user("jo.patel@kent.example"), user("chris.taylor@kent.example")]
    for person in panel:
        evaluation.assign(p.id, 1, person.id, None, officer)
        evaluation.declare(p.id, 1, person, False, "")
    lot = db.session.scalar(select(Lot).where(Lot.procurement_id == p.id, Lot.number == 1))
    bids = db.session.scalars(select(Bid).where(Bid.lot_id == lot.id, Bid.round == "initial").order_by(Bid.id)).all()
    for bid, value in zip(bids, (3, 2, 4)):
        for evaluator in panel[:2]:
            evaluation_scoring.save_scores(p.id, 1, "initial", bid.id, evaluator, sheet(value), True)
        evaluation_scoring.moderate(p.id, 1, "initial", bid.id, panel[2], sheet(value, "The panel agreed."))
    envelope.open_prices(p.id, 1, "initial", officer)


def test_the_bundle_holds_every_step_and_checks_out_with_sha256sum(ctx, tmp_path):
    p = run_demo_procurement_to_tender_evaluation()
    evaluate_demo_lot_one(p)
    result = audit_export.export("bundle", tmp_path / "evidence.zip",
                                 audit_query.AuditFilter(procurement=p.reference), audit.Actor.system("test"))
    assert result.chain_ok
    out = tmp_path / "unzipped"
    zipfile.ZipFile(result.path).extractall(out)
    assert sorted(os.listdir(out)) == ["SHA256SUMS", "audit.csv", "audit.jsonl", "audit.pdf", "manifest.json"]
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    events = [json.loads(line) for line in (out / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    stages = [e["after"]["stage"] for e in events if e["action"] == "procurement.stage_changed"]
    assert stages == ["sq_published", "sq_closed", "sq_evaluation", "itt_issued", "initial_tender_evaluation"]
    assert sum(e["action"] == "shortlist.decided" for e in events) == 4
    actions = {e["action"] for e in events}
    assert {"lot.created", "sq_response.received", "bid.received", "evaluation.panel_assigned",
            "evaluation.no_conflict_declared", "evaluation.scores_submitted", "evaluation.score_moderated",
            "evaluation.ranking_final", "evaluation.prices_opened"} <= actions, actions
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["chain_head_hash"] == result.head_hash
    assert manifest["procurement"] == "KCC-22/00033"
    # The export itself is on the record, after the events it exported.
    last = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()))
    assert last.action == "audit.exported" and last.to_record()["after"]["format"] == "bundle"
    # Altering the CSV afterwards is caught by sha256sum.
    (out / "audit.csv").write_bytes((out / "audit.csv").read_bytes().replace(b"luke.edwards", b"someone.else"))
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True).returncode != 0


def test_csv_and_jsonl_exports_have_one_event_per_row(ctx, tmp_path):
    run_demo_procurement_to_tender_evaluation()
    total = audit.head()[0]
    csv_result = audit_export.export("csv", tmp_path / "a.csv", audit_query.AuditFilter(), audit.Actor.system("t"))
    jsonl_result = audit_export.export("jsonl", tmp_path / "a.jsonl", audit_query.AuditFilter(), audit.Actor.system("t"))
    assert csv_result.events == total
    assert jsonl_result.events == total + 1  # the CSV export was itself recorded
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, total + 2))


def test_cli_export_and_verify_catch_a_row_altered_behind_the_applications_back(database_url, tmp_path, app):
    env = {**os.environ, "DATABASE_URL": database_url, "TENDER_INSTANCE_PATH": str(tmp_path),
           "TENDER_ARGON2_MEMORY_KIB": "19456", "TENDER_ARGON2_TIME_COST": "2", "TENDER_ARGON2_PARALLELISM": "1"}
    assert subprocess.run([TENDER, "demo"], env=env, capture_output=True).returncode == 0
    exported = subprocess.run([TENDER, "audit", "export", "--format", "pdf", "--output", str(tmp_path / "r.pdf")],
                              env=env, capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    ok = subprocess.run([TENDER, "audit", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and "chain intact" in ok.stdout
    with app.app_context():
        allow_audit_tampering()
        db.session.execute(text("UPDATE audit_event SET actor = 'nobody' WHERE seq = 3"))
        db.session.commit()
        db.session.remove()
    broken = subprocess.run([TENDER, "audit", "verify"], env=env, capture_output=True, text=True)
    assert broken.returncode == 1
    assert "BROKEN at event 3" in broken.stderr


def test_legal_reviewers_export_from_the_web_and_officers_cannot(app, client, tmp_path):
    with app.app_context():
        legal = make_user("legal_reviewer")
        officer = make_user("procurement_officer")
        legal_email, officer_email = legal.email, officer.email
    login(client, officer_email)
    assert csrf_post(client, "/audit/export", {"format": "csv"}).status_code == 403
    client.post("/logout", data={})
    other = app.test_client()
    login(other, legal_email)
    response = csrf_post(other, "/audit/export", {"format": "bundle"}, token_from="/audit/")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    (tmp_path / "b.zip").write_bytes(response.data)
    assert "SHA256SUMS" in zipfile.ZipFile(tmp_path / "b.zip").namelist()
    page = other.get("/audit/?action=audit.exported").get_data(as_text=True)
    assert "audit.exported" in page and legal_email in page


def test_nothing_in_the_ui_or_cli_can_edit_or_delete_an_event(app):
    for rule in app.url_map.iter_rules():
        assert not ({"PUT", "PATCH", "DELETE"} & set(rule.methods)), rule
        if rule.rule.startswith("/audit"):
            assert rule.endpoint in {"audit.index", "audit.export"}, rule
    audit_cli = app.cli.get_command(None, "audit")
    assert sorted(audit_cli.commands) == ["export", "verify"]
