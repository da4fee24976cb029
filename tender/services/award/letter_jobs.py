"""The one background job that issues and e-mails a procurement's letters.

Award decision letters and assessment summaries (``tender.services.award.letters``)
and the notices to candidates not selected
(``tender.services.procurement.selection_letters``) are all queued on it, one
active job per procurement (its ``dedupe_key``), and the handler in
``tender.services.award.letters`` issues and delivers both kinds.
"""
from __future__ import annotations

SEND_JOB = "award.letters.send"


def dedupe_key(procurement_id: int) -> str:
    """The key that keeps one active send job per procurement, whichever "Send" queued it."""
    return f"{SEND_JOB}:{procurement_id}"
