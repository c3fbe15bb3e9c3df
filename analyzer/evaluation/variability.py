"""Validate the variability engine against a simulated population with known truth."""

from __future__ import annotations

from typing import Dict

import numpy as np


def validate(population, estimator) -> Dict[str, object]:
    """Fit ``estimator`` on ``population.calls`` and compare with ``population.agents`` truth.

    Returns rank correlations (raw means vs the engine), interval coverage of true agent effects,
    ICCs, raw vs shrunk quartile spreads, and the opportunity and behaviour-effect estimates next
    to their true values.
    """
    from scipy.stats import spearmanr

    est = estimator.fit(population.calls)
    agents = est.agents_.merge(population.agents, on="agent_id", suffixes=("", "_true"))
    ranked = agents[agents.ranked]
    out: Dict[str, object] = {"icc": est.icc_, "n_agents": int(len(agents)), "n_ranked": int(len(ranked))}
    truths = {"aht_s": "true_aht_effect_s", "sentiment_end": "true_sentiment_effect", "csat": "true_csat_effect"}
    for kpi, truth in truths.items():
        if f"{kpi}_shrunk" not in agents:
            continue
        usable = agents[agents[f"{kpi}_n"] > 0]
        true = usable[truth].to_numpy()
        if np.std(true) > 0:
            out[f"{kpi}_rank_raw"] = float(spearmanr(usable[f"{kpi}_raw"], true)[0])
            out[f"{kpi}_rank_engine"] = float(spearmanr(usable[f"{kpi}_shrunk"], true)[0])
        # the engine's effect = shrunk - team mean; truth relative to the same call-weighted team
        weights = usable[f"{kpi}_n"].to_numpy(float)
        true_rel = true - np.sum(weights * true) / weights.sum()
        mean = est.components_[kpi].mean
        low, high = usable[f"{kpi}_low"].to_numpy() - mean, usable[f"{kpi}_high"].to_numpy() - mean
        out[f"{kpi}_coverage"] = float(np.mean((true_rel >= low) & (true_rel <= high)))
        out[f"{kpi}_n_intervals"] = int(len(usable))
    spreads = est.headline_["quartile_spreads"]
    for kpi in ("aht_s", "sentiment_end", "csat"):
        if kpi in spreads:
            out[f"{kpi}_spread_naive_pct"] = spreads[kpi]["naive_self_ranked"]["top_vs_bottom_pct"]
            out[f"{kpi}_spread_observed_pct"] = spreads[kpi]["observed"]["top_vs_bottom_pct"]
            out[f"{kpi}_spread_corrected_pct"] = spreads[kpi]["noise_corrected"]["top_vs_bottom_pct"]
    # opportunity truth: the engine's bottom quartile moved to the ranked team's true average
    opp = est.headline_["opportunity"]
    if "aht_saved_s" in opp:
        team = ranked["quartile"] > 0
        bottom = ranked["quartile"] == 4
        n = ranked["aht_s_n"].to_numpy(float)
        true = ranked["true_aht_effect_s"].to_numpy()
        mu = np.sum(n[team] * true[team]) / n[team].sum()
        out["aht_saved_true_s"] = float(np.sum(n[bottom] * (true[bottom] - mu)))
        out["aht_saved_estimate"] = opp["aht_saved_s"]
    if "sentiment_end_bottom_gain" in opp:
        n = ranked["sentiment_end_n"].to_numpy(float)
        true = ranked["true_sentiment_effect"].to_numpy()
        team, bottom = ranked["quartile"].to_numpy() > 0, ranked["quartile"].to_numpy() == 4
        out["sentiment_gain_true"] = float(np.sum(n[team] * true[team]) / n[team].sum() - np.sum(n[bottom] * true[bottom]) / n[bottom].sum())
        out["sentiment_gain_estimate"] = opp["sentiment_end_bottom_gain"]
    # behaviour effects on the end-of-call sentiment index
    effects = est.headline_["behaviour_effects"].get("sentiment_end", {})
    truth_effects = population.options.behaviour_effects
    rows = []
    for row in effects.get("behaviours", []):
        true = truth_effects.get(row["behaviour"], 0.0)
        rows.append({"behaviour": row["behaviour"], "true": true, "estimate": row["effect"], "low": row["low"], "high": row["high"],
                     "covered": bool(row["low"] <= true <= row["high"])})
    out["behaviour_effects"] = rows
    headline = effects.get("positive_behaviour")
    if headline and "true_sentiment_end_expected" in population.calls:
        out["positive_behaviour_estimate"] = {k: headline[k] for k in ("effect", "low", "high")}
        out["positive_behaviour_true"] = _true_positive_headline(est, population, headline["behaviours"])
    return out


def _true_positive_headline(est, population, positive) -> float:
    """The same regression as the engine's headline, on the noise-free expected outcome."""
    from ..variability.outcomes import case_mix_matrix

    df = est.calls_
    y = population.calls.set_index("call_id").loc[df.call_id, "true_sentiment_end_expected"].to_numpy(float)
    share = df[[f"beh_{b}" for b in positive]].to_numpy(float).mean(axis=1)
    negative = [c for c in df.columns if c.startswith("beh_") and not c.endswith("_n") and c[4:] not in positive]
    X0, _ = case_mix_matrix(df, est.case_mix)
    X = np.column_stack([np.ones(len(y)), share, df[negative].to_numpy(float), X0])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return float(beta[1])
