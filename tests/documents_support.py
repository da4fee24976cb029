"""Real documents of each accepted type, made by the libraries that make them, for the storage tests.

A PDF from ReportLab, a spreadsheet from openpyxl, PNG and JPEG from Pillow;
Word and OpenDocument files are written as the ZIP archives they are, in the
entry order Word and LibreOffice use. ``executable()`` starts as a Windows
program does (``MZ``), which is all a type check by content needs to see.
"""
from __future__ import annotations

import io
import os
import zipfile

from reportlab.pdfgen import canvas

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"


def pdf(text: str = "Method statement", padding: int = 0) -> bytes:
    """A one-page PDF; ``padding`` random bytes in a comment make it as big as a test needs (still a PDF)."""
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text)
    page.save()
    data = out.getvalue()
    if padding:
        data += b"\n%" + os.urandom(padding)
    return data


def docx(text: str = "Our approach to the service") -> bytes:
    """A minimal Word document: [Content_Types].xml first, then the relationships and word/document.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                         'content-types"><Override PartName="/word/document.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats'
                                        '.org/package/2006/relationships"/>')
        archive.writestr("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
                                              f'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
                                              f'<w:t>{text}</w:t></w:r></w:p></w:body></w:document>')
    return out.getvalue()


def docx_with_large_first_entry() -> bytes:
    """A Word document whose archive opens with a 20 KB thumbnail, so its first 8 KiB look like any ZIP."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("docProps/thumbnail.jpeg", os.urandom(20_000))
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def plain_zip() -> bytes:
    """A ZIP archive that is no document."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


def odt() -> bytes:
    """An OpenDocument text file: the uncompressed ``mimetype`` entry first, as the standard requires."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return out.getvalue()


def xlsx() -> bytes:
    """A spreadsheet as openpyxl writes it."""
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "Price schedule"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def image(kind: str = "PNG") -> bytes:
    """A small PNG or JPEG from Pillow."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 94, 165)).save(out, format=kind)
    return out.getvalue()


def executable() -> bytes:
    """The start of a Windows program: ``MZ``, the DOS stub, then zeros."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(500)


class OneWayStream(io.RawIOBase):
    """A stream that cannot seek (a socket, a pipe): ``save`` must spool it rather than read it twice."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)
