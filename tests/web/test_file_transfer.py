"""Files over HTTP: an upload is spooled to disk, not memory; a download streams as an attachment that runs nothing.

The routes here are the smallest real views over ``file_transfer``: one
takes an upload and saves it in a use case (as the supplier's attachment
route does), the other sends a stored file. They are added to the real app
for this test only.
"""
from __future__ import annotations

import hashlib
import re
from io import BytesIO

import pytest
from flask import jsonify, request

from tender import create_app
from tender.extensions import csrf, db
from tender.models import StoredFile
from tender.services import storage
from tender.services.use_case import transaction
from tender.web import file_transfer
from tests import documents_support as documents
from tests.helpers import TEST_CONFIG

MiB = 1024 * 1024
SEEN = {}


def add_routes(app):
    """An upload route and a download route, as a supplier's and an evaluator's views use the helpers."""

    @csrf.exempt
    def upload():
        upload = file_transfer.receive(request.files.get("document"))
        SEEN["stream"] = upload.stream
        with transaction():
            stored = storage.save(upload.stream, filename=upload.filename)
        return jsonify(id=stored.id, filename=upload.filename, sha256=stored.sha256)

    def download(file_id):
        return file_transfer.send_stored(db.get_or_404(StoredFile, file_id), request.args["name"])

    app.add_url_rule("/test/upload", "test_upload", upload, methods=["POST"])
    app.add_url_rule("/test/download/<int:file_id>", "test_download", download)
    return app


@pytest.fixture
def web(app):
    return add_routes(app).test_client()


def upload(client, data: bytes, name: str):
    return client.post("/test/upload", data={"document": (BytesIO(data), name)}, content_type="multipart/form-data")


def test_an_upload_and_its_download_are_the_same_bytes_with_the_safe_headers(web):
    data = documents.pdf(padding=3 * MiB)
    uploaded = upload(web, data, "..\\Bid\u202efdp.exe.pdf")
    assert uploaded.status_code == 200, uploaded.get_data(as_text=True)[:300]
    assert uploaded.json["filename"] == "Bidfdp.exe.pdf"
    downloaded = web.get(f"/test/download/{uploaded.json['id']}?name=Method statement.pdf")
    assert downloaded.status_code == 200
    assert hashlib.sha256(downloaded.get_data()).hexdigest() == uploaded.json["sha256"] == hashlib.sha256(data).hexdigest()
    headers = downloaded.headers
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="Method-statement.pdf"; ' \
                                             "filename*=UTF-8''Method%20statement.pdf"
    assert headers["Content-Length"] == str(len(data))
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert headers["Cache-Control"] == "private, no-store"


def test_a_large_upload_is_spooled_to_a_temporary_file_not_held_in_memory(web):
    assert upload(web, documents.pdf(padding=2 * MiB), "Bid.pdf").status_code == 200
    assert SEEN["stream"]._rolled  # Werkzeug's SpooledTemporaryFile moved to disk past 500 KB


class RecordingBody(BytesIO):
    """A request body that records how much the app asks the server for at a time."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.asked = []

    def read(self, size=-1):
        self.asked.append(size)
        return super().read(size)

    readinto = None  # a server's body (gunicorn's) has only read()


def test_a_multipart_body_is_read_from_the_server_a_mebibyte_at_a_time(web):
    data = documents.pdf(padding=5 * MiB)
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"Bid.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    recording = RecordingBody(body)
    uploaded = web.post("/test/upload", input_stream=recording, content_length=len(body),
                        content_type=f"multipart/form-data; boundary={boundary}")
    assert uploaded.status_code == 200 and uploaded.json["sha256"] == hashlib.sha256(data).hexdigest()
    # Werkzeug alone asks for 64 KiB at a time, which gunicorn serves by copying what it holds each time.
    assert min(recording.asked) >= MiB and len(recording.asked) <= len(body) // MiB + 2


def test_a_download_is_named_for_what_it_really_is(web):
    uploaded = upload(web, documents.docx(), "Method statement.pdf")
    downloaded = web.get(f"/test/download/{uploaded.json['id']}?name=Method statement.pdf")
    assert downloaded.headers["Content-Type"] == documents.DOCX
    assert 'filename="Method-statement.docx"' in downloaded.headers["Content-Disposition"]


def test_a_hostile_download_name_gives_a_well_formed_header(web):
    uploaded = upload(web, documents.pdf(), "Bid.pdf")
    downloaded = web.get(f"/test/download/{uploaded.json['id']}", query_string={"name": 'a"\r\n;b\u202e.pdf'})
    assert re.fullmatch(r"""attachment; filename="[A-Za-z0-9._+-]+"(; filename\*=UTF-8''[A-Za-z0-9%._~-]+)?""",
                        downloaded.headers["Content-Disposition"])


def test_the_download_streams_without_the_request_or_its_session(app, web):
    uploaded = upload(web, documents.pdf(padding=2 * MiB), "Bid.pdf")
    response = web.get(f"/test/download/{uploaded.json['id']}?name=Bid.pdf", buffered=False)
    with app.app_context():
        db.session.remove()
    body = b"".join(response.response)  # iterated here, outside any request or application context
    response.close()
    assert hashlib.sha256(body).hexdigest() == uploaded.json["sha256"]


def test_a_form_sent_without_a_file_is_told_to_select_one(web):
    response = web.post("/test/upload", data={"document": (BytesIO(b""), "")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Select a file to upload." in response.get_data(as_text=True)


def test_a_refused_type_is_a_400_naming_the_file(web):
    response = upload(web, documents.executable(), "Bid.pdf")
    assert response.status_code == 400
    assert "“Bid.pdf” is, by its content, a file of type EXE" in response.get_data(as_text=True)


def test_a_request_larger_than_the_limit_gets_a_plain_english_413(database_url):
    app = add_routes(create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                                 "TENDER_MAX_FILE_BYTES": 1_000_000}))
    try:
        assert app.config["MAX_CONTENT_LENGTH"] == 1_000_000 + file_transfer.FORM_OVERHEAD_BYTES
        response = upload(app.test_client(), documents.pdf(padding=3 * MiB), "Big.pdf")
        assert response.status_code == 413
        page = response.get_data(as_text=True)
        assert "The file is too big" in page and "1 MB or smaller" in page and "Nothing was uploaded" in page
    finally:
        with app.app_context():
            db.engine.dispose()
