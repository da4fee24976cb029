"""Documents go into the database in chunks and come back byte for byte, checked by content, within limits."""
from __future__ import annotations

import hashlib
import io
import os
import threading
import tracemalloc

import pytest
from sqlalchemy import func, select, text

from tender.extensions import db
from tender.models import StoredFile, StoredFileChunk
from tender.models.stored_file import CHUNK_SIZE
from tender.services import storage
from tender.services.errors import InvalidRequest
from tender.services.storage import FileRefused
from tender.services.use_case import transaction
from tests import documents_support as documents

MiB = 1024 * 1024


def save(data: bytes | io.IOBase, filename: str = "Method statement.pdf", **limits) -> StoredFile:
    """Save in a use case of its own, as a submission service would."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    with transaction():
        return storage.save(stream, filename=filename, **limits)


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(StoredFile)),
            db.session.scalar(select(func.count()).select_from(StoredFileChunk)))


def test_a_file_of_several_chunks_comes_back_byte_for_byte_with_its_sha256(ctx):
    data = documents.pdf(padding=3 * MiB + 12345)
    stored = save(data)
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.chunk_count == 4 and stored.content_type == "application/pdf"
    assert b"".join(storage.chunks(stored)) == data
    assert [len(c) for c in storage.detached_chunks(stored)] == [CHUNK_SIZE] * 3 + [len(data) - 3 * CHUNK_SIZE]
    assert storage.stored_sha256(stored) == stored.sha256
    assert storage.storage().exists(stored)


def test_a_download_in_progress_holds_no_transaction_and_lets_others_write(ctx):
    data = documents.pdf(padding=3 * MiB)
    stored = save(data)
    db.session.commit()
    download = storage.detached_chunks(stored)
    received = [next(download)]
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as watcher:
            states = watcher.execute(text("SELECT state FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND query LIKE 'SELECT data FROM stored_file_chunk%'")).scalars().all()
        assert states == ["idle"]  # not "idle in transaction"
    # On SQLite a read transaction left open would keep this commit waiting until "database is locked".
    other = save(documents.pdf(padding=MiB), "Another.pdf")
    received += list(download)
    assert b"".join(received) == data and other.id != stored.id


def test_a_stream_that_cannot_seek_is_stored_the_same(ctx):
    data = documents.pdf(padding=2 * MiB)
    stored = save(documents.OneWayStream(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(storage.chunks(stored)) == data


def test_a_stream_part_read_already_is_stored_from_where_it_stands(ctx):
    data = documents.pdf()
    stream = io.BytesIO(b"form fields before the file" + data)
    stream.seek(len(b"form fields before the file"))
    assert save(stream).sha256 == hashlib.sha256(data).hexdigest()


def test_the_same_bytes_twice_are_the_same_file_not_an_error(ctx):
    data = documents.pdf(padding=MiB)
    first = save(data, "Bid.pdf")
    second = save(data, "Copy of bid.pdf")
    assert second.id == first.id
    assert counts() == (1, 2)


def test_a_file_saved_in_a_use_case_that_fails_is_not_kept(ctx):
    with pytest.raises(RuntimeError), transaction():
        storage.save(io.BytesIO(documents.pdf(padding=2 * MiB)), filename="Bid.pdf")
        raise RuntimeError("the submission failed after its file was read")
    db.session.expire_all()
    assert counts() == (0, 0)


@pytest.mark.parametrize("make, mime", [
    (documents.pdf, "application/pdf"),
    (documents.docx, documents.DOCX),
    (documents.xlsx, documents.XLSX),
    (documents.odt, documents.ODT),
    (lambda: documents.image("PNG"), "image/png"),
    (lambda: documents.image("JPEG"), "image/jpeg"),
])
def test_each_accepted_type_is_known_by_its_content(ctx, make, mime):
    assert save(make(), "no extension at all").content_type == mime


def test_a_word_document_renamed_as_a_pdf_is_stored_as_the_word_document_it_is(ctx):
    assert save(documents.docx(), "Method statement.pdf").content_type == documents.DOCX


def test_a_word_document_whose_archive_starts_with_a_thumbnail_is_still_a_word_document(ctx):
    assert save(documents.docx_with_large_first_entry(), "Bid.docx").content_type == documents.DOCX


@pytest.mark.parametrize("data, name, says", [
    (documents.executable(), "Method statement.pdf", "is, by its content, a file of type EXE"),
    (documents.plain_zip(), "Appendices.docx", "a file of type ZIP"),
    (b"\x00\x01\x02 no known signature", "Bid.pdf", "could not tell what kind of file"),
    ("Price,Quantity\n£1,2\n".encode("latin-1"), "Prices.csv", "not plain UTF-8 text"),
    (b"Price\x00,Quantity\n", "Prices.csv", "not plain UTF-8 text"),
    (b"plain words but no text extension", "Notes", "could not tell what kind of file"),
])
def test_a_file_whose_content_is_not_an_accepted_type_is_refused_naming_it(ctx, data, name, says):
    with pytest.raises(FileRefused) as refused:
        save(data, name)
    assert f"“{name}”" in str(refused.value) and says in str(refused.value)
    assert isinstance(refused.value, InvalidRequest)
    assert counts() == (0, 0)


def test_plain_text_and_csv_in_utf8_are_accepted_by_a_careful_rule(ctx):
    assert save("Price,Quantity\n£1,2\r\n".encode(), "Prices.csv").content_type == "text/csv"
    assert save("Our approach — in brief.\n".encode(), "Notes.txt").content_type == "text/plain"


def test_a_character_split_across_two_chunks_is_still_text(ctx):
    data = b"a" * (CHUNK_SIZE - 1) + "£".encode() + b"b" * 10
    assert save(data, "Long.txt").content_type == "text/plain"


def test_an_empty_file_is_refused(ctx):
    with pytest.raises(FileRefused, match="“Bid.pdf” is empty"):
        save(b"", "Bid.pdf")


def test_a_file_over_the_limit_is_refused_with_the_limit_in_the_message(app):
    app.config["TENDER_MAX_FILE_BYTES"] = 2 * 1_000_000
    with app.app_context():
        with pytest.raises(FileRefused, match=r"“Big.pdf” is more than 2 MB, the largest file Tender accepts"):
            save(documents.pdf(padding=3 * MiB), "Big.pdf")
        assert counts() == (0, 0)
        assert save(documents.pdf(padding=MiB), "Fits.pdf").size > MiB


def test_a_caller_may_ask_for_a_lower_limit_but_never_a_higher_one(app):
    app.config["TENDER_MAX_FILE_BYTES"] = 2 * MiB
    with app.app_context():
        with pytest.raises(FileRefused, match="more than 1 MB"):
            save(documents.pdf(padding=1_100_000), max_bytes=1_000_000)
        with pytest.raises(FileRefused, match="largest file Tender accepts"):
            save(documents.pdf(padding=3 * MiB), max_bytes=10 * MiB)


def test_a_submission_cannot_hold_more_than_its_limit(app):
    app.config["TENDER_MAX_SUBMISSION_BYTES"] = 3_000_000
    with app.app_context():
        with pytest.raises(FileRefused, match=r"more than the 1 MB left of the 3 MB a submission's files"):
            save(documents.pdf(padding=1_500_000), submission_used=2_000_000)
        assert save(documents.pdf(padding=500_000), submission_used=2_000_000).size < 1_000_000
        storage.check_submission_room(2_000_000, 1_000_000, "Bid.pdf")
        with pytest.raises(FileRefused, match="“Bid.pdf” is 1 MB, but only 1 MB is left"):
            storage.check_submission_room(2_000_000, 1_000_001, "Bid.pdf")


def test_the_database_refuses_a_chunk_over_the_chunk_size(ctx):
    from sqlalchemy.exc import IntegrityError

    stored = save(documents.pdf())
    with pytest.raises(IntegrityError):
        db.session.execute(StoredFileChunk.__table__.insert().values(
            stored_file_id=stored.id, sequence=1, data=b"x" * (CHUNK_SIZE + 1)))
    db.session.rollback()


def test_two_people_uploading_the_same_bytes_at_once_share_one_file(app):
    data = documents.pdf(padding=2 * MiB)
    results, errors = [], []

    def upload():
        with app.app_context():
            try:
                results.append(save(data).id)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(results)) == 1
    with app.app_context():
        assert counts() == (1, 3)


@pytest.mark.slow
def test_saving_and_reading_back_64_mb_never_holds_the_file_in_memory(ctx, tmp_path):
    path = tmp_path / "large.pdf"
    with path.open("wb") as out:
        out.write(documents.pdf())
        for _ in range(64):
            out.write(os.urandom(MiB))
    bound = 8 * MiB
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            stored = save(stream, "Large.pdf")
        saved_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        for chunk in storage.detached_chunks(stored):
            digest.update(chunk)
        read_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stored.size > 64 * MiB and digest.hexdigest() == stored.sha256
    assert saved_peak < bound, f"saving held {saved_peak / MiB:.1f} MiB at its peak"
    assert read_peak < bound, f"reading held {read_peak / MiB:.1f} MiB at its peak"


@pytest.mark.slow
def test_a_64_mb_stream_that_cannot_seek_is_spooled_to_disk_not_memory(ctx):
    class Generated(io.RawIOBase):
        """64 MiB made as they are read: a PDF header, then zeros."""

        def __init__(self):
            self.left = 64 * MiB

        def readable(self):
            return True

        def readinto(self, buffer):
            n = min(len(buffer), self.left)
            buffer[:n] = (b"%PDF-1.4\n" + bytes(n))[:n] if self.left == 64 * MiB else bytes(n)
            self.left -= n
            return n

    tracemalloc.start()
    try:
        stored = save(Generated(), "Zeros.pdf")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stored.size == 64 * MiB and stored.content_type == "application/pdf"
    assert peak < 8 * MiB, f"saving held {peak / MiB:.1f} MiB at its peak"
