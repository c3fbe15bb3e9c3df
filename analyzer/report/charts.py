"""The team report's own charts (funnel plots, agents on AHT x CSAT, time use): matplotlib
figures rendered to inline SVG (text kept as text, so it is searchable, printable and escaped by
matplotlib's SVG writer), a handful per report. The charts every scorecard carries are drawn by
hand in :mod:`analyzer.report.svg` (a matplotlib figure costs about 0.1 s)."""

from __future__ import annotations

import io
import re
from typing import Dict, Optional

import numpy as np

from .svg import QUARTILE_COLORS, QUARTILE_NAMES  # noqa: F401 - shared with the hand-drawn charts


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    return plt


def to_svg(fig) -> str:
    plt = _plt()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def funnel_limits(mean: float, sd: float, n, z: float, scale=None):
    """Spiegelhalter control limits ``mean -/+ z * sd / sqrt(n)``, kept inside the KPI's scale
    (a CSAT limit beyond 1-5 is no limit at all)."""
    n = np.asarray(n, dtype=float)
    low, high = mean - z * sd / np.sqrt(n), mean + z * sd / np.sqrt(n)
    if scale is not None:
        low, high = np.clip(low, *scale), np.clip(high, *scale)
    return low, high


def funnel_series(agents, kpi: str, entry: dict, z: float = 3.09):
    """What a KPI's funnel plot draws: each agent's case-mix-adjusted mean (``<kpi>_adjusted``)
    against its count (``<kpi>_n``), around the team mean with the within-agent SD of the same
    adjusted outcome (``entry``: the KPI's ``icc`` entry in ``variability.json``). Raw means
    against the residual SD would flag every agent whose case mix differs as an outlier.
    Returns (DataFrame with ``agent_id, n, value, low, high, outside``, mean, sd); ``outside``:
    beyond the ``z`` limits."""
    import pandas as pd

    mean, sd = entry.get("team_mean"), entry.get("within_agent_sd")
    data = agents[(agents[f"{kpi}_n"] > 0) & agents[f"{kpi}_adjusted"].notna()] if f"{kpi}_adjusted" in agents else agents.iloc[:0]
    n = data[f"{kpi}_n"].to_numpy(float)
    value = data[f"{kpi}_adjusted"].to_numpy(float)
    if mean is None or sd is None or not np.isfinite(sd) or sd <= 0:
        low = high = np.full(len(data), np.nan)
    else:
        low, high = mean - z * sd / np.sqrt(np.maximum(n, 1)), mean + z * sd / np.sqrt(np.maximum(n, 1))
    frame = pd.DataFrame({"agent_id": data["agent_id"].to_numpy(), "n": n, "value": value, "low": low, "high": high,
                          "quartile": data["quartile"].to_numpy() if "quartile" in data else 0})
    frame["outside"] = (frame.value < frame.low) | (frame.value > frame.high)
    return frame, mean, sd


def funnel(agents, value: str, count: str, mean: float, sd: float, title: str, unit: str = "", lower_is_better: bool = False,
           scale=None) -> Optional[str]:
    """Spiegelhalter funnel plot: each agent's raw value against its number of calls, with 95%
    and 99.8% control limits around the team mean (mean +/- z * sd / sqrt(n)), so small-volume
    agents are not mistaken for outliers. Limits and axis stay inside ``scale`` (low, high)."""
    data = agents[agents[count] > 0]
    if data.empty or not np.isfinite(sd) or sd <= 0:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    n = np.linspace(max(1, data[count].min() * 0.8), data[count].max() * 1.1, 200)
    for z, style, label in ((1.96, "--", "95% limits"), (3.09, ":", "99.8% limits")):
        low, high = funnel_limits(mean, sd, n, z, scale)
        ax.plot(n, high, "k" + style, lw=0.8, label=label)
        ax.plot(n, low, "k" + style, lw=0.8)
    ax.axhline(mean, color="k", lw=0.8)
    for q, group in data.groupby("quartile"):
        ax.scatter(group[count], group[value], s=18, color=QUARTILE_COLORS.get(int(q), "#999"), label=QUARTILE_NAMES.get(int(q), str(q)), zorder=3)
    if scale is not None:
        top = scale[1] if np.isfinite(scale[1]) else None
        ax.set_ylim(scale[0], top)
    ax.set_xlabel(f"{count.replace('_', ' ')} per agent")
    ax.set_ylabel(f"{title}{' (' + unit + ')' if unit else ''}")
    ax.set_title(f"{title}: funnel plot, n = {len(data)} agents, {int(data[count].sum())} {count}" + (" (lower is better)" if lower_is_better else ""))
    ax.legend(fontsize=7, frameon=False, loc="best")
    return to_svg(fig)


