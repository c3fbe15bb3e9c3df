"""Per-agent estimates, quartiles, quartile spreads and the bottom-quartile opportunity, as pure
functions of per-call arrays and (bootstrap) weights, so the point estimate and every bootstrap
replicate run exactly the same code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np

from .shrinkage import Components, Shrunk, shrink, variance_components

#: outcome -> True when higher is better (transferred and fcr only where the metadata has them)
KPIS = {"aht_s": False, "csat": True, "satisfied": True, "sentiment_end": True, "transferred": False, "fcr": True}
#: the scale of each outcome: every estimate and interval is kept inside it
SCALES = {"aht_s": (0.0, np.inf), "csat": (1.0, 5.0), "satisfied": (0.0, 1.0), "sentiment_end": (0.0, 100.0), "transferred": (0.0, 1.0), "fcr": (0.0, 1.0)}
#: outcomes that are shares of calls (0/1 per call): Wilson intervals per agent
PROPORTIONS = ("satisfied", "transferred", "fcr")
COMPOSITE = {
    "composite": "posterior mean, per agent, of the average of the agent's true case-mix-adjusted CSAT (higher better) "
    "and AHT (lower better), each as a difference from the team mean in units of the true between-agent standard "
    "deviation tau: sum over the KPIs of sign x (shrunk estimate - team mean) / tau, divided by the number of KPIs. "
    "A KPI whose agents differ little beyond noise has shrunk estimates near the team mean and so adds little; one "
    "with tau = 0 adds nothing. The end-of-call customer sentiment index stands in for CSAT when the team has fewer "
    "than min_surveys surveys",
}


@dataclass(frozen=True)
class CallArrays:
    """What the engine needs per call: agent codes, raw and case-mix-adjusted outcomes."""

    agent: np.ndarray  # int codes 0..n_agents-1
    n_agents: int
    raw: Dict[str, np.ndarray]  # NaN where the outcome is missing
    adjusted: Dict[str, np.ndarray]
    n_params: Dict[str, int]


@dataclass(frozen=True)
class KpiEstimate:
    components: Components
    shrunk: Shrunk
    counts: np.ndarray  # (weighted) calls with this outcome, per agent
    raw_sums: np.ndarray  # (weighted) sums of the raw outcome per agent


def estimate(calls: CallArrays, weights: Optional[np.ndarray] = None) -> Dict[str, KpiEstimate]:
    """Variance components and shrunk agent means per KPI (``weights``: bootstrap multiplicities)."""
    out = {}
    for kpi, adjusted in calls.adjusted.items():
        ok = ~np.isnan(adjusted)
        if not ok.any():
            continue
        agent = calls.agent[ok]
        w = None if weights is None else weights[ok]
        a = adjusted[ok]
        counts = np.bincount(agent, weights=w, minlength=calls.n_agents)
        sums = np.bincount(agent, weights=a if w is None else a * w, minlength=calls.n_agents)
        sumsq = np.bincount(agent, weights=a * a if w is None else a * a * w, minlength=calls.n_agents)
        raw = calls.raw[kpi][ok]
        raw_sums = np.bincount(agent, weights=raw if w is None else raw * w, minlength=calls.n_agents)
        comp = variance_components(sums, sumsq, counts, calls.n_params.get(kpi, 0))
        out[kpi] = KpiEstimate(comp, shrink(sums, counts, comp), counts, raw_sums)
    return out


def composite_parts(estimates: Dict[str, KpiEstimate], kpi: str, min_surveys: int) -> Dict[str, Dict[str, float]]:
    """The KPIs in the ranking score and how each enters: sign (+1 higher is better), team mean
    and between-agent SD tau (the score counts each in units of tau)."""
    if kpi != "composite":
        if kpi not in estimates:
            raise ValueError(f"no data for ranking KPI {kpi!r}")
        return {kpi: {"sign": 1.0 if KPIS[kpi] else -1.0, "mean": 0.0, "tau": 1.0}}
    names = []
    if "aht_s" in estimates:
        names.append("aht_s")
    if "csat" in estimates and estimates["csat"].counts.sum() >= min_surveys:
        names.append("csat")
    elif "sentiment_end" in estimates:
        names.append("sentiment_end")
    if not names:
        raise ValueError("no outcome to rank agents on (need handle time, CSAT or sentiment)")
    return {k: {"sign": 1.0 if KPIS[k] else -1.0, "mean": float(estimates[k].components.mean),
                "tau": float(np.sqrt(max(estimates[k].components.between, 0.0)))} for k in names}


def composite_score(theta: Dict[str, np.ndarray], parts: Dict[str, Dict[str, float]]) -> np.ndarray:
    """The ranking score from agents' true means ``theta`` (shrunk estimates, or posterior draws
    of shape (D, A)): the mean over ``parts`` of sign x (theta - team mean) / tau; a KPI with
    tau = 0 (no between-agent variation) adds 0."""
    total = 0.0
    for k, part in parts.items():
        if part["tau"] > 0:
            total = total + part["sign"] * (np.asarray(theta[k], dtype=float) - part["mean"]) / part["tau"]
        else:
            total = total + np.zeros_like(np.asarray(theta[k], dtype=float))
    return total / len(parts)


def composite(estimates: Dict[str, KpiEstimate], eligible: np.ndarray, kpi: str, min_surveys: int) -> np.ndarray:
    """Score per agent (higher = better) for ranking: one KPI's shrunk estimate, or the composite
    (``COMPOSITE``: the posterior mean of the agent's average true standardised advantage).
    ``eligible`` is kept for the signature; the score does not depend on who is ranked."""
    parts = composite_parts(estimates, kpi, min_surveys)
    if kpi != "composite":
        value = estimates[kpi].shrunk.shrunk
        return value if KPIS[kpi] else -value
    if all(part["tau"] <= 0 for part in parts.values()):
        raise ValueError(f"no differences between agents beyond call-to-call noise in {', '.join(parts)} (between-agent "
                         "variance estimated at 0): any ranking into quartiles would be arbitrary")
    return composite_score({k: estimates[k].shrunk.shrunk for k in parts}, parts)


def quartiles(score: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """1 = top quartile ... 4 = bottom; 0 = not ranked (too few calls, or fewer than 4 agents)."""
    q = np.zeros(len(score), dtype=np.int8)
    idx = np.flatnonzero(eligible)
    if len(idx) < 4:
        return q
    order = idx[np.argsort(-score[idx], kind="stable")]
    ranks = np.arange(1, len(order) + 1)
    q[order] = np.ceil(4 * ranks / len(order)).astype(np.int8)
    return q


def _group(counts: np.ndarray, sums: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Sums over sums for a group of agents; works on (A,) or (D, A) arrays."""
    n = (counts * members).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums * members).sum(axis=-1) / n


