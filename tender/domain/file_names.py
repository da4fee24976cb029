"""File names people upload, made safe to store, show and offer back; and the file types Tender accepts.

``safe_filename(name) -> str`` is the one place an uploaded file's name is
cleaned. The name comes from the supplier's computer (or from anyone who
can write an HTTP request), so it may hold:

- a path (``C:\\Users\\bid\\price.xlsx``, ``../../etc/passwd``): only the last
  part is kept;
- control characters (NUL, CR, LF: a broken header or log line);
- Unicode format characters, above all the bidirectional overrides
  (U+202E makes ``invoice‮fdp.exe`` display as ``invoiceexe.pdf``) and
  zero-width characters that make two names look alike;
- characters Windows forbids (``<>:"/\\|?*``), names Windows reserves
  (``CON``, ``NUL.txt``, ``COM1``...), trailing dots and spaces (which
  Windows drops, so ``bid.pdf.`` would open as something else);
- a name too long for any file system.

The result keeps the letters people typed (Welsh and other accents stay;
``tender.web.downloads`` makes the ASCII fallback for the header) and the
extension, shortening the stem instead.

``ACCEPTED`` is the allow-list of types, by the MIME type detected from the
content (``tender.services.storage`` detects it), with the extension a
download of that type is given and a description for messages.

This module is pure Python: no Flask, SQLAlchemy or WTForms.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: The longest name kept, in characters (as ``tender.web.downloads.MAX_NAME``) and in UTF-8 bytes.
MAX_NAME_CHARACTERS = 150
MAX_NAME_BYTES = 255
#: The longest extension kept as one (``.xlsx``, ``.jpeg``); a longer "extension" is part of the stem.
MAX_EXTENSION = 10
#: The name used when nothing of the original is left.
FALLBACK_STEM = "document"

_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|CLOCK\$|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])", re.IGNORECASE)
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,%d}" % MAX_EXTENSION)
_SPACES = re.compile(r"\s+")
#: Unicode categories removed outright: control, format (bidi overrides, zero-width, BOM), surrogates,
#: private use, unassigned, and line/paragraph separators.
_REMOVED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@dataclass(frozen=True)
class FileType:
    """One accepted type: its MIME type, the extension a download gets, and how a person would name it."""

    mime: str
    extension: str
    description: str


_TYPES = (
    FileType("application/pdf", "pdf", "a PDF"),
    FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "a Word document"),
    FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "an Excel spreadsheet"),
    FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx",
             "a PowerPoint presentation"),
    FileType("application/vnd.oasis.opendocument.text", "odt", "an OpenDocument text document"),
    FileType("application/vnd.oasis.opendocument.spreadsheet", "ods", "an OpenDocument spreadsheet"),
    FileType("application/vnd.oasis.opendocument.presentation", "odp", "an OpenDocument presentation"),
    FileType("image/png", "png", "a PNG image"),
    FileType("image/jpeg", "jpg", "a JPEG image"),
    FileType("text/plain", "txt", "a plain text file"),
    FileType("text/csv", "csv", "a CSV file"),
)
#: The allow-list, by MIME type.
ACCEPTED: dict[str, FileType] = {t.mime: t for t in _TYPES}
#: Extensions under which a file with no detectable signature is read as text (and checked to be text).
TEXT_EXTENSIONS = {"txt": "text/plain", "csv": "text/csv"}
#: What the refusal message offers instead.
ACCEPTED_SUMMARY = ("a PDF, a Word, Excel or PowerPoint file, an OpenDocument file, a PNG or JPEG image, "
                    "or plain text or CSV")


def safe_filename(name: str | None) -> str:
    """The name as a file name any system can hold and show honestly: see the module docstring."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(c for c in text if unicodedata.category(c) not in _REMOVED_CATEGORIES)
    text = _WINDOWS_FORBIDDEN.sub("-", text)
    text = _SPACES.sub(" ", text).strip(" ").rstrip(" .")
    stem, extension = split_extension(text)
    stem = stem.strip(" .") or FALLBACK_STEM
    if _WINDOWS_RESERVED.fullmatch(stem.split(".")[0].strip()):
        stem = "_" + stem
    return _join(_shorten(stem, extension), extension)


def split_extension(name: str) -> tuple[str, str]:
    """``("bid", "pdf")`` from ``"bid.pdf"``; ``(name, "")`` when the last part is no plausible extension."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem.strip(" .") and _EXTENSION.fullmatch(extension):
        return stem, extension.lower()
    if dot and not stem.strip(" .") and _EXTENSION.fullmatch(extension):
        return "", extension.lower()  # ".pdf": a name that is only an extension
    return name, ""


def named_for_type(name: str, mime: str) -> str:
    """The name with the extension of the type its content really is (``bid.pdf`` holding a docx: ``bid.docx``).

    A file opens by its extension on the reader's computer; a download whose
    name says PDF must be a PDF. Text files keep ``.txt`` or ``.csv`` as given.
    """
    kind = ACCEPTED.get(mime)
    stem, extension = split_extension(name)
    if kind is None or extension == kind.extension or (kind.extension == "jpg" and extension == "jpeg"):
        return name
    return _join(_shorten(stem or FALLBACK_STEM, kind.extension), kind.extension)


def _shorten(stem: str, extension: str) -> str:
    room_chars = MAX_NAME_CHARACTERS - (len(extension) + 1 if extension else 0)
    stem = stem[:room_chars]
    room_bytes = MAX_NAME_BYTES - (len(extension.encode()) + 1 if extension else 0)
    while len(stem.encode("utf-8")) > room_bytes:
        stem = stem[:-1]
    return stem.rstrip(" .") or FALLBACK_STEM


def _join(stem: str, extension: str) -> str:
    return f"{stem}.{extension}" if extension else stem
