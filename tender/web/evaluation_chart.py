"""The ranking as an accessible SVG bar chart, drawn on the server.

No script and no style attributes (the Content Security Policy allows
neither): colours and fonts are SVG presentation attributes. The chart has a
title and a description and is labelled as an image; the table beside it on
the page carries the same figures for screen readers and for copying.
"""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from tender.domain.scoring import LotRanking

PARTS = (("quality", "Quality", "#1d70b8"), ("social_value", "Social value", "#00703c"),
         ("price_score", "Price", "#f47738"))
LABEL_WIDTH, BAR_WIDTH, ROW, TOP = 230, 420, 34, 44


def _marks(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


def ranking_svg(ranking: LotRanking, lot_label: str) -> Markup:
    """Stacked bars (quality, social value, price; marks out of 100) per bid, best first."""
    height = TOP + ROW * len(ranking.results) + 10
    width = LABEL_WIDTH + BAR_WIDTH + 110
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-labelledby="chart-title chart-desc" font-family="arial, sans-serif" '
           f'font-size="14">',
           f'<title id="chart-title">Scores of the bids for {escape(lot_label)}</title>',
           f'<desc id="chart-desc">{escape(_description(ranking))}</desc>']
    x = LABEL_WIDTH
    for _key, label, colour in PARTS:
        out.append(f'<rect x="{x}" y="8" width="14" height="14" fill="{colour}"/>'
                   f'<text x="{x + 20}" y="20" fill="#0b0c0c">{label}</text>')
        x += 130
    for index, result in enumerate(ranking.results):
        y = TOP + index * ROW
        name = result.bidder if len(result.bidder) <= 30 else result.bidder[:29] + "…"
        out.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end" fill="#0b0c0c">{escape(name)}</text>')
        if result.excluded:
            out.append(f'<text x="{LABEL_WIDTH + 4}" y="{y + 18}" fill="#d4351c">Excluded</text>')
            continue
        x = Decimal(LABEL_WIDTH)
        for key, label, colour in PARTS:
            value = getattr(result, key) or Decimal(0)
            w = value * BAR_WIDTH / 100
            out.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW - 10}" fill="{colour}">'
                       f'<title>{escape(result.bidder)}: {label} {_marks(value)}</title></rect>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + 18}" fill="#0b0c0c" font-weight="bold">'
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
