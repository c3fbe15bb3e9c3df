"""Hand-written SVG charts: the call pages' timeline and sentiment curve, and the charts every
scorecard carries (sentiment trajectories, behaviour rates, trend over batches), which the team
report shares. Thousands of pages a night: no plotting library, a few string joins per chart.

Every piece of text placed in the SVG goes through ``html.escape``.
"""

from __future__ import annotations

import math
from html import escape
from typing import Dict, List, Optional, Sequence, Tuple

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
    """A round tick step giving at most about 12 ticks, for any duration."""
    for step in (10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600):
        if duration / step <= 12:
            return float(step)
    return float(3600 * max(1, -(-duration // (3600 * 12))))


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def clock(seconds: float) -> str:
    return _clock(seconds)


# -- charts of the team report and the scorecards (one per agent: thousands a night) ------------
#
# Drawn by hand like the call charts: a scorecard's charts cost a few string joins, and the parts
# every scorecard shares (axes, grid, the team's and the top quartile's series) are drawn once
# per report (:class:`TrajectoryChart`, :class:`PairedBars`).

QUARTILE_COLORS = {1: "#1b9e77", 2: "#7fbf7b", 3: "#f1a340", 4: "#d7301f", 0: "#9e9e9e"}
QUARTILE_NAMES = {1: "top quartile", 2: "2nd quartile", 3: "3rd quartile", 4: "bottom quartile", 0: "not ranked"}
SERIES_COLORS = {"top quartile": QUARTILE_COLORS[1], "bottom quartile": QUARTILE_COLORS[4], "team": "#333333", "this agent": "#2f6fb0"}
_FONT = 'font-family="inherit"'


def _num(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _text_width(text: str, size: float) -> float:
    """Rough width of ``text`` in a sans-serif font (for laying out legends and label columns)."""
    return 0.56 * size * len(text)


def _open(width: int, height: int, title: str, css_class: str) -> str:
    return (f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(title)}" '
            f'font-size="11" {_FONT}><text x="{width / 2:.0f}" y="18" font-size="13" font-weight="600" text-anchor="middle">{escape(title)}</text>')


def _legend(entries: Sequence[Tuple[str, str, str]], x0: float, y0: float, right: float) -> str:
    """Legend entries ``(label, color, kind)`` (kind: line or box) laid out left to right,
    wrapping at ``right``."""
    parts, x, y = [], x0, y0
    for label, color, kind in entries:
        width = 26 + _text_width(label, 11) + 14
        if x > x0 and x + width > right:
            x, y = x0, y + 17
        if kind == "line":
            parts.append(f'<line x1="{x:.0f}" y1="{y - 4:.0f}" x2="{x + 20:.0f}" y2="{y - 4:.0f}" stroke="{color}" stroke-width="2.2"/>'
                         f'<circle cx="{x + 10:.0f}" cy="{y - 4:.0f}" r="2.6" fill="{color}"/>')
        else:
            parts.append(f'<rect x="{x + 4:.0f}" y="{y - 9:.0f}" width="12" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 26:.0f}" y="{y:.0f}">{escape(label)}</text>')
        x += width
    return "".join(parts)


def _legend_rows(entries: Sequence[Tuple[str, str, str]], x0: float, right: float) -> int:
    x, rows = x0, 1
    for label, _, _ in entries:
        width = 26 + _text_width(label, 11) + 14
        if x > x0 and x + width > right:
            x, rows = x0, rows + 1
        x += width
    return rows


def _series_color(name: str) -> str:
    return next((c for key, c in SERIES_COLORS.items() if name.startswith(key)), "#2f6fb0")


class TrajectoryChart:
    """Mean customer sentiment trajectories (0-100 index over deciles of call time), one line
    per series. ``shared`` series (the team, the top quartile) are drawn once; :meth:`svg` adds a
    scorecard's own series (``this agent (n = ... calls)``)."""

    W, LEFT, RIGHT, TOP, BOTTOM = 520, 50, 505, 34, 232

    def __init__(self, shared: Dict[str, Sequence[float]]):
        self.shared = {k: [float(x) for x in v] for k, v in shared.items() if v is not None and len(v)}
        parts = []
        for level in (0, 25, 50, 75, 100):
            y = self._y(level)
            dash = ' stroke-dasharray="2,3" stroke="#999"' if level == 50 else ' stroke="#e5e7eb"'
            parts.append(f'<line x1="{self.LEFT}" x2="{self.RIGHT}" y1="{y:.1f}" y2="{y:.1f}"{dash}/>'
                         f'<text x="{self.LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{level}</text>')
        for pct in range(0, 101, 20):
            x = self._x(pct)
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{self.BOTTOM}" y2="{self.BOTTOM + 4}" stroke="#666"/>'
                         f'<text x="{x:.1f}" y="{self.BOTTOM + 16}" text-anchor="middle">{pct}</text>')
        parts.append(f'<line x1="{self.LEFT}" x2="{self.RIGHT}" y1="{self.BOTTOM}" y2="{self.BOTTOM}" stroke="#666"/>'
                     f'<line x1="{self.LEFT}" x2="{self.LEFT}" y1="{self.TOP}" y2="{self.BOTTOM}" stroke="#666"/>'
                     f'<text x="{(self.LEFT + self.RIGHT) / 2:.0f}" y="{self.BOTTOM + 32}" text-anchor="middle">% of call elapsed</text>'
                     f'<text transform="translate(13 {(self.TOP + self.BOTTOM) / 2:.0f}) rotate(-90)" text-anchor="middle">customer sentiment index</text>')
        parts.extend(self._line(name, values) for name, values in self.shared.items())
        self._body = "".join(parts)

    def _x(self, pct: float) -> float:
        return self.LEFT + pct / 100 * (self.RIGHT - self.LEFT)

    def _y(self, value: float) -> float:
        return self.BOTTOM - min(max(value, 0.0), 100.0) / 100 * (self.BOTTOM - self.TOP)

    def _line(self, name: str, values: Sequence[float]) -> str:
        color, n = _series_color(name), len(values)
        points = [(self._x((i + 0.5) / n * 100), self._y(v), v) for i, v in enumerate(values) if _finite(v)]
        if not points:
            return ""
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{color}"/>' for x, y, _ in points)
        return (f'<g><title>{escape(name)}: {" ".join(_num(v, 0) for _, _, v in points)}</title>'
                f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>{dots}</g>')

    def svg(self, title: str, extra: Optional[Dict[str, Sequence[float]]] = None) -> Optional[str]:
        extra = {k: v for k, v in (extra or {}).items() if v is not None and len(v)}
        names = list(self.shared) + list(extra)
        if not names:
            return None
        entries = [(name, _series_color(name), "line") for name in names]
        rows = _legend_rows(entries, self.LEFT, self.RIGHT)
        height = self.BOTTOM + 52 + 17 * rows
        return (_open(self.W, height, title, "trajectories") + self._body + "".join(self._line(k, v) for k, v in extra.items())
                + _legend(entries, self.LEFT, self.BOTTOM + 56, self.RIGHT) + "</svg>")


class PairedBars:
    """Horizontal paired bars of behaviour rates (% of calls): a scorecard's agent against the
    top quartile (or the team), or the top against the bottom quartile. The labels, the axis and
    the ``second`` bars are drawn once; :meth:`svg` adds the ``first`` bars."""

    W, ROW = 560, 24

    def __init__(self, labels: Sequence[str], second: Sequence[float], second_name: str, second_color: str, first_name_chars: int = 32):
        self.labels = [str(label).replace("_", " ") for label in labels]
        self.second_name, self.second_color = second_name, second_color
        self.left = min(max((_text_width(label, 11) for label in self.labels), default=60) + 14, 220)
        self.right = self.W - 14
        # the legend (the first series' name, up to first_name_chars long, and the second's) above the bars
        self.legend_rows = _legend_rows([("x" * first_name_chars, "", "box"), (second_name, "", "box")], 14, self.right)
        self.TOP = 48 + 17 * (self.legend_rows - 1)
        self.bottom = self.TOP + self.ROW * len(self.labels)
        parts = []
        for pct in range(0, 101, 20):
            x = self._x(pct)
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{self.TOP - 4}" y2="{self.bottom}" stroke="#e5e7eb"/>'
                         f'<text x="{x:.1f}" y="{self.bottom + 14}" text-anchor="middle">{pct}</text>')
        parts.append(f'<text x="{(self.left + self.right) / 2:.0f}" y="{self.bottom + 30}" text-anchor="middle">% of calls</text>')
        for i, label in enumerate(self.labels):
            parts.append(f'<text x="{self.left - 6:.0f}" y="{self.TOP + i * self.ROW + 15}" text-anchor="end">{escape(label)}</text>')
        parts.extend(self._bar(i, value, self.second_name, self.second_color, 12) for i, value in enumerate(second))
        self._body = "".join(parts)

    def _x(self, pct: float) -> float:
        return self.left + min(max(pct, 0.0), 100.0) / 100 * (self.right - self.left)

    def _bar(self, i: int, rate, name: str, color: str, offset: int) -> str:
        if not _finite(rate):
            return ""
        pct = 100 * float(rate)
        y = self.TOP + i * self.ROW + offset
        return (f'<rect x="{self.left:.1f}" y="{y}" width="{max(self._x(pct) - self.left, 0.5):.1f}" height="9" fill="{color}">'
                f'<title>{escape(self.labels[i])}, {escape(name)}: {pct:.0f}%</title></rect>')

    def svg(self, first: Sequence[float], first_name: str, first_color: str, title: str) -> Optional[str]:
        if not self.labels:
            return None
        entries = [(first_name, first_color, "box"), (self.second_name, self.second_color, "box")]
        return (_open(self.W, self.bottom + 40, title, "behaviours") + _legend(entries, 14, 38, self.right) + self._body
                + "".join(self._bar(i, value, first_name, first_color, 2) for i, value in enumerate(first)) + "</svg>")


def paired_bars(labels: Sequence[str], first: Sequence[float], second: Sequence[float], names: Tuple[str, str], title: str) -> Optional[str]:
    """One paired-bar chart (see :class:`PairedBars`); colours from the series names."""
    if not len(labels):
        return None
    return PairedBars(labels, second, names[1], _series_color(names[1]), len(names[0])).svg(first, names[0], _series_color(names[0]), title)


def _nice_ticks(lo: float, hi: float, n: int = 4) -> List[float]:
    if not (_finite(lo) and _finite(hi)):
        return []
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def trend(frame, columns: Dict[str, str], title: str) -> Optional[str]:
    """KPIs per batch (x: batches in run order), one small panel per KPI: each batch's mean with
    its 95% interval; each point's n is written above it (and in its tooltip), and the batch
    labels carry the batch's number of calls. Past 16 batches only some are labelled."""
    if frame is None or len(frame) < 2:
        return None
    columns = {c: label for c, label in columns.items() if c in frame and frame[c].notna().any()}
    if not columns:
        return None
    import numpy as np

    panel, height, top, bottom, left = 280, 290, 44, 190, 46
    n = len(frame)
    labels = [str(x) for x in frame["label"]]
    every = max(1, math.ceil(n / 16))
    shown = {i for i in range(n) if i % every == 0 or i == n - 1}
    parts = [_open(panel * len(columns), height, title + " (95% intervals; n per point)", "trend")]
    for k, (column, name) in enumerate(columns.items()):
        x0 = k * panel
        values = frame[column].to_numpy(dtype=float)
        low = frame[f"{column}_low"].to_numpy(dtype=float) if f"{column}_low" in frame else values
        high = frame[f"{column}_high"].to_numpy(dtype=float) if f"{column}_high" in frame else values
        counts = frame[f"{column}_n"].to_numpy() if f"{column}_n" in frame else np.full(n, -1)
        finite = np.isfinite(values)
        span = np.concatenate([values[finite], low[np.isfinite(low)], high[np.isfinite(high)]])
        lo, hi = float(span.min()), float(span.max())
        pad = (hi - lo) * 0.12 or max(abs(hi) * 0.05, 1.0)
        lo, hi = lo - pad, hi + pad
        px0, px1 = x0 + left, x0 + panel - 12
        xs = [px0 + (i + 0.5) / n * (px1 - px0) for i in range(n)]
        y = lambda v: bottom - (v - lo) / (hi - lo) * (bottom - top)  # noqa: E731
        parts.append(f'<text x="{x0 + panel / 2:.0f}" y="36" text-anchor="middle" font-weight="600">{escape(name)}</text>')
        for tick in _nice_ticks(lo, hi):
            parts.append(f'<line x1="{px0}" x2="{px1}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e5e7eb"/>'
                         f'<text x="{px0 - 5}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="10">{_num(tick, 2)}</text>')
        parts.append(f'<line x1="{px0}" x2="{px1}" y1="{bottom}" y2="{bottom}" stroke="#666"/>')
        line = " ".join(f"{xs[i]:.1f},{y(values[i]):.1f}" for i in range(n) if finite[i])
        parts.append(f'<polyline points="{line}" fill="none" stroke="#2f6fb0" stroke-width="1.2"/>')
        for i in range(n):
            if not finite[i]:
                continue
            tip = f"{labels[i].replace(chr(10), ', ')}: {_num(values[i], 2)}"
            if np.isfinite(low[i]) and np.isfinite(high[i]):
                tip += f" ({_num(low[i], 2)} to {_num(high[i], 2)})"
                parts.append(f'<line x1="{xs[i]:.1f}" x2="{xs[i]:.1f}" y1="{y(low[i]):.1f}" y2="{y(high[i]):.1f}" stroke="#2f6fb0"/>')
            if counts[i] >= 0:
                tip += f", n={int(counts[i])}"
                if i in shown:
                    parts.append(f'<text x="{xs[i]:.1f}" y="{y(high[i] if np.isfinite(high[i]) else values[i]) - 5:.1f}" text-anchor="middle" '
                                 f'font-size="9" fill="#555">n={int(counts[i])}</text>')
            parts.append(f'<circle cx="{xs[i]:.1f}" cy="{y(values[i]):.1f}" r="3" fill="#2f6fb0"><title>{escape(tip)}</title></circle>')
        for i in sorted(shown):
            first, _, second = labels[i].partition("\n")
            parts.append(f'<text transform="translate({xs[i] + 3:.1f} {bottom + 10}) rotate(-40)" text-anchor="end" font-size="9.5">'
                         f'<tspan x="0" dy="0">{escape(first)}</tspan><tspan x="0" dy="11">{escape(second)}</tspan></text>')
    parts.append("</svg>")
    return "".join(parts)
