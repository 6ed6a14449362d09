"""A small PNG bar chart of questions per day by outcome, for editors' /stats.

Editors would rather look than read. Drawn with Pillow in a few dozen lines: no plotting
library, no fonts beyond Pillow's built-in one (labels are digits only; the legend is in the
message caption, in the editor's language).
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

from PIL import Image, ImageDraw

COLOURS = {"answer": (46, 139, 87), "suggest": (230, 160, 30), "fallback": (200, 55, 45)}
WIDTH, HEIGHT, MARGIN = 720, 360, 40


def outcome_chart(days: list[tuple[date, Counter[str]]]) -> bytes:
    """Stacked bars (answered, suggested, not answered) for each day, as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    peak = max((sum(c[o] for o in COLOURS) for _, c in days), default=0) or 1
    plot_h = HEIGHT - 2 * MARGIN
    slot = (WIDTH - 2 * MARGIN) / max(len(days), 1)
    draw.line([(MARGIN, HEIGHT - MARGIN), (WIDTH - MARGIN, HEIGHT - MARGIN)], fill="black")
    draw.text((4, MARGIN - 6), str(peak), fill="black")
    draw.text((4, HEIGHT - MARGIN - 6), "0", fill="black")
    for i, (day, counts) in enumerate(days):
        x0 = MARGIN + i * slot + slot * 0.15
        x1 = MARGIN + (i + 1) * slot - slot * 0.15
        y = HEIGHT - MARGIN
        for outcome, colour in COLOURS.items():
            h = plot_h * counts[outcome] / peak
            if h:
                draw.rectangle([x0, y - h, x1, y], fill=colour)
                y -= h
        if i % 5 == 0 or i == len(days) - 1:
            draw.text((x0, HEIGHT - MARGIN + 6), f"{day.month}-{day.day}", fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
