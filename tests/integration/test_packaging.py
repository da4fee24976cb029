"""A wheel built from a clean checkout gives a working, styled app.

The wheel is built from a copy of the checkout holding only what git would
(tracked and new files, nothing ignored): no built styles, so the build must
make them (``setup.py`` runs the npm build in ``assets/``). The copy borrows
the checkout's ``assets/node_modules`` so the test needs no network; without
them the build would run ``npm ci`` first.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILT = ("tender/static/css/app.css", "tender/static/js/govuk-frontend.min.js")


def clean_checkout(target: Path) -> Path:
    """The files git holds or would add (none it ignores, so no built styles), copied to ``target``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for built in BUILT:
        assert not (target / built).exists(), f"{built} is a build artefact: it must not be in git"
    modules = ROOT / "assets" / "node_modules"
    if modules.is_dir():
        (target / "assets" / "node_modules").symlink_to(modules, target_is_directory=True)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout")
    if shutil.which("npm") is None:
        pytest.skip("needs npm (the build compiles the GOV.UK Frontend styles)")
    source = clean_checkout(tmp_path_factory.mktemp("checkout"))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                             "-w", str(out), str(source)], capture_output=True, text=True, cwd=out)
    assert result.returncode == 0, result.stderr[-3000:]
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
    expected |= {"tender/domain/ocds/cpv2008.csv", "tender/domain/ocds/cpv2008.NOTICE.md",
                 "tender/domain/common-passwords.txt.gz", "tender/domain/common-passwords.NOTICE.md",
                 "tender/migrations/alembic.ini", "tender/migrations/script.py.mako",
                 "tender/static/js/init.js", *BUILT}
    missing = sorted(expected - names)
    assert not missing, f"missing from the wheel (update [tool.setuptools] in pyproject.toml): {missing}"


def test_the_wheel_carries_the_built_styles_and_the_whole_cpv_vocabulary(wheel):
    archive = zipfile.ZipFile(wheel)
    css = archive.read("tender/static/css/app.css").decode("utf-8")
    assert ".govuk-header" in css and ".govuk-button" in css
    assert b"initAll" in archive.read("tender/static/js/govuk-frontend.min.js")
    rows = list(csv.DictReader(io.StringIO(archive.read("tender/domain/ocds/cpv2008.csv").decode("utf-8"))))
    assert len(rows) >= 9000
    assert {"72000000-5", "45000000-7", "85323000-9"} <= {row["code"] for row in rows}


def test_the_installed_wheel_migrates_a_database_and_serves_styled_pages_and_every_cpv_code(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    script = (
        "import tender, flask_migrate\n"
        "assert tender.__file__.startswith(%r), tender.__file__\n"
        "app = tender.create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite:///%s', 'TESTING': True})\n"
        "with app.app_context(): flask_migrate.upgrade()\n"
        "client = app.test_client()\n"
        "r = client.get('/login')\n"
        "assert r.status_code == 200 and b'Log in to Tender' in r.data, r.status_code\n"
        "assert b'/static/css/app.css' in r.data\n"
        "css = client.get('/static/css/app.css')\n"
        "assert css.status_code == 200 and b'.govuk-header' in css.data, css.status_code\n"
        "css.close()\n"
        "from tender.domain.ocds import cpv\n"
        "assert cpv.__file__.startswith(%r)\n"
        "assert len(cpv.cpv_codes()) >= 9000 and cpv.cpv_problem('72000000-5') is None\n"
        "assert cpv.cpv_problem('45000000-7') is None\n"
        "print('ok')\n" % (str(site), tmp_path / "wheel.db", str(site))
    )
    env = {**os.environ, "PYTHONPATH": str(site), "TENDER_INSTANCE_PATH": str(tmp_path / "instance"),
           "TENDER_SECRET_KEY": "a-key-as-production-sets-one"}  # production refuses to serve without one
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_building_without_npm_stops_with_a_clear_message(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout")
    source = clean_checkout(tmp_path / "checkout")
    empty = tmp_path / "bin"  # a PATH with no npm on it (Python is called by its full path)
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                             "-w", str(tmp_path / "out"), str(source)], capture_output=True, text=True, env=env,
                            cwd=tmp_path)
    assert result.returncode != 0
    assert "needs Node.js and npm" in result.stdout + result.stderr
