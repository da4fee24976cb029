"""Imports every module that registers a background job handler, so ``tender worker`` knows them all."""
from tender.services.award import letters  # noqa: F401  (award.letters.send)
