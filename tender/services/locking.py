"""Kept for old imports: use cases, their lost races and the version check live in ``tender.services.use_case``.

``guarded(message)`` is ``use_case(message)``: one transaction, a lost race
(StaleDataError or IntegrityError) refused as ConcurrentChange(message).
"""
from tender.services.use_case import check_version, use_case  # noqa: F401


def guarded(message: str):
    """Old name of ``use_case(message)``."""
    return use_case(message)
