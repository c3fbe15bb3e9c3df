"""The engine against simulated populations with known truth (the issue's validation list)."""

import numpy as np
import pytest

from analyzer.evaluation.variability import validate
from analyzer.variability.estimator import AgentVariability
from analyzer.variability.simulate import SimulationOptions, simulate_population

SEEDS = range(5)


@pytest.fixture(scope="module")
def worlds():
    with_effects = [validate(simulate_population(SimulationOptions(n_agents=60, n_calls=6000, seed=s)), AgentVariability(n_boot=100))
                    for s in SEEDS]
    null = [validate(simulate_population(SimulationOptions(n_agents=60, n_calls=6000, seed=s, agent_effects=False)), AgentVariability(n_boot=100))
            for s in SEEDS]
    return with_effects, null


@pytest.mark.parametrize("kpi", ["aht_s", "sentiment_end", "csat"])
def test_recovers_the_true_ranking_better_than_raw_means(worlds, kpi):
    results, _ = worlds
    raw = np.mean([r[f"{kpi}_rank_raw"] for r in results])
    engine = np.mean([r[f"{kpi}_rank_engine"] for r in results])
    assert engine > raw
    assert sum(r[f"{kpi}_rank_engine"] > r[f"{kpi}_rank_raw"] for r in results) >= 4


@pytest.mark.parametrize("kpi", ["aht_s", "sentiment_end"])
def test_interval_coverage_is_near_nominal(worlds, kpi):
    results, _ = worlds
    coverage = np.mean([r[f"{kpi}_coverage"] for r in results])  # 5 x 60 agents' 95% intervals
    assert 0.90 <= coverage <= 0.98, coverage


def test_no_true_differences_raw_spreads_look_large_but_engine_says_noise(worlds):
    _, null = worlds
    for r in null:
        assert max(r["icc"].values()) < 0.03
        assert abs(r["sentiment_end_spread_naive_pct"]) > 5  # a naive dashboard sees big differences
        if r["not_ranked_reason"]:  # no between-agent variance in the ranking KPIs: quartiles would be arbitrary
            assert "arbitrary" in r["not_ranked_reason"] and r["n_ranked"] == 0
            continue
        assert abs(r["sentiment_end_spread_corrected_pct"]["value"]) < 1
        assert r["sentiment_end_spread_corrected_pct"]["low"] <= 0 <= r["sentiment_end_spread_corrected_pct"]["high"] + 0.5


def test_with_true_differences_icc_is_clearly_positive(worlds):
    results, _ = worlds
    assert all(r["icc"]["sentiment_end"] > 0.1 and r["icc"]["aht_s"] > 0.05 for r in results)


def test_opportunity_matches_the_truth_within_its_interval(worlds):
    results, _ = worlds
    covered = [r["aht_saved_estimate"]["low"] <= r["aht_saved_true_s"] <= r["aht_saved_estimate"]["high"] for r in results]
    covered += [r["sentiment_gain_estimate"]["low"] <= r["sentiment_gain_true"] <= r["sentiment_gain_estimate"]["high"] for r in results]
    assert sum(covered) >= 8, covered  # 10 intervals at 95%


def test_behaviour_effects_match_the_truth_within_their_intervals(worlds):
    # the default simulated team is confounded (skill_confounding=0.5): the within-agent effects
    # still cover the true effects
    results, null = worlds
    rows = [row for r in results + null for row in r["behaviour_effects"]]
    assert np.mean([row["covered"] for row in rows]) >= 0.88
    headline = [r["positive_behaviour_estimate"]["low"] <= r["positive_behaviour_true"] <= r["positive_behaviour_estimate"]["high"] for r in results + null]
    assert sum(headline) >= 8
