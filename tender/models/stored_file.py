"""Documents stored where every host can serve them: in the database, in chunks (issue 18, part 6).

``StoredFile`` is one file's content, named by its SHA-256 and never changed:
the same bytes uploaded twice (by one supplier or two) are one row, so a
duplicate is the same file, not an error. It carries no file name: a name
belongs to whatever refers to the file (a submission's attachment), since
two people may give the same bytes different names.

``StoredFileChunk`` holds the bytes in pieces of at most ``CHUNK_SIZE`` (1 MiB),
``sequence`` 0, 1, 2...: written one at a time as an upload is read and read
back one per query as a download is sent, so a 100 MB file never sits whole in
memory. ``backend`` says where the bytes live ("database": these chunks), so
an S3-compatible store can follow as a second value (see
``tender.services.storage``).

CHECK constraints hold the sizes: a file has 1 byte to ``MAX_STORED_BYTES``;
a chunk 1 byte to ``CHUNK_SIZE``; ``chunk_count`` is at least 1 and no more
than the size. On PostgreSQL the chunk column is stored without compression
(migration 0019): PDFs, Office files and images are compressed already.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tender.extensions import db

#: The size of one stored chunk (the last may be shorter).
CHUNK_SIZE = 1024 * 1024
#: The largest file the table can hold, whatever the configuration says (4 GiB).
MAX_STORED_BYTES = 4 * 1024 ** 3
#: The only backend so far: the chunks below.
DATABASE = "database"


class StoredFile(db.Model):
    """One file's content, by SHA-256: its size, its type as detected from the content, and when first stored."""

    __tablename__ = "stored_file"
    __table_args__ = (
        CheckConstraint(f"size >= 1 AND size <= {MAX_STORED_BYTES}", name="size"),
        CheckConstraint("chunk_count >= 1 AND chunk_count <= size", name="chunk_count"),
        CheckConstraint("length(sha256) = 64", name="sha256"),
        CheckConstraint("backend IN ('database')", name="backend"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    chunk_count: Mapped[int] = mapped_column(Integer)
    backend: Mapped[str] = mapped_column(String(20), default=DATABASE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StoredFileChunk(db.Model):
    """One piece of a stored file's bytes."""

    __tablename__ = "stored_file_chunk"
    __table_args__ = (
        CheckConstraint(f"sequence >= 0 AND sequence < {MAX_STORED_BYTES // CHUNK_SIZE}", name="sequence"),
        CheckConstraint(f"length(data) >= 1 AND length(data) <= {CHUNK_SIZE}", name="data_size"),
    )

    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
