"""Exports of the audit trail: CSV, JSON Lines, PDF and the evidence bundle.

``EXPORTERS`` is the one lookup table the web views and the CLI use, so a new
format is added in one place. Each entry is callable like its writer and also
says what the HTTP response (or saved file) should be called and typed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tender.audit_export.bundle import BundleResult, ExportInconsistentError, write_bundle
from tender.audit_export.csv_jsonl import write_csv, write_jsonl
from tender.audit_export.meta import ExportMeta
from tender.audit_export.pdf_report import write_pdf


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    ``mode`` says how to call ``writer``: "text" writers take
    ``(events, text_stream)`` (open with ``encoding="utf-8", newline=""``),
    "binary" take ``(events, binary_stream, meta)``, and "bundle" takes
    ``(events_factory, out_path, meta)`` because it reads the events once per
    member file.
    """

    name: str
    writer: Callable[..., Any]
    mode: str
    media_type: str
    extension: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.writer(*args, **kwargs)


EXPORTERS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", write_csv, "text", "text/csv; charset=utf-8", "csv"),
    "jsonl": ExportFormat("jsonl", write_jsonl, "text", "application/jsonl; charset=utf-8", "jsonl"),
    "pdf": ExportFormat("pdf", write_pdf, "binary", "application/pdf", "pdf"),
    "bundle": ExportFormat("bundle", write_bundle, "bundle", "application/zip", "zip"),
}

__all__ = [
    "EXPORTERS",
    "BundleResult",
    "ExportFormat",
    "ExportInconsistentError",
    "ExportMeta",
    "write_bundle",
    "write_csv",
    "write_jsonl",
    "write_pdf",
]
