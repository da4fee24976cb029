"""One module per schema revision, in order (``0001_initial_schema`` ...); Alembic reads them, nothing imports them."""
