"""Small hand-written SVG charts for per-call pages (thousands of pages: no plotting library).

Every piece of text placed in the SVG goes through ``html.escape``.
"""

from __future__ import annotations

from html import escape
from typing import List, Optional, Sequence, Tuple

COLORS = {"agent": "#2f6fb0", "customer": "#d9822b", "hold": "#9aa5b1", "dead_air": "#c23b3b", "overtalk": "#7b4fb0"}


def _scale(value: float, lo: float, hi: float, out_lo: float, out_hi: float) -> float:
    if hi <= lo:
        return out_lo
    return out_lo + (value - lo) / (hi - lo) * (out_hi - out_lo)


def timeline(duration: float, speech: Sequence[Tuple[str, float, float]], holds: Sequence[Tuple[float, float]],
             dead_air: Sequence[Tuple[float, float]], overtalk: Sequence[Tuple[float, float]], width: int = 900) -> str:
    """Agent and customer speech lanes, with hold, dead air and overtalk marked, and a time axis."""
    lanes = {"agent": 20, "customer": 50}
    height, left, right = 110, 80, width - 10
    x = lambda t: _scale(t, 0, max(duration, 1e-6), left, right)  # noqa: E731
    parts = [f'<svg class="chart timeline" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="call timeline">']
    for name, y in lanes.items():
        parts.append(f'<text x="5" y="{y + 14}" font-size="12">{escape(name)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{right - left}" height="20" fill="#f3f4f6"/>')
    for start, end in holds:
        parts.append(f'<rect x="{x(start):.1f}" y="15" width="{max(x(end) - x(start), 1):.1f}" height="60" fill="{COLORS["hold"]}" opacity="0.5"><title>hold {start:.0f}-{end:.0f} s</title></rect>')
    for start, end in dead_air:
        parts.append(f'<rect x="{x(start):.1f}" y="15" width="{max(x(end) - x(start), 1):.1f}" height="60" fill="{COLORS["dead_air"]}" opacity="0.35"><title>dead air {start:.0f}-{end:.0f} s</title></rect>')
    for speaker, start, end in speech:
        y = lanes.get(speaker, 50)
        parts.append(f'<rect x="{x(start):.1f}" y="{y}" width="{max(x(end) - x(start), 1):.1f}" height="20" fill="{COLORS.get(speaker, "#555")}"/>')
    for start, end in overtalk:
        parts.append(f'<rect x="{x(start):.1f}" y="42" width="{max(x(end) - x(start), 1.5):.1f}" height="6" fill="{COLORS["overtalk"]}"><title>overtalk {start:.1f}-{end:.1f} s</title></rect>')
    step = _tick_step(duration)
    t = 0.0
    while t <= duration + 1e-6:
        parts.append(f'<line x1="{x(t):.1f}" y1="76" x2="{x(t):.1f}" y2="80" stroke="#666"/><text x="{x(t):.1f}" y="94" font-size="11" text-anchor="middle">{_clock(t)}</text>')
        t += step
    legend = [("agent", "agent"), ("customer", "customer"), ("hold", "hold"), ("dead air", "dead_air"), ("overtalk", "overtalk")]
    lx = left
    for label, key in legend:
        parts.append(f'<rect x="{lx}" y="100" width="10" height="8" fill="{COLORS[key]}"/><text x="{lx + 14}" y="108" font-size="10">{escape(label)}</text>')
        lx += 90
    parts.append("</svg>")
    return "".join(parts)


def sentiment_curve(duration: float, points: Sequence[Tuple[float, float]], trajectory: Optional[Sequence[float]], width: int = 900) -> str:
    """Customer sentiment index (0-100) per utterance (dots) and the smoothed trajectory (line)."""
    height, left, right, top, bottom = 200, 45, width - 10, 10, 170
    x = lambda t: _scale(t, 0, max(duration, 1e-6), left, right)  # noqa: E731
    y = lambda v: _scale(v, 0, 100, bottom, top)  # noqa: E731
    parts = [f'<svg class="chart sentiment" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="customer sentiment over the call">']
    for level in (0, 25, 50, 75, 100):
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="#e5e7eb"/><text x="{left - 6}" y="{y(level) + 4:.1f}" font-size="10" text-anchor="end">{level}</text>')
    parts.append(f'<rect x="{left}" y="{y(50):.1f}" width="{right - left}" height="{y(0) - y(50):.1f}" fill="#fdecec" opacity="0.5"/>')
    if trajectory:
        n = len(trajectory)
        coords = " ".join(f"{x((i + 0.5) / n * duration):.1f},{y(50 * (v + 1)):.1f}" for i, v in enumerate(trajectory))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{COLORS["customer"]}" stroke-width="2.5"/>')
    for t, value in points:
        parts.append(f'<circle cx="{x(t):.1f}" cy="{y(value):.1f}" r="3.5" fill="{COLORS["customer"]}" opacity="0.7"><title>{_clock(t)}: {value:.0f}</title></circle>')
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="11">customer sentiment index (0-100, 50 neutral); dots: utterances, line: smoothed trajectory</text>')
    parts.append("</svg>")
    return "".join(parts)


def _tick_step(duration: float) -> float:
    for step in (10, 15, 30, 60, 120, 300, 600, 1200):
        if duration / step <= 12:
            return float(step)
    return 1800.0


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def clock(seconds: float) -> str:
    return _clock(seconds)
