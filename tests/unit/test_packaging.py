"""How Tender is packaged: packages found, not listed; every code directory a package; no build artefact in git."""
from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_packages_are_found_not_listed_by_hand():
    assert "packages" not in SETUPTOOLS or isinstance(SETUPTOOLS["packages"], dict)
    assert SETUPTOOLS["packages"]["find"]["include"] == ["tender", "tender.*"]


def test_every_directory_of_python_code_under_tender_is_a_regular_package():
    missing = sorted(str(d.relative_to(ROOT)) for d in (ROOT / "tender").rglob("*")
                     if d.is_dir() and "__pycache__" not in d.parts and any(d.glob("*.py"))
                     and not (d / "__init__.py").is_file())
    assert not missing, f"add an __init__.py to: {missing}"
    assert (ROOT / "tender" / "services" / "__init__.py").is_file()


def test_each_mapped_data_directory_exists_and_ships_its_files():
    for package, directory in SETUPTOOLS["package-dir"].items():
        assert (ROOT / directory).is_dir(), directory
        assert package in SETUPTOOLS["package-data"], f"{package} ships no files: add its package-data"


def _need_git() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout")


def _tracked(*patterns: str) -> list[str]:
    _need_git()
    return subprocess.run(["git", "ls-files", "--", *patterns], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.split()


def test_no_build_artefact_is_tracked_in_git():
    assert _tracked("tender/static/css/*", "tender/static/js/govuk-frontend*") == []
    assert _tracked("*.whl", "*.egg-info/*", "dist/*", "build/*", "assets/node_modules/*") == []


def test_the_built_styles_are_ignored_so_they_cannot_be_added_by_accident():
    _need_git()
    for built in ("tender/static/css/app.css", "tender/static/js/govuk-frontend.min.js"):
        result = subprocess.run(["git", "check-ignore", "-q", built], cwd=ROOT)
        assert result.returncode == 0, f"{built} must be git-ignored"
