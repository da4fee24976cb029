"""The ranking as an accessible SVG bar chart, drawn on the server.

No script and no style attributes (the Content Security Policy allows
neither): colours and fonts are SVG presentation attributes. The chart has a
title and a description and is labelled as an image; the table beside it on
the page carries the same figures for screen readers and for copying.

It scales to its container (a ``viewBox`` and no fixed size; ``.app-chart``
in ``assets/app.scss``): each bidder's name sits above its bar rather than
beside it, so the drawing is narrow enough to stay legible on a 375 px phone.
"""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from tender.domain.numbers import fixed
from tender.domain.scoring import LotRanking

PARTS = (("quality", "Quality", "#1d70b8"), ("social_value", "Social value", "#00703c"),
         ("price_score", "Price", "#f47738"))
BAR_WIDTH, ROW, TOP, NAME_LENGTH = 420, 54, 40, 56


def _marks(value: Decimal | None) -> str:
    return fixed(value or Decimal(0), 2)


def ranking_svg(ranking: LotRanking, lot_label: str) -> Markup:
    """Stacked bars (quality, social value, price; marks out of 100) per bid, best first, each under its name."""
    height = TOP + ROW * len(ranking.results) + 6
    width = BAR_WIDTH + 80
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="chart-title chart-desc" '
           f'font-family="arial, sans-serif" font-size="16">',
           f'<title id="chart-title">Scores of the bids for {escape(lot_label)}</title>',
           f'<desc id="chart-desc">{escape(_description(ranking))}</desc>']
    x = 0
    for _key, label, colour in PARTS:
        out.append(f'<rect x="{x}" y="8" width="14" height="14" fill="{colour}"/>'
                   f'<text x="{x + 20}" y="21" fill="#0b0c0c">{label}</text>')
        x += 140
    for index, result in enumerate(ranking.results):
        y = TOP + index * ROW
        name = result.bidder if len(result.bidder) <= NAME_LENGTH else result.bidder[:NAME_LENGTH - 1] + "…"
        out.append(f'<text x="0" y="{y + 14}" fill="#0b0c0c">{escape(name)}</text>')
        if result.excluded:
            out.append(f'<text x="0" y="{y + 38}" fill="#d4351c">Excluded</text>')
            continue
        x = Decimal(0)
        for key, label, colour in PARTS:
            value = getattr(result, key) or Decimal(0)
            w = value * BAR_WIDTH / 100
            out.append(f'<rect x="{fixed(x, 1)}" y="{y + 20}" width="{fixed(w, 1)}" height="{ROW - 30}" '
                       f'fill="{colour}"><title>{escape(result.bidder)}: {label} {_marks(value)}</title></rect>')
            x += w
        out.append(f'<text x="{fixed(x + 6, 1)}" y="{y + 38}" fill="#0b0c0c" font-weight="bold">'
                   f'{_marks(result.total)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _description(ranking: LotRanking) -> str:
    parts = []
    for r in ranking.results:
        if r.excluded:
            parts.append(f"{r.bidder}: excluded")
        else:
            parts.append(f"{r.bidder}: rank {r.rank}, total {_marks(r.total)} (quality {_marks(r.quality)}, "
                         f"social value {_marks(r.social_value)}, price {_marks(r.price_score)})")
    return "; ".join(parts) + "."
