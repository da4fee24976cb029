"""Imports every module that registers a background job handler, so ``tender worker`` knows them all."""
from tender.services.award import letters  # noqa: F401  (award.letters.send)
from tender.services import account_links  # noqa: F401  (account.link.send)
from tender.services.clarifications import delivery as clarification_delivery  # noqa: F401  (clarifications.send)
