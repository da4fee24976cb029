"""``pip install .`` gives a working app: code, templates, workflows, rules and migrations ship."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(ROOT)], check=True, capture_output=True, cwd=out)
    return next(out.glob("tender-*.whl"))


def test_the_wheel_contains_every_package_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for source, target in (("workflows", "tender/workflows"), ("scoring_rules", "tender/scoring_rules"),
                           ("templates", "tender/templates")):
        for path in (ROOT / source).rglob("*"):
            if path.is_file() and path.suffix in {".yaml", ".html", ".txt", ".md"}:
                expected.add(f"{target}/{path.relative_to(ROOT / source).as_posix()}")
    for path in (ROOT / "tender").rglob("*.py"):
        expected.add(path.relative_to(ROOT).as_posix())
    expected.add("tender/domain/ocds/cpv2008.csv")  # the CPV list notices are checked against
    missing = sorted(expected - names)
    assert not missing, f"missing from the wheel (update [tool.setuptools] in pyproject.toml): {missing}"


def test_the_installed_wheel_migrates_a_database_and_serves_the_login_page(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    script = (
        "import tender, flask_migrate\n"
        "assert tender.__file__.startswith(%r), tender.__file__\n"
        "app = tender.create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite:///%s', 'TESTING': True})\n"
        "with app.app_context(): flask_migrate.upgrade()\n"
        "r = app.test_client().get('/login')\n"
        "assert r.status_code == 200 and b'Log in to Tender' in r.data, r.status_code\n"
        "print('ok')\n" % (str(site), tmp_path / "wheel.db")
    )
    env = {**os.environ, "PYTHONPATH": str(site), "TENDER_INSTANCE_PATH": str(tmp_path / "instance")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
