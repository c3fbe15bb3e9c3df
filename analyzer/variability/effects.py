"""Behaviour effects on outcomes, sentiment vs CSAT, and time use by quartile."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np


def ols_cluster(y: np.ndarray, X: np.ndarray, clusters: np.ndarray, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and cluster-robust (by agent, CR1) standard errors."""
    XtX_inv = np.linalg.pinv(X.T @ X)
    beta = XtX_inv @ (X.T @ y)
    resid = y - X @ beta
    scores = np.stack([np.bincount(clusters, weights=X[:, j] * resid, minlength=n_clusters) for j in range(X.shape[1])], axis=1)
    meat = scores.T @ scores
    n, k = X.shape
    G = int((np.bincount(clusters, minlength=n_clusters) > 0).sum())
    correction = (G / max(G - 1, 1)) * ((n - 1) / max(n - k, 1))
    cov = correction * XtX_inv @ meat @ XtX_inv
    return beta, np.sqrt(np.maximum(np.diag(cov), 0.0))


def behaviour_effects(
    df,
    case_mix: np.ndarray,
    agent_codes: np.ndarray,
    n_agents: int,
    behaviours: Sequence[str],
    positive: Sequence[str],
    outcomes: Sequence[str] = ("sentiment_end", "csat"),
    z: float = 1.96,
) -> Dict[str, object]:
    """For each behaviour and outcome: the difference between calls with and without it,
    adjusted by one regression on every behaviour together plus case mix (so a behaviour is not
    credited with the others that tend to come with it), intervals clustered by agent; and the
    raw difference.

    Also the headline: the adjusted change in the outcome from a call with none of the positive
    behaviours to one with all of them (the share of positive behaviours shown, from 0 to 1, with
    the negative behaviours and case mix held fixed).
    """
    out: Dict[str, object] = {}
    for outcome in outcomes:
        y_all = df[outcome].to_numpy(dtype=float)
        ok = ~np.isnan(y_all)
        if ok.sum() < 30:
            continue
        y, X0, agents = y_all[ok], case_mix[ok], agent_codes[ok]
        used, columns = [], []
        for b in behaviours:
            column = f"beh_{b}"
            if column not in df.columns:
                continue
            has = df[column].to_numpy(dtype=float)[ok]
            if 5 <= has.sum() <= len(has) - 5:
                used.append(b)
                columns.append(has)
        rows: List[dict] = []
        if used:
            H = np.column_stack(columns)
            beta, se = ols_cluster(y, np.column_stack([np.ones(len(y)), H, X0]), agents, n_agents)
            for j, b in enumerate(used):
                has = H[:, j]
                rows.append(
                    {
                        "behaviour": b,
                        "polarity": "positive" if b in positive else "negative",
                        "effect": round(float(beta[1 + j]), 4),
                        "low": round(float(beta[1 + j] - z * se[1 + j]), 4),
                        "high": round(float(beta[1 + j] + z * se[1 + j]), 4),
                        "raw_difference": round(float(y[has == 1].mean() - y[has == 0].mean()), 4),
                        "n_with": int(has.sum()),
                        "n_without": int(len(has) - has.sum()),
                    }
                )
        pos = [j for j, b in enumerate(used) if b in positive]
        neg = [j for j, b in enumerate(used) if b not in positive]
        headline = None
        if pos:
            share = H[:, pos].mean(axis=1)
            if share.std() > 0:
                X = np.column_stack([np.ones(len(y)), share, H[:, neg], X0]) if neg else np.column_stack([np.ones(len(y)), share, X0])
                beta, se = ols_cluster(y, X, agents, n_agents)
                headline = {
                    "effect": round(float(beta[1]), 4),
                    "low": round(float(beta[1] - z * se[1]), 4),
                    "high": round(float(beta[1] + z * se[1]), 4),
                    "behaviours": [used[j] for j in pos],
                    "definition": "adjusted change in the outcome between a call showing none and a call showing all of the "
                    "positive behaviours (regression on the share of positive behaviours shown, with the negative "
                    "behaviours and case mix)",
                }
        out[outcome] = {"behaviours": rows, "positive_behaviour": headline, "n_calls": int(ok.sum())}
    return out


def sentiment_vs_csat(df, z: float = 1.96) -> Optional[Dict[str, object]]:
    """Correlation of the customer's end-of-call sentiment index with the survey score, and a
    calibration table (mean CSAT and % satisfied by sentiment band)."""
    from scipy.stats import spearmanr

    both = df[df["csat"].notna() & df["sentiment_end"].notna()]
    n = len(both)
    if n < 10:
        return None
    x, y = both["sentiment_end"].to_numpy(float), both["csat"].to_numpy(float)
    r = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else float("nan")
    fz, se = np.arctanh(np.clip(r, -0.999999, 0.999999)), 1 / np.sqrt(max(n - 3, 1))
    bands = []
    edges = [0, 20, 40, 60, 80, 100.0001]
    for lo, hi in zip(edges[:-1], edges[1:]):
        part = both[(both.sentiment_end >= lo) & (both.sentiment_end < hi)]
        if len(part):
            bands.append({"band": f"{lo:.0f}-{min(hi, 100):.0f}", "n": int(len(part)), "mean_csat": round(float(part.csat.mean()), 3),
                          "pct_satisfied": round(float(100 * (part.csat >= 4).mean()), 1)})
    return {
        "n_surveyed_calls": n,
        "pearson": round(r, 4),
        "pearson_low": round(float(np.tanh(fz - z * se)), 4),
        "pearson_high": round(float(np.tanh(fz + z * se)), 4),
        "spearman": round(float(spearmanr(x, y)[0]), 4),
        "calibration": bands,
    }


TIME_PARTS = ("productive", "distress", "dead_air", "hold", "acw", "other")


def time_use_by_quartile(df, quartile_of_call: np.ndarray) -> Optional[Dict[str, Dict[str, float]]]:
    """Share of handle time in each use, per quartile and for the team (sums over sums; the team
    is the ranked agents' calls, or every call when no agent can be ranked yet)."""
    if "time_handle_s" not in df.columns:
        return None
    handle = df["time_handle_s"].to_numpy(float)
    out = {}
    team = quartile_of_call > 0 if (quartile_of_call > 0).any() else np.ones(len(df), dtype=bool)  # no ranking: every call
    for name, members in (("team", team), ("q1_top", quartile_of_call == 1), ("q2", quartile_of_call == 2),
                          ("q3", quartile_of_call == 3), ("q4_bottom", quartile_of_call == 4)):
        total = np.nansum(handle[members])
        if total <= 0:
            continue
        shares = {}
        for part in TIME_PARTS:
            column = f"time_{part}_s"
            if column in df.columns:
                shares[part] = round(float(100 * np.nansum(df[column].to_numpy(float)[members]) / total), 2)
        shares["handle_hours"] = round(float(total / 3600), 2)
        out[name] = shares
    return out
