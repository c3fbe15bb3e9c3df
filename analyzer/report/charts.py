"""Charts for the team report and scorecards: matplotlib figures rendered to inline SVG (text
kept as text, so it is searchable, printable and escaped by matplotlib's SVG writer)."""

from __future__ import annotations

import io
import re
from typing import Dict, List, Optional, Sequence

import numpy as np

QUARTILE_COLORS = {1: "#1b9e77", 2: "#7fbf7b", 3: "#f1a340", 4: "#d7301f", 0: "#9e9e9e"}
QUARTILE_NAMES = {1: "top quartile", 2: "2nd quartile", 3: "3rd quartile", 4: "bottom quartile", 0: "not ranked"}


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


def funnel(agents, value: str, count: str, mean: float, sd: float, title: str, unit: str = "", lower_is_better: bool = False) -> Optional[str]:
    """Spiegelhalter funnel plot: each agent's raw value against its number of calls, with 95%
    and 99.8% control limits around the team mean (mean +/- z * sd / sqrt(n)), so small-volume
    agents are not mistaken for outliers."""
    data = agents[agents[count] > 0]
    if data.empty or not np.isfinite(sd) or sd <= 0:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    n = np.linspace(max(1, data[count].min() * 0.8), data[count].max() * 1.1, 200)
    for z, style, label in ((1.96, "--", "95% limits"), (3.09, ":", "99.8% limits")):
        ax.plot(n, mean + z * sd / np.sqrt(n), "k" + style, lw=0.8, label=label)
        ax.plot(n, mean - z * sd / np.sqrt(n), "k" + style, lw=0.8)
    ax.axhline(mean, color="k", lw=0.8)
    for q, group in data.groupby("quartile"):
        ax.scatter(group[count], group[value], s=18, color=QUARTILE_COLORS.get(int(q), "#999"), label=QUARTILE_NAMES.get(int(q), str(q)), zorder=3)
    ax.set_xlabel(f"{count.replace('_', ' ')} per agent")
    ax.set_ylabel(f"{title}{' (' + unit + ')' if unit else ''}")
    ax.set_title(f"{title}: funnel plot" + (" (lower is better)" if lower_is_better else ""))
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
    ax.set_title("Agents on handle time and satisfaction (better: left and up)")
    ax.legend(fontsize=7, frameon=False)
    return to_svg(fig)


def trajectories(series: Dict[str, Sequence[float]], title: str) -> Optional[str]:
    """Mean customer sentiment trajectories (index 0-100 over deciles of call time)."""
    series = {k: v for k, v in series.items() if v is not None and len(v)}
    if not series:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.2))
    colors = {"top quartile": QUARTILE_COLORS[1], "bottom quartile": QUARTILE_COLORS[4], "team": "#333333", "this agent": "#2f6fb0"}
    for name, values in series.items():
        x = (np.arange(len(values)) + 0.5) / len(values) * 100
        ax.plot(x, values, marker="o", ms=3, lw=1.8, label=name, color=colors.get(name))
    ax.axhline(50, color="#999", lw=0.6, ls=":")
    ax.set_xlabel("% of call elapsed")
    ax.set_ylabel("customer sentiment index")
    ax.set_title(title)
    ax.legend(fontsize=7, frameon=False)
    return to_svg(fig)


def behaviour_bars(labels: Sequence[str], first: Sequence[float], second: Sequence[float], names=("top quartile", "bottom quartile"), title: str = "") -> Optional[str]:
    """Horizontal paired bars of behaviour rates (% of calls)."""
    if not len(labels):
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 0.32 * len(labels) + 1.2))
    y = np.arange(len(labels))
    ax.barh(y - 0.2, 100 * np.asarray(first), height=0.38, color=QUARTILE_COLORS[1] if names[0] == "top quartile" else "#2f6fb0", label=names[0])
    ax.barh(y + 0.2, 100 * np.asarray(second), height=0.38, color=QUARTILE_COLORS[4] if names[1] == "bottom quartile" else QUARTILE_COLORS[1], label=names[1])
    ax.set_yticks(y)
    ax.set_yticklabels([label.replace("_", " ") for label in labels])
    ax.invert_yaxis()
    ax.set_xlabel("% of calls")
    ax.set_title(title)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return to_svg(fig)


def time_use_bars(time_use: Dict[str, Dict[str, float]]) -> Optional[str]:
    """Stacked bars: share of handle time by use, per quartile."""
    if not time_use:
        return None
    groups = [g for g in ("q1_top", "q2", "q3", "q4_bottom", "team") if g in time_use]
    parts = ["productive", "distress", "dead_air", "hold", "acw", "other"]
    colors = ["#1b9e77", "#d95f02", "#c23b3b", "#9aa5b1", "#7570b3", "#cccccc"]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 2.8))
    left = np.zeros(len(groups))
    for part, color in zip(parts, colors):
        values = np.array([time_use[g].get(part, 0.0) for g in groups])
        label = "not recorded (queue, ring...)" if part == "other" else part.replace("_", " ")
        ax.barh(groups, values, left=left, color=color, label=label)
        left += values
    ax.set_xlabel("% of handle time")
    ax.set_xlim(0, max(100, left.max()))
    ax.invert_yaxis()
    ax.set_title("Where agent time goes, by quartile")
    ax.legend(fontsize=7, frameon=False, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    return to_svg(fig)


def trend(frame, columns: Dict[str, str], title: str) -> Optional[str]:
    """KPIs per batch (x: batch, in run order)."""
    if frame is None or len(frame) < 2:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, len(columns), figsize=(2.6 * len(columns), 2.4))
    axes = np.atleast_1d(axes)
    for ax, (column, label) in zip(axes, columns.items()):
        ax.plot(range(len(frame)), frame[column], marker="o", ms=3)
        ax.set_xticks(range(len(frame)))
        ax.set_xticklabels(frame["label"], rotation=45, ha="right", fontsize=7)
        ax.set_title(label, fontsize=9)
    fig.suptitle(title, fontsize=10)
    return to_svg(fig)
