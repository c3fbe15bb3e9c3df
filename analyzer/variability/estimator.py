"""The agent-variability estimator (scikit-learn conventions: ``fit`` on calls, learned
attributes end in ``_``). Usable on any DataFrame of calls, stored or simulated.

    est = AgentVariability(min_calls=20).fit(calls)
    est.agents_      # one row per agent: counts, raw / adjusted / shrunk KPIs with intervals, quartile
    est.icc_         # share of each KPI's variance that is between agents
    est.headline_    # the variability report's headline table (dict, JSON-ready)
    est.transform(calls)   # scorecard rows for the agents in ``calls``
"""

from __future__ import annotations

import time
import warnings
from typing import Dict, Optional, Sequence

import numpy as np

from .effects import behaviour_effects, sentiment_vs_csat, time_use_by_quartile
from .outcomes import CASE_MIX, CsatModel, case_mix_matrix, prepare_calls
from .shrinkage import case_mix_adjust
from .spreads import COMPOSITE, KPIS, CallArrays, composite, estimate, opportunity, quartiles, raw_spreads, true_spreads

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

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, calls) -> "AgentVariability":
        import pandas as pd
        from scipy.stats import norm

        if self.kpi != "composite" and self.kpi not in KPIS:
            raise ValueError(f"kpi must be 'composite' or one of {list(KPIS)}, got {self.kpi!r}")
        started = time.perf_counter()
        df = prepare_calls(calls)
        if df.empty:
            raise ValueError("no calls with an agent_id to analyse")
        z = float(norm.ppf(0.5 + self.confidence / 2))
        codes, names = pd.factorize(df["agent_id"], sort=True)
        A = len(names)
        X, self.case_mix_columns_ = case_mix_matrix(df, self.case_mix)
        raw, adjusted, n_params, self.case_mix_coef_ = {}, {}, {}, {}
        for kpi in KPIS:
            y = df[kpi].to_numpy(dtype=float)
            ok = ~np.isnan(y)
            if ok.sum() == 0:
                continue
            adj = np.full(len(y), np.nan)
            adj[ok], beta = case_mix_adjust(y[ok], X[ok], codes[ok], A)
            raw[kpi], adjusted[kpi], n_params[kpi] = y, adj, len(beta)
            self.case_mix_coef_[kpi] = dict(zip(self.case_mix_columns_, np.round(beta, 4).tolist()))
        arrays = CallArrays(codes, A, raw, adjusted, n_params)
        estimates = estimate(arrays)
        n_calls = np.bincount(codes, minlength=A)
        eligible = n_calls >= self.min_calls
        score = composite(estimates, eligible, self.kpi, self.min_surveys)
        q = quartiles(score, eligible)
        period = self.period_days or _period_days(df)
        alpha = (1 - self.confidence) / 2
        rng = np.random.default_rng(self.random_state)
        sign = {k: (1.0 if better else -1.0) for k, better in KPIS.items()}

        # observed quartile outcomes: bootstrap resampling calls within agents (Poisson weights),
        # quartile membership held fixed; the naive view ranks agents on their own raw means
        observed = {k: raw_spreads(e.counts, e.raw_sums, q) for k, e in estimates.items()}
        naive = {k: raw_spreads(e.counts, e.raw_sums, quartiles(sign[k] * e.raw_sums / np.maximum(e.counts, 1e-12), eligible & (e.counts > 0)))
                 for k, e in estimates.items()}
        boot = {k: [] for k in estimates}
        agent_draws = {k: [] for k in estimates}
        masks = {k: ~np.isnan(raw[k]) for k in estimates}
        mask_key = {k: m.tobytes() if not m.all() else b"all" for k, m in masks.items()}  # KPIs observed on the same calls share counts
        subset = {k: (codes[masks[k]], raw[k][masks[k]]) for k in estimates}  # indexed once, not per replicate
        for _ in range(self.n_boot):
            w = rng.poisson(1.0, len(codes)).astype(np.float64)
            shared: Dict[bytes, tuple] = {}
            for k in estimates:
                agent_k, raw_k = subset[k]
                if mask_key[k] not in shared:
                    w_k = w if mask_key[k] == b"all" else w[masks[k]]
                    shared[mask_key[k]] = (w_k, np.bincount(agent_k, weights=w_k, minlength=A))
                w_k, counts_b = shared[mask_key[k]]
                sums_b = np.bincount(agent_k, weights=raw_k * w_k, minlength=A)
                boot[k].append(raw_spreads(counts_b, sums_b, q))
                with np.errstate(invalid="ignore", divide="ignore"):
                    agent_draws[k].append(sums_b / counts_b)

        # agents' true (case-mix-adjusted) means: draws from the empirical-Bayes posterior, for
        # the noise-corrected spreads and the opportunity (membership fixed)
        draws = {k: e.shrunk.shrunk[None, :] + e.shrunk.se[None, :] * rng.standard_normal((N_POSTERIOR, A)) for k, e in estimates.items()}
        counts = {k: e.counts for k, e in estimates.items()}
        shrunk_values = {k: e.shrunk.shrunk for k, e in estimates.items()}
        corrected = {k: true_spreads(e.counts, e.shrunk.shrunk, q) for k, e in estimates.items()}
        corrected_draws = {k: true_spreads(e.counts, draws[k], q) for k, e in estimates.items()}
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
        self.icc_ = {k: round(float(e.components.icc), 4) for k, e in estimates.items()}
        self.quartile_ = q
        self.score_ = score
        self.agents_ = self._agents_table(names, n_calls, estimates, adjusted, codes, q, score, eligible, agent_draws, alpha, z, df)
        self.csat_model_ = CsatModel().fit(df)
        df["csat_predicted"] = self.csat_model_.predict(df)
        df["quartile"] = q[codes]
        self.calls_ = df
        polarity = self.behaviour_polarity or _default_polarity()
        behaviours = sorted(c[4:] for c in df.columns if c.startswith("beh_") and not c.endswith("_n"))
        positive = [b for b in behaviours if polarity.get(b, "positive") == "positive"]
        self.behaviour_effects_ = behaviour_effects(df, X, codes, A, behaviours, positive, z=z)
        self.behaviour_rates_ = _behaviour_rates(df, codes, names, q, behaviours, polarity)
        self.headline_ = {
            "n_calls": self.n_calls_,
            "n_agents": self.n_agents_,
            "n_ranked_agents": int(eligible.sum()),
            "min_calls": self.min_calls,
            "ranking_kpi": self.kpi,
            "composite_definition": COMPOSITE["composite"],
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
            "icc": {
                k: {
                    "icc": _r(e.components.icc),
                    "between_agent_sd": _r(np.sqrt(e.components.between)),
                    "within_agent_sd": _r(np.sqrt(e.components.within)),
                    "team_mean": _r(e.components.mean),
                    "n_agents": e.components.n_agents,
                    "n_calls": e.components.n_calls,
                }
                for k, e in estimates.items()
            },
            "quartile_spreads": spreads_out,
            "opportunity": opportunity_out,
            "behaviour_effects": self.behaviour_effects_,
            "sentiment_vs_csat": sentiment_vs_csat(df, z),
            "time_use_by_quartile": time_use_by_quartile(df, q[codes]),
            "csat_prediction": self.csat_model_.summary(),
            "seconds": round(time.perf_counter() - started, 2),
        }
        return self

    def transform(self, calls):
        """Scorecard rows (from ``agents_``) for the agents that appear in ``calls``."""
        agents = set(calls["agent_id"].astype(str))
        return self.agents_[self.agents_.agent_id.isin(agents)].reset_index(drop=True)

    # -- tables ------------------------------------------------------------------------------
    def _agents_table(self, names, n_calls, estimates, adjusted, codes, q, score, eligible, agent_draws, alpha, z, df):
        import pandas as pd

        table = pd.DataFrame({"agent_id": names, "n_calls": n_calls, "ranked": eligible, "quartile": q.astype(int), "score": np.round(score, 4)})
        order = np.argsort(-np.where(eligible, score, -np.inf), kind="stable")
        rank = np.zeros(len(names), dtype=int)
        rank[order[: eligible.sum()]] = np.arange(1, eligible.sum() + 1)
        table["rank"] = rank
        for kpi, e in estimates.items():
            with np.errstate(invalid="ignore", divide="ignore"):
                raw = e.raw_sums / e.counts
                adj_mean = np.bincount(codes[~np.isnan(adjusted[kpi])], weights=adjusted[kpi][~np.isnan(adjusted[kpi])], minlength=len(names)) / e.counts
            draws = np.array(agent_draws[kpi]) if agent_draws[kpi] else np.full((1, len(names)), np.nan)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)  # agents without this outcome: NaN interval
                low, high = np.nanpercentile(draws, 100 * alpha, axis=0), np.nanpercentile(draws, 100 * (1 - alpha), axis=0)
            table[f"{kpi}_n"] = e.counts.astype(int)
            table[f"{kpi}_raw"] = raw
            table[f"{kpi}_raw_low"] = low
            table[f"{kpi}_raw_high"] = high
            table[f"{kpi}_adjusted"] = adj_mean
            table[f"{kpi}_shrunk"] = e.shrunk.shrunk
            table[f"{kpi}_low"] = e.shrunk.shrunk - z * e.shrunk.se
            table[f"{kpi}_high"] = e.shrunk.shrunk + z * e.shrunk.se
            table[f"{kpi}_effect"] = e.shrunk.shrunk - e.components.mean
            table[f"{kpi}_reliability"] = e.shrunk.weight
        if "time_handle_s" in df.columns:
            handle = np.bincount(codes, weights=np.nan_to_num(df["time_handle_s"].to_numpy(float)), minlength=len(names))
            for part in ("productive", "distress", "dead_air", "hold", "acw"):
                column = f"time_{part}_s"
                if column in df.columns:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        table[f"share_{part}"] = np.bincount(codes, weights=np.nan_to_num(df[column].to_numpy(float)), minlength=len(names)) / handle
        return table.round(4)


