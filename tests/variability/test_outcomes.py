import numpy as np
import pandas as pd
import pytest

from analyzer.variability.estimator import AgentVariability
from analyzer.variability.outcomes import CsatModel, case_mix_matrix, prepare_calls
from analyzer.variability.simulate import SimulationOptions, simulate_population


def test_aht_source_rules():
    calls = pd.DataFrame({
        "agent_id": ["a", "a", "a"],
        "handle_seconds": [300.0, np.nan, np.nan],
        "duration_s": [200.0, 200.0, 200.0],
        "hold_s": [20.0, 20.0, 20.0],
        "hold_seconds": [np.nan, 30.0, np.nan],
        "acw_seconds": [np.nan, 50.0, np.nan],
        "csat": [5, np.nan, 2],
    })
    df = prepare_calls(calls)
    assert df.aht_s.tolist() == [300.0, 200 - 20 + 30 + 50, 200.0]
    assert df.aht_source.tolist() == ["handle_seconds", "timeline+metadata", "timeline"]
    assert df.satisfied.tolist()[0] == 1 and np.isnan(df.satisfied[1]) and df.satisfied[2] == 0


def test_case_mix_matrix_drops_constant_factors():
    df = prepare_calls(pd.DataFrame({"agent_id": ["a", "b"], "queue": ["x", "y"], "customer_index_start": [30.0, np.nan]}))
    X, names = case_mix_matrix(df)
    assert names == ["queue_y", "sentiment_start", "sentiment_start_missing"]
    assert X.shape == (2, 3)


def test_predicted_csat_beats_the_mean_and_stays_separate():
    pop = simulate_population(SimulationOptions(n_agents=30, n_calls=3000, seed=4))
    df = prepare_calls(pop.calls)
    model = CsatModel().fit(df)
    assert model.cv_rmse_ < model.baseline_rmse_  # sentiment and behaviours predict the survey
    predicted = model.predict(df)
    assert np.all((predicted >= 1) & (predicted <= 5)) and not np.isnan(predicted).any()
    est = AgentVariability(n_boot=20).fit(pop.calls)
    assert est.calls_.csat.isna().sum() == pop.calls.csat.isna().sum()  # surveys never overwritten
    assert est.headline_["csat_prediction"]["cv_rmse"] < est.headline_["csat_prediction"]["baseline_rmse"]


def test_small_agents_are_not_ranked_and_transform_returns_scorecards():
    pop = simulate_population(SimulationOptions(n_agents=30, n_calls=1500, seed=5))
    est = AgentVariability(min_calls=40, n_boot=20).fit(pop.calls)
    small = est.agents_[est.agents_.n_calls < 40]
    assert len(small) and (small.quartile == 0).all() and (~small.ranked).all()
    ranked = est.agents_[est.agents_.ranked]
    assert sorted(ranked.quartile.unique()) == [1, 2, 3, 4]
    cards = est.transform(pop.calls[pop.calls.agent_id == ranked.agent_id.iloc[0]])
    assert list(cards.agent_id) == [ranked.agent_id.iloc[0]]
    assert {"aht_s_raw", "aht_s_low", "aht_s_high", "csat_shrunk", "sentiment_end_effect"} <= set(est.agents_.columns)
    assert est.headline_["aht_sources"] == {"handle_seconds": 1500}


def test_transfer_and_fcr_rates_per_agent():
    pop = simulate_population(SimulationOptions(n_agents=10, n_calls=600, seed=6))
    calls = pop.calls.assign(fcr=np.where(np.arange(600) % 3 == 0, "no", "yes"))
    est = AgentVariability(n_boot=20).fit(calls)
    assert {"transferred_raw", "transferred_shrunk", "fcr_raw", "fcr_low", "fcr_high"} <= set(est.agents_.columns)
    assert est.agents_.fcr_n.sum() == 600
    assert abs(np.average(est.agents_.fcr_raw, weights=est.agents_.fcr_n) - 400 / 600) < 1e-3  # the table is rounded to 4 places


def test_bad_kpi_is_refused():
    with pytest.raises(ValueError, match="kpi must be"):
        AgentVariability(kpi="speed").fit(pd.DataFrame({"agent_id": ["a"], "handle_seconds": [1.0]}))
