"""Honest numbers for small teams (issue 10, items 2 and 5): every estimate inside its scale,
intervals that reflect how little data there is, and numbers below the documented minimums
withheld with the reason."""

import numpy as np
import pandas as pd
import pytest

from analyzer.variability.estimator import AgentVariability
from analyzer.variability.outcomes import prepare_calls

SCALES = {"aht_s": (0, np.inf), "csat": (1, 5), "satisfied": (0, 1), "sentiment_end": (0, 100), "transferred": (0, 1), "fcr": (0, 1)}


def first_night(seed: int = 0) -> pd.DataFrame:
    """100 calls over 41 agents (1-7 each), 66 surveys over 34 agents; each agent's customers
    are all satisfied or all unsatisfied (what a handful of surveys per agent often looks like)."""
    rng = np.random.default_rng(seed)
    counts = [1] * 16 + [2] * 10 + [3] * 5 + [4] * 5 + [5] * 3 + [7] * 2
    assert sum(counts) == 100 and len(counts) == 41
    rows = []
    for a, n in enumerate(counts):
        base = 5.0 if a % 3 else 2.0
        for i in range(n):
            rows.append({
                "call_id": f"c{a:02d}-{i}", "agent_id": f"agent-{a:02d}", "queue": ["cards", "loans", "accounts"][(a + i) % 3],
                "started_at": f"2026-03-{8 + i % 3:02d}T{9 + (a + i) % 8:02d}:00:00" + ("-05:00" if i % 2 else "-04:00"),
                "handle_seconds": float(rng.gamma(4, 90)), "duration_s": 300.0,
                "csat": np.nan if a < 7 else base - (i % 2),
                "customer_index_start": float(rng.uniform(20, 80)), "customer_index_end": float(rng.uniform(10, 95)),
            })
    calls = pd.DataFrame(rows)
    surplus = int(calls.csat.notna().sum()) - 66  # unsurvey later calls of the busiest agents
    for index in calls[calls.call_id.str.split("-").str[1].astype(int) >= 1].sort_values("call_id", ascending=False).index[:surplus]:
        calls.loc[index, "csat"] = np.nan
    assert calls.csat.notna().sum() == 66 and calls[calls.csat.notna()].agent_id.nunique() == 34
    return calls


@pytest.fixture(scope="module")
def est():
    return AgentVariability(n_boot=50).fit(first_night())


def test_icc_is_withheld_or_has_an_interval_inside_0_1(est):
    icc = est.headline_["icc"]
    sat = icc["satisfied"]
    assert sat["icc"] is None and sat["withheld"], "no within-agent variation seen: an ICC of 1.0 cannot be true"
    for kpi, entry in icc.items():
        if entry["icc"] is None:
            assert entry["withheld"], kpi
            continue
        assert 0 <= entry["icc_low"] <= entry["icc"] <= entry["icc_high"] <= 1, kpi
        assert entry["within_agent_sd"] > 0, kpi
        assert entry["icc_high"] - entry["icc_low"] > 0.1, f"{kpi}: 100 calls over 41 agents cannot pin the ICC down"


def test_every_per_agent_number_stays_inside_its_scale(est):
    agents = est.agents_
    for kpi, (lo, hi) in SCALES.items():
        if f"{kpi}_raw" not in agents:
            continue
        for column in ("raw", "raw_low", "raw_high", "shrunk", "low", "high"):
            values = agents[f"{kpi}_{column}"].dropna()
            assert (values >= lo - 1e-9).all() and (values <= hi + 1e-9).all(), f"{kpi}_{column}"


def test_raw_intervals_reflect_small_samples(est):
    agents = est.agents_
    for kpi in ("aht_s", "csat", "satisfied", "sentiment_end"):
        has = agents[agents[f"{kpi}_n"] > 0]
        width = has[f"{kpi}_raw_high"] - has[f"{kpi}_raw_low"]
        assert (width > 0).all(), f"{kpi}: zero-width interval at n = {has[width <= 0][f'{kpi}_n'].tolist()}"
        assert (has[f"{kpi}_raw_low"] <= has[f"{kpi}_raw"]).all() and (has[f"{kpi}_raw"] <= has[f"{kpi}_raw_high"]).all()
        one = has[has[f"{kpi}_n"] == 1]
        many = has[has[f"{kpi}_n"] >= 5]
        if len(one) and len(many):
            assert (one[f"{kpi}_raw_high"] - one[f"{kpi}_raw_low"]).median() > (many[f"{kpi}_raw_high"] - many[f"{kpi}_raw_low"]).median()
    # one satisfied survey: the Wilson interval, not a point
    one = agents[(agents.satisfied_n == 1) & (agents.satisfied_raw == 1)].iloc[0]
    assert one.satisfied_raw_low == pytest.approx(0.2065, abs=1e-3) and one.satisfied_raw_high == 1


def test_agents_without_a_survey_get_no_csat_numbers(est):
    agents = est.agents_
    none = agents[agents.csat_n == 0]
    assert len(none) == 7
    assert none[["csat_raw", "csat_raw_low", "csat_shrunk", "csat_low", "csat_high"]].isna().all().all()


def test_withheld_kpis_say_why_per_agent(est):
    agents = est.agents_
    assert "satisfied_withheld" in agents
    reasons = set(agents.satisfied_withheld.dropna())
    assert reasons and all(isinstance(r, str) and r for r in reasons)
    assert agents.satisfied_shrunk.isna().all()


def test_case_mix_is_not_fitted_on_too_little_data(est):
    # 66 surveys over 34 agents leave 32 within-agent degrees of freedom: too few for the queue,
    # hour and sentiment terms
    assert est.headline_["case_mix_by_kpi"]["csat"]["used"] is False
    assert "degrees of freedom" in est.headline_["case_mix_by_kpi"]["csat"]["reason"]


def test_daylight_saving_offsets_parse_to_local_hours():
    calls = pd.DataFrame({"agent_id": ["a"] * 4, "started_at": ["2026-03-07T10:30:00-05:00", "2026-03-09T10:30:00-04:00",
                                                               "2026-03-09T14:00:00Z", "2026-03-09T11:00:00"]})
    df = prepare_calls(calls)
    assert df.hour.tolist() == [10, 10, 14, 11]
    assert df._started.notna().all()


def test_posterior_and_spreads_stay_inside_the_scale():
    calls = first_night(1)
    est = AgentVariability(n_boot=50, min_calls=4).fit(calls)
    for kpi, spread in est.headline_["quartile_spreads"].items():
        lo, hi = SCALES[kpi]
        for view in ("observed", "noise_corrected"):
            for name in ("team", "top", "bottom"):
                entry = spread[view][name]
                for key in ("value", "low", "high"):
                    if entry[key] is not None:
                        assert lo - 1e-9 <= entry[key] <= hi + 1e-9, (kpi, view, name, key)
