"""The agent-variability estimator (scikit-learn conventions: ``fit`` on calls, learned
attributes end in ``_``). Usable on any DataFrame of calls, stored or simulated.

    est = AgentVariability(min_calls=20).fit(calls)
    est.agents_      # one row per agent: counts, raw / adjusted / shrunk KPIs with intervals, quartile
    est.icc_         # share of each KPI's variance that is between agents
    est.headline_    # the variability report's headline table (dict, JSON-ready)
    est.transform(calls)   # scorecard rows for the agents in ``calls``
"""

from __future__ import annotations

import dataclasses
import time
from typing import Dict, Optional, Sequence

import numpy as np

from .effects import behaviour_effects, sentiment_vs_csat, time_use_by_quartile
from .outcomes import CASE_MIX, CsatModel, case_mix_matrix, prepare_calls
from .shrinkage import Shrunk, case_mix_adjust, icc_interval, variance_components
from .spreads import (COMPOSITE, KPIS, PROPORTIONS, SCALES, CallArrays, composite, composite_parts, composite_score, estimate, opportunity,
                      quartiles, raw_spreads, true_spreads)

TIMELINE_NEGATIVE = ("interruption", "dead_air")
N_POSTERIOR = 2000


def _default_polarity() -> Dict[str, str]:
    try:
        from ..behaviours.taxonomy import load_taxonomy

        polarity = {b.id: b.polarity for b in load_taxonomy().behaviours}
    except Exception:  # no taxonomy file: every behaviour is treated as positive
        polarity = {}
    polarity.update({b: "negative" for b in TIMELINE_NEGATIVE})
    return polarity


