"""The ``tender`` command, run as people run it: a separate process with the environment set."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from tender.models import AuditEvent, Milestone, Procurement, SQResponse, Supplier, User

TENDER = str(Path(sys.executable).parent / "tender")
ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "workflows").glob("*.yaml"))
CPN = "competitive_procedure_with_negotiation"
DEMO_PASSWORD = "demo-password-2022"


def environment(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENDER_", "FLASK_"))}
    env.update({
        "DATABASE_URL": database_url, "TENDER_INSTANCE_PATH": str(instance),
        "TENDER_ARGON2_MEMORY_KIB": "19456", "TENDER_ARGON2_TIME_COST": "2", "TENDER_ARGON2_PARALLELISM": "1",
    })
    return env


@pytest.fixture
def tender(database_url, tmp_path):
    """Run ``tender ARGS`` against the test's database; returns the CompletedProcess."""
    env = environment(database_url, tmp_path)

    def run(*args: str, database: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
        return subprocess.run([TENDER, *args], env={**env, **({"DATABASE_URL": database} if database else {})},
                              cwd=cwd, capture_output=True, text=True, timeout=120)

    return run


def counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {model.__tablename__: conn.scalar(select(func.count()).select_from(model))
                    for model in (Procurement, User, Milestone, Supplier, SQResponse, AuditEvent)}
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- db upgrade


def test_db_upgrade_creates_a_fresh_sqlite_database_and_is_idempotent(tender, tmp_path):
    path = tmp_path / "fresh" / "tender.db"
    path.parent.mkdir()
    url = f"sqlite:///{path}"

    first = tender("db", "upgrade", database=url)
    assert first.returncode == 0, first.stderr
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"procurement", "milestone", "user", "user_session", "audit_event", "alembic_version"} <= tables
        with engine.connect() as conn:
            head = conn.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()
    assert head

    second = tender("db", "upgrade", database=url)
    assert second.returncode == 0, second.stderr
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
            assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- demo


def test_demo_loads_kcc_22_00033_and_prints_the_logins(tender, database_url):
    result = tender("demo")

    assert result.returncode == 0, result.stderr
    assert "Loaded the demo procurement KCC-22/00033: 5 lots, 4 candidates." in result.stdout
    assert f"password for each: {DEMO_PASSWORD}" in result.stdout
    for email in ("admin@kent.example", "luke.edwards@kent.example", "richard.smith@kent.example",
                  "morgan.lee@kent.example"):
        assert email in result.stdout
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(Procurement.title, Procurement.state, Procurement.regime)
                               .where(Procurement.reference == "KCC-22/00033")).one()
            assert row.state == "draft" and row.regime == "pcr2015_light_touch" and "Live Well Kent" in row.title
            assert conn.scalar(select(func.count()).select_from(User)) == 9 + 4  # staff, and one per supplier
    finally:
        engine.dispose()


def test_running_the_demo_twice_changes_nothing(tender, database_url):
    assert tender("demo").returncode == 0
    before = counts(database_url)

    again = tender("demo")

    assert again.returncode == 0, again.stderr
    assert "The demo procurement KCC-22/00033 is already loaded." in again.stdout
    assert "luke.edwards@kent.example" in again.stdout
    assert counts(database_url) == before


def test_the_demo_users_can_log_in_with_the_printed_password(tender, database_url, tmp_path):
    from tender import create_app
    from tender.extensions import db
    from tests.helpers import TEST_CONFIG, login

    assert tender("demo").returncode == 0
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    try:
        assert login(app.test_client(), "luke.edwards@kent.example", DEMO_PASSWORD).status_code == 302
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --------------------------------------------------------------------------- users create (the first administrator)


def test_users_create_makes_the_first_administrator(tender, database_url):
    result = tender("users", "create", "--email", "Pat.Jones@Kent.example", "--name", "Pat Jones",
                    "--password", "a long enough passphrase")

    assert result.returncode == 0, result.stderr
    assert "Created pat.jones@kent.example (administrator)." in result.stdout
    assert "invite everyone else from the Users page" in result.stdout
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            user = conn.execute(select(User.name, User.role, User.password_hash)
                                .where(User.email == "pat.jones@kent.example")).one()
            created = conn.execute(select(AuditEvent.action, AuditEvent.actor)
                                   .where(AuditEvent.action == "user.created")).all()
    finally:
        engine.dispose()
    assert (user.name, user.role) == ("Pat Jones", "administrator")
    assert user.password_hash.startswith("$argon2id$")
    assert [tuple(c) for c in created] == [("user.created", "tender users create")]


def test_users_create_accepts_the_role_by_its_label(tender):
    result = tender("users", "create", "--email", "lee@kent.example", "--name", "Lee",
                    "--role", "Administrator", "--password", "a long enough passphrase")
    assert result.returncode == 0, result.stderr
    assert "(administrator)" in result.stdout


