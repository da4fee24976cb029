"""Where the data directories are, whether Tender runs from a checkout or a wheel.

In the repository, ``workflows/``, ``scoring_rules/`` and ``templates/`` sit at
the top level where people look for them; ``pip install .`` maps them into the
package (see pyproject.toml), so an installed Tender finds them beside its code.
"""
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the directory ``name`` inside the installed package, else in the checkout."""
    installed = _PACKAGE / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def migrations_dir() -> Path:
    """Alembic scripts ship inside the package so ``tender db upgrade`` works anywhere."""
    return _PACKAGE / "migrations"
