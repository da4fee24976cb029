"""Uploaded file names are made safe to store, show and offer back, whatever a supplier's computer sends."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, strategies as st

from tender.domain.file_names import (ACCEPTED, MAX_NAME_BYTES, MAX_NAME_CHARACTERS, named_for_type, safe_filename,
                                      split_extension)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize("hostile, safe", [
    ("C:\\Users\\Bid team\\Price schedule.xlsx", "Price schedule.xlsx"),
    ("../../etc/passwd", "passwd"),
    ("/var/www/tender/app.py", "app.py"),
    ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override: shows as "invoiceexe.pdf"
    ("bid\u2066\u2069\u200b\u200d\ufeff.pdf", "bid.pdf"),  # isolates, zero-width characters, a BOM
    ("method\x00statement.pdf", "methodstatement.pdf"),
    ("line\r\nbreak.pdf", "linebreak.pdf"),
    ("tab\there.pdf", "tabhere.pdf"),
    ("new\u2028line.pdf", "newline.pdf"),
    ('a<b>c:d"e|f?g*.pdf', "a-b-c-d-e-f-g-.pdf"),
    ("CON", "_CON"),
    ("con.pdf", "_con.pdf"),
    ("NUL.tar.gz", "_NUL.tar.gz"),
    ("LPT1.docx", "_LPT1.docx"),
    ("COM¹.txt", "_COM¹.txt"),
    ("CONSULTATION.pdf", "CONSULTATION.pdf"),
    ("bid.pdf.", "bid.pdf"),
    ("bid.pdf   ", "bid.pdf"),
    ("   spaced    out   name.pdf", "spaced out name.pdf"),
    (".htaccess", "document.htaccess"),
    (".pdf", "document.pdf"),
    ("...", "document"),
    ("", "document"),
    (None, "document"),
    ("Cynnig – Gwasanaethau Iechyd Meddwl ŵŷ.pdf", "Cynnig – Gwasanaethau Iechyd Meddwl ŵŷ.pdf"),
])
def test_a_hostile_name_becomes_a_plain_file_name(hostile, safe):
    assert safe_filename(hostile) == safe


def test_a_name_in_decomposed_unicode_is_kept_composed():
    assert safe_filename(unicodedata.normalize("NFD", "Café.pdf")) == "Café.pdf"


def test_a_long_name_is_shortened_but_keeps_its_extension():
    name = safe_filename("Appendix " + "x" * 400 + ".docx")
    assert name.endswith("x.docx")
    assert len(name) == MAX_NAME_CHARACTERS


def test_a_long_name_in_letters_of_several_bytes_fits_a_file_system():
    name = safe_filename("ŵ" * 200 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES


@given(st.text(max_size=400))
def test_any_name_at_all_comes_out_safe(name):
    safe = safe_filename(name)
    assert safe and len(safe) <= MAX_NAME_CHARACTERS and len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert not any(c in safe for c in '/\\<>:"|?*')
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for c in safe)
    assert safe == safe.strip(" ") and not safe.endswith(".")
    assert safe_filename(safe) == safe  # cleaning is done once and for all


def test_the_extension_is_the_last_short_run_of_letters_and_digits():
    assert split_extension("bid.v2.PDF") == ("bid.v2", "pdf")
    assert split_extension("Approach. Part one") == ("Approach. Part one", "")
    assert split_extension("README") == ("README", "")


def test_a_download_is_named_for_the_type_its_content_really_is():
    assert named_for_type("Method statement.pdf", DOCX) == "Method statement.docx"
    assert named_for_type("Method statement", DOCX) == "Method statement.docx"
    assert named_for_type("Method statement.docx", DOCX) == "Method statement.docx"
    assert named_for_type("photo.jpeg", "image/jpeg") == "photo.jpeg"
    assert named_for_type("notes.csv", "text/csv") == "notes.csv"


def test_every_accepted_type_has_an_extension_and_a_description():
    for mime, kind in ACCEPTED.items():
        assert kind.mime == mime and kind.extension.isalnum() and kind.description.startswith(("a ", "an "))
