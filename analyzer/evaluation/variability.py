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
    out: Dict[str, object] = {"icc": est.icc_, "n_agents": int(len(agents)), "n_ranked": int(len(ranked)),
                              "not_ranked_reason": est.not_ranked_reason_}
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
    out.update(_composite_ranking(est, agents))
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
    # behaviour effects on the end-of-call sentiment index: the within-agent estimate (what the
    # engine reports and coaching ranks on) and the naive pooled one, against the true effect
    effects = est.headline_["behaviour_effects"].get("sentiment_end", {})
    structural = population.options.behaviour_effects
    design = _true_behaviour_effects(est, population, [row["behaviour"] for row in effects.get("behaviours", [])])
    rows = []
    for row in effects.get("behaviours", []):
        true = design.get(row["behaviour"], structural.get(row["behaviour"], 0.0))
        rows.append({"behaviour": row["behaviour"], "true": true, "true_structural": structural.get(row["behaviour"], 0.0),
                     "estimate": row["effect"], "low": row["low"], "high": row["high"],
                     "covered": bool(row["low"] <= true <= row["high"]), "naive_estimate": row["naive_effect"],
                     "naive_covered": bool(row["naive_low"] <= true <= row["naive_high"])})
    out["behaviour_effects"] = rows
    headline = effects.get("positive_behaviour")
    if headline and "true_sentiment_end_expected" in population.calls:
        out["positive_behaviour_estimate"] = {k: headline[k] for k in ("effect", "low", "high")}
        out["positive_behaviour_naive"] = {"effect": headline["naive_effect"], "low": headline["naive_low"], "high": headline["naive_high"]}
        out["positive_behaviour_true"] = _true_positive_headline(est, population, headline["behaviours"])
    return out


def _composite_ranking(est, agents) -> Dict[str, float]:
    """Rank correlation of the ranked agents' composite score with the true composite (the mean
    of the true AHT and CSAT effects, each signed and divided by its true between-agent SD; a
    KPI without true differences adds 0), for the engine's score and for the previous definition
    (z-scores of the shrunk estimates, each KPI at full weight)."""
    from scipy.stats import spearmanr

    ranked = agents[agents.ranked]
    if est.kpi != "composite" or len(ranked) < 4 or not {"aht_s", "csat"} <= set(est.composite_parts_):
        return {}
    true = np.zeros(len(ranked))
    old = np.zeros(len(ranked))
    for kpi, column, sign in (("aht_s", "true_aht_effect_s", -1.0), ("csat", "true_csat_effect", 1.0)):
        t = ranked[column].to_numpy(float)
        if t.std() > 0:
            true += sign * t / t.std()
        v = ranked[f"{kpi}_shrunk"].to_numpy(float)
        if v.std() > 1e-12:
            old += sign * (v - v.mean()) / v.std()
    if true.std() == 0:
        return {}
    return {"composite_rank_engine": float(spearmanr(ranked["score"], true)[0]), "composite_rank_zscores": float(spearmanr(old, true)[0])}


def _true_behaviour_effects(est, population, used) -> Dict[str, float]:
    """Each behaviour's true effect on the observed (0-100) end-of-call index: the engine's
    regression (within agents, all behaviours and case mix) on the noise-free expected outcome.
    Within 3% of the simulator's effects on the unbounded index, which near the top of the scale
    the observed index cannot follow all the way."""
    from ..variability.effects import within_ols
    from ..variability.outcomes import case_mix_matrix

    if not used or "true_sentiment_end_expected" not in population.calls:
        return {}
    df = est.calls_
    y = population.calls.set_index("call_id").loc[df.call_id, "true_sentiment_end_expected"].to_numpy(float)
    X0, _ = case_mix_matrix(df, est.case_mix)
    codes = df["agent_id"].astype("category").cat.codes.to_numpy()
    beta, _ = within_ols(y, np.column_stack([df[[f"beh_{b}" for b in used]].to_numpy(float), X0]), codes, int(codes.max()) + 1)
    return {b: float(v) for b, v in zip(used, beta)}


def _true_positive_headline(est, population, positive) -> float:
    """The engine's headline regression (within agents) on the noise-free expected outcome: the
    true change from none to all of the positive behaviours for this design."""
    from ..variability.effects import within_ols
    from ..variability.outcomes import case_mix_matrix

    df = est.calls_
    y = population.calls.set_index("call_id").loc[df.call_id, "true_sentiment_end_expected"].to_numpy(float)
    share = df[[f"beh_{b}" for b in positive]].to_numpy(float).mean(axis=1)
    negative = [c for c in df.columns if c.startswith("beh_") and not c.endswith("_n") and c[4:] not in positive]
    X0, _ = case_mix_matrix(df, est.case_mix)
    codes = df["agent_id"].astype("category").cat.codes.to_numpy()
    beta, _ = within_ols(y, np.column_stack([share, df[negative].to_numpy(float), X0]), codes, int(codes.max()) + 1)
    return float(beta[0])
