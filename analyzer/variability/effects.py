"""Behaviour effects on outcomes, sentiment vs CSAT, and time use by quartile.

Behaviour effects are estimated *within agents* (agent fixed effects): the difference in an
outcome between one agent's calls with and without a behaviour, with case mix and the other
behaviours held fixed. Stable differences between agents -- skill, experience, the hard queue
-- cannot masquerade as a behaviour's effect, which is what a regression across agents does
when good agents both use a behaviour more and get better outcomes for other reasons. The naive
pooled regression and the between-agent regression are reported beside it, so the difference
(confounding by who uses the behaviour) is visible. Intervals are cluster-robust by agent.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np

from .shrinkage import column_group_sums, demeaned

#: agent-level degrees of freedom the between-agent regression needs beyond its parameters
BETWEEN_MIN_DF = 10


def ols_cluster_cov(y: np.ndarray, X: np.ndarray, clusters: np.ndarray, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and their cluster-robust covariance (by agent; CR1: G/(G-1) (n-1)/(n-k),
    k = columns of ``X``, as statsmodels' ``cov_type="cluster"``)."""
    XtX_inv = np.linalg.pinv(X.T @ X)
    beta = XtX_inv @ (X.T @ y)
    resid = y - X @ beta
    scores = np.stack([np.bincount(clusters, weights=X[:, j] * resid, minlength=n_clusters) for j in range(X.shape[1])], axis=1)
    meat = scores.T @ scores
    n, k = X.shape
    G = int((np.bincount(clusters, minlength=n_clusters) > 0).sum())
    correction = (G / max(G - 1, 1)) * ((n - 1) / max(n - k, 1))
    return beta, correction * XtX_inv @ meat @ XtX_inv


