"""Download responses: one place that names a file for the browser (RFC 6266).

A file name is built from data people typed (a procurement reference, a
supplier's name), so it may hold a CR or LF (which would make the header
invalid: a 500), a quote or ``;`` (which would end the ``filename`` parameter
early) or letters outside ASCII. Every download route builds its response
here: an ASCII ``filename="..."`` every browser understands, plus
``filename*=UTF-8''...`` (RFC 8187) with the exact name when that differs.
"""
from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import quote

from flask import Response, send_file

#: The longest file name offered, in characters (file systems allow 255 bytes).
MAX_NAME = 150
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._+-]+")
#: Latin letters that Unicode does not decompose into a base letter and an accent.
_LATIN = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE",
                        "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th", "ı": "i"})


def download_response(content: bytes | str | os.PathLike, filename: str, mimetype: str, *, inline: bool = False) -> Response:
    """A response offering ``content`` (bytes, text, or a file on disk) as ``filename``, never sniffed."""
    if isinstance(content, os.PathLike):
        response = send_file(content, mimetype=mimetype, conditional=False, etag=False)
    else:
        response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="KCC-22-00033.pdf"``, with ``filename*`` when the ASCII name lost something."""
    exact = _exact_name(filename)
    fallback = ascii_filename(exact)
    value = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if exact != fallback:
        value += f"; filename*=UTF-8''{quote(exact, safe='')}"
    return value


def ascii_filename(filename: str) -> str:
    """The name in letters, digits and ``._+-`` only: accents dropped, any other run of characters a "-"."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", filename.translate(_LATIN))
                     if not unicodedata.combining(c))
    plain = _NOT_PLAIN.sub("-", folded).strip(".-")
    stem, dot, extension = plain.rpartition(".")
    if not dot:
        stem, extension = plain, ""
    if not stem.strip("._-"):
        stem = "download"
    extension = extension[:16]
    stem = stem[:MAX_NAME - len(extension) - 1].rstrip(".-")
    return f"{stem}.{extension}" if extension else stem


def _exact_name(filename: str) -> str:
    """The name as typed, less what no file name may hold: control characters and path separators."""
    cleaned = "".join("-" if unicodedata.category(c) == "Cc" or c in "/\\" else c
                      for c in unicodedata.normalize("NFC", filename))
    return cleaned.strip(" .")[:MAX_NAME] or "download"