def _behaviour_rates(df, codes, names, q, behaviours, polarity):
    """Per agent and behaviour: calls with it, raw rate, rate shrunk toward the team
    (beta-binomial, method of moments), and the top quartile's pooled rate."""
    import pandas as pd

    n = np.bincount(codes, minlength=len(names)).astype(float)
    rows = []
    for b in behaviours:
        x = np.bincount(codes, weights=df[f"beh_{b}"].to_numpy(dtype=float), minlength=len(names))
        p_team = x.sum() / n.sum()
        rates = np.divide(x, n, out=np.zeros_like(x), where=n > 0)
        # method-of-moments beta prior: between-agent variance beyond binomial noise
        var_between = max(np.average((rates - p_team) ** 2, weights=n) - p_team * (1 - p_team) * np.mean(1 / np.maximum(n, 1)), 1e-6)
        strength = max(p_team * (1 - p_team) / var_between - 1, 0.5)
        shrunk = (x + strength * p_team) / (n + strength)
        top = q == 1
        top_rate = x[top].sum() / n[top].sum() if n[top].sum() > 0 else np.nan
        rows.append(pd.DataFrame({"agent_id": names, "behaviour": b, "polarity": polarity.get(b, "positive"), "calls": n.astype(int),
                                  "calls_with": x.astype(int), "rate": rates, "rate_shrunk": shrunk, "team_rate": p_team, "top_quartile_rate": top_rate}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _period_days(df) -> Optional[float]:
    if "_started" not in df.columns or df["_started"].isna().all():
        return None
    span = (df["_started"].max() - df["_started"].min()).total_seconds() / 86400
    return round(max(span, 1.0), 2)


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
