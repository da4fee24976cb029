"""A submission's canonical manifest, its receipt hash, the tender box register and answer limits.

A supplier's receipt must be checkable by anyone, years later, from the
stored record alone: so what is hashed is one byte-exact text built by fixed
rules, never whatever JSON a library happens to write. The rules:

- The manifest is a JSON object with exactly the keys ``format``,
  ``procurement``, ``lot``, ``round``, ``supplier``, ``answers``, ``files``
  and ``price_commitment``.
- ``answers`` is an object of question id to answer text; ``files`` is a list
  of ``{"name", "sha256", "size", "question"}`` objects sorted by SHA-256,
  then name, then question (an empty question is ``""``).
- Every text is Unicode NFC with line ends as ``\\n``; keys are sorted; no
  spaces between tokens (``separators=(",", ":")``); non-ASCII characters are
  written as themselves, and the whole is encoded as UTF-8.
- The receipt's hash is the lower-case hex SHA-256 of those bytes.

The register of a tender box lists the manifest hashes received by the
deadline, sorted, one per line; its digest is the SHA-256 of that text, so a
supplier holding its receipt can find its line and anyone can check the list.
This module is pure: no Flask, SQLAlchemy or clock.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

MANIFEST_FORMAT = "tender-submission-manifest/1"
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class ManifestFile:
    """One attached document as the manifest names it."""

    name: str
    sha256: str
    size: int
    question: str = ""


def normalise(text: str) -> str:
    """The one form of a text that is hashed: NFC, line ends as ``\\n``, no trailing spaces at the end."""
    text = unicodedata.normalize("NFC", text or "")
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def manifest(*, procurement: str, lot: int, round_: str, supplier: str, answers: dict[str, str],
             files: list[ManifestFile] | tuple[ManifestFile, ...], price_commitment: str | None) -> dict:
    """The manifest as a plain dict, every text normalised (see the module docstring)."""
    for f in files:
        if not SHA256_HEX.match(f.sha256):
            raise ValueError(f"not a SHA-256 in hex: {f.sha256!r}")
    if price_commitment is not None and not SHA256_HEX.match(price_commitment):
        raise ValueError(f"not a SHA-256 in hex: {price_commitment!r}")
    listed = sorted(({"name": normalise(f.name), "sha256": f.sha256, "size": int(f.size),
                      "question": normalise(f.question)} for f in files),
                    key=lambda f: (f["sha256"], f["name"], f["question"]))
    return {
        "format": MANIFEST_FORMAT,
        "procurement": normalise(procurement),
        "lot": int(lot),
        "round": normalise(round_),
        "supplier": normalise(supplier),
        "answers": {normalise(q): normalise(a) for q, a in answers.items()},
        "files": listed,
        "price_commitment": price_commitment,
    }


def canonical_bytes(body: dict) -> bytes:
    """The exact bytes that are hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def manifest_hash(body: dict) -> str:
    """The receipt's hash: hex SHA-256 of the canonical bytes."""
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def register_text(hashes) -> str:
    """The tender box register: the manifest hashes received, sorted, one per line (each line ends ``\\n``)."""
    ordered = sorted(set(hashes))
    for h in ordered:
        if not SHA256_HEX.match(h):
            raise ValueError(f"not a SHA-256 in hex: {h!r}")
    return "".join(f"{h}\n" for h in ordered)


def register_digest(hashes) -> str:
    """The SHA-256 of the register's text: quoted in the opening event, so the register cannot change after it."""
    return hashlib.sha256(register_text(hashes).encode("ascii")).hexdigest()


def word_count(text: str) -> int:
    """Words as a reader counts them: runs of non-space characters."""
    return len(WORD.findall(text or ""))


def character_count(text: str) -> int:
    """Characters after normalisation (a line end counts as one)."""
    return len(normalise(text))


def length_problem(text: str, *, word_limit: int | None, character_limit: int | None) -> str | None:
    """What is wrong with an answer's length, as an instruction, or None if it fits the question's limits."""
    if word_limit is not None and (words := word_count(text)) > word_limit:
        return f"Shorten the answer to {word_limit:,} words or fewer (it has {words:,})"
    if character_limit is not None and (chars := character_count(text)) > character_limit:
        return f"Shorten the answer to {character_limit:,} characters or fewer (it has {chars:,})"
    return None