def test_users_create_makes_no_one_but_an_administrator(tender, database_url):
    """Everyone else is invited and chooses their own password: no one types a password for another (issue 19)."""
    before = counts(database_url)
    result = tender("users", "create", "--email", "pat@kent.example", "--name", "Pat",
                    "--role", "Approver", "--password", "a long enough passphrase")
    assert result.returncode != 0
    assert "makes the first administrator only" in result.stderr and "Users page" in result.stderr
    assert "Traceback" not in result.stderr
    assert counts(database_url) == before


def test_users_create_refuses_once_there_is_an_administrator(tender, database_url):
    assert tender("users", "create", "--email", "first@kent.example", "--name", "First",
                  "--password", "a long enough passphrase").returncode == 0
    before = counts(database_url)
    again = tender("users", "create", "--email", "second@kent.example", "--name", "Second",
                   "--password", "another long passphrase")
    assert again.returncode != 0
    assert "Tender already has an administrator (first@kent.example)" in again.stderr
    assert "Traceback" not in again.stderr
    assert counts(database_url) == before


def test_users_create_refuses_a_short_password(tender, database_url):
    before = counts(database_url)
    result = tender("users", "create", "--email", "short@kent.example", "--name", "Short",
                    "--password", "tooshort")
    assert result.returncode != 0
    assert "Enter a password of at least 12 characters." in result.stderr
    assert "Traceback" not in result.stderr
    assert counts(database_url) == before


def test_users_create_refuses_an_unknown_role(tender, database_url):
    before = counts(database_url)
    result = tender("users", "create", "--email", "boss@kent.example", "--name", "Boss",
                    "--role", "superuser", "--password", "a long enough passphrase")
    assert result.returncode != 0
    assert "Unknown role 'superuser'." in result.stderr
    assert "administrator, procurement_officer, evaluator, moderator, approver, legal_reviewer" in result.stderr
    assert "Traceback" not in result.stderr
    assert counts(database_url) == before


# --------------------------------------------------------------------------- workflow check and graph


def test_workflow_check_passes_every_shipped_workflow(tender):
    assert len(WORKFLOWS) >= 4
    result = tender("workflow", "check", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count("OK ") == len(WORKFLOWS)
    assert "Competitive procedure with negotiation (version 1" in result.stdout


def test_workflow_check_names_the_file_line_and_field_of_an_unknown_destination(tender, tmp_path):
    source = (ROOT / "workflows" / f"{CPN}.yaml").read_text()
    assert source.count("    dest: sq_closed\n") == 1
    broken = tmp_path / "broken_cpn.yaml"
    broken.write_text(source.replace("    dest: sq_closed\n", "    dest: sq_shut\n"))
    line = next(n for n, content in enumerate(broken.read_text().splitlines(), 1) if "dest: sq_shut" in content)

    result = tender("workflow", "check", str(broken), str(WORKFLOWS[0]))

    assert result.returncode == 1
    assert f"{broken}, line {line}, field transitions[1].dest: unknown stage 'sq_shut'" in result.stderr
    assert "OK " in result.stdout  # the good file is still checked and reported


def test_workflow_check_reports_a_yaml_syntax_error_with_its_line(tender, tmp_path):
    broken = tmp_path / "syntax.yaml"
    broken.write_text("name: x\nstages: [draft\n")
    result = tender("workflow", "check", str(broken))
    assert result.returncode == 1
    assert str(broken) in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.stderr


def test_workflow_graph_prints_a_dot_digraph(tender):
    result = tender("workflow", "graph", CPN, "--format", "dot", "--current", "negotiation")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f'digraph "{CPN}"') and out.rstrip().endswith("}")
    assert '"draft" -> "sq_published"' in out
    assert "(current stage)" in out


def test_workflow_graph_refuses_an_unknown_procedure(tender):
    result = tender("workflow", "graph", "no_such_procedure")
    assert result.returncode != 0
    assert "no procedure named 'no_such_procedure'" in result.stderr


# --------------------------------------------------------------------------- audit verify


def test_audit_verify_passes_after_the_demo_loads(tender, database_url):
    assert tender("demo").returncode == 0
    result = tender("audit", "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: ") and "chain intact" in result.stdout
    count = int(result.stdout.split("OK: ")[1].split(" events")[0])
    # nine demo users, the procurement, 3 funders, 5 lots, 13 milestones planned, 4 SQ responses, 15 bids,
    # and the council's and suppliers' publishing details (parties, CPV): every one of them, and nothing else
    assert count == counts(database_url)["audit_event"] > 50


def test_audit_verify_on_an_empty_trail_passes(tender):
    result = tender("audit", "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: 0 events")