def ols_cluster(y: np.ndarray, X: np.ndarray, clusters: np.ndarray, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and cluster-robust (by agent, CR1) standard errors."""
    beta, cov = ols_cluster_cov(y, X, clusters, n_clusters)
    return beta, np.sqrt(np.maximum(np.diag(cov), 0.0))


def group_means(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-row mean of its group, for a vector or the columns of a matrix."""
    values = np.asarray(values, dtype=np.float64)
    counts = np.maximum(np.bincount(groups, minlength=n_groups), 1).astype(np.float64)
    if values.ndim == 1:
        return (np.bincount(groups, weights=values, minlength=n_groups) / counts)[groups]
    if values.shape[1] == 0:
        return values.copy()
    return (column_group_sums(values, groups, n_groups) / counts[:, None])[groups]


def within_agent(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """``values - group_means(values, groups, n_groups)`` for a matrix: the same numbers, without
    the matrix of group means (see :func:`demeaned`)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1 or values.shape[1] == 0:
        return values - group_means(values, groups, n_groups)
    counts = np.maximum(np.bincount(groups, minlength=n_groups), 1).astype(np.float64)
    return demeaned(values, column_group_sums(values, groups, n_groups) / counts[:, None], groups)


def within_ols(y: np.ndarray, X: np.ndarray, groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-effects (within-group) OLS: deviations of y from its group mean on deviations of X;
    coefficients and cluster-robust covariance by group (k = columns of X: the absorbed group
    means are nested in the clusters, the convention of Stata's ``xtreg, fe vce(cluster)``)."""
    return ols_cluster_cov(y - group_means(y, groups, n_groups), within_agent(X, groups, n_groups), groups, n_groups)


def _between(y: np.ndarray, H: np.ndarray, groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Between-group coefficients of the Mundlak regression of ``y`` on [1, H - group mean of H,
    group mean of H] (the call-weighted regression of group means of y on group means of H) and
    their cluster-robust (CR1) standard errors, computed on the groups: the regression's columns
    for the group means are orthogonal to the within columns, and each group's score on them is
    its mean row times the sum of its residuals (the within columns sum to 0 in every group)."""
    n = np.bincount(groups, minlength=n_groups).astype(np.float64)
    has = n > 0
    n = n[has]
    means = lambda v: (np.bincount(groups, weights=v, minlength=n_groups)[has] / n)  # noqa: E731
    B = np.column_stack([np.ones(len(n))] + [means(H[:, j]) for j in range(H.shape[1])])
    y_bar = means(y)
    BtB_inv = np.linalg.pinv(B.T @ (B * n[:, None]))
    gamma = BtB_inv @ (B.T @ (n * y_bar))
    scores = B * (n * (y_bar - B @ gamma))[:, None]  # each group's summed residual on its mean row
    N, k, G = float(n.sum()), 1 + 2 * H.shape[1], len(n)  # k: columns of the full Mundlak regression
    cov = (G / max(G - 1, 1)) * ((N - 1) / max(N - k, 1)) * BtB_inv @ (scores.T @ scores) @ BtB_inv
    return gamma[1:], np.sqrt(np.maximum(np.diag(cov)[1:], 0.0))


def _interval(beta: float, se: float, crit: float) -> dict:
    return {"effect": round(float(beta), 4), "low": round(float(beta - crit * se), 4), "high": round(float(beta + crit * se), 4)}


def behaviour_effects(
    df,
    case_mix: np.ndarray,
    agent_codes: np.ndarray,
    n_agents: int,
    behaviours: Sequence[str],
    positive: Sequence[str],
    outcomes: Sequence[str] = ("sentiment_end", "csat"),
    confidence: float = 0.95,
    min_within_df: int = 30,
) -> Dict[str, object]:
    """For each behaviour and outcome, three estimates of the difference between calls with and
    without it, each from one regression on every behaviour together plus case mix (so a
    behaviour is not credited with the others that tend to come with it), with intervals
    clustered by agent (t with agents - 1 degrees of freedom):

    - ``effect`` (``low``, ``high``): **within agents** (agent fixed effects): the same agent's
      calls with vs without it. What coaching ranks on.
    - ``naive_*``: one pooled regression over all calls, no agent effects (what the engine
      reported before; confounded when the agents who use a behaviour differ in other ways).
    - ``between_*``: across agents: the agents' case-mix-adjusted mean outcomes regressed on
      their behaviour rates (call-weighted; the Mundlak decomposition, whose within part is the
      fixed-effects estimate). Withheld with fewer than behaviours + 1 + ``BETWEEN_MIN_DF`` agents.

    ``raw_difference`` is the plain difference in means. Also the headline: the change in the
    outcome from a call with none of the positive behaviours to one with all of them (the share
    of positive behaviours shown, 0 to 1, with the negative behaviours and case mix held fixed),
    within agents, and naive beside it.
    """
    from .distributions import student_ppf

    out: Dict[str, object] = {}
    values = {b: df[f"beh_{b}"].to_numpy(dtype=float) for b in behaviours if f"beh_{b}" in df.columns}
    for outcome in outcomes:
        if outcome not in df.columns:
            continue
        y_all = df[outcome].to_numpy(dtype=float)
        ok = ~np.isnan(y_all)
        # calls processed without a behaviour check (tagging off that night, an older taxonomy)
        # say nothing about it: behaviours checked on nearly every call, and the calls that
        # checked them all
        checked = {b: ~np.isnan(v) for b, v in values.items()}
        checked = {b: known for b, known in checked.items() if ok.sum() and known[ok].mean() >= 0.9}
        for known in checked.values():
            ok = ok & known
        if ok.sum() < 30:
            continue
        y, X0, agents = y_all[ok], case_mix[ok], agent_codes[ok]
        n_calls_a = np.bincount(agents, minlength=n_agents)
        G = int((n_calls_a > 0).sum())
        used, columns = [], []
        for b in behaviours:
            if b not in checked:
                continue
            has = values[b][ok]
            with_a = np.bincount(agents, weights=has, minlength=n_agents)
            varying = (with_a > 0) & (with_a < n_calls_a)  # agents who show it on some calls, not all
            if 5 <= has.sum() <= len(has) - 5 and with_a[varying].sum() >= 5 and (n_calls_a - with_a)[varying].sum() >= 5:
                used.append(b)
                columns.append(has)
        entry: Dict[str, object] = {"behaviours": [], "positive_behaviour": None, "n_calls": int(ok.sum()), "n_agents": G,
                                    "withheld": None, "between_withheld": None}
        out[outcome] = entry
        if not used:
            entry["withheld"] = "no behaviour varies within agents on enough calls (5 with and 5 without)"
            continue
        H = np.column_stack(columns)
        within_df = len(y) - G - H.shape[1] - X0.shape[1]
        if G < 2 or within_df < min_within_df:
            entry["withheld"] = (f"{len(y)} calls over {G} agents leave {within_df} within-agent degrees of freedom for "
                                 f"{H.shape[1] + X0.shape[1]} terms; at least {min_within_df} are needed (min_within_df)")
            continue
        crit = student_ppf(0.5 + confidence / 2, max(G - 1, 1))
        p = H.shape[1]
        Z = np.column_stack([H, X0])
        y_dm = y - group_means(y, agents, n_agents)
        Z_dm = within_agent(Z, agents, n_agents)  # within agents: deviations from the agent's means
        beta_w, cov_w = ols_cluster_cov(y_dm, Z_dm, agents, n_agents)
        se_w = np.sqrt(np.maximum(np.diag(cov_w), 0.0))
        beta_n, se_n = ols_cluster(y, np.column_stack([np.ones(len(y)), Z]), agents, n_agents)
        # between agents (Mundlak): y net of the within case-mix effects on [1, H - agent mean,
        # agent mean of H]; the coefficients on the agent means are the between-agent regression
        between = None
        if G >= p + 1 + BETWEEN_MIN_DF:
            y_net = y - X0 @ beta_w[p:] if X0.shape[1] else y
            between = _between(y_net, H, agents, n_agents)
        else:
            entry["between_withheld"] = (f"{G} agents are too few to regress agents' outcomes on their rates of {p} behaviours "
                                         f"(at least {p + 1 + BETWEEN_MIN_DF} needed)")
        rows: List[dict] = []
        for j, b in enumerate(used):
            has = H[:, j]
            with_a = np.bincount(agents, weights=has, minlength=n_agents)
            row = {"behaviour": b, "polarity": "positive" if b in positive else "negative", **_interval(beta_w[j], se_w[j], crit)}
            naive = _interval(beta_n[1 + j], se_n[1 + j], crit)
            row.update({"naive_effect": naive["effect"], "naive_low": naive["low"], "naive_high": naive["high"]})
            if between is not None:
                bt = _interval(between[0][j], between[1][j], crit)
                row.update({"between_effect": bt["effect"], "between_low": bt["low"], "between_high": bt["high"]})
            else:
                row.update({"between_effect": None, "between_low": None, "between_high": None})
            row.update({
                "raw_difference": round(float(y[has == 1].mean() - y[has == 0].mean()), 4),
                "n_with": int(has.sum()),
                "n_without": int(len(has) - has.sum()),
                "n_agents_varying": int(((with_a > 0) & (with_a < n_calls_a)).sum()),
            })
            rows.append(row)
        entry["behaviours"] = rows
        pos = [j for j, b in enumerate(used) if b in positive]
        neg = [j for j, b in enumerate(used) if b not in positive]
        if pos:
            share = H[:, pos].mean(axis=1)
            share_dm = Z_dm[:, pos].mean(axis=1)
            if share_dm.std() > 0:
                Zh = np.column_stack([share, H[:, neg], X0])
                beta_hw, cov_hw = ols_cluster_cov(y_dm, np.column_stack([share_dm, Z_dm[:, neg], Z_dm[:, p:]]), agents, n_agents)
                beta_hn, se_hn = ols_cluster(y, np.column_stack([np.ones(len(y)), Zh]), agents, n_agents)
                naive = _interval(beta_hn[1], se_hn[1], crit)
                entry["positive_behaviour"] = {
                    **_interval(beta_hw[0], np.sqrt(max(cov_hw[0, 0], 0.0)), crit),
                    "naive_effect": naive["effect"], "naive_low": naive["low"], "naive_high": naive["high"],
                    "behaviours": [used[j] for j in pos],
                    "definition": "change in the outcome between a call showing none and a call showing all of the positive "
                    "behaviours, within agents (the same agent's calls; regression on the share of positive behaviours shown, "
                    "with the negative behaviours and case mix, agent fixed effects); naive_*: the same regression across "
                    "all calls without agent effects",
                }
        entry["method"] = ("effect: within agents (agent fixed effects), all behaviours and case mix in one regression; naive: the "
                           "same regression pooled over calls without agent effects; between: agents' case-mix-adjusted mean "
                           "outcomes on their behaviour rates (call-weighted). Intervals cluster-robust by agent (CR1), t with "
                           f"{G - 1} degrees of freedom")
    return out


def sentiment_vs_csat(df, agent_codes: Optional[np.ndarray] = None, confidence: float = 0.95, n_boot: int = 300,
                      random_state: int = 0, min_agents: int = 10) -> Optional[Dict[str, object]]:
    """Correlation of the customer's end-of-call sentiment index with the survey score, and a
    calibration table (mean CSAT and % satisfied by sentiment band).

    Calls of one agent are not independent (the agent's skill moves both), so the Pearson
    interval resamples agents (cluster bootstrap, percentile interval); it is withheld with fewer
    than ``min_agents`` agents with surveys.
    """
    from .distributions import spearman

    both_mask = df["csat"].notna().to_numpy() & df["sentiment_end"].notna().to_numpy()
    both = df[both_mask]
    n = len(both)
    if n < 10:
        return None
    x, y = both["sentiment_end"].to_numpy(float), both["csat"].to_numpy(float)
    r = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else float("nan")
    low = high = None
    withheld = None
    codes = np.zeros(n, dtype=int) if agent_codes is None else np.unique(np.asarray(agent_codes)[both_mask], return_inverse=True)[1]
    G = int(codes.max()) + 1
    if G < min_agents:
        withheld = f"surveys from {G} agents; at least {min_agents} are needed for an interval that allows for calls of one agent being alike"
    elif np.isfinite(r) and n_boot > 0:
        stats = np.stack([np.bincount(codes, weights=w, minlength=G) for w in (np.ones(n), x, y, x * x, y * y, x * y)], axis=1)
        rng = np.random.default_rng(random_state)
        counts = rng.multinomial(G, np.full(G, 1.0 / G), size=n_boot).astype(float)  # agents drawn with replacement
        m, sx, sy, sxx, syy, sxy = (counts @ stats).T
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = sxy - sx * sy / m
            rb = cov / np.sqrt((sxx - sx**2 / m) * (syy - sy**2 / m))
        rb = rb[np.isfinite(rb)]
        if len(rb) >= 10:
            alpha = (1 - confidence) / 2
            low, high = (round(float(v), 4) for v in np.percentile(rb, [100 * alpha, 100 * (1 - alpha)]))
    bands = []
    edges = [0, 20, 40, 60, 80, 100.0001]
    for lo, hi in zip(edges[:-1], edges[1:]):
        part = both[(both.sentiment_end >= lo) & (both.sentiment_end < hi)]
        if len(part):
            bands.append({"band": f"{lo:.0f}-{min(hi, 100):.0f}", "n": int(len(part)), "mean_csat": round(float(part.csat.mean()), 3),
                          "pct_satisfied": round(float(100 * (part.csat >= 4).mean()), 1)})
    return {
        "n_surveyed_calls": n,
        "n_agents": G,
        "pearson": round(r, 4),
        "pearson_low": low,
        "pearson_high": high,
        "pearson_interval": "percentile interval from resampling agents (cluster bootstrap)",
        "pearson_interval_withheld": withheld,
        "spearman": round(spearman(x, y), 4),
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
        shares["n_calls"] = int((members & np.isfinite(handle) & (handle > 0)).sum())
        out[name] = shares
    return out
