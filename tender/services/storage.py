"""Documents in and out of storage, in chunks, checked by content (issue 18, part 6).

The API other services build on:

- ``save(stream, *, filename, max_bytes=None, submission_used=None) -> StoredFile``
  reads a binary stream in chunks (never the whole file in memory), hashes it
  as it goes, detects its type from the content (the ``filetype`` library,
  plus a careful rule for plain text and CSV), refuses a type not on the
  allow-list (``tender.domain.file_names.ACCEPTED``), an empty file or one
  over the limit with :class:`FileRefused` (an ``InvalidRequest``, so a 400
  naming the file and what is wrong), and stores it. The same bytes stored
  before are the same file: the existing row comes back. It writes through
  the caller's session, so it runs inside the caller's ``@use_case``: a
  submission that fails rolls its new files back with it.
- ``chunks(stored_file) -> Iterator[bytes]`` reads the bytes back through the
  session, one chunk per query (in the same transaction as a ``save``);
  ``detached_chunks(stored_file)`` does the same on a connection of its own
  in autocommit (no transaction held between chunks), for a download streamed
  after the request's session is gone (``tender.web.file_transfer.send_stored``).
- ``max_file_bytes()`` and ``max_submission_bytes()`` are the limits from
  configuration (``TENDER_MAX_FILE_BYTES``, default 100 MiB;
  ``TENDER_MAX_SUBMISSION_BYTES``, default 500 MiB);
  ``check_submission_room(used_bytes, adding_bytes, filename)`` is the check a
  submission service makes; passing ``submission_used`` to ``save`` makes the
  same check while the file is read, so an oversized upload stops early.
- ``Upload`` is what ``tender.web.file_transfer.receive`` hands a service: the
  stream and the safe file name.

Where the bytes live sits behind :class:`Storage` (``write`` / ``read`` /
``exists``), chosen by ``TENDER_FILE_STORAGE`` (only ``"database"`` so far:
:class:`DatabaseStorage`, chunks in ``stored_file_chunk``), so an
S3-compatible store can follow as a second implementation keyed by SHA-256.
"""
from __future__ import annotations

import codecs
import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, Iterator, Protocol

import filetype
from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tender.domain.file_names import ACCEPTED, ACCEPTED_SUMMARY, TEXT_EXTENSIONS, split_extension
from tender.extensions import db
from tender.models.stored_file import CHUNK_SIZE, DATABASE, MAX_STORED_BYTES, StoredFile, StoredFileChunk
from tender.services import clock
from tender.services.errors import InvalidRequest

DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_SUBMISSION_BYTES = 500 * 1024 * 1024
#: How much of the start of a file type detection reads (``filetype`` looks at 8 KiB at most).
SIGNATURE_BYTES = 8192
#: Uploads up to this size are spooled in memory while being checked; larger ones go to a temporary file.
SPOOL_IN_MEMORY = CHUNK_SIZE


class FileRefused(InvalidRequest):
    """A file Tender will not store: the message names the file and says what is wrong."""


@dataclass(frozen=True)
class Upload:
    """An uploaded file as a service receives it: a binary stream and its already-safe name."""

    stream: BinaryIO
    filename: str


class Storage(Protocol):
    """Where a stored file's bytes live. ``StoredFile`` rows (the metadata) are always in the database."""

    def write(self, stored_file: StoredFile, stream: BinaryIO) -> int:
        """Store the stream's bytes for this (flushed) row; return how many chunks were written."""

    def read(self, stored_file: StoredFile) -> Iterator[bytes]:
        """The bytes, in order, a chunk at a time, through the current session."""

    def read_detached(self, stored_file: StoredFile) -> Iterator[bytes]:
        """The bytes, a chunk at a time, needing no session or application context while iterated."""

    def exists(self, stored_file: StoredFile) -> bool:
        """Whether the bytes are there."""