def aht_csat_scatter(agents, aht_mean: float, csat_mean: Optional[float], csat_column: str = "csat") -> Optional[str]:
    """Agents on AHT (x) x CSAT (y), shrunk estimates with their intervals, coloured by quartile."""
    if f"{csat_column}_shrunk" not in agents or "aht_s_shrunk" not in agents:
        return None
    data = agents[agents[f"{csat_column}_n"] > 0]
    if data.empty:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 4.0))
    for q, group in data.groupby("quartile"):
        color = QUARTILE_COLORS.get(int(q), "#999")
        ax.errorbar(group["aht_s_shrunk"], group[f"{csat_column}_shrunk"],
                    xerr=[group["aht_s_shrunk"] - group["aht_s_low"], group["aht_s_high"] - group["aht_s_shrunk"]],
                    yerr=[group[f"{csat_column}_shrunk"] - group[f"{csat_column}_low"], group[f"{csat_column}_high"] - group[f"{csat_column}_shrunk"]],
                    fmt="o", ms=4, color=color, ecolor=color, elinewidth=0.6, alpha=0.85, label=QUARTILE_NAMES.get(int(q), str(q)))
    ax.axvline(aht_mean, color="#666", lw=0.7, ls="--")
    if csat_mean is not None:
        ax.axhline(csat_mean, color="#666", lw=0.7, ls="--")
    ax.set_xlabel("AHT, seconds (case-mix adjusted, shrunk; 95% interval)")
    ax.set_ylabel(f"{'CSAT' if csat_column == 'csat' else 'end-of-call sentiment'} (adjusted, shrunk)")
    ax.set_title(f"Agents on handle time and satisfaction (better: left and up), n = {len(data)} agents")
    ax.legend(fontsize=7, frameon=False)
    return to_svg(fig)


def time_use_bars(time_use: Dict[str, Dict[str, float]]) -> Optional[str]:
    """Stacked bars per quartile: how the recorded call time and after-call work are spent (100%
    per bar). The ACD handle time that the recordings do not cover is not a use of time the
    recordings can show: it is stated beside each bar as its share of handle time, not drawn as
    if it were one."""
    if not time_use:
        return None
    groups = [g for g in ("q1_top", "q2", "q3", "q4_bottom", "team") if g in time_use]
    if not groups:
        return None
    parts = ["productive", "distress", "dead_air", "hold", "acw"]
    colors = ["#1b9e77", "#d95f02", "#c23b3b", "#9aa5b1", "#7570b3"]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.8, 3.0))
    covered = np.array([sum(time_use[g].get(p, 0.0) for p in parts) for g in groups])
    left = np.zeros(len(groups))
    for part, color in zip(parts, colors):
        values = np.array([time_use[g].get(part, 0.0) for g in groups])
        shares = np.divide(100 * values, covered, out=np.zeros_like(values), where=covered > 0)
        ax.barh(groups, shares, left=left, color=color, label=part.replace("_", " "))
        left += shares
    labels = []
    for g in groups:
        n = time_use[g].get("n_calls")
        labels.append(f"{g.replace('_', ' ')}" + (f" (n = {n})" if n is not None else ""))
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels(labels)
    for i, g in enumerate(groups):
        outside = time_use[g].get("other", 0.0)
        if outside >= 0.5:
            ax.text(101, i, f"+{outside:.0f}% of ACD handle time\nnot in the recordings", va="center", fontsize=6.5, color="#555")
    ax.set_xlabel("% of recorded call time + after-call work")
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_title("Where agent time goes, by quartile (n = calls)")
    ax.legend(fontsize=7, frameon=False, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    return to_svg(fig)
