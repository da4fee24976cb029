"""Text that reaches a document's CSS stays a CSS string; a download's name stays one header parameter."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import tinycss2
from hypothesis import given
from hypothesis import strategies as st

from tender.services.award.documents import _css_string
from tender.web.downloads import ascii_filename, content_disposition

HOSTILE = ["\r", "\n", "\r\n", "\f", '"', "'", "\\", "<", "</style>", "\x00", "\x1b", "\x7f", "\x85", "\u2028", ";}"]


def parsed_string(escaped: str) -> list:
    """The CSS tokens of ``"<escaped>"`` as WeasyPrint's parser reads them (whitespace dropped)."""
    return [t for t in tinycss2.parse_component_value_list(f'"{escaped}"') if t.type != "whitespace"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_character_that_could_end_a_css_string_is_written_as_a_hex_escape(hostile):
    value = f"Kent{hostile}County"
    escaped = str(_css_string(value))
    tokens = parsed_string(escaped)

    assert not set(escaped) & set("\r\n\f\"'<\x00\x1b\x7f\x85\u2028;}")
    assert [t.type for t in tokens] == ["string"]
    assert tokens[0].value == value.replace("\x00", "\ufffd")  # CSS reads NUL as U+FFFD


def test_ordinary_names_stay_readable():
    assert str(_css_string("Kent County Council, lot 1 (Łukasz's ü)")) == "Kent County Council, lot 1 (Łukasz\\27 s ü)"


@given(st.text())
def test_any_text_is_one_css_string_holding_exactly_that_text(text):
    tokens = parsed_string(str(_css_string(text)))

    assert [t.type for t in tokens] == ["string"]
    assert tokens[0].value == text.replace("\x00", "\ufffd")


NAMES = ["KCC\r\n22;00033.pdf", 'KCC "22" 00033.pdf', "KCC;filename=evil.exe;.pdf", "Łódź-Café-ü.pdf",
         "../../etc/passwd", "a\\b/c.xlsx", "\x00\x1b.json", "日本語.pdf", "", ".hidden"]
HEADER = re.compile(r"""^(attachment|inline); filename="[A-Za-z0-9._+-]+"(; filename\*=UTF-8''[A-Za-z0-9%._~-]+)?$""")


@pytest.mark.parametrize("name", NAMES)
def test_a_download_name_gives_one_well_formed_content_disposition(name):
    header = content_disposition(name)

    assert HEADER.match(header), header
    fallback = re.search(r'filename="([^"]+)"', header)[1]
    assert not fallback.startswith(".") and "/" not in fallback
    if "filename*" in header:
        exact = unquote(header.split("filename*=UTF-8''")[1])
        assert not re.search(r"[\x00-\x1f\x7f/\\]", exact)


def test_the_exact_name_survives_in_filename_star_when_it_is_not_plain_ascii():
    header = content_disposition("Łódź report.pdf", inline=True)

    assert header == ("inline; filename=\"Lodz-report.pdf\"; filename*=UTF-8''%C5%81%C3%B3d%C5%BA%20report.pdf")


def test_a_plain_name_is_left_as_it_was():
    assert content_disposition("KCC-22-00033-procurement-report.pdf") == \
        'attachment; filename="KCC-22-00033-procurement-report.pdf"'


def test_a_long_name_keeps_its_extension():
    name = ascii_filename("x" * 400 + ".pdf")

    assert name.endswith(".pdf") and len(name) <= 150


def test_only_the_document_renderer_uses_weasyprint():
    """Every WeasyPrint render goes through documents.to_pdf, so every one gets its URL fetcher."""
    package = Path(__file__).resolve().parents[2] / "tender"
    users = sorted(str(p.relative_to(package)) for p in package.rglob("*.py") if "weasyprint" in p.read_text())

    assert users == ["services/award/documents.py"]
