"""Read an evidence bundle exported earlier, for ``tender audit verify --against``.

The bundle's own integrity is checked first (its files against
``SHA256SUMS``), then its events are streamed as (sequence number, hash)
pairs and its manifest gives the chain's head at export time.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tender.audit_export.bundle import MEMBERS


@dataclass(frozen=True)
class BundleReference:
    """An earlier export: where it is and the head of the whole chain when it was made."""

    path: Path
    head: tuple[int, str] | None

    def events(self) -> Iterator[tuple[int, str]]:
        """(seq, hash) of each event in the bundle's ``audit.jsonl``, in file order."""
        with zipfile.ZipFile(self.path) as archive, archive.open("audit.jsonl") as member:
            for line in io.TextIOWrapper(member, encoding="utf-8"):
                if line.strip():
                    event = json.loads(line)
                    yield int(event["seq"]), str(event["hash"])


def _sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as member:
        while chunk := member.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_bundle(path: Path) -> tuple[BundleReference | None, list[tuple[int | None, str]]]:
    """The bundle at ``path`` and any problems with the bundle itself.

    Returns ``(None, problems)`` when it cannot be used at all (not a ZIP,
    files missing, a manifest without the chain's head).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        return None, [(None, f"{path} is not an evidence bundle: choose the .zip file 'tender audit export "
                              "--format bundle' wrote.")]
    problems: list[tuple[int | None, str]] = []
    with archive:
        names = set(archive.namelist())
        if not {"audit.jsonl", "manifest.json", "SHA256SUMS"} <= names:
            return None, [(None, f"{path} is not a complete evidence bundle: it needs audit.jsonl, "
                                  "manifest.json and SHA256SUMS.")]
        for line in archive.read("SHA256SUMS").decode("ascii", "replace").splitlines():
            expected, _, name = line.partition("  ")
            if name in MEMBERS and name in names and _sha256(archive, name) != expected:
                problems.append((None, f"The bundle's {name} does not match its SHA256SUMS: the bundle itself "
                                       "was changed, so it cannot be relied on."))
        manifest = json.loads(archive.read("manifest.json"))
    trail = manifest.get("trail_verification")
    whole = not any(manifest.get(key) for key in ("procurement", "since", "until"))
    if not trail and whole:
        trail = manifest.get("chain_verification")
    head = None
    if trail and trail.get("last_seq") is not None and trail.get("head_hash"):
        head = (int(trail["last_seq"]), str(trail["head_hash"]))
    return BundleReference(Path(path), head), problems
