"""Small one-page PDFs built by hand, for the demo's tender documents.

The demo attaches a document or two to each tender. Rendering them with
WeasyPrint would add seconds to every test that loads the demo; a PDF of a
title and a few lines of Helvetica is a few hundred bytes of text, built here
with its cross-reference table, so any viewer (and the storage's check of the
type by content) takes it as the real thing.
"""
from __future__ import annotations

import textwrap


def _escaped(line: str) -> bytes:
    text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return text.encode("cp1252", errors="replace")


def one_page_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A one-page A4 PDF: ``title`` in bold, then the paragraphs wrapped at about 90 characters."""
    lines = []
    for paragraph in paragraphs:
        lines += textwrap.wrap(paragraph, 90) + [""]
    content = [b"BT /F2 14 Tf 56 780 Td (" + _escaped(title) + b") Tj ET", b"BT /F1 10 Tf 14 TL 56 750 Td"]
    content += [b"(" + _escaped(line) + b") '" for line in lines[:48]]
    content.append(b"ET")
    stream = b"\n".join(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\nstartxref\n"
    out += str(xref).encode() + b"\n%%EOF\n"
    return bytes(out)
