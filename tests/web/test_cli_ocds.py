"""``tender ocds export`` run as people run it: a separate process on the test's database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.ocds_support import check_uk_package, require_ocds_dir

TENDER = str(Path(sys.executable).parent / "tender")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tender(database_url, tmp_path):
    """Run ``tender ARGS`` against the test's database; returns the CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENDER_", "FLASK_"))}
    env.update({"DATABASE_URL": database_url, "TENDER_INSTANCE_PATH": str(tmp_path),
                "TENDER_ARGON2_MEMORY_KIB": "19456", "TENDER_ARGON2_TIME_COST": "2",
                "TENDER_ARGON2_PARALLELISM": "1"})

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([TENDER, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                              encoding="utf-8", timeout=120)

    return run


def test_the_demos_stored_notice_exports_to_a_file_the_same_bytes_twice(app, tender, tmp_path):
    require_ocds_dir()
    assert tender("demo").returncode == 0
    with app.app_context():
        from tender.extensions import db
        from tender.models import Procurement
        from tests.publishing_support import publish, user

        procurement_id = db.session.scalar(select(Procurement.id).where(Procurement.reference == "KCC-22/00033"))
        notice = publish(procurement_id, "tender", user("luke.edwards@kent.example"),
                         datetime(2022, 4, 1, 10, tzinfo=timezone.utc))
        stored = json.loads(notice.release_json)
    output, again = tmp_path / "ocds.json", tmp_path / "again.json"

    result = tender("ocds", "export", "--procurement", "KCC-22/00033", "--output", str(output),
                    "--publisher", "Kent County Council")
    tender("ocds", "export", "--procurement", "KCC-22/00033", "--output", str(again),
           "--publisher", "Kent County Council")

    assert result.returncode == 0, result.stderr
    assert "Wrote 1 release to" in result.stderr
    text = output.read_text(encoding="utf-8")
    assert text.startswith('{\n  "uri": ')  # pretty-printed
    assert output.read_bytes() == again.read_bytes()
    package = json.loads(text)
    check_uk_package(package)
    assert package["publisher"] == {"name": "Kent County Council"}
    assert package["releases"] == [stored]


def test_with_no_notice_published_the_export_says_so(tender):
    assert tender("demo").returncode == 0

    result = tender("ocds", "export")

    assert result.returncode == 1
    assert "No notice has been published yet." in result.stderr


def test_an_unknown_reference_is_refused_with_a_clear_message(tender):
    result = tender("ocds", "export", "--procurement", "NO-SUCH")

    assert result.returncode == 1
    assert "There is no procurement with the reference NO-SUCH." in result.stderr
