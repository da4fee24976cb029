"""Documents people keep: award letters, assessment summaries and the procurement report as PDF/A.

Rendered from Jinja templates (``templates/letters/``) with WeasyPrint as
PDF/A-3u, tagged for screen readers (PDF/UA structure), fonts embedded
(DejaVu, from Debian's fonts-dejavu-core). Every page carries the council's
name, the procurement reference and "Page N of M". A standalone Jinja
environment, as for e-mail, so the CLI renders without a request.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

import jinja2
from markupsafe import Markup

from tender.domain.letters import criterion_label, money, score_text, two_places
from tender.domain.periods import format_uk_date
from tender.mail import templates_dir

PDF_VARIANT = "pdf/a-3u"


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


def _css_string(value) -> Markup:
    """Text safe inside a CSS string in a <style> element (which HTML does not unescape)."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("<", "").replace("\n", " ")
    return Markup(text)


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


def to_pdf(html: str) -> bytes:
    """HTML to a tagged PDF/A-3u with its fonts embedded."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=str(templates_dir())).write_pdf(
        pdf_variant=PDF_VARIANT, pdf_tags=True)


def sha256(data: bytes) -> str:
    """Hex SHA-256: what the audit event records of a document as sent."""
    return hashlib.sha256(data).hexdigest()