class DatabaseStorage:
    """Chunks of at most ``CHUNK_SIZE`` in ``stored_file_chunk``: one INSERT per chunk, one SELECT per chunk."""

    name = DATABASE

    def write(self, stored_file: StoredFile, stream: BinaryIO) -> int:
        sequence = 0
        while chunk := stream.read(CHUNK_SIZE):
            db.session.execute(insert(StoredFileChunk).values(stored_file_id=stored_file.id, sequence=sequence,
                                                              data=chunk))
            sequence += 1
        return sequence

    def read(self, stored_file: StoredFile) -> Iterator[bytes]:
        file_id, count = stored_file.id, stored_file.chunk_count
        for sequence in range(count):
            yield _fetch_chunk(db.session.connection(), file_id, sequence)

    def read_detached(self, stored_file: StoredFile) -> Iterator[bytes]:
        return _detached(db.engine, stored_file.id, stored_file.chunk_count)

    def exists(self, stored_file: StoredFile) -> bool:
        found = db.session.execute(select(StoredFileChunk.sequence).where(
            StoredFileChunk.stored_file_id == stored_file.id).order_by(StoredFileChunk.sequence.desc()).limit(1))
        return found.scalar() == stored_file.chunk_count - 1


BACKENDS = {DATABASE: DatabaseStorage}
_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


_CHUNK_SQL = "SELECT data FROM stored_file_chunk WHERE stored_file_id = %s AND sequence = %s"


def _fetch_chunk(connection, file_id: int, sequence: int) -> bytes:
    """One chunk's bytes on a SQLAlchemy connection.

    On PostgreSQL the row comes back in binary format: psycopg's default text
    format sends a bytea as hex, twice its size, and decoding 1 MiB of hex per
    chunk made a download about seven times slower.
    """
    if connection.dialect.name == "postgresql":
        row = connection.connection.driver_connection.execute(_CHUNK_SQL, (file_id, sequence), binary=True).fetchone()
        if row is None:
            raise LookupError(f"stored file {file_id} has no chunk {sequence}")
        return bytes(row[0])
    return connection.execute(select(StoredFileChunk.data).where(
        StoredFileChunk.stored_file_id == file_id, StoredFileChunk.sequence == sequence)).scalar_one()


def _detached(engine, file_id: int, count: int) -> Iterator[bytes]:
    """The chunks on one connection of the download's own, in autocommit: no transaction between chunks.

    Each SELECT is its own transaction, so a slow download holds no snapshot
    or lock while the client takes each chunk, and a write can commit
    meanwhile (a stored file's chunks never change). Not a connection per
    chunk: checking one out of the pool costs a ping and, on return, a
    rollback, two round trips to the server for each of the chunk's one,
    which on PostgreSQL was half of a download's time (``bench_documents.py``).
    The connection goes back to the pool when the response is closed, read
    to the end or not.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for sequence in range(count):
            yield _fetch_chunk(connection, file_id, sequence)


def storage() -> Storage:
    """The configured backend (``TENDER_FILE_STORAGE``)."""
    name = current_app.config.get("TENDER_FILE_STORAGE", DATABASE)
    if name not in BACKENDS:
        raise RuntimeError(f"TENDER_FILE_STORAGE is {name!r}; Tender can store files in: {', '.join(BACKENDS)}")
    return BACKENDS[name]()


def max_file_bytes() -> int:
    """The largest file one upload may be (``TENDER_MAX_FILE_BYTES``), never above what the table holds."""
    return min(int(current_app.config.get("TENDER_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)), MAX_STORED_BYTES)


def max_submission_bytes() -> int:
    """The most all of one submission's files may add up to (``TENDER_MAX_SUBMISSION_BYTES``)."""
    return int(current_app.config.get("TENDER_MAX_SUBMISSION_BYTES", DEFAULT_MAX_SUBMISSION_BYTES))


def describe_size(size: int) -> str:
    """``"12.5 MB"``, ``"800 KB"``, ``"15 bytes"``: sizes as people read them (1 MB = 1,000,000 bytes)."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:,.1f} MB".replace(".0 MB", " MB")
    if size >= 1_000:
        return f"{size / 1_000:,.0f} KB"
    return f"{size} byte" + ("" if size == 1 else "s")


def check_submission_room(used_bytes: int, adding_bytes: int, filename: str) -> None:
    """Refuse a file that would take a submission's files past ``max_submission_bytes()``."""
    limit = max_submission_bytes()
    if used_bytes + adding_bytes > limit:
        left = max(limit - used_bytes, 0)
        raise FileRefused(f"“{filename}” is {describe_size(adding_bytes)}, but only {describe_size(left)} is left "
                          f"of the {describe_size(limit)} a submission's files may add up to. "
                          "Remove a file you no longer need, or make this one smaller.")


