"""Alembic migrations, shipped inside the package so ``tender db upgrade`` works from an installed wheel."""