class AgentVariability:
    """How much agents differ, what closing the gap is worth, with honest uncertainty.

    kpi: ranking KPI for quartiles: ``"composite"`` (default; see ``COMPOSITE``), ``"aht_s"``,
        ``"csat"``, ``"satisfied"`` or ``"sentiment_end"``.
    min_calls: agents with fewer calls are estimated (shrunk) but not ranked into quartiles.
    min_surveys: team surveys needed for CSAT to enter the composite.
    confidence: level of every interval.
    n_boot: bootstrap replicates (Poisson resampling of calls within agents).
    case_mix: factors adjusted for: queue, topic, hour (time of day), sentiment_start.
    behaviour_polarity: behaviour id -> "positive"/"negative" (default: the taxonomy).
    period_days: days the calls cover, for agent-hours per month (default: from started_at).
    random_state: seed of the bootstrap.
    min_within_df: within-agent degrees of freedom (observations - agents - case-mix terms) a KPI
        needs before how much agents differ (ICC, shrunk estimates) is estimated; below it, or
        when no variation within agents has been seen yet, those numbers are withheld with the
        reason (``withheld_``). Raw per-agent means and their intervals are always given.
    case_mix_df_per_term: within-agent degrees of freedom needed per case-mix term; with fewer
        a KPI is not case-mix adjusted (``case_mix_by_kpi_`` says why).
    """

    def __init__(
        self,
        kpi: str = "composite",
        min_calls: int = 20,
        min_surveys: int = 30,
        confidence: float = 0.95,
        n_boot: int = 300,
        case_mix: Sequence[str] = CASE_MIX,
        behaviour_polarity: Optional[Dict[str, str]] = None,
        period_days: Optional[float] = None,
        random_state: int = 0,
        min_within_df: int = 30,
        case_mix_df_per_term: int = 10,
    ):
        self.kpi = kpi
        self.min_calls = min_calls
        self.min_surveys = min_surveys
        self.confidence = confidence
        self.n_boot = n_boot
        self.case_mix = case_mix
        self.behaviour_polarity = behaviour_polarity
        self.period_days = period_days
        self.random_state = random_state
        self.min_within_df = min_within_df
        self.case_mix_df_per_term = case_mix_df_per_term

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, calls) -> "AgentVariability":
        with one_blas_thread():
            return self._fit(calls)

    def _fit(self, calls) -> "AgentVariability":
        import pandas as pd
        from .distributions import normal_ppf

        if self.kpi != "composite" and self.kpi not in KPIS:
            raise ValueError(f"kpi must be 'composite' or one of {list(KPIS)}, got {self.kpi!r}")
        started = time.perf_counter()
        df = prepare_calls(calls)
        if df.empty:
            raise ValueError("no calls with an agent_id to analyse")
        z = normal_ppf(0.5 + self.confidence / 2)
        codes, names = pd.factorize(df["agent_id"], sort=True)
        A = len(names)
        X, self.case_mix_columns_ = case_mix_matrix(df, self.case_mix)
        raw, adjusted, n_params, self.case_mix_coef_, self.case_mix_by_kpi_ = {}, {}, {}, {}, {}
        for kpi in KPIS:
            y = df[kpi].to_numpy(dtype=float)
            ok = ~np.isnan(y)
            if ok.sum() == 0:
                continue
            adj = np.full(len(y), np.nan)
            use, info = self._case_mix_plan(kpi, int(ok.sum()), len(np.unique(codes[ok])), X.shape[1])
            if use:
                adj[ok], beta = case_mix_adjust(y[ok], X[ok], codes[ok], A)
            else:
                adj[ok], beta = y[ok], np.zeros(0)
            raw[kpi], adjusted[kpi], n_params[kpi] = y, adj, len(beta)
            self.case_mix_coef_[kpi] = dict(zip(self.case_mix_columns_, np.round(beta, 4).tolist()))
            self.case_mix_by_kpi_[kpi] = info
        arrays = CallArrays(codes, A, raw, adjusted, n_params)
        estimates = estimate(arrays)
        self.withheld_ = {}
        for kpi, e in list(estimates.items()):
            reason = self._withheld_reason(kpi, e.components)
            self.withheld_[kpi] = reason
            if reason:  # no shrunk estimates without a trustworthy between-agent variance
                nan = np.full(A, np.nan)
                estimates[kpi] = dataclasses.replace(e, shrunk=Shrunk(e.shrunk.raw, nan, nan, nan.copy()))
            else:
                lo, hi = SCALES[kpi]
                estimates[kpi] = dataclasses.replace(e, shrunk=dataclasses.replace(e.shrunk, shrunk=np.clip(e.shrunk.shrunk, lo, hi)))
        n_calls = np.bincount(codes, minlength=A)
        eligible = n_calls >= self.min_calls
        usable = {k: e for k, e in estimates.items() if not self.withheld_[k]}
        self.not_ranked_reason_ = None
        try:
            score = composite(usable, eligible, self.kpi, self.min_surveys)
        except ValueError as exc:  # nothing to rank on yet: every agent estimated, none ranked
            score = np.full(A, np.nan)
            self.not_ranked_reason_ = str(exc)
        eligible = eligible & np.isfinite(score)
        q = quartiles(score, eligible)
        eligible = eligible & (q > 0)  # ranked means placed in a quartile: at least 4 agents with min_calls
        if self.not_ranked_reason_ is None and not (q > 0).any():
            most = int(n_calls.max()) if A else 0
            self.not_ranked_reason_ = (
                f"quartiles need at least 4 agents with {self.min_calls} calls or more (min_calls); "
                f"{int((n_calls >= self.min_calls).sum())} of {A} agents have that many so far (most calls for one agent: {most})"
            )
        period = self.period_days or _period_days(df)
        alpha = (1 - self.confidence) / 2
        rng = np.random.default_rng(self.random_state)
        sign = {k: (1.0 if better else -1.0) for k, better in KPIS.items()}

        # observed quartile outcomes: bootstrap resampling calls within agents (Poisson weights),
        # quartile membership held fixed; the naive view ranks agents on their own raw means
        observed = {k: raw_spreads(e.counts, e.raw_sums, q) for k, e in estimates.items()}
        # (a dashboard ranks every agent with min_calls calls on the KPI's own raw mean, whatever the composite says)
        naive = {k: raw_spreads(e.counts, e.raw_sums, quartiles(sign[k] * e.raw_sums / np.maximum(e.counts, 1e-12), (n_calls >= self.min_calls) & (e.counts > 0)))
                 for k, e in estimates.items()}
        boot = {k: [] for k in estimates}
        # the spreads need only each quartile's totals (weights, weighted outcomes) over its
        # calls: with the calls ordered by their agent's quartile (once), a replicate is a few
        # dot products over contiguous runs rather than a count per agent (the weights are iid,
        # so drawing them in that order resamples the same way)
        by_q = np.argsort(q[codes], kind="stable")
        bounds = np.searchsorted(q[codes][by_q], np.arange(6))
        runs = [slice(int(bounds[v]), int(bounds[v + 1])) for v in range(1, 5)]
        columns = {}
        for k in estimates:
            y = raw[k][by_q]
            seen = ~np.isnan(y)
            columns[k] = (None if seen.all() else seen.astype(np.float64), np.where(seen, y, 0.0))
        group_q = np.arange(5)
        for _ in range(self.n_boot):
            w = poisson_weights(rng, len(codes))
            parts = [w[r] for r in runs]
            totals = np.array([0.0] + [p.sum() for p in parts])
            for k in estimates:
                seen, y = columns[k]
                counts_b = totals if seen is None else np.array([0.0] + [p @ seen[r] for p, r in zip(parts, runs)])
                sums_b = np.array([0.0] + [p @ y[r] for p, r in zip(parts, runs)])
                boot[k].append(raw_spreads(counts_b, sums_b, group_q))

        # agents' true (case-mix-adjusted) means: draws from the empirical-Bayes posterior, for
        # the noise-corrected spreads and the opportunity (membership fixed)
        draws = {k: np.clip(e.shrunk.shrunk[None, :] + e.shrunk.se[None, :] * rng.standard_normal((N_POSTERIOR, A)), *SCALES[k])
                 for k, e in estimates.items()}
        counts = {k: e.counts for k, e in estimates.items()}
        shrunk_values = {k: e.shrunk.shrunk for k, e in estimates.items()}
        corrected = {k: true_spreads(e.counts, e.shrunk.shrunk, q) for k, e in estimates.items()}
        corrected_draws = {k: true_spreads(e.counts, draws[k], q) for k, e in estimates.items()}
        score_low = score_high = np.full(A, np.nan)
        if self.not_ranked_reason_ is None:  # the ranking score's posterior interval (KPIs' posteriors taken as independent)
            parts = composite_parts(usable, self.kpi, self.min_surveys)
            score_draws = composite_score({k: draws[k] for k in parts}, parts) if self.kpi == "composite" else \
                (draws[self.kpi] if KPIS[self.kpi] else -draws[self.kpi])
            score_low, score_high = np.percentile(score_draws, [100 * alpha, 100 * (1 - alpha)], axis=0)
            self.composite_parts_ = parts
        else:
            self.composite_parts_ = {}
        opp_point = opportunity(counts, shrunk_values, q, period)
        opp_draws = opportunity(counts, draws, q, period)

        spreads_out = {}
        for k in estimates:
            spreads_out[k] = {
                "observed": {name: _interval(observed[k][name], [b[name] for b in boot[k]], alpha) for name in observed[k]},
                "noise_corrected": {name: _interval(corrected[k][name], corrected_draws[k][name], alpha) for name in corrected[k]},
                "naive_self_ranked": {name: _r(naive[k][name]) for name in naive[k]},
            }
        opportunity_out = {name: _interval(opp_point[name], opp_draws[name], alpha) for name in opp_point}

        self.n_calls_, self.n_agents_ = int(len(df)), int(A)
        self.estimates_ = estimates
        self.components_ = {k: e.components for k, e in estimates.items()}
        self.icc_ = {k: None if self.withheld_[k] else round(float(e.components.icc), 4) for k, e in estimates.items()}
        self.quartile_ = q
        self.score_ = score
        self.agents_ = self._agents_table(names, n_calls, estimates, raw, adjusted, codes, q, score, eligible, z, df, score_low, score_high)
        self.csat_model_ = CsatModel(random_state=self.random_state).fit(df)
        df["csat_predicted"] = self.csat_model_.predict(df)
        df["quartile"] = q[codes]
        self.calls_ = df
        polarity = self.behaviour_polarity or _default_polarity()
        behaviours = sorted(c[4:] for c in df.columns if c.startswith("beh_") and not c.endswith("_n"))
        positive = [b for b in behaviours if polarity.get(b, "positive") == "positive"]
        self.behaviour_effects_ = behaviour_effects(df, X, codes, A, behaviours, positive, confidence=self.confidence, min_within_df=self.min_within_df)
        self.behaviour_rates_ = _behaviour_rates(df, codes, names, q, behaviours, polarity)
        self.headline_ = {
            "n_calls": self.n_calls_,
            "n_agents": self.n_agents_,
            "n_ranked_agents": int(eligible.sum()),
            "not_ranked_reason": self.not_ranked_reason_,
            "min_calls": self.min_calls,
            "min_within_df": self.min_within_df,
            "ranking_kpi": self.kpi,
            "composite_definition": COMPOSITE["composite"] if self.kpi == "composite" else f"the shrunk, case-mix-adjusted {self.kpi}",
            "composite_weights": {k: {"sign": v["sign"], "team_mean": _r(v["mean"]), "tau": _r(v["tau"]),
                                      "weight_per_unit": _r(v["sign"] / v["tau"] / len(self.composite_parts_)) if v["tau"] > 0 else 0.0}
                                  for k, v in self.composite_parts_.items()} if self.kpi == "composite" else None,
            "confidence": self.confidence,
            "n_boot": self.n_boot,
            "intervals": {
                "observed": "bootstrap: Poisson resampling of calls within agents, quartile membership fixed",
                "noise_corrected": "draws from the empirical-Bayes posterior of each agent's case-mix-adjusted mean "
                "(Morris variances), quartile membership fixed",
                "opportunity": "as noise_corrected: the bottom quartile's true means lifted to the team's",
                "naive_self_ranked": "what a dashboard ranking agents on their raw means would show (no interval: it is "
                "biased upward by noise, the winner's curse)",
            },
            "period_days": period,
            "aht_sources": df["aht_source"].value_counts().to_dict(),
            "case_mix": self.case_mix_columns_,
            "case_mix_by_kpi": self.case_mix_by_kpi_,
            "icc": {k: self._icc_entry(k, e.components) for k, e in estimates.items()},
            "quartile_spreads": spreads_out,
            "opportunity": opportunity_out,
            "behaviour_effects": self.behaviour_effects_,
            "sentiment_vs_csat": sentiment_vs_csat(df, codes, self.confidence, self.n_boot, self.random_state),
            "time_use_by_quartile": time_use_by_quartile(df, q[codes]),
            "csat_prediction": self.csat_model_.summary(),
            "seconds": round(time.perf_counter() - started, 2),
        }
        return self

    def transform(self, calls):
        """Scorecard rows (from ``agents_``) for the agents that appear in ``calls``."""
        agents = set(calls["agent_id"].astype(str))
        return self.agents_[self.agents_.agent_id.isin(agents)].reset_index(drop=True)

    # -- small-sample rules -------------------------------------------------------------------
    def _case_mix_plan(self, kpi: str, n_obs: int, n_agents: int, n_terms: int) -> tuple[bool, dict]:
        """Whether a KPI has the data to be case-mix adjusted (a fixed-effects regression within
        agents fitted on too few degrees of freedom explains the noise away: within-agent
        variation near 0 and an ICC near 1)."""
        within_df = n_obs - n_agents
        use = n_terms > 0 and within_df >= self.case_mix_df_per_term * n_terms and within_df - n_terms >= self.min_within_df
        reason = None
        if n_terms and not use:
            reason = (f"{within_df} within-agent degrees of freedom ({n_obs} {_noun(kpi)} over {n_agents} agents) are too few for "
                      f"{n_terms} case-mix terms (at least {self.case_mix_df_per_term} per term, and {self.min_within_df} left over, "
                      "are needed); not case-mix adjusted")
        return use, {"used": bool(use), "terms": n_terms if use else 0, "within_df": int(within_df), "reason": reason}

    def _withheld_reason(self, kpi: str, c) -> Optional[str]:
        """Why the between-agent comparison of a KPI is withheld (None: it is estimated)."""
        noun = _noun(kpi)
        if c.n_agents < 2:
            return f"{c.n_calls} {noun} from {c.n_agents} agent: nothing to compare yet"
        if c.df_within < self.min_within_df:
            return (f"{c.n_calls} {noun} over {c.n_agents} agents leave {int(c.df_within)} within-agent degrees of freedom; at least "
                    f"{self.min_within_df} are needed to tell agents apart from call-to-call noise (min_within_df)")
        if c.within <= 1e-9 * max(1.0, c.mean**2):
            return (f"no variation within agents seen yet ({c.n_calls} {noun} over {c.n_agents} agents): how much of the "
                    "variation is between agents cannot be estimated")
        return None

    def _icc_entry(self, kpi: str, c) -> dict:
        reason = self.withheld_[kpi]
        low, high = (None, None) if reason else icc_interval(c, self.confidence)
        return {
            "icc": None if reason else _r(c.icc),
            "icc_low": _r(low),
            "icc_high": _r(high),
            "withheld": reason,
            "between_agent_sd": None if reason else _r(np.sqrt(c.between)),
            "within_agent_sd": None if reason else _r(np.sqrt(c.within)),
            "team_mean": _r(c.mean),
            "n_agents": c.n_agents,
            "n_calls": c.n_calls,
            "within_df": None if not np.isfinite(c.df_within) else int(c.df_within),
        }

    # -- tables ------------------------------------------------------------------------------
    def _agents_table(self, names, n_calls, estimates, raw_values, adjusted, codes, q, score, eligible, z, df, score_low, score_high):
        import pandas as pd

        table = pd.DataFrame({"agent_id": names, "n_calls": n_calls, "ranked": eligible, "quartile": q.astype(int), "score": np.round(score, 4),
                              "score_low": np.round(score_low, 4), "score_high": np.round(score_high, 4)})
        order = np.argsort(-np.where(eligible, score, -np.inf), kind="stable")
        rank = np.zeros(len(names), dtype=int)
        rank[order[: eligible.sum()]] = np.arange(1, eligible.sum() + 1)
        table["rank"] = rank
        for kpi, e in estimates.items():
            lo, hi = SCALES[kpi]
            has = e.counts > 0
            ok = ~np.isnan(adjusted[kpi])
            with np.errstate(invalid="ignore", divide="ignore"):
                raw = np.where(has, e.raw_sums / e.counts, np.nan)
                adj_mean = np.bincount(codes[ok], weights=adjusted[kpi][ok], minlength=len(names)) / e.counts
            raw_low, raw_high = raw_interval(kpi, raw_values[kpi][ok], codes[ok], e.counts, e.raw_sums, self.confidence)
            shrunk = np.where(has, e.shrunk.shrunk, np.nan)  # no data: nothing to say about the agent
            withheld = self.withheld_[kpi]
            table[f"{kpi}_n"] = e.counts.astype(int)
            table[f"{kpi}_raw"] = raw
            table[f"{kpi}_raw_low"] = raw_low
            table[f"{kpi}_raw_high"] = raw_high
            table[f"{kpi}_adjusted"] = np.where(has & ~np.isnan(shrunk), np.clip(adj_mean, lo, hi), np.nan)
            table[f"{kpi}_shrunk"] = shrunk
            table[f"{kpi}_low"] = np.clip(shrunk - z * e.shrunk.se, lo, hi)
            table[f"{kpi}_high"] = np.clip(shrunk + z * e.shrunk.se, lo, hi)
            table[f"{kpi}_effect"] = shrunk - e.components.mean
            table[f"{kpi}_reliability"] = np.where(has, e.shrunk.weight, np.nan)
            table[f"{kpi}_withheld"] = np.where(has, withheld, f"no {_noun(kpi)} yet") if withheld else np.where(has, None, f"no {_noun(kpi)} yet")
        if "time_handle_s" in df.columns:
            handle = np.bincount(codes, weights=np.nan_to_num(df["time_handle_s"].to_numpy(float)), minlength=len(names))
            for part in ("productive", "distress", "dead_air", "hold", "acw"):
                column = f"time_{part}_s"
                if column in df.columns:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        table[f"share_{part}"] = np.bincount(codes, weights=np.nan_to_num(df[column].to_numpy(float)), minlength=len(names)) / handle
        return table.round(4)