def _spread_dict(team, top, bottom) -> Dict[str, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "team": team, "top": top, "bottom": bottom,
            "top_vs_average_abs": top - team, "top_vs_average_pct": 100 * (top / team - 1),
            "top_vs_bottom_abs": top - bottom, "top_vs_bottom_pct": 100 * (top / bottom - 1),
        }


def raw_spreads(counts: np.ndarray, raw_sums: np.ndarray, q: np.ndarray) -> Dict[str, np.ndarray]:
    """Observed outcomes of the quartiles' calls (sums over sums) and their differences."""
    return _spread_dict(_group(counts, raw_sums, q > 0), _group(counts, raw_sums, q == 1), _group(counts, raw_sums, q == 4))


def true_spreads(counts: np.ndarray, theta: np.ndarray, q: np.ndarray) -> Dict[str, np.ndarray]:
    """Quartile differences of agents' true (case-mix-adjusted) means ``theta`` (shrunk estimates,
    or posterior draws of shape (D, A)), each agent weighted by its calls."""
    return _spread_dict(_group(counts, counts * theta, q > 0), _group(counts, counts * theta, q == 1), _group(counts, counts * theta, q == 4))


def opportunity(counts: Dict[str, np.ndarray], theta: Dict[str, np.ndarray], q: np.ndarray, period_days: Optional[float]) -> Dict[str, np.ndarray]:
    """What lifting the bottom quartile to the team average is worth, from agents' true means
    ``theta`` (shrunk estimates or posterior draws (D, A)): handle time saved (seconds, %,
    agent-hours per month at the observed volume), and CSAT / % satisfied / sentiment gained
    by the bottom quartile and by the team."""
    out: Dict[str, np.ndarray] = {}
    team, bottom = q > 0, q == 4
    if not bottom.any():
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        if "aht_s" in theta:
            n, th = counts["aht_s"], theta["aht_s"]
            mu = _group(n, n * th, team)
            saved = (n * bottom * (th - mu[..., None] if np.ndim(th) > 1 else th - mu)).sum(axis=-1)
            bottom_total = (n * bottom * th).sum(axis=-1)
            team_total = (n * team * th).sum(axis=-1)
            out["aht_saved_s"] = saved
            out["aht_bottom_change_pct"] = -100 * saved / bottom_total
            out["aht_team_change_pct"] = -100 * saved / team_total
            if period_days:
                out["agent_hours_per_month"] = saved / 3600 * 30.4375 / period_days
        for kpi in ("csat", "satisfied", "sentiment_end"):
            if kpi not in theta:
                continue
            n, th = counts[kpi], theta[kpi]
            n_team, n_bottom = (n * team).sum(), (n * bottom).sum()
            if n_team <= 0 or n_bottom <= 0:
                continue
            mu = _group(n, n * th, team)
            bottom_mean = _group(n, n * th, bottom)
            gain = mu - bottom_mean
            out[f"{kpi}_bottom_gain"] = gain
            out[f"{kpi}_bottom_change_pct"] = 100 * gain / bottom_mean
            out[f"{kpi}_team_gain"] = gain * n_bottom / n_team
            out[f"{kpi}_team_change_pct"] = 100 * gain * n_bottom / n_team / mu
    return out
