"""``tender ocds export`` run as people run it: a separate process on the test's database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ocds_support import check_package, require_ocds_dir

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


def test_the_demo_exports_to_a_file_as_a_valid_release_package(tender, tmp_path):
    require_ocds_dir()
    assert tender("demo").returncode == 0
    output = tmp_path / "ocds.json"

    result = tender("ocds", "export", "--procurement", "KCC-22/00033", "--output", str(output),
                    "--publisher", "Kent County Council", "--ocid-prefix", "ocds-abc123")

    assert result.returncode == 0, result.stderr
    assert "Wrote 1 release to" in result.stderr
    text = output.read_text(encoding="utf-8")
    assert text.startswith('{\n  "uri": ')  # pretty-printed
    package = json.loads(text)
    check_package(package)
    assert package["publisher"] == {"name": "Kent County Council"}
    [release] = package["releases"]
    assert release["ocid"] == "ocds-abc123-KCC-22/00033"
    assert len(release["tender"]["lots"]) == 5 and len(release["tender"]["milestones"]) == 13


def test_without_output_the_package_goes_to_standard_output(tender):
    require_ocds_dir()
    assert tender("demo").returncode == 0

    result = tender("ocds", "export")

    assert result.returncode == 0, result.stderr
    package = json.loads(result.stdout)
    check_package(package)
    assert [r["ocid"] for r in package["releases"]] == ["ocds-tender-KCC-22/00033"]


def test_an_unknown_reference_is_refused_with_a_clear_message(tender):
    result = tender("ocds", "export", "--procurement", "NO-SUCH")

    assert result.returncode == 1
    assert "There is no procurement with the reference NO-SUCH." in result.stderr
