"""The evidence bundle: one ZIP with every format, a manifest and checksums.

Why a bundle: what goes to the other side's solicitors must be complete and
checkable by them without our software. ``SHA256SUMS`` lets anyone confirm
with ``sha256sum -c SHA256SUMS`` that no file was changed after export;
``audit.jsonl`` lets them recompute every event hash; ``manifest.json``
records what was asked for and what the chain looked like at export time.

Memory stays flat: ``events_factory`` is called once per format and each
member is streamed into a temporary file, hashed as it is written.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tender.audit_export.csv_jsonl import CSV_COLUMNS, write_csv, write_jsonl
from tender.audit_export.meta import ExportMeta
from tender.audit_export.pdf_report import write_pdf
from tender.domain.audit_chain import CANONICAL_FORM_VERSION, ChainVerification, ChainVerifier
from tender.files import atomic_write

#: Bumped if the set or meaning of the bundle's files changes.
BUNDLE_FORMAT_VERSION = 1

#: Members covered by SHA256SUMS, in the order they are listed there.
MEMBERS = ("audit.csv", "audit.jsonl", "audit.pdf", "manifest.json")


class ExportInconsistentError(RuntimeError):
    """The formats saw different events: the trail changed during the export.

    Each format re-reads the events, so an event appended mid-export would
    appear in some files and not others. Refusing is better than handing over
    a bundle whose files disagree; bound the query (e.g. by ``until`` or by
    the last sequence number) so that every pass sees the same events.
    """


@dataclass(frozen=True)
class BundleResult:
    """What was written, for the caller to log or show."""

    path: Path
    event_count: int
    first_seq: int | None
    last_seq: int | None
    head_hash: str
    verification: ChainVerification
    sha256: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


class _HashingFile(io.RawIOBase):
    """A write-only file that updates a SHA-256 digest with every byte."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self._file.write(view)
        self.size += len(view)
        return len(view)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


def _stream_member(
    directory: Path,
    name: str,
    write: Callable[[Any], int],
    text: bool,
) -> tuple[str, int]:
    """Write one member to ``directory/name``; return (sha256 hex, size)."""
    raw = _HashingFile(directory / name)
    buffered = io.BufferedWriter(raw, buffer_size=1 << 16)
    if text:
        stream: Any = io.TextIOWrapper(buffered, encoding="utf-8", newline="")
        write(stream)
        stream.close()  # flushes through the buffer into the hash
    else:
        write(buffered)
        buffered.close()
    return raw.digest.hexdigest(), raw.size


def _verified(events_factory: Callable[[], Iterable[Mapping[str, Any]]], verifier: ChainVerifier):
    return verifier.watch(events_factory())


def write_bundle(
    events_factory: Callable[[], Iterable[Mapping[str, Any]]],
    out_path: str | os.PathLike[str],
    meta: ExportMeta,
) -> BundleResult:
    """Write the ZIP bundle to ``out_path`` and return a summary.

    ``events_factory`` must return a fresh iterable of the same events, in
    sequence order, each time it is called (three times: CSV, JSONL, PDF).
    The ZIP is written next to ``out_path`` and renamed into place
    (``tender.files.atomic_write``), so a failed or killed export never
    leaves a half-written bundle under its name.
    """
    out_path = Path(out_path)
    verifiers = {name: ChainVerifier(partial=meta.is_extract) for name in MEMBERS[:3]}
    sums: dict[str, str] = {}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="tender-audit-") as tmp:
        work = Path(tmp)
        writers: dict[str, tuple[Callable[[Any], int], bool]] = {
            "audit.csv": (lambda f: write_csv(_verified(events_factory, verifiers["audit.csv"]), f, excel_bom=True), True),
            "audit.jsonl": (lambda f: write_jsonl(_verified(events_factory, verifiers["audit.jsonl"]), f), True),
            "audit.pdf": (lambda f: write_pdf(_verified(events_factory, verifiers["audit.pdf"]), f, meta), False),
        }
        for name, (write, text) in writers.items():
            sums[name], sizes[name] = _stream_member(work, name, write, text)

        results = {name: verifier.result() for name, verifier in verifiers.items()}
        verification = results["audit.jsonl"]
        seen = {(r.count, r.first_seq, r.last_seq, r.head_hash) for r in results.values()}
        if len(seen) != 1:
            raise ExportInconsistentError(
                "The audit trail changed while it was being exported, so the files would disagree: "
                + "; ".join(f"{name} has {r.count} events ending at {r.last_seq}" for name, r in results.items())
            )

        manifest = _manifest(meta, verification, sums, sizes)
        manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        (work / "manifest.json").write_bytes(manifest_bytes)
        sums["manifest.json"] = hashlib.sha256(manifest_bytes).hexdigest()
        sums_text = "".join(f"{sums[name]}  {name}\n" for name in MEMBERS)

        with atomic_write(out_path, "wb") as out:
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name in MEMBERS:
                    archive.write(work / name, arcname=name)
                archive.writestr("SHA256SUMS", sums_text.encode("ascii"))

    return BundleResult(
        path=out_path,
        event_count=verification.count,
        first_seq=verification.first_seq,
        last_seq=verification.last_seq,
        head_hash=manifest["chain_head_hash"],
        verification=verification,
        sha256=dict(sums),
        manifest=manifest,
    )


def _manifest(
    meta: ExportMeta,
    verification: ChainVerification,
    sums: Mapping[str, str],
    sizes: Mapping[str, int],
) -> dict[str, Any]:
    """The export's parameters and the chain's state, as ``manifest.json``."""
    trail = meta.trail_verification
    return {
        "format": "tender-audit-bundle",
        "format_version": BUNDLE_FORMAT_VERSION,
        "canonical_form": CANONICAL_FORM_VERSION,
        "tool": "tender",
        "tool_version": meta.tool_version,
        **meta.parameters(),
        "event_count": verification.count,
        "first_seq": verification.first_seq,
        "last_seq": verification.last_seq,
        "chain_head_hash": trail.head_hash if trail is not None else verification.head_hash,
        "chain_head_scope": "whole trail at export time" if trail is not None else "exported events",
        "chain_verification": verification.to_dict(),
        "trail_verification": trail.to_dict() if trail is not None else None,
        "csv_columns": list(CSV_COLUMNS),
        "files": {name: {"sha256": sums[name], "bytes": sizes[name]} for name in MEMBERS[:3]},
    }