def save(stream: BinaryIO, *, filename: str, max_bytes: int | None = None,
         submission_used: int | None = None) -> StoredFile:
    """Store the stream's bytes (see the module docstring); the existing row if the same bytes are stored."""
    limit = min(max_bytes if max_bytes is not None else max_file_bytes(), max_file_bytes())
    room = limit
    if submission_used is not None:
        room = min(limit, max(max_submission_bytes() - submission_used, 0))
    with _spooled(stream, filename, limit, room, submission_used) as (spool, size, sha256, head, text_ok):
        content_type = detect_type(head, filename, text_ok, spool)
        existing = db.session.scalar(select(StoredFile).where(StoredFile.sha256 == sha256))
        if existing is not None:
            return existing
        return _store(spool, size, sha256, content_type)


def chunks(stored_file: StoredFile) -> Iterator[bytes]:
    """The file's bytes in order, one chunk per query through the current session (no whole file in memory)."""
    return storage().read(stored_file)


def detached_chunks(stored_file: StoredFile) -> Iterator[bytes]:
    """As :func:`chunks`, but on a connection of its own in autocommit: safe to iterate after the request ends."""
    return storage().read_detached(stored_file)


def stored_sha256(stored_file: StoredFile) -> str:
    """The SHA-256 recomputed from the stored bytes (what a receipt's hash is checked against)."""
    digest = hashlib.sha256()
    for chunk in chunks(stored_file):
        digest.update(chunk)
    return digest.hexdigest()


def detect_type(head: bytes, filename: str, text_ok: bool, spool: BinaryIO | None = None) -> str:
    """The MIME type the content is, if it is on the allow-list; otherwise :class:`FileRefused`.

    Binary types are known by their signature (``filetype``). A file with no
    signature is accepted as plain text or CSV only when its name says so and
    every byte is UTF-8 text without control characters (``text_ok``, checked
    over the whole file as it was read).
    """
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime in ACCEPTED:
            return kind.mime
        inside = _zip_document_type(spool) if kind.mime == "application/zip" and spool is not None else None
        if inside is not None:
            return inside
        raise FileRefused(f"“{filename}” is, by its content, a file of type {kind.extension.upper()} ({kind.mime}), "
                          f"which Tender does not accept. Upload {ACCEPTED_SUMMARY}.")
    _, extension = split_extension(filename)
    if extension in TEXT_EXTENSIONS and text_ok:
        return TEXT_EXTENSIONS[extension]
    if extension in TEXT_EXTENSIONS:
        raise FileRefused(f"“{filename}” is named as text but holds bytes that are not plain UTF-8 text. "
                          f"Save it again as UTF-8 text, or upload {ACCEPTED_SUMMARY}.")
    raise FileRefused(f"Tender could not tell what kind of file “{filename}” is from its content, so it cannot "
                      f"accept it. Upload {ACCEPTED_SUMMARY}.")


def _zip_document_type(spool: BinaryIO) -> str | None:
    """An Office Open XML or OpenDocument file whose first entries ``filetype`` did not recognise, from its index.

    ``filetype`` reads only the first 8 KiB, so a document whose archive starts
    with a large entry (a thumbnail) looks like any ZIP file. The archive's
    central directory says what it is without unpacking anything but the
    short ``mimetype`` entry of an OpenDocument file.
    """
    start = spool.tell()
    try:
        with zipfile.ZipFile(spool) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    mime = entry.read(100).decode("ascii", "replace").strip()
                return mime if mime in ACCEPTED and mime.startswith("application/vnd.oasis") else None
            if "[Content_Types].xml" in names:
                for folder, mime in _OOXML_FOLDERS.items():
                    if any(name.startswith(folder) for name in names):
                        return mime
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError, NotImplementedError):
        return None
    finally:
        spool.seek(start)
    return None


