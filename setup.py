"""Build hooks for Tender's packages; everything else is in pyproject.toml.

Two things a wheel needs that setuptools cannot know from pyproject.toml alone:

* The GOV.UK Frontend styles and script (``tender/static/css/app.css``,
  ``tender/static/js/govuk-frontend.min.js``) are built from ``assets/`` with
  npm and never kept in git. Building a wheel or an sdist builds them first
  if they are missing, and stops with a clear message if npm is not there,
  so an installed Tender never serves unstyled pages. (An editable install
  leaves them to ``scripts/setup``.)
* The data directories at the top of the repository (``workflows/``,
  ``scoring_rules/``, ``templates/``) are packages of their own inside
  ``tender`` (``[tool.setuptools.package-dir]``); setuptools' package finder
  only looks under ``tender/``, so every mapped directory is added here.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"
BUILT = (ROOT / "tender" / "static" / "css" / "app.css", ROOT / "tender" / "static" / "js" / "govuk-frontend.min.js")
NO_NPM = ("Building Tender needs Node.js and npm to compile the GOV.UK Frontend styles from assets/ into "
          "tender/static/ (without them an installed Tender serves unstyled pages). Install Node.js with npm "
          "(for example `apt-get install nodejs npm`), then build again.")


def build_styles() -> None:
    """Run the npm build in ``assets/`` unless its outputs are already there; fail clearly without npm."""
    if all(path.is_file() for path in BUILT):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(f"error: {NO_NPM}")
    if not (ASSETS / "node_modules" / ".bin" / "sass").exists():
        subprocess.run([npm, "--prefix", str(ASSETS), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       check=True)
    subprocess.run([npm, "--prefix", str(ASSETS), "run", "--silent", "build"], check=True)
    missing = [str(path.relative_to(ROOT)) for path in BUILT if not path.is_file()]
    if missing:
        raise SystemExit(f"error: the npm build in assets/ did not make {', '.join(missing)}.")


class BuildPyWithStyles(build_py):
    """``build_py`` that builds the styles first and also builds the mapped data packages."""

    def finalize_options(self):
        super().finalize_options()
        mapped = [name for name in (self.distribution.package_dir or {}) if name and name not in self.packages]
        self.packages = [*self.packages, *mapped]

    def run(self):
        if not getattr(self, "editable_mode", False):
            build_styles()
        super().run()


class SdistWithStyles(sdist):
    """An sdist carries the built styles, so a wheel built from it needs no npm."""

    def run(self):
        build_styles()
        super().run()


setup(cmdclass={"build_py": BuildPyWithStyles, "sdist": SdistWithStyles})
