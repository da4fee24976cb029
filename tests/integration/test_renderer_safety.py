"""Documents render only what they are given: hostile values in the database load no file and no URL.

Each payload is written straight into the database (no form checks it) and
tries to leave the CSS string in the page margins (a CR), or the HTML, to make
WeasyPrint fetch from a loopback HTTP listener and embed a private (0600) image
and SVG from disk. The letters (preview and as issued) and the
procurement report must still render, show the text as typed, and contain
neither the secret files nor any image, and the listener must hear nothing.
"""
from __future__ import annotations

import json
import os
import shutil
import socketserver
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tender.demo import BIDDERS
from tender.extensions import db
from tender.models import AwardLetter, AwardRecommendation, Funder, Procurement, Supplier
from tender.services.award import letters, report
from tests.evaluation_support import user
from tests.letters_support import OFFICER, award_demo, send_now

pytestmark = pytest.mark.slow

LOSER = BIDDERS[1]  # lot 1 of the demo is won by BIDDERS[0]; this letter names its own supplier in the footer


class Listener(socketserver.ThreadingTCPServer):
    """A real HTTP server on loopback that records every connection and answers with an image."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _Record)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def stop(self) -> list[bytes]:
        """Stop serving; every request received, after any handler still running has recorded its own."""
        self.shutdown()
        self.server_close()
        self.thread.join()
        return self.requests


class _Record(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.requests.append(self.request.recv(4096))
        body = _png(8, 8)
        self.request.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)


def _png(width: int, height: int, colour=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Secret:
    """A private image and a private SVG (mode 0600) whose text is ``token``."""

    png: Path
    svg: Path
    token: str


def write_private(path: Path, data: bytes) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.stop()


@pytest.fixture
def secret() -> Secret:
    """In a short directory of its own, so that a payload naming both files fits a 200-character name."""
    token = f"SECRET{uuid.uuid4().hex.upper()}"
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40">'
           f'<text x="0" y="20">{token}</text></svg>').encode()
    folder = Path(tempfile.mkdtemp(prefix="tender-"))
    yield Secret(png=write_private(folder / "s.png", _png(37, 23, (1, 2, 3))),
                 svg=write_private(folder / "s.svg", svg), token=token)
    shutil.rmtree(folder)


def css_breakout(listener: Listener, secret: Secret, where: str) -> str:
    """Ends the margin's CSS string with a CR, then asks for a URL and both secret files."""
    payload = (f'Kent & "Medway" \\ <i>\r;content:url(http://127.0.0.1:{listener.port}/{where}) '
               f'url(file://{secret.png}) url(file://{secret.svg});x:"')
    assert len(payload) <= 200
    return payload


def short_breakout(listener: Listener) -> str:
    """The same within a reference's 40 characters: a CR, then a URL on loopback."""
    return f'R\r;content:url(http://127.1:{listener.port});x:"'


def html_breakout(listener: Listener, secret: Secret) -> str:
    """Narrative that tries to be markup (the template escapes it), with a CR line break."""
    return (f'</p><img src="http://127.0.0.1:{listener.port}/narrative"><img src="file://{secret.png}">\r\n'
            f'<style>@page {{ @top-center {{ content: url(file://{secret.svg}) }} }}</style>')


def _rename(value, old: str, new: str):
    """``value`` (decoded JSON) with every string equal to ``old`` replaced by ``new``."""
    if isinstance(value, dict):
        return {k: _rename(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, old, new) for v in value]
    return new if value == old else value


def set_funder_name(pid: int, payload: str) -> None:
    db.session.execute(update(Funder).where(Funder.procurement_id == pid, Funder.is_lead.is_(True))
                       .values(name=payload))


def set_title(pid: int, payload: str) -> None:
    db.session.execute(update(Procurement).where(Procurement.id == pid).values(title=payload))


def set_reference(pid: int, payload: str) -> None:
    db.session.execute(update(Procurement).where(Procurement.id == pid).values(reference=payload))


