"""The exact text of each procedure file a procurement started with, keyed by its SHA-256.

A procurement stores the digest (``Procurement.definition_digest``); the text
lives here once however many procurements share it. Rows are only ever added:
a procurement's definition must not change behind its back when someone edits
``workflows/``; it moves to another text only through the audited migration
(``tender workflow migrate``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tender.extensions import db


class PinnedDefinition(db.Model):
    """One version of one procedure file, exactly as it was read."""

    __tablename__ = "pinned_definition"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the UTF-8 text, hex
    procedure: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
