"""Tender with two routes over the document helpers, for ``bench_documents.py`` until a supplier's route exists.

    gunicorn -w 1 "benchmarks.documents_app:create_app()"     (DATABASE_URL as for Tender)

The whole real app (its configuration, request logging, security headers,
``MAX_CONTENT_LENGTH``), plus the smallest views over what the supplier's
attachment route and the evaluator's download run: ``POST /bench/upload``
takes the multipart field ``document`` through ``file_transfer.receive`` and
``storage.save`` in a use case; ``GET /bench/download/<id>`` is
``file_transfer.send_stored``. No login, form or audit event: the benchmark
uses the supplier's own route as soon as it is there (see ``--route``).
"""
from __future__ import annotations

from flask import jsonify, request

from tender import create_app as create_tender_app
from tender.extensions import csrf, db
from tender.models import StoredFile
from tender.services import storage
from tender.services.use_case import transaction
from tender.web import file_transfer


def create_app():
    app = create_tender_app()

    @csrf.exempt
    def upload():
        received = file_transfer.receive(request.files.get("document"))
        with transaction():
            stored = storage.save(received.stream, filename=received.filename)
            result = {"id": stored.id, "sha256": stored.sha256, "size": stored.size}
        return jsonify(result)

    def download(file_id: int):
        return file_transfer.send_stored(db.get_or_404(StoredFile, file_id), "document.pdf")

    app.add_url_rule("/bench/upload", "bench_upload", upload, methods=["POST"])
    app.add_url_rule("/bench/download/<int:file_id>", "bench_download", download)
    return app