def set_supplier_name(pid: int, payload: str) -> None:
    """The supplier's row and the recorded decision (which the letters quote) both carry the payload."""
    db.session.execute(update(Supplier).where(Supplier.name == LOSER).values(name=payload))
    for rec in db.session.scalars(select(AwardRecommendation).where(AwardRecommendation.procurement_id == pid)):
        db.session.execute(update(AwardRecommendation).where(AwardRecommendation.id == rec.id).values(
            decision=json.dumps(_rename(json.loads(rec.decision), LOSER, payload))))


def set_narrative(pid: int, payload: str) -> None:
    db.session.execute(update(AwardLetter).where(AwardLetter.procurement_id == pid).values(narrative=payload))


FIELDS = {
    "funder_name": (set_funder_name, css_breakout),
    "procurement_title": (set_title, css_breakout),
    "procurement_reference": (set_reference, lambda listener, secret, where: short_breakout(listener)),
    "supplier_name": (set_supplier_name, css_breakout),
    "letter_narrative": (set_narrative, lambda listener, secret, where: html_breakout(listener, secret)),
}
#: Where each field is printed: the letters, the report, or both.
SHOWN_IN = {"funder_name": {"letter", "report"}, "procurement_title": {"letter", "report"},
            "procurement_reference": {"letter", "report"}, "supplier_name": {"letter", "report"},
            "letter_narrative": {"letter"}}


