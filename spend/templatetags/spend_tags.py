"""Money formatting and server-rendered SVG charts for the Spend pages (no JavaScript)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django import template

from spend.money import format_cents

register = template.Library()

CHART_PLOT_HEIGHT = 150
CHART_TOP = 14
CHART_LEFT = 48
CHART_BOTTOM = 34
BAR_SLOT_WIDTH = 44
BAR_WIDTH = 28


@register.filter
def money(cents: int | None, currency: str) -> str:
    """``{{ cents|money:currency }}`` → "$41.00"."""
    return format_cents(cents, currency)


def _nice_ceiling(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 × a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


@register.inclusion_tag("includes/chart_bars.svg.html")
def bar_chart(
    points: Sequence[tuple[str, int | None]], title: str, chart_id: str, unit: str = ""
) -> dict[str, Any]:
    """A bar chart of (label, value) points; a None value is drawn as "n/a" (not available)."""
    known = [value for _, value in points if value is not None]
    axis_max = _nice_ceiling(max(known, default=0))
    bottom = CHART_TOP + CHART_PLOT_HEIGHT
    bars = []
    for index, (label, value) in enumerate(points):
        x = CHART_LEFT + index * BAR_SLOT_WIDTH + (BAR_SLOT_WIDTH - BAR_WIDTH) // 2
        height = 0 if value is None else round(value / axis_max * CHART_PLOT_HEIGHT, 1)
        bars.append(
            {
                "x": x,
                "y": round(bottom - height, 1),
                "height": height,
                "label": label,
                "value": value,
                "label_x": x + BAR_WIDTH // 2,
            }
        )
    divisions = next((count for count in (5, 4, 2) if axis_max % count == 0), 1)
    ticks = [
        {
            "value": axis_max * step // divisions,
            "y": round(bottom - CHART_PLOT_HEIGHT * step / divisions, 1),
        }
        for step in range(divisions + 1)
    ]
    width = CHART_LEFT + max(1, len(points)) * BAR_SLOT_WIDTH + 8
    return {
        "bars": bars,
        "ticks": ticks,
        "title": title,
        "chart_id": chart_id,
        "unit": unit,
        "width": width,
        "height": bottom + CHART_BOTTOM,
        "bottom": bottom,
        "bar_width": BAR_WIDTH,
        "left": CHART_LEFT,
        "right": width - 4,
        "label_y": bottom + 16,
        "na_y": bottom - 6,
        "axis_label_x": CHART_LEFT - 6,
    }
