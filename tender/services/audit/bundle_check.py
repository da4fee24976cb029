"""``tender audit verify --against BUNDLE``: today's trail compared, hash by hash, with a bundle exported earlier.

The bundle's own files are checked against its ``SHA256SUMS`` first
(:func:`tender.audit_export.bundle_reader.read_bundle`); then each hash the
walk reads is fed to :class:`~tender.domain.audit_consistency.BundleConsistency`,
which names the first event that differs (``docs/audit-trail.md``, section 4).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tender.audit_export.bundle_reader import read_bundle
from tender.domain.audit_consistency import BundleConsistency


class BundleCheck:
    """The comparison with one bundle, fed as the walk goes; ``problems()`` at the end."""

    def __init__(self, path: Path) -> None:
        bundle, self.file_problems = read_bundle(Path(path))
        self._comparison = BundleConsistency(bundle.events(), bundle.head) if bundle is not None else None

    def feed(self, seq: int, stored_hash: str) -> None:
        """Today's hash of event ``seq``."""
        if self._comparison is not None:
            self._comparison.feed(seq, stored_hash)

    def feed_run(self, first: int, stored_hashes: Iterable[str]) -> None:
        """Today's hashes of a run of consecutive events starting at ``first`` (a chunk)."""
        if self._comparison is not None:
            for seq, stored_hash in enumerate(stored_hashes, start=first):
                self._comparison.feed(seq, stored_hash)

    def problems(self) -> list[tuple[int | None, str]]:
        """Differences from the bundle, by event (the bundle's file problems are in ``file_problems``)."""
        return self._comparison.result() if self._comparison is not None else []