_OOXML_FOLDERS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class _TextCheck:
    """Whether a stream, fed in pieces, is UTF-8 text with no control characters but tab, CR, LF and form feed."""

    _CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"  # tab, LF, FF, CR are text

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.ok = True

    def feed(self, data: bytes, final: bool = False) -> None:
        if not self.ok:
            return
        if data.translate(None, self._CONTROLS) != data:
            self.ok = False
            return
        try:
            self._decoder.decode(data, final)
        except UnicodeDecodeError:
            self.ok = False


class _spooled:
    """Read the stream once: size, SHA-256, the first bytes and the text check, into a seekable spool.

    A seekable stream (Werkzeug's spooled upload, a file on disk) is read in
    place and rewound; anything else is copied to a temporary file (in memory
    up to ``SPOOL_IN_MEMORY``). The limit is enforced while reading, so an
    oversized upload stops at the first chunk past it.
    """

    def __init__(self, stream, filename, limit, room, submission_used):
        self.stream, self.filename, self.limit, self.room = stream, filename, limit, room
        self.submission_used = submission_used
        self.spool = None

    def __enter__(self):
        start = _seekable_start(self.stream)
        source = self.stream
        if start is None:
            self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        # Only a file named as text can be accepted as text: only then is every byte checked.
        text = _TextCheck() if split_extension(self.filename)[1] in TEXT_EXTENSIONS else None
        digest, head, size = hashlib.sha256(), b"", 0
        while chunk := source.read(CHUNK_SIZE):
            size += len(chunk)
            if size > self.room:
                self._too_big(size)
            digest.update(chunk)
            if text is not None:
                text.feed(chunk)
            if len(head) < SIGNATURE_BYTES:
                head += chunk[:SIGNATURE_BYTES - len(head)]
            if self.spool is not None:
                self.spool.write(chunk)
        if text is not None:
            text.feed(b"", final=True)
        if size == 0:
            raise FileRefused(f"“{self.filename}” is empty. Choose the file again, or check it opens on your computer.")
        spool = self.spool if self.spool is not None else self.stream
        spool.seek(start or 0)
        return spool, size, digest.hexdigest(), head, text is not None and text.ok

    def __exit__(self, *exc):
        if self.spool is not None:
            self.spool.close()
        return False

    def _too_big(self, size: int):
        if self.room < self.limit:
            total = max_submission_bytes()
            raise FileRefused(f"“{self.filename}” is more than the {describe_size(self.room)} left of the "
                              f"{describe_size(total)} a submission's files may add up to. "
                              "Remove a file you no longer need, or make this one smaller.")
        raise FileRefused(f"“{self.filename}” is more than {describe_size(self.limit)}, the largest file Tender "
                          "accepts. Make it smaller (for example, save images at a lower resolution) or split it "
                          "into parts.")


def _seekable_start(stream) -> int | None:
    """Where a seekable stream is now, to come back to; None if it cannot seek."""
    try:
        if stream.seekable():
            return stream.tell()
    except (AttributeError, OSError, ValueError):
        pass
    return None


def _store(spool: BinaryIO, size: int, sha256: str, content_type: str) -> StoredFile:
    """Insert the row, then the bytes; if a concurrent upload of the same bytes got there first, use its row.

    ``INSERT ... ON CONFLICT (sha256) DO NOTHING``: on PostgreSQL it waits for
    the other transaction and inserts nothing if that one commits. (Not a
    savepoint: on SQLite, pysqlite opens no transaction before the first
    write, and releasing a savepoint there would commit the row on its own.)
    """
    backend = storage()
    insert = _INSERTS[db.session.get_bind().dialect.name]
    new_id = db.session.execute(
        insert(StoredFile).values(sha256=sha256, size=size, content_type=content_type,
                                  chunk_count=-(-size // CHUNK_SIZE), backend=backend.name, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["sha256"]).returning(StoredFile.id)).scalar()
    if new_id is None:
        return db.session.scalar(select(StoredFile).where(StoredFile.sha256 == sha256))
    row = db.session.get(StoredFile, new_id)
    written = backend.write(row, spool)
    if written != row.chunk_count:  # the stream changed under us: never store a file whose hash is wrong
        raise RuntimeError(f"stored {written} chunks of a file that should have {row.chunk_count}")
    return row
