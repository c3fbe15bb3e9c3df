"""The statistics under the agent-variability engine, vectorised with numpy.

- :func:`case_mix_adjust`: remove case mix (queue, topic, time of day, the customer's starting
  sentiment...) from a call-level outcome with a fixed-effects regression *within agents*, so an
  agent who takes the hard queue is compared on equal terms and the case-mix coefficients are not
  biased by who takes which calls.
- :func:`variance_components`: within- and between-agent variance (one-way random effects,
  method of moments for unbalanced groups) and the intraclass correlation.
- :func:`shrink`: empirical-Bayes estimates of each agent's true mean, shrunk toward the team in
  proportion to how little data the agent has, with Morris (1983) posterior variances that
  account for estimating the prior.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np


def group_sums(groups: np.ndarray, values: np.ndarray, n_groups: int, weights: Optional[np.ndarray] = None) -> np.ndarray:
    """Sum of ``values`` per group (``weights`` multiply each row)."""
    w = values if weights is None else values * weights
    return np.bincount(groups, weights=w, minlength=n_groups)


def column_group_sums(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group (rows) and column of the matrix ``values``, the column's sum over the group's rows."""
    return np.stack([np.bincount(groups, weights=values[:, j], minlength=n_groups) for j in range(values.shape[1])], axis=1)


#: rows :func:`demeaned` subtracts at once
ROW_BLOCK = 65536


