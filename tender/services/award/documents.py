"""Documents people keep: award letters, assessment summaries and the procurement report as PDF/A.

Rendered from Jinja templates (``templates/letters/``) with WeasyPrint as
PDF/A-3u, tagged for screen readers (PDF/UA structure), fonts embedded
(DejaVu, from Debian's fonts-dejavu-core). Every page carries the council's
name, the procurement reference and "Page N of M". A standalone Jinja
environment, as for e-mail, so the CLI renders without a request.

A document renders only what it is given. Database values reach the page
margins' CSS only through ``css_string`` (hex escapes), the HTML only through
autoescaping, and WeasyPrint loads nothing but what :func:`fetch_resource`
allows: the package's own styles, fonts and images, and small data: URLs.
"""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import warnings
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

import jinja2
from markupsafe import Markup

from tender.domain.letters import criterion_label, money, score_text, two_places
from tender.domain.periods import format_uk_date
from tender.mail import templates_dir

PDF_VARIANT = "pdf/a-3u"

#: The most a document may load for one image, font or style sheet, in bytes and (for images) pixels.
MAX_RESOURCE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096
#: What a document may load from its resource roots: styles, fonts and images only.
RESOURCE_SUFFIXES = frozenset({".css", ".ttf", ".otf", ".woff", ".woff2", ".png", ".jpg", ".jpeg", ".gif", ".svg"})

log = logging.getLogger(__name__)


class ResourceRefused(ValueError):
    """A document asked for something it may not load (WeasyPrint logs it and renders without it)."""


def council_name(procurement) -> str:
    """Whose letterhead: ``TENDER_COUNCIL_NAME``, else the procurement's lead funder, else "The contracting authority"."""
    configured = (os.environ.get("TENDER_COUNCIL_NAME") or "").strip()
    if configured:
        return configured
    lead = next((f for f in procurement.funders if f.is_lead), None)
    return lead.name if lead else "The contracting authority"


def _paragraphs(text: str) -> list[dict]:
    """Narrative text as blocks: runs of "- " lines become a list, other lines paragraphs."""
    blocks: list[dict] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("- "):
            if not blocks or blocks[-1]["kind"] != "list":
                blocks.append({"kind": "list", "items": []})
            blocks[-1]["items"].append(line[2:])
        else:
            blocks.append({"kind": "para", "text": line})
    return blocks


#: Characters a CSS string may hold as themselves; anything else is written as a hex escape.
_CSS_PLAIN = frozenset(" .,:-_/!?@#%+=*()[]")


def _css_string(value) -> Markup:
    """Text safe inside a double-quoted CSS string in a <style> element (which HTML does not unescape).

    A database value (a funder's, procurement's or supplier's name) is printed
    in the page margins through ``content: "..."``. Letters, digits, spaces and
    harmless punctuation stay as they are; every other character (quotes,
    backslashes, ``<``, CR, LF, form feed, any control character) becomes a
    CSS hex escape such as ``\\d `` so the value can neither end the string
    nor the style sheet, and still prints as the character it was.
    """
    return Markup("".join(c if c.isalnum() or c in _CSS_PLAIN else f"\\{ord(c):x} " for c in str(value)))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Jinja for documents: HTML autoescaped, strict about missing values."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             autoescape=jinja2.select_autoescape(default=True),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(two_places=two_places, money=money, uk_date=format_uk_date, paragraphs=_paragraphs, score=score_text, label=criterion_label,
                       css_string=_css_string)
    return env


def render_html(template: str, **context) -> str:
    """The document as HTML (also what the preview page shows)."""
    return environment().get_template(template).render(**context)


def resource_roots() -> tuple[Path, ...]:
    """Where a document's own styles, fonts and images may live: ``templates/letters/``.

    Today the letter templates load nothing by URL: their styles are inline
    and DejaVu comes from the system through fontconfig, which WeasyPrint does
    not fetch. A letterhead logo or an ``@font-face`` added later goes here.
    """
    return (templates_dir() / "letters",)


