"""Charts drawn on the server as SVG: they render offline, in print and without JavaScript."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape


def trend_svg(
    points: Sequence[tuple[str, float | None, int]],
    *,
    scale_min: float,
    scale_max: float,
    target: float | None,
    title: str,
    no_data: str,
    fmt: Callable[[float], str] = lambda v: f"{v:.1f}",
    width: int = 640,
    height: int = 240,
) -> str:
    """Bars by period (label, value or None, number of responses) with the target as a line.

    A period without data shows a hatched empty slot labelled ``no_data``, never a zero bar.
    """
    left, right, top, bottom = 44, 12, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (scale_max - scale_min) or 1.0

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - scale_min) / span)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        '<defs><pattern id="nodata" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" '
        'stroke-width="2"/></pattern></defs>',
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        value = scale_min + span * fraction
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#e3e3e3"/><text x="{left - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end" font-size="11" fill="#555">{escape(fmt(value))}</text>'
        )
    count = max(len(points), 1)
    slot = plot_w / count
    bar = min(slot * 0.7, 48)
    for i, (label, value, n) in enumerate(points):
        x = left + slot * i + (slot - bar) / 2
        if value is None:
            parts.append(
                f'<rect x="{x:.1f}" y="{top}" width="{bar:.1f}" height="{plot_h}" '
                f'fill="url(#nodata)" opacity="0.5"><title>{escape(label)}: '
                f'{escape(no_data)}</title></rect>'
            )
        else:
            parts.append(
                f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                f'height="{top + plot_h - y(value):.1f}" fill="#0b5cad"><title>{escape(label)}: '
                f"{escape(fmt(value))} (n = {n})</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'font-size="11" fill="#333">{escape(label)}</text>'
        )
    if target is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
            f'stroke="#b00020" stroke-width="2" stroke-dasharray="6 4"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
