"""Kept for old imports: the transaction lives in ``tender.services.use_case``."""
from tender.services.use_case import commit, one_transaction  # noqa: F401
