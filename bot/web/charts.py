"""Charts for the dashboard as server-rendered SVG: no script, no build, no inline style.

The page's Content-Security-Policy forbids inline styles, so sizes and colours are SVG
attributes. Colours match the /stats picture in Telegram (bot/chart.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from markupsafe import Markup, escape

from bot.chart import COLOURS
from bot.i18n import khmer_digits
from bot.store.stats import Period

OUTCOMES = tuple(COLOURS)  # answer, suggest, fallback


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def share_bar(p: Period) -> Markup:
    """One horizontal bar split into the answered, suggested and not answered shares."""
    parts, x = [], 0.0
    for outcome in OUTCOMES:
        width = p.pct(outcome)
        if width:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="10" '
                         f'fill="{_hex(COLOURS[outcome])}"/>')
            x += width
    if not parts:
        parts.append('<rect x="0" y="0" width="100" height="10" fill="#dddddd"/>')
    return Markup('<svg class="share" viewBox="0 0 100 10" preserveAspectRatio="none" '
                  'role="img" aria-hidden="true">' + "".join(parts) + "</svg>")


def daily_chart(days: list[tuple[date, Counter[str]]], lang: str) -> Markup:
    """Stacked bars of questions per day by outcome, oldest first, with a few date labels."""
    width, height, base = 300, 130, 110
    peak = max((sum(c[o] for o in OUTCOMES) for _, c in days), default=0) or 1
    slot = width / max(len(days), 1)
    parts = [f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#888" '
             'stroke-width="0.5"/>']
    for i, (day, counts) in enumerate(days):
        y = float(base)
        for outcome in OUTCOMES:
            h = (base - 8) * counts[outcome] / peak
            if h:
                y -= h
                parts.append(f'<rect x="{i * slot + slot * 0.15:.1f}" y="{y:.1f}" '
                             f'width="{slot * 0.7:.1f}" height="{h:.1f}" '
                             f'fill="{_hex(COLOURS[outcome])}"/>')
        if (len(days) - 1 - i) % 7 == 0:  # every week back from today
            label = f"{day.day}/{day.month}"
            label = khmer_digits(label) if lang == "km" else label
            parts.append(f'<text x="{i * slot + slot / 2:.1f}" y="{height - 4}" font-size="9" '
                         f'fill="#444" text-anchor="middle">{escape(label)}</text>')
    top = khmer_digits(str(peak)) if lang == "km" else str(peak)
    parts.append(f'<text x="{width - 2}" y="9" font-size="9" fill="#444" '
                 f'text-anchor="end">{escape(top)}</text>')
    return Markup(f'<svg class="daily" viewBox="0 0 {width} {height}" role="img" '
                  'aria-hidden="true">' + "".join(parts) + "</svg>")