def demeaned(values: np.ndarray, means: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``values - means[groups]`` (each row less its group's row of ``means``), computed
    ``ROW_BLOCK`` rows at a time: the same numbers without a whole matrix of group means beside
    the result (200 MB for a million calls by 26 columns)."""
    out = np.empty_like(values, dtype=np.result_type(values, means))
    for i0 in range(0, len(values), ROW_BLOCK):
        rows = slice(i0, i0 + ROW_BLOCK)
        np.subtract(values[rows], means[groups[rows]], out=out[rows])
    return out


def case_mix_adjust(y: np.ndarray, X: Optional[np.ndarray], groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """``(adjusted_y, beta)``: y minus the case-mix contribution relative to the average call.

    beta comes from regressing within-agent deviations of y on within-agent deviations of X
    (agent fixed effects), so it measures case mix, not agent quality. ``X`` may be None or have
    zero columns (no adjustment).
    """
    y = np.asarray(y, dtype=np.float64)
    if X is None or X.shape[1] == 0 or len(y) == 0:
        return y.copy(), np.zeros(0)
    X = np.asarray(X, dtype=np.float64)
    counts = np.bincount(groups, minlength=n_groups).astype(np.float64)
    safe = np.maximum(counts, 1)
    y_dm = y - (np.bincount(groups, weights=y, minlength=n_groups) / safe)[groups]
    X_means = column_group_sums(X, groups, n_groups) / safe[:, None]
    X_dm = demeaned(X, X_means, groups)
    beta, *_ = np.linalg.lstsq(X_dm, y_dm, rcond=None)
    return y - (X - X.mean(axis=0)) @ beta, beta


@dataclass(frozen=True)
class Components:
    """Variance components of an outcome across agents.

    mean: call-weighted team mean. within: sigma^2 (call-level noise). between: tau^2 (true
    agent-to-agent variance). icc: between / (between + within), the share of outcome variance
    that is between agents. n_agents, n_calls: groups with data and calls.
    """

    mean: float
    within: float
    between: float
    icc: float
    n_agents: int
    n_calls: int
    msb: float = float("nan")  # between-agent mean square
    n0: float = float("nan")  # effective calls per agent (unbalanced groups)
    df_within: float = float("nan")  # calls - agents - case-mix terms


def variance_components(sums: np.ndarray, sumsq: np.ndarray, counts: np.ndarray, n_params: int = 0) -> Components:
    """One-way random-effects ANOVA estimator from per-agent sums, sums of squares and counts."""
    has = counts > 0
    n, s, ss = counts[has], sums[has], sumsq[has]
    A, N = int(has.sum()), float(n.sum())
    if A == 0 or N == 0:
        return Components(float("nan"), float("nan"), float("nan"), float("nan"), 0, 0)
    means = s / n
    mean = float(s.sum() / N)
    ss_within = float(np.sum(ss - s**2 / n))
    df_within = max(N - A - n_params, 1.0)
    within = max(ss_within / df_within, 1e-12)
    if A < 2:
        return Components(mean, within, 0.0, 0.0, A, int(N))
    msb = float(np.sum(n * (means - mean) ** 2) / (A - 1))
    n0 = (N - float(np.sum(n**2)) / N) / (A - 1)
    between = max((msb - within) / n0, 0.0) if n0 > 0 else 0.0
    return Components(mean, within, between, between / (between + within), A, int(N), msb, n0, N - A - n_params)


def icc_interval(comp: Components, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval of the ICC from the F distribution of MSB / MSW (Searle 1971; the
    effective group size ``n0`` for unbalanced groups), inside [0, 1]. NaN when undefined."""
    from .distributions import f_ppf

    if not (comp.n_agents >= 2 and comp.df_within >= 1 and comp.within > 0 and np.isfinite(comp.msb) and comp.n0 > 0):
        return float("nan"), float("nan")
    alpha = (1 - confidence) / 2
    df_b, df_w = comp.n_agents - 1, comp.df_within
    ratio = comp.msb / comp.within
    f_low = ratio / f_ppf(1 - alpha, df_b, df_w)
    f_high = ratio * f_ppf(1 - alpha, df_w, df_b)
    low = (f_low - 1) / (f_low + comp.n0 - 1)
    high = (f_high - 1) / (f_high + comp.n0 - 1)
    return float(np.clip(low, 0.0, 1.0)), float(np.clip(high, 0.0, 1.0))


@dataclass(frozen=True)
class Shrunk:
    """Per-agent estimates: raw means, shrunk means, posterior standard errors, shrinkage weight
    (1 = fully trusted own data, 0 = pulled all the way to the team mean)."""

    raw: np.ndarray
    shrunk: np.ndarray
    se: np.ndarray
    weight: np.ndarray


def shrink(sums: np.ndarray, counts: np.ndarray, comp: Components) -> Shrunk:
    """Empirical-Bayes shrinkage of agent means toward the team mean.

    Agent a with n_a calls and raw mean m_a: b_a = (s2/n_a) / (s2/n_a + t2); estimate
    mu + (1 - b_a)(m_a - mu); posterior variance (Morris 1983)
    (s2/n_a)(1 - (A-3)/(A-1) b_a) + 2/(A-3) b_a^2 (m_a - mu)^2. Agents without data get the team
    mean with the prior variance t2 + Var(mu).
    """
    counts = counts.astype(np.float64)
    has = counts > 0
    raw = np.full(len(counts), np.nan)
    raw[has] = sums[has] / counts[has]
    mu, s2, t2, A = comp.mean, comp.within, comp.between, max(comp.n_agents, 1)
    v = np.full(len(counts), np.inf)
    v[has] = s2 / counts[has]
    b = np.ones(len(counts))
    if t2 > 0:
        b[has] = v[has] / (v[has] + t2)
    dev = np.where(has, raw - mu, 0.0)
    shrunk = mu + (1 - b) * dev
    var_mu = 1.0 / np.sum(1.0 / (v[has] + t2)) if has.any() else 0.0
    post = np.full(len(counts), t2 + var_mu)
    vh, bh, dh = v[has], b[has], dev[has]
    if A > 3:
        post[has] = vh * (1 - (A - 3) / (A - 1) * bh) + 2.0 / (A - 3) * bh**2 * dh**2
    else:
        post[has] = vh * (1 - bh) + bh**2 * var_mu
    post = np.where(has & (t2 <= 0), var_mu, post)  # no between-agent variance: everyone is the mean
    return Shrunk(raw=raw, shrunk=shrunk, se=np.sqrt(np.maximum(post, 0.0)), weight=1 - b)
