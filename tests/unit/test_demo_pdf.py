"""The demo's hand-built PDFs are well formed: every cross-reference points at its object."""
from __future__ import annotations

import re

from tender.demo_pdf import one_page_pdf


def test_each_cross_reference_points_at_its_object_and_startxref_at_the_table():
    data = one_page_pdf("Porchlight: method statement (lot 1)", ["Access within 2 working days (£60,000 a year)."])
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    start = int(re.search(rb"startxref\n(\d+)\n", data).group(1))
    assert data[start:start + 4] == b"xref"
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n ", data)]
    assert len(offsets) == 6
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(f"{number} 0 obj".encode())
    length = int(re.search(rb"/Length (\d+)", data).group(1))
    stream = data.split(b"stream\n", 1)[1].split(b"\nendstream", 1)[0]
    assert len(stream) == length
    assert b"\\(lot 1\\)" in data and "£".encode("cp1252") in data  # brackets escaped; the pound sign in WinAnsi
