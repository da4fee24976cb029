"""Files in and out over HTTP, streamed both ways (issue 18, part 6).

- ``receive(file_storage_or_stream, *, filename=None) -> storage.Upload`` is
  what an upload view calls on ``request.files[...]`` (a Werkzeug
  ``FileStorage``) or on a raw stream with its name: it refuses a missing
  file with a plain message, cleans the name (``safe_filename``) and hands
  the view an ``Upload`` to pass to its service, which calls
  ``storage.save(upload.stream, filename=upload.filename, ...)`` inside its
  use case. Werkzeug spools each uploaded part to a temporary file past
  500 KB, so a 100 MB upload is on disk, not in memory, when the view runs;
  ``MAX_CONTENT_LENGTH`` (the file limit plus 1 MiB for the form) makes a
  larger request a 413 before it is read, with a page saying what to do.
- ``send_stored(stored_file, download_name) -> Response`` streams the stored
  chunks as an attachment: the name from ``tender.web.downloads`` (RFC 6266,
  with the extension of the type the content really is),
  ``X-Content-Type-Options: nosniff``, ``Content-Security-Policy: sandbox;
  default-src 'none'`` (a browser that renders it anyway runs nothing),
  ``Content-Length`` and ``Cache-Control: private, no-store``. The chunks are
  read on a connection of the download's own in autocommit
  (``storage.detached_chunks``), so the stream does not need the request's
  session once the view has returned and holds no transaction between chunks.
- ``register(app)`` also has a multipart body read from the server in pieces
  of ``CHUNK_SIZE`` (1 MiB), not Werkzeug's 64 KiB: see :class:`LargeReads`.
"""
from __future__ import annotations

import io
from typing import BinaryIO

from flask import Flask, Response, render_template
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from tender.domain.file_names import named_for_type, safe_filename
from tender.models.stored_file import CHUNK_SIZE, StoredFile
from tender.services import storage
from tender.services.storage import FileRefused, Upload, describe_size
from tender.web.downloads import content_disposition

#: Room in a request for the rest of the form around one file.
FORM_OVERHEAD_BYTES = 1024 * 1024
DOWNLOAD_CSP = "sandbox; default-src 'none'"


def receive(file: FileStorage | BinaryIO | None, *, filename: str | None = None) -> Upload:
    """An upload as a service takes it; :class:`FileRefused` if no file was chosen."""
    if isinstance(file, FileStorage):
        name = filename if filename is not None else file.filename
        # A browser sends a part with an empty file name (and no bytes) when no file was chosen.
        stream = file.stream if file.filename else None
    else:
        name, stream = filename, file
    if stream is None:
        raise FileRefused("Select a file to upload.")
    return Upload(stream=stream, filename=safe_filename(name))


def send_stored(stored_file: StoredFile, download_name: str) -> Response:
    """The stored file as a download, streamed chunk by chunk: see the module docstring for the headers."""
    name = named_for_type(safe_filename(download_name), stored_file.content_type)
    response = Response(storage.detached_chunks(stored_file), mimetype=stored_file.content_type,
                        direct_passthrough=True)
    response.headers["Content-Length"] = str(stored_file.size)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


def max_content_length(config) -> int:
    """The largest request Tender reads: one file at the configured limit, plus the form around it."""
    return int(config.get("TENDER_MAX_FILE_BYTES", storage.DEFAULT_MAX_FILE_BYTES)) + FORM_OVERHEAD_BYTES


class _BodyReader(io.RawIOBase):
    """The server's request body (``wsgi.input``) as a raw stream, for an ``io.BufferedReader`` over it."""

    def __init__(self, body):
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._body.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class LargeReads:
    """WSGI middleware: a multipart body is read from the server in pieces of ``CHUNK_SIZE`` (1 MiB).

    Werkzeug's form parser reads 64 KiB at a time. gunicorn's sync worker
    receives up to 1 MiB of a body at once and, asked for 64 KiB, copies all
    else it holds into a new buffer on every read: a 100 MB upload was
    copied some twenty times over, most of the worker's time on an upload
    (issue 18's benchmark, ``benchmarks/bench_documents.py``). Behind an
    ``io.BufferedReader`` of 1 MiB the server is asked for 1 MiB and the
    parser's small reads are served from that buffer. (Werkzeug's own read
    size cannot simply be raised: a read larger than ``MAX_FORM_MEMORY_SIZE``,
    500 KB, is refused as too large.) Only the request's own body is read:
    the server limits ``wsgi.input`` to its ``Content-Length``.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("CONTENT_TYPE", "").startswith("multipart/form-data") and "wsgi.input" in environ:
            environ["wsgi.input"] = io.BufferedReader(_BodyReader(environ["wsgi.input"]), CHUNK_SIZE)
        return self.wsgi_app(environ, start_response)


def register(app: Flask) -> None:
    """Set ``MAX_CONTENT_LENGTH`` from the file limit (unless configured), large reads of a form, the 413 page."""
    app.wsgi_app = LargeReads(app.wsgi_app)
    app.config.setdefault("MAX_CONTENT_LENGTH", None)
    if app.config["MAX_CONTENT_LENGTH"] is None:
        app.config["MAX_CONTENT_LENGTH"] = max_content_length(app.config)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        limit = describe_size(int(app.config.get("TENDER_MAX_FILE_BYTES", storage.DEFAULT_MAX_FILE_BYTES)))
        return render_template("errors/error.html", title="The file is too big",
                               message=f"Each file you upload must be {limit} or smaller. Make the file smaller "
                                       "(for example, save images at a lower resolution) or split it into parts, "
                                       "then try again. Nothing was uploaded."), 413