def run(tool: list[str], pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    return subprocess.run([*tool, str(path), *(["-"] if tool[0] == "pdftotext" else [])], capture_output=True,
                          text=True, check=True).stdout


def assert_only_its_own_content(pdf: bytes, secret: Secret, tmp_path: Path) -> str:
    """The PDF renders, has no image and no attachment, and holds no secret; returns its text."""
    assert pdf.startswith(b"%PDF")
    images = run(["pdfimages", "-list"], pdf, tmp_path).splitlines()
    assert images[2:] == [], images  # a header of two lines, then one line per image
    assert "0 embedded files" in run(["pdfdetach", "-list"], pdf, tmp_path)
    text = run(["pdftotext"], pdf, tmp_path)
    assert secret.token not in text
    assert secret.token.encode() not in pdf and secret.png.read_bytes() not in pdf
    return text


def refusals(caplog) -> list[str]:
    """What the fetcher refused to load while the test ran."""
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Refused to load")]


def squeezed(text: str) -> str:
    """Text without whitespace or hyphens: long values wrap anywhere, and pdftotext drops a hyphen at a wrap."""
    return "".join(text.split()).replace("-", "")


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_a_hostile_value_renders_as_text_and_loads_nothing(ctx, smtp, listener, secret, tmp_path, field,
                                                          monkeypatch, caplog):
    monkeypatch.delenv("TENDER_COUNCIL_NAME", raising=False)  # the lead funder's name heads the letters
    pid = award_demo(lots=(1,))
    officer = user(OFFICER)
    letters.draft(pid, officer)
    setter, make_payload = FIELDS[field]
    payload = make_payload(listener, secret, field[0])
    setter(pid, payload)
    db.session.commit()
    db.session.expire_all()
    letter_id = db.session.scalar(select(AwardLetter.id).join(Supplier, Supplier.id == AwardLetter.supplier_id)
                                  .where(Supplier.name == (payload if field == "supplier_name" else LOSER)))

    _, preview = letters.preview(pid, letter_id, officer, as_pdf=True)
    sent = send_now(pid, officer, smtp.settings())
    _, issued = letters.document(pid, letter_id, officer)
    _, report_pdf = report.generate(pid, officer)

    # The e-mails went too: a CR or quote in a title, reference or name is one line in their headers.
    assert sent.issued == 3 and sent.emailed == 3 and sent.failed == ()
    for message in smtp.handler.messages():
        assert "\r" not in str(message["Subject"]) and "\n" not in str(message["Subject"])
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content().startswith(b"%PDF")
    documents = {"preview": (preview, "letter"), "issued": (issued, "letter"), "report": (report_pdf, "report")}
    for name, (pdf, kind) in documents.items():
        text = assert_only_its_own_content(pdf, secret, tmp_path)
        if kind in SHOWN_IN[field]:
            # The template escapes markup; the margins print the CSS-escaped value as typed (a CR as a space).
            assert squeezed(payload) in squeezed(text), (name, text)
    assert listener.stop() == []
    assert refusals(caplog) == []  # escaping alone held: the fetcher was never even asked


def test_a_document_with_a_url_or_file_in_its_html_loads_neither(ctx, listener, secret, tmp_path, caplog):
    """The fetcher holds even if a template let markup through: no request, no file, still a PDF."""
    from tender.services.award.documents import to_pdf

    html = (f'<html><head><link rel="stylesheet" href="http://127.0.0.1:{listener.port}/style.css">'
            f'<style>@import url("http://127.0.0.1:{listener.port}/import.css");'
            f'@font-face {{ font-family: X; src: url(file://{secret.png}) }}</style></head>'
            f'<body><p>Hello</p><img src="http://127.0.0.1:{listener.port}/img.png">'
            f'<img src="file://{secret.png}"><img src="{secret.svg}"><object data="file://{secret.svg}"></object>'
            f'<img src="ftp://127.0.0.1:{listener.port}/x.png">'
            f'<a rel="attachment" href="file://{secret.png}">attached</a></body></html>')

    pdf = to_pdf(html)

    text = assert_only_its_own_content(pdf, secret, tmp_path)
    assert "Hello" in text
    assert listener.stop() == []
    assert len(refusals(caplog)) >= 6


def test_the_fetcher_refuses_network_schemes_and_files_outside_the_package(listener, secret):
    from tender.services.award.documents import ResourceRefused, fetch_resource

    port = listener.port
    for url in (f"http://127.0.0.1:{port}/a.png", f"https://127.0.0.1:{port}/a.css", f"ftp://127.0.0.1:{port}/a",
                f"HTTP://127.1:{port}/", secret.png.as_uri(), secret.svg.as_uri(), "file:///etc/passwd",
                f"file://127.0.0.1{secret.png}", "javascript:alert(1)", "about:blank"):
        with pytest.raises(ResourceRefused):
            fetch_resource(url)
    assert listener.stop() == []


def test_the_fetcher_reads_only_styles_fonts_and_images_under_its_roots(tmp_path, secret):
    from tender.services.award.documents import ResourceRefused, fetch_resource

    root = tmp_path / "letters"
    root.mkdir()
    (root / "letterhead.css").write_text("p { color: black }")
    (root / "notes.txt").write_text("not a style")
    (root / "link.png").symlink_to(secret.png)
    (tmp_path / "beside.png").write_bytes(_png(4, 4))

    assert fetch_resource((root / "letterhead.css").as_uri(), roots=(root,)).read() == b"p { color: black }"
    for path in (root / "notes.txt", root / "link.png", root / "missing.css", secret.png,
                 root / ".." / "beside.png"):
        with pytest.raises(ResourceRefused):
            fetch_resource(f"file://{path}", roots=(root,))


def test_the_fetcher_refuses_resources_over_its_byte_and_pixel_caps(tmp_path):
    import base64

    from tender.services.award.documents import (MAX_IMAGE_PIXELS, MAX_RESOURCE_BYTES, ResourceRefused,
                                                 fetch_resource)

    def data_url(body: bytes, media_type="image/png") -> str:
        return f"data:{media_type};base64,{base64.b64encode(body).decode()}"

    small = _png(16, 16)
    huge = _png(5000, 5000, (255, 255, 255))  # 25 million pixels in a few kilobytes
    assert 5000 * 5000 > MAX_IMAGE_PIXELS and len(huge) < MAX_RESOURCE_BYTES
    (tmp_path / "big.css").write_bytes(b" " * (MAX_RESOURCE_BYTES + 1))
    (tmp_path / "huge.png").write_bytes(huge)

    assert fetch_resource(data_url(small)).read() == small
    assert fetch_resource("data:text/css,p%7Bcolor:red%7D").read() == b"p{color:red}"
    for url in (data_url(b"\0" * (MAX_RESOURCE_BYTES + 1), "font/woff2"), data_url(huge),
                (tmp_path / "big.css").as_uri(), (tmp_path / "huge.png").as_uri()):
        with pytest.raises(ResourceRefused):
            fetch_resource(url, roots=(tmp_path,))