def _noun(kpi: str) -> str:
    return "surveys" if kpi in ("csat", "satisfied") else "calls"


def raw_interval(kpi: str, values: np.ndarray, agent: np.ndarray, counts: np.ndarray, sums: np.ndarray, confidence: float = 0.95):
    """Per-agent interval of the raw mean, inside the KPI's scale and never of zero width only
    because an agent has few calls: Wilson score intervals for shares (satisfied, transferred,
    fcr); for scores and times, a t interval with the pooled within-agent SD (or the SD across
    all calls while no agent has two). NaN for agents without data."""
    from .distributions import normal_ppf, student_ppf

    lo, hi = SCALES[kpi]
    has = counts > 0
    n = np.where(has, counts, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / n
    if kpi in PROPORTIONS:
        zq = normal_ppf(0.5 + confidence / 2)
        p = np.clip(mean, 0.0, 1.0)
        denom = 1 + zq**2 / n
        centre = (p + zq**2 / (2 * n)) / denom
        half = zq * np.sqrt(p * (1 - p) / n + zq**2 / (4 * n**2)) / denom
        return np.clip(centre - half, lo, hi), np.clip(centre + half, lo, hi)
    values = np.asarray(values, dtype=float)
    n_with = int(has.sum())
    dof = len(values) - n_with
    ss = float(np.sum((values - mean[agent]) ** 2)) if len(values) else 0.0
    if dof >= 1 and ss > 0:
        sd = np.sqrt(ss / dof)
    elif len(values) >= 2:
        sd, dof = float(np.std(values, ddof=1)), len(values) - 1
    else:
        nan = np.full(len(counts), np.nan)
        return nan, nan.copy()
    half = student_ppf(0.5 + confidence / 2, dof) * sd / np.sqrt(n)
    return np.clip(mean - half, lo, hi), np.clip(mean + half, lo, hi)


def _behaviour_rates(df, codes, names, q, behaviours, polarity):
    """Per agent and behaviour: calls with it, raw rate, rate shrunk toward the team
    (beta-binomial, method of moments), and the top quartile's pooled rate."""
    import pandas as pd

    rows = []
    for b in behaviours:
        values = df[f"beh_{b}"].to_numpy(dtype=float)
        known = ~np.isnan(values)  # calls processed without this behaviour checked do not count
        n = np.bincount(codes[known], minlength=len(names)).astype(float)
        x = np.bincount(codes[known], weights=values[known], minlength=len(names))
        if n.sum() == 0:
            continue
        p_team = x.sum() / n.sum()
        rates = np.divide(x, n, out=np.zeros_like(x), where=n > 0)
        strength = beta_prior_strength(x, n)
        shrunk = (x + strength * p_team) / (n + strength)
        top = q == 1
        top_rate = x[top].sum() / n[top].sum() if n[top].sum() > 0 else np.nan
        rows.append(pd.DataFrame({"agent_id": names, "behaviour": b, "polarity": polarity.get(b, "positive"), "calls": n.astype(int),
                                  "calls_with": x.astype(int), "rate": rates, "rate_shrunk": shrunk, "team_rate": p_team, "top_quartile_rate": top_rate}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def beta_prior_strength(x: np.ndarray, n: np.ndarray) -> float:
    """Strength a + b of the beta prior of agents' true rates (method of moments): the
    between-agent variance tau^2 of true rates from the one-way random-effects ANOVA estimator on
    the 0/1 calls (unbalanced groups: effective calls per agent n0, as for the KPIs), then
    a + b = p(1 - p) / tau^2 - 1. Agents shrink toward the team rate by weight a + b against their
    own calls."""
    p = x.sum() / n.sum()
    tau2 = max(variance_components(x, x, n).between, 1e-6)  # 0/1 calls: sums of squares are the sums
    return float(max(p * (1 - p) / tau2 - 1, 0.5))


def _period_days(df) -> Optional[float]:
    if "_started" not in df.columns or df["_started"].isna().all():
        return None
    span = (df["_started"].max() - df["_started"].min()).total_seconds() / 86400
    return round(max(span, 1.0), 2)


def one_blas_thread():
    """A context in which BLAS (OpenBLAS, MKL) runs on one thread. The engine's matrix products
    are small (a million rows by a few dozen columns at most) or vector products; with the BLAS's
    own threads they were no faster on an idle 2-core machine and many times slower on a shared
    one (threads spinning for a core: a dot product of 250,000 numbers 8 ms instead of 0.15 ms)."""
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _poisson1_thresholds() -> np.ndarray:
    """``t[k]``: 2**32 x P(X <= k) for X ~ Poisson(1), rounded, for the k where it is below 2**32."""
    from math import exp, factorial

    cdf, out = 0.0, []
    for k in range(40):
        cdf += exp(-1.0) / factorial(k)
        t = round(cdf * 2**32)
        if t >= 2**32:
            break
        out.append(t)
    return np.array(out, dtype=np.uint32)


_POISSON1 = _poisson1_thresholds()


def poisson_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of Poisson(1) as float64 (the bootstrap's weights), from one uniform 32-bit
    integer each: X = the number of thresholds ``2**32 P(X <= k)`` the integer reaches, so each
    value has its Poisson probability to within 2**-32. About 7x faster than
    ``rng.poisson(1.0, n)`` (300 replicates of a million calls: 9 s -> 1.3 s)."""
    u = rng.integers(0, 2**32, n, dtype=np.uint32)
    x = (u >= _POISSON1[0]).view(np.uint8)
    for t in _POISSON1[1:]:
        x += u >= t
    return x.astype(np.float64)


def _interval(point: float, draws, alpha: float) -> Dict[str, Optional[float]]:
    values = np.asarray(draws, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if len(values) < 10 or not np.isfinite(point):
        return {"value": _r(point), "low": None, "high": None}
    return {"value": _r(point), "low": _r(np.percentile(values, 100 * alpha)), "high": _r(np.percentile(values, 100 * (1 - alpha)))}


def _r(value, digits: int = 4):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return round(value, digits) if np.isfinite(value) else None