def fetch_resource(url: str, roots: tuple[Path, ...] | None = None):
    """The only way a rendered document reaches outside its own HTML: package files and small data: URLs.

    A database value that escaped into the document's CSS or HTML could
    otherwise embed a local file (``file:///...``) in a letter that is stored
    and e-mailed, or make the server send requests (``http:``, ``ftp:``). So
    this refuses every scheme but ``file:`` (a styles, font or image file under
    ``roots``, symbolic links resolved) and ``data:``; and anything larger than
    ``MAX_RESOURCE_BYTES`` or an image larger than ``MAX_IMAGE_PIXELS``.
    """
    from weasyprint.urls import URLFetcherResponse

    scheme = urlsplit(url).scheme.lower()
    if scheme == "data":
        media_type, body = _data_url(url)
    elif scheme == "file":
        media_type, body = None, _package_file(url, resource_roots() if roots is None else roots)
    else:
        raise _refused(url, "only the package's own files may be loaded")
    _check_image_size(url, body)
    return URLFetcherResponse(url, body, {"Content-Type": media_type} if media_type else None)


def _refused(url: str, why: str) -> ResourceRefused:
    log.warning("Refused to load %.200r into a document: %s", url, why)
    return ResourceRefused(f"{why}: {url[:200]}")


def _data_url(url: str) -> tuple[str, bytes]:
    """(media type, bytes) of a data: URL no larger than the cap."""
    header, comma, payload = url[len("data:"):].partition(",")
    if not comma or len(payload) > MAX_RESOURCE_BYTES * 4 // 3 + 4:
        raise _refused(url, "a data: URL must be well formed and small")
    params = header.split(";")
    if params[-1].strip().lower() == "base64":
        try:
            body = base64.b64decode(unquote_to_bytes(payload), validate=False)
        except ValueError:
            raise _refused(url, "the data: URL is not valid base64") from None
    else:
        body = unquote_to_bytes(payload)
    if len(body) > MAX_RESOURCE_BYTES:
        raise _refused(url, f"larger than {MAX_RESOURCE_BYTES} bytes")
    return params[0].strip() or "text/plain", body


def _package_file(url: str, roots: tuple[Path, ...]) -> bytes:
    """A styles, font or image file under one of ``roots``, read no further than the cap."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise _refused(url, "only local package files may be loaded")
    path = Path(url2pathname(parts.path)).resolve()
    if path.suffix.lower() not in RESOURCE_SUFFIXES or not any(
            path.is_relative_to(root.resolve()) for root in roots):
        raise _refused(url, "only the package's own styles, fonts and images may be loaded")
    try:
        with path.open("rb") as handle:
            body = handle.read(MAX_RESOURCE_BYTES + 1)
    except OSError as exc:
        raise _refused(url, f"cannot be read ({exc.strerror})") from None
    if len(body) > MAX_RESOURCE_BYTES:
        raise _refused(url, f"larger than {MAX_RESOURCE_BYTES} bytes")
    return body


def _check_image_size(url: str, body: bytes) -> None:
    """Refuse a raster image over the pixel cap (read from its header: nothing is decoded)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        raise _refused(url, "an image larger than Pillow will open") from None
    except Exception:  # not a raster image Pillow knows (a style sheet, a font, SVG): the byte cap applies
        return
    if width * height > MAX_IMAGE_PIXELS:
        raise _refused(url, f"an image of {width} x {height} pixels is larger than {MAX_IMAGE_PIXELS} pixels")


@lru_cache(maxsize=1)
def url_fetcher():
    """The WeasyPrint URL fetcher every renderer passes: :func:`fetch_resource`, refusals logged, not fatal."""
    import weasyprint

    class PackageOnlyFetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            return fetch_resource(url)

    return PackageOnlyFetcher(allowed_protocols=("file", "data"), allow_redirects=False, fail_on_errors=False)


def load_renderer() -> None:
    """Import the PDF renderer now, so a long-lived worker can freeze it with its start-up heap."""
    import weasyprint  # noqa: F401


def to_pdf(html: str) -> bytes:
    """HTML to a tagged PDF/A-3u with its fonts embedded, loading nothing but what :func:`fetch_resource` allows."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=str(templates_dir()), url_fetcher=url_fetcher()).write_pdf(
        pdf_variant=PDF_VARIANT, pdf_tags=True)


def sha256(data: bytes) -> str:
    """Hex SHA-256: what the audit event records of a document as sent."""
    return hashlib.sha256(data).hexdigest()
